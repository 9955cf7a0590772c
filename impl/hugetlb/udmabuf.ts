/**
 * udmabuf of a hugetlb memfd page (issue 10 item 7, the memfd_create(MFD_HUGETLB)
 * user of long-term pins): ioctl(/dev/udmabuf, UDMABUF_CREATE) of page i of
 * memfd file f into pin slot k (drivers/dma-buf/udmabuf.c udmabuf_create @
 * v6.12: the memfd must carry F_SEAL_SHRINK, which the caller adds with
 * fcntl(F_ADD_SEALS) under inode_lock; udmabuf_pin_folios -> memfd_pin_folios,
 * mm/gup.c @ v6.12): filemap_get_folios_contig finds the page-cache folio and
 * try_grab_folio(FOLL_PIN) pins it; an index with no folio gets one from
 * memfd_alloc_folio (mm/memfd.c @ v6.12): alloc_hugetlb_folio_reserve
 * (dequeue_hugetlb_folio_nodemask and resv_huge_pages-- under hugetlb_lock),
 * hugetlb_add_to_page_cache (-EEXIST when a fault added one meanwhile: the
 * folio is put and the lookup retried), and the lookup pins it; the
 * allocation's own references are dropped (folio_put twice for hugetlb).
 * Closing the udmabuf (unpin) unpins (pin.ts unpinOp).
 *
 * v6.12 takes the reservation for granted: resv_huge_pages-- also for an index
 * nothing reserved (VM_BUG_ON, not built in Debian; v6.16's "mm/hugetlb: don't
 * crash when allocating a folio if there are no resv" reserves first). The
 * default scenarios udmabuf reserved indices only (NOTES.md).
 *
 * Bounds (answered without a system call): slot k busy (EBUSY); f not a memfd
 * (EINVAL); its descriptor closed (EBADF); i at or beyond i_size (EINVAL).
 * Coarsenings: the seal and the lookup share the entry step (inode_lock is
 * dropped before the lookup; nothing a user sees lies between). The page-cache
 * insertion waits for the index's fault mutex, as later mainline serializes it;
 * v6.12 inserts without it, so a shared fault that missed the page cache just
 * before meets -EEXIST in its own hugetlb_add_to_page_cache, which
 * hugetlb_no_page assumes cannot happen: that window is not modelled (the
 * default scenario's racing reads may still fault the page in first).
 */
import { done } from '../../checker/types.js';
import type { StepResult } from './labels.js';
import { type Op, type Step, type T, LOCALS, argInt, at, fileMutexHash, setAdd } from './context.js';
import { pinCached } from './pin.js';
import { account } from './nodes.js';
import { freeNid, withPageNid } from './node-pages.js';
import { NO_SUBPOOL, freeHugePage } from './subpool.js';
import { type G, PIN_NONE } from './state.js';

/** fcntl F_SEAL_SHRINK (file.seals): ftruncate may not shrink the file (EPERM). */
export const F_SEAL_SHRINK = 2;

/** memfd_pin_folios: filemap_get_folios_contig found the folio; try_grab_folio(FOLL_PIN). */
function pinFound(g: G, t: T): StepResult {
  g.pin[argInt(t, 'k')] = pinCached(argInt(t, 'f'), argInt(t, 'i'));
  return done('ok');
}

const entry: Step = {
  name: 'udmabuf_create',
  // memfd_add_seals takes inode_lock
  enabled: (g, t) => (g.file[argInt(t, 'f')]?.ilock ?? 0) === 0,
  run(g, t) {
    const fi = argInt(t, 'f');
    if (at(g.pin, argInt(t, 'k')) !== PIN_NONE) return done('EBUSY');
    const f = g.file[fi];
    const mount = t.params.fileMount[fi];
    if (!f || mount === undefined || !t.params.mounts[mount]?.internal) return done('EINVAL');
    if (f.fd === 0) return done('EBADF');
    if (argInt(t, 'i') >= f.size) return done('EINVAL');
    f.seals |= F_SEAL_SHRINK; // fcntl(F_ADD_SEALS, F_SEAL_SHRINK)
    if (f.pc.includes(argInt(t, 'i'))) return pinFound(g, t);
    return 'alloc_hugetlb_folio_reserve';
  },
};

const steps: Step[] = [
  entry,
  {
    // memfd_alloc_folio -> alloc_hugetlb_folio_reserve (hugetlb_lock)
    name: 'alloc_hugetlb_folio_reserve',
    run(g, t) {
      if (t.bug('26a8ea80929c')) {
        // before 26a8ea80929c "mm/hugetlb: fix memfd_pin_folios resv_huge_pages leak":
        // alloc_hugetlb_folio_nodemask takes only an unreserved free page and consumes no reservation
        if (g.free - g.resv <= 0) return done('ENOMEM');
      } else if (g.free === 0) return done('ENOMEM'); // dequeue_hugetlb_folio_nodemask: none
      // alloc_hugetlb_folio_reserve(h, numa_node_id(), NULL, gfp): no nodemask, the task's policy unused
      const nid = freeNid(g, t);
      account(g, nid, 0, -1, 0);
      t.l.page_nid = nid;
      if (!t.bug('26a8ea80929c')) g.resv--; // the index's reservation (VM_BUG_ON(!h->resv_huge_pages) not built)
      g.held++;
      return 'hugetlb_add_to_page_cache';
    },
  },
  {
    // hugetlb_add_to_page_cache (xa lock), folio_unlock; memfd_pin_folios looks the index up again and pins
    name: 'hugetlb_add_to_page_cache',
    // coarsening: under the fault mutex of (memfd, i), as later mainline serializes it (v6.12 does not:
    // a fault between its page-cache miss and its own insertion then meets -EEXIST, a window not modelled)
    enabled: (g, t) => !g.fmx.includes(fileMutexHash(t, argInt(t, 'f'), argInt(t, 'i'))),
    run(g, t) {
      const f = at(g.file, argInt(t, 'f'));
      const i = argInt(t, 'i');
      g.held--;
      if (f.pc.includes(i)) {
        // -EEXIST: a fault added a folio meanwhile; folio_put (no subpool, no restore flag), retry the lookup
        freeHugePage(g, t, NO_SUBPOOL, false, false, t.l.page_nid);
        return pinFound(g, t);
      }
      f.pc = setAdd(f.pc, i);
      f.pn = withPageNid(f.pn, i, t.l.page_nid);
      // before c56b6f3d801d "mm/hugetlb: fix memfd_pin_folios free_huge_pages leak" one of the
      // allocation's references was never dropped: the folio is never freed
      if (t.bug('c56b6f3d801d')) g.xref = setAdd(g.xref, pinCached(argInt(t, 'f'), i));
      return pinFound(g, t);
    },
  },
];

export const udmabufOp: Op = {
  doc: 'ioctl(/dev/udmabuf, UDMABUF_CREATE) of page i of memfd f into pin slot k: F_SEAL_SHRINK, memfd_pin_folios (memfd_alloc_folio when the index has no folio: alloc_hugetlb_folio_reserve, hugetlb_add_to_page_cache)',
  locals: LOCALS,
  steps,
};
