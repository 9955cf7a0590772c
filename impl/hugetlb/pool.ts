/**
 * Sizing the pool and the subpools: writes to nr_hugepages
 * (set_max_huge_pages under h->resize_lock, hugetlb_lock dropped per fresh
 * page), nr_overcommit_hugepages (hugetlb_overcommit_handler), and mounting
 * hugetlbfs with size=/min_size= (hugetlbfs_fill_super ->
 * hugepage_new_subpool, which reserves min_size via hugetlb_acct_memory).
 * mm/hugetlb.c, fs/hugetlbfs/inode.c @ v6.1.
 */
import { done } from '../../checker/types.js';
import type { StepResult } from './labels.js';
import { gatherSteps, gatherSurplusPages, returnUnused, returnUnusedStep } from './accounting.js';
import { allowedMemsNr } from './node-pages.js';
import { type T, LOCALS, argInt, at, resizeUnlock, type Op } from './context.js';
import { detachOrphans } from './pin.js';
import { account, adjustPoolSurplusAny, allocPoolNid, removePoolHugePage, shrinkMinCount } from './nodes.js';
import { freshFile, type G, SP_DETACHED, SP_MOUNTED, SP_MOUNTING, SP_UNMOUNTED } from './state.js';

const persistent = (g: G): number => g.nr - g.surp;

/** Shrink: never free below in-use + reserved; remove_pool_huge_page collects, frees with the lock dropped. */
function setNrShrink(g: G, t: T): StepResult {
  const minCount = shrinkMinCount(g, t, argInt(t, 'n'));
  while (minCount < persistent(g)) if (!removePoolHugePage(g, t)) break;
  return 'adjust_pool_surplus';
}

export const setNrOp: Op = {
  doc: 'write nr_hugepages: set_max_huge_pages (grow: surplus -> persistent, then fresh pages; shrink: free pages, rest -> surplus)',
  locals: LOCALS,
  steps: [
    {
      name: 'set_max_huge_pages',
      enabled: (g) => g.resize === 0, // h->resize_lock
      run(g, t) {
        const count = argInt(t, 'n');
        if (count < 0) return done('EINVAL');
        g.resize = t.tid + 1;
        while (g.surp > 0 && count > persistent(g)) if (!adjustPoolSurplusAny(g, t, -1)) break;
        if (count > persistent(g)) return 'alloc_pool_huge_page';
        return setNrShrink(g, t);
      },
    },
    {
      // hugetlb_lock dropped per fresh page
      name: 'alloc_pool_huge_page',
      run(g, t) {
        if (t.inject('alloc_buddy')) {
          resizeUnlock(g, t); // goto out
          return done('ok');
        }
        // alloc_fresh_huge_page on the cursor's node, then free_huge_page into the pool there
        account(g, allocPoolNid(g, t), 1, 1, 0);
        if (argInt(t, 'n') > persistent(g)) return 'alloc_pool_huge_page';
        return setNrShrink(g, t);
      },
    },
    {
      name: 'adjust_pool_surplus',
      run(g, t) {
        const count = argInt(t, 'n');
        while (count < persistent(g)) if (!adjustPoolSurplusAny(g, t, 1)) break;
        resizeUnlock(g, t);
        return done('ok');
      },
    },
  ],
};

export const setOvercommitOp: Op = {
  doc: 'write nr_overcommit_hugepages (under hugetlb_lock)',
  locals: LOCALS,
  steps: [
    {
      name: 'hugetlb_overcommit_handler',
      run(g, t) {
        g.over = argInt(t, 'n');
        return done('ok');
      },
    },
  ],
};

/**
 * The mount is up; the user creates its files f<N> (hugetlbfs_create ->
 * hugetlbfs_get_inode, open, ftruncate): fresh inodes, whatever earlier mounts
 * of this mount point had.
 */
function mountFinish(g: G, t: T): StepResult {
  const m = argInt(t, 'm');
  const spool = at(g.spool, m);
  const min = argInt(t, 'min');
  spool.st = SP_MOUNTED;
  spool.max = argInt(t, 'size');
  spool.min = min;
  spool.used = 0;
  spool.rsv = min > 0 ? min : 0;
  for (let k = 0; k < g.file.length; k++) if (at(t.params.fileMount, k) === m) g.file[k] = freshFile(t.params);
  return done('ok');
}

function mountFail(g: G, t: T): StepResult {
  at(g.spool, argInt(t, 'm')).st = SP_UNMOUNTED;
  return done('ENOMEM');
}

/**
 * hugetlb_acct_memory(h, min_hpages) after gather_surplus_pages, as for an mmap (mmap.ts
 * afterGather; mm/hugetlb.c hugetlb_acct_memory() and allowed_mems_nr() @ v6.12): "if (delta >
 * allowed_mems_nr(h)) { return_unused_surplus_pages(h, delta); goto out; }" -> -ENOMEM, and
 * hugepage_new_subpool fails the mount. With one node it never fires.
 */
function mountAfterGather(g: G, t: T): StepResult {
  const min = argInt(t, 'min');
  if (g.nd.length === 0 || min <= allowedMemsNr(g, t)) return mountFinish(g, t);
  return returnUnused(g, t, min, mountFail);
}

export const mountOp: Op = {
  doc: 'mount hugetlbfs with size=/min_size=: hugetlbfs_fill_super -> hugepage_new_subpool (hugetlb_acct_memory(min_hpages))',
  locals: LOCALS,
  steps: [
    {
      name: 'hugepage_new_subpool',
      run(g, t) {
        const size = argInt(t, 'size');
        const min = argInt(t, 'min');
        const spool = g.spool[argInt(t, 'm')];
        if (!spool || t.params.mounts[argInt(t, 'm')]?.internal) return done('EINVAL'); // no user path to it
        if (spool.st !== SP_UNMOUNTED && spool.st !== SP_DETACHED) return done('EBUSY');
        if (size !== -1 && min > size) return done('EINVAL'); // "Minimum size can not be greater than maximum size"
        // a subpool that outlived the previous mount here stays alive on its own, unreachable: what it holds stays held
        spool.lost += spool.rsv;
        spool.used = spool.rsv = 0;
        detachOrphans(g, argInt(t, 'm')); // pinned folios charged to the old subpool stay with it
        spool.st = SP_MOUNTING;
        if (min > 0) return gatherSurplusPages(g, t, min, mountAfterGather, mountFail);
        return mountFinish(g, t);
      },
    },
    ...gatherSteps(mountAfterGather, mountFail),
    returnUnusedStep(mountFail),
  ],
};
