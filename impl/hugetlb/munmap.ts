/**
 * munmap of a whole hugetlb VMA under mmap_lock (write): unmap_vmas frees the
 * anonymous pages (a COW-shared one stays with the fork partner), then
 * hugetlb_vm_op_close returns the owner's unconsumed reservations
 * (mm/hugetlb.c hugetlb_vm_op_close() @ v6.1).
 */
import { done, type StepResult } from '../../checker/types.js';
import { returnUnused, returnUnusedStep } from './accounting.js';
import { type T, LOCALS, argInt, at, isShared, setDel, spoolIdx, vmaOf, type Op } from './context.js';
import { iputFinal } from './lifetime.js';
import { regionCount } from './regions.js';
import { freeHugePage, hugepageSubpoolPutPages } from './subpool.js';
import { type G, type Vma, emptyVma, HPAGE_RESV_OWNER, V_CLOSING, V_LIVE } from './state.js';

function munmapFinish(g: G, t: T): StepResult {
  g.vma[argInt(t, 'v')] = emptyVma();
  return done('ok');
}

/** unmap_hugepage_range of a private VMA: drop its anonymous pages and the fork link. */
function unmapAnonPages(g: G, t: T, v: Vma): void {
  const spoolIndex = spoolIdx(t, v);
  const peer = v.peer >= 0 ? at(g.vma, v.peer) : null;
  for (const idx of v.anon) {
    if (peer && v.cow.includes(idx)) peer.cow = setDel(peer.cow, idx);
    else freeHugePage(g, t, spoolIndex, false);
  }
  v.anon = [];
  v.cow = [];
  if (peer) peer.peer = -1;
  v.peer = -1;
}

export const munmapOp: Op = {
  doc: 'munmap of a whole hugetlb VMA: unmap_vmas (free anon pages) then hugetlb_vm_op_close',
  locals: LOCALS,
  steps: [
    {
      name: 'unmap_vmas',
      enabled(g, t) {
        const v = g.vma[argInt(t, 'v')];
        return !v || v.st !== V_LIVE || v.users === 0; // mmap_lock (write)
      },
      run(g, t) {
        const v = g.vma[argInt(t, 'v')];
        if (!v || v.st !== V_LIVE) return done('EINVAL');
        v.st = V_CLOSING;
        if (isShared(v.kind)) {
          // remove_vma -> fput: the mapping's file reference may be the inode's last
          const fileIndex = v.src;
          g.vma[argInt(t, 'v')] = emptyVma();
          iputFinal(g, t, fileIndex);
          return done('ok');
        }
        unmapAnonPages(g, t, v);
        return v.flags & HPAGE_RESV_OWNER ? 'hugetlb_vm_op_close' : munmapFinish(g, t);
      },
    },
    {
      // hugetlb_vm_op_close: reserve = (end - start) - region_count(resv, start, end) (HR-8)
      name: 'hugetlb_vm_op_close',
      run(g, t) {
        const v = vmaOf(g, t);
        const reserve = t.bug('HR-8') ? v.to - v.from : v.to - v.from - regionCount(v.reg, v.from, v.to);
        if (!reserve) return munmapFinish(g, t);
        const gblReserve = hugepageSubpoolPutPages(at(g.spool, spoolIdx(t, v)), reserve);
        return returnUnused(g, t, gblReserve, munmapFinish);
      },
    },
    returnUnusedStep(munmapFinish),
  ],
};
