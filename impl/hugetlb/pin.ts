/**
 * Long-term pins of hugetlb pages (issue 10 item 7), reached the way a user
 * reaches them: io_uring buffer registration (IORING_REGISTER_BUFFERS ->
 * io_sqe_buffers_register -> io_sqe_buffer_register -> io_pin_pages ->
 * pin_user_pages_fast(FOLL_WRITE | FOLL_LONGTERM), io_uring/rsrc.c @ v6.12;
 * v6.1 pins with pin_user_pages under mmap_read_lock and accepts a VMA whose
 * file is_file_hugepages) and IORING_UNREGISTER_BUFFERS / the ring's close
 * (io_buffer_unmap -> unpin_user_page). A hugetlb folio in ZONE_NORMAL is
 * long-term pinnable (folio_is_longterm_pinnable): it is pinned in place,
 * GUP_PIN_COUNTING_BIAS references on the folio (try_grab_folio, mm/gup.c @ v6.12).
 *
 * What a pin changes: the folio keeps references nobody else drops.
 * - truncate, hole punch and eviction remove it from the page cache
 *   (remove_inode_single_folio) and count it as removed for
 *   hugetlb_unreserve_pages, but their folio_batch_release does not free it:
 *   it is freed (free_huge_folio, its subpool charge put then) at unpin;
 * - migration (MADV_SOFT_OFFLINE, migrate.ts) fails: hugetlbfs_migrate_folio
 *   -> migrate_huge_page_move_mapping cannot folio_ref_freeze the expected
 *   count, -EAGAIN, retried and given up: -EBUSY.
 *
 * g.pin[k] is pin slot k (one registered one-page buffer): PIN_NONE, a
 * page-cache page (pinCached), or a folio that left the page cache and only
 * the pin holds (pinOrphan, with the subpool free_huge_folio will put).
 *
 * Bounds of the op language (the probe answers them without a system call):
 * the buffer is one huge page of a MAP_SHARED mapping (shared or noreserve)
 * of a file whose mount has no min_size= (EINVAL otherwise; a freed pinned
 * page's refill of a min_size reserve is not modelled); slot k must be free
 * to pin (EBUSY) and pinned to unpin (EINVAL).
 *
 * Coarsening: GUP's fault is a read fault (FOLL_WRITE on a shared mapping
 * only marks the page dirty; a read-only VMA is -EFAULT before any fault,
 * check_vma_flags); the pin is taken in the fault's last step's successor,
 * with the fault mutex dropped and mmap_lock still held.
 */
import { done } from '../../checker/types.js';
import { faultEntry, faultOp } from './fault.js';
import { GUP_PIN, PIN_PAGE } from './fault-release.js';
import {
  type Op,
  type Step,
  type T,
  LOCALS,
  argInt,
  at,
  faultFile,
  faultVma,
  isShared,
  setAdd,
  vmaOf,
} from './context.js';
import { faultMayEnter } from './migration-entry.js';
import { NO_SUBPOOL, freeHugePage } from './subpool.js';
import { type G, PIN_NONE } from './state.js';

const key = (file: number, idx: number): number => 1 + file * 64 + idx;

/** g.pin entry of page-cache page idx of file. */
export const pinCached = (file: number, idx: number): number => key(file, idx);

/**
 * g.pin entry of a folio only pins hold, freed to subpool `spool` (NO_SUBPOOL: none) by the last of
 * them to unpin; `tag` (the lowest slot pinning it when it left the page cache) tells folios apart.
 */
export const pinOrphan = (spool: number, tag: number, nid = 0): number =>
  -(1 + (spool + 1) + 8 * tag + ORPHAN_NID * nid);

/** An orphan entry's node (page_to_nid, free_huge_folio enqueues it there): -x - 1 in units of ORPHAN_NID. */
const ORPHAN_NID = 512;

/** The node of an orphan entry (x < 0). */
export const orphanNid = (x: number): number => Math.floor((-x - 1) / ORPHAN_NID);

/** The subpool of an orphan entry (x < 0). */
export const orphanSpool = (x: number): number => ((-x - 1) % 8) - 1;

/** The folio tag of an orphan entry (x < 0). */
export const orphanTag = (x: number): number => Math.floor(((-x - 1) % ORPHAN_NID) / 8);

/** (file, idx) of a cached entry (x > 0). */
export const cachedPage = (x: number): [number, number] => [Math.floor((x - 1) / 64), (x - 1) % 64];

/** g.xref entry of an orphan folio (by tag) that also holds a reference nobody drops (udmabuf.ts). */
const XREF_ORPHAN = 1 << 12;

/**
 * Is page idx of file pinned, or held by a reference nobody drops (g.xref, a variant's leak)? Either
 * way migration cannot folio_ref_freeze it.
 */
export const isPinned = (g: Readonly<G>, file: number, idx: number): boolean =>
  g.pin.includes(key(file, idx)) || g.xref.includes(key(file, idx));

/**
 * remove_inode_single_folio of a pinned folio: it leaves the page cache, and folio_batch_release drops
 * the page cache's reference only; the pin keeps the folio, with its subpool, until unpin_user_page.
 * Returns whether the folio was pinned.
 */
