/**
 * The end of every fault and UFFDIO_COPY: drop the fault mutex, i_mmap_rwsem
 * (read) / the hugetlb VMA lock and mmap_lock (read), and on the error paths
 * first put_page() the page alloc_huge_page gave us.
 */
import { done } from '../../checker/types.js';
import type { StepLabel, StepResult } from './labels.js';
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
  if (t.l.gup) return gupFaultDone(g, t, ret);
  faultUnlock(g, t);
  return done(ret);
}

/** The step MADV_SOFT_OFFLINE goes on with once get_user_pages has the page (impl/hugetlb/migrate.ts). */
export const SOFT_OFFLINE_PAGE: StepLabel = 'soft_offline_page';

/** l.gup of a FOLL_LONGTERM pin's fault (impl/hugetlb/pin.ts; 1 is MADV_SOFT_OFFLINE's get_user_pages_fast). */
export const GUP_PIN = 2;

/** The step a pin goes on with once its GUP fault has the page (impl/hugetlb/pin.ts). */
export const PIN_PAGE: StepLabel = 'try_grab_folio';

/**
 * The end of get_user_pages' fault (faultin_page): the page is there, so soft offline (or a pin) goes on with
 * it, holding the VMA and i_mmap_rwsem readers as coarsening (migrate.ts); a failed fault is
 * -EFAULT (VM_FAULT_SIGBUS / SIGSEGV) or -ENOMEM (VM_FAULT_OOM).
 */
function gupFaultDone(g: G, t: T, ret: string): StepResult {
  if (ret === 'ok') {
    faultMutexUnlock(g, t.l.hash);
    t.l.hash = 0;
    return t.l.gup === GUP_PIN ? PIN_PAGE : SOFT_OFFLINE_PAGE;
  }
  faultUnlock(g, t);
  return done(ret === 'OOM' ? 'ENOMEM' : 'EFAULT');
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
  freeHugePage(g, t, spoolIdx(t, vmaOf(g, t)), t.l.restore_reserve === 1, false, t.l.page_nid);
  g.held--;
  t.l.restore_reserve = t.l.rc = t.l.regions_needed = 0;
}
