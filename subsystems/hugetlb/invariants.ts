/**
 * Invariants of the implementation state: properties of the kernel's own
 * counters and reserve maps that hold in every reachable state ('always') or
 * whenever no operation is in flight ('quiescent').
 */
import { invariant, type Invariant } from '../../checker/types.js';
import { datGet } from '../../impl/hugetlb/context.js';
import { orphanNid, orphanTag } from '../../impl/hugetlb/pin.js';
import { coveredSet, regionCount, regionsWellFormed } from '../../impl/hugetlb/regions.js';
import {
  type G,
  HPAGE_RESV_OWNER,
  PRIVATE,
  SP_DETACHED,
  SP_MOUNTED,
  SP_UNMOUNTED,
  V_FREE,
  V_LIVE,
} from '../../impl/hugetlb/state.js';
import type { HugetlbParams } from '../../spec/hugetlb/params.js';

/** Pages in use: page cache + anon (a COW-shared page once). */
function inUse(g: Readonly<G>): number {
  let n = 0;
  let shared = 0;
  for (const f of g.file) n += f.pc.length;
  // left the page cache, kept by long-term pins (one folio may have several)
  n += new Set(g.pin.filter((x) => x < 0)).size + g.leaked;
  for (const v of g.vma) {
    n += v.anon.length;
    shared += v.cow.length;
  }
  return n - shared / 2;
}

/** I3: reservations derived from the maps and subpools. */
export function derivedRsvd(g: Readonly<G>): number {
  let r = 0;
  for (const f of g.file) for (const i of coveredSet(f.reg)) if (!f.pc.includes(i)) r++;
  for (const v of g.vma)
    if (v.st === V_LIVE && v.kind === PRIVATE && v.flags & HPAGE_RESV_OWNER)
      r += v.to - v.from - regionCount(v.reg, v.from, v.to);
  for (const s of g.spool) r += (s.st === SP_MOUNTED || s.st === SP_DETACHED ? s.rsv : 0) + s.lost;
  return r;
}

/**
 * With per-node pools (impl/hugetlb/nodes.ts): each node's surplus and free pages are among its pages,
 * and the global counters are the sums over the nodes (hugetlb_report_node_meminfo vs /proc/meminfo).
 */
function nodesAddUp(g: Readonly<G>): true | string {
  if (g.nd.length === 0) return true;
  const sum = { nr: 0, free: 0, surp: 0 };
  for (const [k, n] of g.nd.entries()) {
    if (n.surp < 0 || n.free < 0 || n.surp > n.nr || n.free > n.nr)
      return `node ${k}: nr=${n.nr} free=${n.free} surplus=${n.surp}`;
    sum.nr += n.nr;
    sum.free += n.free;
    sum.surp += n.surp;
  }
  return sum.nr === g.nr && sum.free === g.free && sum.surp === g.surp
    ? true
    : `nodes sum to total=${sum.nr} free=${sum.free} surp=${sum.surp}, global ${g.nr}/${g.free}/${g.surp}`;
}

/** Pages in use recorded on node nid (page_to_nid in file.pn / vma.an; a COW-shared page once). */
function inUseOnNode(g: Readonly<G>, nid: number): number {
  let n = 0;
  let shared = 0;
  for (const f of g.file) for (const i of f.pc) if (datGet(f.pn, i) === nid) n++;
  for (const v of g.vma) {
    for (const i of v.anon) if (datGet(v.an, i) === nid) n++;
    for (const i of v.cow) if (datGet(v.an, i) === nid) shared++;
  }
  // folios only long-term pins hold (several slots may pin one: one tag)
  n += new Set(g.pin.filter((x) => x < 0 && orphanNid(x) === nid).map(orphanTag)).size;
  return n - shared / 2;
}