export function keepPinned(g: G, file: number, idx: number, spool: number, nid: number): boolean {
  const first = g.pin.indexOf(key(file, idx));
  // the folio's tag: one no other orphan folio holds (not the first slot's index: the slot may have moved on)
  let tag = first < 0 ? -1 : 0;
  while (tag >= 0 && g.pin.some((x) => x < 0 && orphanTag(x) === tag)) tag++;
  if (g.xref.includes(key(file, idx))) {
    // a reference memfd_pin_folios never dropped (c56b6f3d801d absent): the folio is never freed,
    // now (no pin) or when its last pin goes (XREF_ORPHAN)
    g.xref = g.xref.filter((x) => x !== key(file, idx));
    if (tag < 0) {
      g.leaked++;
      return true;
    }
    g.xref = [...g.xref, XREF_ORPHAN + tag].sort((a, b) => a - b);
  }
  if (tag < 0) return false;
  for (let k = first; k < g.pin.length; k++) if (g.pin[k] === key(file, idx)) g.pin[k] = pinOrphan(spool, tag, nid);
  return true;
}

/** hugepage_new_subpool of mount m: folios still charged to the old subpool no longer charge this one. */
export function detachOrphans(g: G, m: number): void {
  for (let k = 0; k < g.pin.length; k++) {
    const x = at(g.pin, k);
    if (x < 0 && orphanSpool(x) === m) g.pin[k] = pinOrphan(NO_SUBPOOL, orphanTag(x), orphanNid(x));
  }
}

/** The end of the pin (the fault mutex already dropped): mmap_read_unlock and i_mmap_rwsem / VMA lock readers. */
function dropReaders(g: G, t: T): void {
  const v = vmaOf(g, t);
  v.users--;
  const file = faultFile(v);
  if (file >= 0) at(g.file, file).ir--;
}

const entry: Step = {
  name: 'io_sqe_buffer_register',
  enabled: faultMayEnter,
  run(g, t) {
    if (at(g.pin, argInt(t, 'k')) !== PIN_NONE) return done('EBUSY'); // bound: slot in use
    const v = faultVma(g, t);
    if (!v) return done('EFAULT'); // GUP: no VMA there
    if (!isShared(v.kind) || at(g.spool, at(t.params.fileMount, v.src)).min !== -1) return done('EINVAL'); // bound
    if (v.ro) return done('EFAULT'); // check_vma_flags: FOLL_WRITE without VM_WRITE
    t.l.gup = GUP_PIN;
    if (!v.pcm.includes(argInt(t, 'i'))) return faultEntry.run(g, t); // faultin_page; on to PIN_PAGE
    // follow_page_mask finds the PTE: try_grab_folio under the page table lock, mmap_lock held
    if (t.inject('io_alloc_imu')) return imuAllocFailed(g, t, v.src);
    g.pin[argInt(t, 'k')] = pinCached(v.src, argInt(t, 'i'));
    return done('ok');
  },
};

/**
 * io_sqe_buffer_register() after io_pin_pages(): the kvmalloc of the io_mapped_ubuf fails, -ENOMEM,
 * and the error path unpins the pages (unpin_user_pages at `done:`, e1c75831f682 "io_uring: fix
 * potential page leak in io_sqe_buffer_register()", io_uring/rsrc.c @ v6.16). Before that fix the
 * `if (!imu) goto done` path left them pinned with nobody to unpin them: the page is never freed.
 * Modelled where the pin found the page mapped (GUP's own fault is the fault's injection sites).
 */
function imuAllocFailed(g: G, t: T, file: number): ReturnType<typeof done> {
  if (t.bug('e1c75831f682')) g.xref = setAdd(g.xref, pinCached(file, argInt(t, 'i')));
  return done('ENOMEM');
}

const steps: Step[] = [
  entry,
  ...faultOp.steps.filter((s) => s !== faultEntry), // GUP's fault
  {
    // after GUP's fault (fault-release.ts), the fault mutex dropped: follow_page_mask again, try_grab_folio
    name: PIN_PAGE,
    run(g, t) {
      const v = vmaOf(g, t);
      g.pin[argInt(t, 'k')] = pinCached(v.src, argInt(t, 'i'));
      dropReaders(g, t);
      return done('ok');
    },
  },
];

export const pinOp: Op = {
  doc: 'io_uring IORING_REGISTER_BUFFERS of one huge page of a MAP_SHARED mapping: pin_user_pages_fast(FOLL_WRITE | FOLL_LONGTERM), faulting the page in when it is not mapped',
  locals: LOCALS,
  steps,
};

export const unpinOp: Op = {
  doc: 'io_uring IORING_UNREGISTER_BUFFERS: unpin_user_page; a folio that left the page cache meanwhile is freed (free_huge_folio)',
  locals: LOCALS,
  steps: [
    {
      name: 'unpin_user_page',
      run(g, t) {
        const k = argInt(t, 'k');
        const x = at(g.pin, k);
        if (x === PIN_NONE) return done('EINVAL'); // bound: nothing registered in slot k
        g.pin[k] = PIN_NONE;
        // the last reference of a removed folio: free_huge_folio (subpool put, hugetlb_lock, free list or buddy)
        // (by the last pin of it: unpin_user_page drops GUP_PIN_COUNTING_BIAS each)
        if (x < 0 && !g.pin.includes(x)) {
          if (g.xref.includes(XREF_ORPHAN + orphanTag(x))) {
            g.xref = g.xref.filter((y) => y !== XREF_ORPHAN + orphanTag(x));
            g.leaked++; // a reference nobody drops (c56b6f3d801d absent): never freed
          } else freeHugePage(g, t, orphanSpool(x), false, false, orphanNid(x));
        }
        return done('ok');
      },
    },
  ],
};
