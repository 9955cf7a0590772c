/**
 * fallocate(2) mode 0 on a hugetlbfs file: hugetlbfs_fallocate
 * (fs/hugetlbfs/inode.c @ v6.1). Under inode_lock, for each index of
 * [from, to) in turn and under that index's fault mutex: a page already in
 * the page cache is kept; otherwise alloc_hugetlb_folio through a pseudo VMA
 * (shared, so it consumes the file's reservation at that index if there is
 * one, else charges the subpool and takes an unreserved or surplus page) and
 * hugetlb_add_to_page_cache (restore_reserve_on_error if that fails). The
 * first failure ends the call (-ENOSPC / -ENOMEM; pages already added stay,
 * i_size is not extended); on success i_size grows to cover the range.
 *
 * Several nodes: hugetlb_set_vma_policy(&pseudo_vma, inode, index) finds no
 * shared policy (nothing here mbind()s a mapping), so get_vma_policy falls back
 * to the task's: each page comes from the node dequeue_huge_page_vma picks
 * (node-pages.ts dequeueNid), and a bound task whose node is empty ends the call
 * with -ENOSPC (alloc_hugetlb_folio's ERR_PTR).
 */
import { done } from '../../checker/types.js';
import type { StepResult } from './labels.js';
import { returnUnusedStep } from './accounting.js';
import { type AllocHooks, allocSteps, vmaNeedsReservation } from './alloc.js';
import {
  type Op,
  type T,
  LOCALS,
  PATH_FALLOCATE,
  argInt,
  fallocateFile,
  faultMutexLock,
  faultMutexUnlock,
  fileMutexHash,
  fileOf,
  inodeLock,
  inodeUnlock,
  setAdd,
} from './context.js';
import { faultRelease } from './fault-release.js';
import { withPageNid } from './node-pages.js';
import { FAIL_OOM, restoreReserveOnError, restoreSteps } from './restore.js';
import type { G } from './state.js';

const NEXT = 'hugetlbfs_fallocate:next_index';

/** The page is allocated: add it to the page cache, drop the fault mutex, go on. */
function addToPageCache(g: G, t: T): StepResult {
  if (t.inject('add_to_page_cache')) return restoreReserveOnError(g, t, FAIL_OOM);
  const f = fileOf(g, t);
  f.pc = setAdd(f.pc, t.l.idx);
  f.pn = withPageNid(f.pn, t.l.idx, t.l.page_nid); // page_to_nid: the node dequeue_huge_page_vma took it from
  t.l.restore_reserve = 0;
  g.held--;
  faultMutexUnlock(g, t.l.hash);
  t.l.next = t.l.idx + 1;
  t.l.idx = t.l.hash = 0;
  return NEXT;
}

const hooks: AllocHooks = { after: addToPageCache, fail: (g, t, ret) => faultRelease(g, t, ret) };

export const fallocateOp: Op = {
  doc: 'fallocate(2) mode 0: hugetlbfs_fallocate preallocates [from, to) into the page cache (alloc_hugetlb_folio through a pseudo VMA, per index under its fault mutex)',
  locals: LOCALS,
  steps: [
    {
      name: 'hugetlbfs_fallocate',
      enabled: (g, t) => (g.file[argInt(t, 'f')]?.ilock ?? 0) === 0,
      run(g, t) {
        const f = fallocateFile(g, t);
        if (typeof f === 'string') return done(f);
        inodeLock(f, t);
        t.l.next = argInt(t, 'from');
        t.l.path = PATH_FALLOCATE;
        return NEXT;
      },
    },
    {
      // mutex_lock(&hugetlb_fault_mutex_table[hash]); filemap_get_folio; alloc_hugetlb_folio
      name: NEXT,
      enabled: (g, t) => t.l.next >= argInt(t, 'to') || !g.fmx.includes(fileMutexHash(t, argInt(t, 'f'), t.l.next)),
      run(g, t) {
        const f = fileOf(g, t);
        if (t.l.next < argInt(t, 'to') && f.pc.includes(t.l.next)) {
          t.l.next++; // present: nothing to do (its fault mutex taken and dropped in this step)
          return NEXT;
        }
        if (t.l.next >= argInt(t, 'to')) {
          if (f.size < argInt(t, 'to')) f.size = argInt(t, 'to'); // !FALLOC_FL_KEEP_SIZE: i_size_write
          inodeUnlock(f, t);
          t.l.next = t.l.path = 0;
          return done('ok');
        }
        t.l.idx = t.l.next;
        t.l.hash = fileMutexHash(t, argInt(t, 'f'), t.l.idx);
        faultMutexLock(g, t.l.hash);
        return vmaNeedsReservation(g, t);
      },
    },
    ...allocSteps(hooks),
    returnUnusedStep(addToPageCache),
    ...restoreSteps,
  ],
};