export const invariants: Invariant<G, HugetlbParams>[] = [
  invariant<G, HugetlbParams>({
    name: 'counters-ordered',
    why: 'hugetlb_acct_memory only adds to resv_huge_pages when enough free pages (after gathering surplus) cover the reservation, and a reserved page is consumed only by taking a free page, both under hugetlb_lock.',
    doc: '0 <= HugePages_Rsvd <= HugePages_Free <= HugePages_Total: reserved pages are free pages set aside.',
    source:
      'Documentation/vm/hugetlbfs_reserv.rst @ v5.10 "The Data Structures" (available = free_huge_pages - resv_huge_pages); Documentation/admin-guide/mm/hugetlbpage.rst @ v6.1 (HugePages_Rsvd)',
    when: 'always',
    check: (g) =>
      g.resv >= 0 && g.resv <= g.free && g.free <= g.nr ? true : `resv=${g.resv} free=${g.free} total=${g.nr}`,
  }),
  invariant<G, HugetlbParams>({
    name: 'surplus-bounded',
    why: 'Surplus pages are counted in nr_huge_pages when allocated (alloc_surplus_huge_page) and leave both counters together when freed or made persistent, all under hugetlb_lock.',
    doc: '0 <= HugePages_Surp <= HugePages_Total: surplus pages are pool pages above the persistent size; with per-node pools the same holds on each node (and free pages are among its pages), and the global counters are the sums over the nodes.',
    source:
      'Documentation/admin-guide/mm/hugetlbpage.rst @ v6.1 (HugePages_Surp, nr_overcommit_hugepages; /sys/devices/system/node/node[0-9]*/hugepages/)',
    when: 'always',
    check: (g) => (g.surp >= 0 && g.surp <= g.nr ? nodesAddUp(g) : `surp=${g.surp} total=${g.nr}`),
  }),
  invariant<G, HugetlbParams>({
    name: 'node-pages-conserved',
    why: "A page leaves its node only to buddy: dequeue takes it off its node's free list and free_huge_page enqueues it on page_to_nid (or frees it to buddy with that node's counters), all under hugetlb_lock.",
    doc: "With per-node pools, each node's pages not free (nr - free of the node) are the pages in use that sit on it plus some of the pages threads hold: none leaks from a node to another, none is counted twice; it does not apply with one node (appliesTo).",
    source: 'mm/hugetlb.c enqueue_huge_page(), dequeue_huge_page_node_exact(), free_huge_page() @ v6.1',
    when: 'always',
    appliesTo: (p) => (p.nodePool ?? 1) > 1,
    check: (g) => {
      if (g.nd.length === 0) return null;
      for (const [k, n] of g.nd.entries()) {
        const slack = n.nr - n.free - inUseOnNode(g, k);
        if (slack < 0 || slack > g.held)
          return `node ${k}: nr=${n.nr} free=${n.free} but ${inUseOnNode(g, k)} pages in use there, ${g.held} held`;
      }
      return true;
    },
  }),
  invariant<G, HugetlbParams>({
    name: 'resv-conservation',
    why: "Every change to resv_huge_pages is paired with a reserve-map or subpool change in the same path (region_add/region_del with hugetlb_acct_memory, the subpool's rsv_hpages in hugepage_subpool_get/put_pages).",
    doc: 'At quiescence HugePages_Rsvd equals the outstanding reservations of the reserve maps and subpools: shared entries without a cached page + unconsumed private-owner pages + subpool rsv_hpages.',
    source:
      'Documentation/vm/hugetlbfs_reserv.rst @ v5.10 "Reservation Map Modifications" (the reservation maps correspond to the global count)',
    when: 'quiescent',
    check: (g) => {
      const d = derivedRsvd(g);
      return d === g.resv ? true : `resv_huge_pages=${g.resv} but the maps and subpools hold ${d}`;
    },
  }),
  invariant<G, HugetlbParams>({
    name: 'subpool-min',
    why: 'hugepage_subpool_get_pages/put_pages adjust used_hpages and rsv_hpages under spool->lock, taking from the min_size reserve first and refilling it before giving pages back globally.',
    doc: 'A subpool with size= keeps 0 <= used <= max; with min_size=, 0 <= rsv <= min, and with both used + rsv >= min; vacuous without such a mount.',
    source:
      'mm/hugetlb.c hugepage_subpool_get_pages() / hugepage_subpool_put_pages() @ v6.1; Documentation/admin-guide/mm/hugetlbpage.rst @ v6.1 (min_size: allocated + reserved >= min_size)',
    when: 'always',
    check: (g) => {
      let seen = false;
      for (const s of g.spool) {
        if (s.st !== SP_MOUNTED || (s.max === -1 && s.min === -1)) continue;
        seen = true;
        if (s.max !== -1 && (s.used < 0 || s.used > s.max)) return `subpool used=${s.used} outside [0, ${s.max}]`;
        if (s.min === -1) continue;
        if (s.rsv < 0 || s.rsv > s.min) return `subpool rsv=${s.rsv} outside [0, ${s.min}]`;
        // used_hpages is only maintained with size= (hugepage_subpool_get_pages)
        if (s.max !== -1 && s.used + s.rsv < s.min) return `subpool used=${s.used} + rsv=${s.rsv} < min=${s.min}`;
      }
      return seen ? true : null;
    },
  }),
  invariant<G, HugetlbParams>({
    name: 'adds-in-progress-zero',
    why: 'region_chg increments adds_in_progress and every caller ends the two-phase protocol with region_add or region_abort before it returns, under the resv_map lock.',
    doc: 'At quiescence every region_chg was closed by region_add or region_abort: adds_in_progress == 0 (VM_BUG_ON in resv_map_release: the two-phase region_chg/region_add protocol).',
    source:
      'mm/hugetlb.c resv_map_release() @ v6.1 (VM_BUG_ON(resv_map->adds_in_progress)); mm/hugetlb.c region_chg() / region_add() / region_abort() @ v6.1',
    when: 'quiescent',
    check: (g) => {
      for (const f of g.file) if (f.adds !== 0) return `file adds_in_progress=${f.adds}`;
      for (const v of g.vma) if (v.adds !== 0) return `vma adds_in_progress=${v.adds}`;
      return true;
    },
  }),
  invariant<G, HugetlbParams>({
    name: 'resv-map-well-formed',
    why: 'add_reservation_in_range inserts and coalesces regions under resv->lock, and allocate_file_region_entries tops up the region cache before region_add may need it.',
    doc: 'Every reserve map is a sorted, disjoint, coalesced list of non-empty file_regions and region_cache_count >= adds_in_progress whenever the lock is free.',
    source: 'mm/hugetlb.c struct resv_map, allocate_file_region_entries() @ v6.1',
    when: 'always',
    check: (g) => {
      for (const m of [...g.file, ...g.vma]) {
        const e = regionsWellFormed(m.reg);
        if (e) return e;
        if (m.adds < 0) return `adds_in_progress=${m.adds} < 0`;
        if (m.cache < m.adds) return `region_cache_count=${m.cache} < adds_in_progress=${m.adds}`;
      }
      return true;
    },
  }),
  invariant<G, HugetlbParams>({
    name: 'page-free-xor-in-use',
    why: 'A huge page moves between the free lists and use only in dequeue_huge_page_vma/free_huge_page under hugetlb_lock, and it enters the page cache only after its index was reserved.',
    doc: 'No page is both free and instantiated: free + in use (page cache, anon, held by a thread) == HugePages_Total, every cached page has a reserve-map entry, and no page on the free list belongs to the page allocator (dissolved while being freed).',
    source:
      'fs/hugetlbfs/inode.c remove_inode_hugepages() @ v6.1; mm/hugetlb.c hugetlb_unreserve_pages() @ v6.1 (chg - freed)',
    when: 'always',
    check: (g) => {
      if (g.ghost > 0) return `${g.ghost} page(s) given to buddy are still on the hugetlb free list`;
      const used = inUse(g) + g.held;
      if (g.free + used !== g.nr) return `free=${g.free} + in use=${used} != total=${g.nr}`;
      for (const f of g.file)
        for (const i of f.pc) if (!coveredSet(f.reg).includes(i)) return `cached page ${i} has no reserve map entry`;
      return true;
    },
  }),
  invariant<G, HugetlbParams>({
    name: 'private-writes-stay-private',
    why: 'A write through a MAP_PRIVATE mapping reaches a file page only by copying it first: hugetlb_wp reuses a page in place only when it is anonymous and mapped once (folio_test_anon), so the page-cache folio is always copied, under the fault mutex of (mapping, index).',
    doc: 'No page-cache page holds data written through a private mapping: a private write is never visible through the file or a shared mapping (checked wherever a file has a written page).',
    source:
      'mm/hugetlb.c hugetlb_wp() @ v6.12 (folio_mapcount(old_folio) == 1 && folio_test_anon(old_folio)); mmap(2) MAP_PRIVATE "updates to the mapping are not visible to other processes mapping the same file, and are not carried through to the underlying file"',
    when: 'always',
    check: (g) => {
      let written = false;
      for (const [k, f] of g.file.entries())
        for (const x of f.dat) {
          if (!f.pc.includes(x >> 4)) continue;
          written = true;
          if ((x & 15) >= 2)
            return `file ${k} page ${x >> 4} holds what the private mapping in slot ${(x & 15) - 2} wrote`;
        }
      return written ? true : null;
    },
  }),
  invariant<G, HugetlbParams>({
    name: 'no-leak',
    why: 'Each reservation taken at mmap, fault or mount is given back by the matching unmap (hugetlb_vm_op_close), truncate or eviction (hugetlb_unreserve_pages) or umount (hugepage_put_subpool).',
    doc: 'Once no mapping is left and no file holds a page or a reservation, the pool alone explains the counters: nothing is in use (HugePages_Free == HugePages_Total), HugePages_Rsvd is exactly what mounted (or detached) subpools hold for min_size, and a size= mount uses nothing (statfs); after every mount is gone too, Rsvd == 0. (A free surplus page may linger: set_nr / overcommit changes leave them and the kernel returns them lazily.)',
    source:
      'Documentation/admin-guide/mm/hugetlbpage.rst @ v6.1 (HugePages_Rsvd, HugePages_Surp); fs/hugetlbfs/inode.c hugetlbfs_evict_inode() @ v6.1; mm/hugetlb.c unlock_or_release_subpool() @ v6.1',
    when: 'quiescent',
    check: (g) => {
      if (g.vma.some((v) => v.st !== V_FREE) || g.file.some((f) => f.pc.length > 0 || f.reg.length > 0)) return null;
      if (g.pin.some((x) => x < 0)) return null; // a pinned page that left its file is in use until unpinned
      let held = 0;
      for (const s of g.spool) held += (s.st === SP_MOUNTED || s.st === SP_DETACHED ? s.rsv : 0) + s.lost;
      if (g.free !== g.nr || g.resv !== held || g.held !== 0)
        return `nothing is mapped or cached but free=${g.free} total=${g.nr} resv=${g.resv} (subpools hold ${held}) surp=${g.surp} held=${g.held}`;
      if (g.spool.every((s) => s.st === SP_UNMOUNTED) && g.resv !== 0) return `every mount is gone but resv=${g.resv}`;
      // statfs: a size= mount with nothing on it uses nothing (cb6acd01e2e4: "the filesystem shows 4G used")
      for (const [k, s] of g.spool.entries())
        if (s.st === SP_MOUNTED && s.max !== -1 && s.used !== 0)
          return `nothing is on mount ${k} but it uses ${s.used}`;
      return true;
    },
  }),
];
