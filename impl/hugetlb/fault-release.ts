/**
 * The end of every fault and UFFDIO_COPY: drop the fault mutex, i_mmap_rwsem
 * (read) / the hugetlb VMA lock and mmap_lock (read), and on the error paths
 * first put_page() the page alloc_huge_page gave us.
 */
import { done } from '../../checker/types.js';
import type { StepResult } from './labels.js';
import { type T, PATH_FALLOCATE, at, faultFile, faultMutexUnlock, inodeUnlock, spoolIdx, vmaOf } from './context.js';
import { freeHugePage } from './subpool.js';
import type { G } from './state.js';

/** mutex_unlock(fault mutex); i_mmap_unlock_read / hugetlb_vma_unlock_read; mmap_read_unlock. */
export function faultRelease(g: G, t: T, ret: string): StepResult {
  const v = vmaOf(g, t);
  if (t.l.path === PATH_FALLOCATE) {
    faultMutexUnlock(g, t.l.hash);
    // hugetlbfs_fallocate error exit: goto out (i_size untouched), inode_unlock
    inodeUnlock(at(g.file, v.src), t);
    return done(ret === 'OOM' ? 'ENOMEM' : ret === 'SIGBUS' ? 'ENOSPC' : ret); // alloc_hugetlb_folio's -ENOMEM / -ENOSPC
  }
  faultUnlock(g, t);
  return done(ret);
}

/** The unlocks of faultRelease without returning (UFFDIO_COPY drops them before its unlocked copy). */
export function faultUnlock(g: G, t: T): void {
  const v = vmaOf(g, t);
  faultMutexUnlock(g, t.l.hash);
  v.users--;
  const file = faultFile(v);
  if (file >= 0) at(g.file, file).ir--;
}

/**
 * put_page(page) of the page this fault allocated (free_huge_page with its
 * HPageRestoreReserve flag), then release the fault's locks and return `ret`.
 */
export function putPageAndRelease(g: G, t: T, ret: string): StepResult {
  putPage(g, t);
  return faultRelease(g, t, ret);
}

/** put_page(page) of the page alloc_huge_page gave this fault (free_huge_page, HPageRestoreReserve from l.restore_reserve). */
export function putPage(g: G, t: T): void {
  freeHugePage(g, t, spoolIdx(t, vmaOf(g, t)), t.l.restore_reserve === 1);
  g.held--;
  t.l.restore_reserve = t.l.rc = t.l.regions_needed = 0;
}
