/**
 * struct hugepage_subpool accounting and free_huge_page: the kernel's own
 * arithmetic (mm/hugetlb.c hugepage_subpool_get_pages(),
 * hugepage_subpool_put_pages(), free_huge_page() @ v6.1). Under spool->lock
 * resp. hugetlb_lock, each inside one atomic step of its caller.
 */
import type { T } from './context.js';
import type { G, Spool } from './state.js';

/** hugepage_subpool_get_pages: returns the global reservations to take, or -1 (-ENOMEM). */
export function hugepageSubpoolGetPages(spool: Spool, delta: number): number {
  let ret = delta;
  if (spool.max !== -1) {
    if (spool.used + delta <= spool.max) spool.used += delta;
    else return -1;
  }
  if (spool.min !== -1 && spool.rsv) {
    if (delta > spool.rsv) {
      ret = delta - spool.rsv;
      spool.rsv = 0;
    } else {
      ret = 0; // reserves already accounted for
      spool.rsv -= delta;
    }
  }
  return ret;
}

/** hugepage_subpool_put_pages: returns the global reservations to release. */
export function hugepageSubpoolPutPages(spool: Spool, delta: number): number {
  let ret = delta;
  if (spool.max !== -1) spool.used -= delta;
  if (spool.min !== -1 && spool.used < spool.min) {
    if (spool.rsv + delta <= spool.min) ret = 0;
    else ret = spool.rsv + delta - spool.min;
    spool.rsv += delta;
    if (spool.rsv > spool.min) spool.rsv = spool.min;
  }
  return ret;
}

/**
 * free_huge_page of a page a thread held (the caller decrements g.held):
 * restoreReserve is HPageRestoreReserve (PagePrivate).
 */
export function freeHugePage(g: G, t: T, spoolIndex: number, restoreReserve: boolean): void {
  let restore = restoreReserve;
  const spool = g.spool[spoolIndex];
  if (!spool) throw new Error(`hugetlb: free_huge_page on subpool ${spoolIndex} that does not exist`);
  // H19 (0919e1b69ab4): the `if (!restore_reserve)` guard was missing, a PagePrivate page was
  // also put back to the subpool
  if (!restore || t.bug('H19')) {
    // 0 => the subpool would drop under min_size: keep the page's reservation for it.
    // HR-9: the 0 return is ignored
    if (hugepageSubpoolPutPages(spool, 1) === 0 && !t.bug('HR-9')) restore = true;
  }
  // spin_lock(&hugetlb_lock)
  if (restore) g.resv++;
  if (g.surp > 0) {
    // surplus page: update_and_free_page back to buddy
    g.nr--;
    g.surp--;
  } else g.free++; // enqueue_huge_page
}
