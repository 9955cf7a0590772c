/**
 * Zapping the pages a private VMA maps: __unmap_hugepage_range
 * (mm/hugetlb.c @ v6.12), the one loop behind munmap (unmap_vmas),
 * MADV_DONTNEED (zap_page_range_single) and the hugetlb_vmdelete_list of
 * ftruncate and hole punch. Callers hold the VMA lock and i_mmap_rwsem for
 * write (__hugetlb_zap_begin), so no fault runs on the VMA meanwhile.
 *
 * Per page: the pte goes; an anonymous page the reservation owner zaps gets
 * HPageRestoreReserve and its reserve-map entry is deleted
 * (vma_needs_reservation + vma_add_reservation), so the owner's promise for
 * the index is back ("mm/hugetlb: restore the reservation if needed",
 * df7a6d1f6405), except while surplus pages exist (and, a model choice
 * checked on real kernels, for a page the fork partner still maps); the page
 * is freed with that flag.
 *
 * Coarsenings: the loop is one step (the kernel takes the page table lock
 * per page and reads surplus_huge_pages there without hugetlb_lock, the data
 * race 21cc2b5c5062 "mm/hugetlb: add missing hugetlb_lock in
 * __unmap_hugepage_range()" closed); the descriptor vma_needs_reservation may
 * kmalloc with resv_map->lock dropped is allocated inside it; the mmu_gather
 * batch is freed at once.
 */
import { type T, at, datKeep, setAdd, spoolIdx } from './context.js';
import { covers, regionDel } from './regions.js';
import { freeHugePage } from './subpool.js';
import { pageNid } from './node-pages.js';
import { type G, type Vma, HPAGE_RESV_OWNER, PRIVATE } from './state.js';

/** __vma_private_lock: a MAP_PRIVATE VMA holding its own reserve map (the owner). */
const vmaPrivateLock = (v: Vma): boolean => v.kind === PRIVATE && (v.flags & HPAGE_RESV_OWNER) !== 0;

/** Does [start, end) of a private VMA map anything (an anonymous page or the file's page)? */
export function mapsInRange(v: Vma, start: number, end: number): boolean {
  const inRange = (i: number): boolean => i >= start && i < end;
  return v.anon.some(inRange) || v.pcm.some(inRange);
}

/** __unmap_hugepage_range over [start, end) of a private VMA (a shared VMA's PTEs are only v.pcm: its callers drop them). */
export function unmapHugepageRange(g: G, t: T, v: Vma, start: number, end: number): void {
  const spoolIndex = spoolIdx(t, v);
  const peer = v.peer >= 0 ? at(g.vma, v.peer) : null;
  const inRange = (i: number): boolean => i >= start && i < end;
  const batch: [boolean, number][] = [];
  for (const idx of v.anon.filter(inRange)) {
    const shared = peer !== null && v.cow.includes(idx);
    let restore = v.rr.includes(idx); // a flag an earlier zap left on the page (never set: see below)
    // hugetlb_remove_rmap; restore the reservation for an anonymous page of the owner, unless a
    // surplus page is being freed (df7a6d1f6405 absent: the promise stays consumed). Model choice:
    // a page the fork partner still maps is not restored. Read literally, __unmap_hugepage_range
    // @ v6.12 would flag it and delete its entry, and hugetlb_vm_op_close would then drive
    // resv_huge_pages to -1 on "mmap private, write, fork, parent munmap"; Debian's 6.1.192 and
    // 6.12.118 keep HugePages_Rsvd at 0 there (mmcheck reproduce, NOTES.md), so the model follows
    // the kernels.
    if (!shared && g.surp === 0 && vmaPrivateLock(v) && !t.bug('df7a6d1f6405')) {
      restore = true;
      // vma_needs_reservation: region_chg keeps one descriptor at hand (kmalloc'ed if none is cached)
      if (v.cache <= v.adds) v.cache++;
      // an entry means "consumed" in a private map: rc = 1 -> vma_add_reservation = region_abort +
      // region_del (the kept descriptor covers a split); rc = 0 -> nothing
      if (covers(v.reg, idx)) regionDel(v, idx, idx + 1, false);
    }
    if (shared && peer) {
      // still mapped by the fork partner: it keeps the page
      peer.cow = peer.cow.filter((i) => i !== idx);
      if (restore) peer.rr = setAdd(peer.rr, idx);
    } else batch.push([restore, pageNid(v.an, idx)]); // tlb_remove_page_size: freed after the loop, at tlb_finish_mmu
  }
  // the mmu_gather batch: each page's last reference -> free_huge_folio (surplus_huge_pages, read
  // per page above, does not change while the loop runs)
  for (const [restore, nid] of batch) freeHugePage(g, t, spoolIndex, restore, false, nid);
  const keep = (i: number): boolean => !inRange(i);
  v.anon = v.anon.filter(keep);
  v.cow = v.cow.filter(keep);
  v.rr = v.rr.filter(keep);
  v.pcm = v.pcm.filter(keep);
  v.dat = datKeep(v.dat, keep);
  v.an = datKeep(v.an, keep);
}
