/**
 * struct hugepage_subpool accounting and free_huge_page: the kernel's own
 * arithmetic (mm/hugetlb.c hugepage_subpool_get_pages(),
 * hugepage_subpool_put_pages(), free_huge_page() @ v6.1). Under spool->lock
 * resp. hugetlb_lock, each inside one atomic step of its caller.
 */
import type { T } from './context.js';
import type { G, Spool } from './state.js';
import { freeToNode } from './node-pages.js';
import { account } from './nodes.js';

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

/** hugetlb_folio_subpool() of a folio that has none (a migrated one, impl/hugetlb/migrate.ts). */
export const NO_SUBPOOL = -1;

/**
 * free_huge_page of a page a thread held (the caller decrements g.held):
 * restoreReserve is HPageRestoreReserve (PagePrivate). spoolIndex NO_SUBPOOL:
 * the folio has no subpool (hugepage_subpool_put_pages(NULL, 1) returns 1).
 * temporary: HPageTemporary, freed to buddy without touching the surplus count
 * (the subpool put and restore come first, as in free_huge_folio @ v6.12).
 * nid: page_to_nid (node-pages.ts); an op that does not know it passes none,
 * which only a one-node state allows.
 */
export function freeHugePage(
  g: G,
  t: T,
  spoolIndex: number,
  restoreReserve: boolean,
  temporary = false,
  nid?: number,
): void {
  let restore = restoreReserve;
  const spool = spoolIndex === NO_SUBPOOL ? null : g.spool[spoolIndex];
  if (spool === undefined) throw new Error(`hugetlb: free_huge_page on subpool ${spoolIndex} that does not exist`);
  if (nid === undefined && g.nd.length > 0)
    throw new Error('hugetlb: free_huge_page of a page whose node is not known');
  // H19 (0919e1b69ab4): the `if (!restore_reserve)` guard was missing, a PagePrivate page was
  // also put back to the subpool
  if (spool && (!restore || t.bug('H19'))) {
    // 0 => the subpool would drop under min_size: keep the page's reservation for it.
    // HR-9: the 0 return is ignored
    if (hugepageSubpoolPutPages(spool, 1) === 0 && !t.bug('HR-9')) restore = true;
  }
  // spin_lock(&hugetlb_lock)
  if (restore) g.resv++;
  if (temporary)
    account(g, nid ?? 0, -1, 0, 0); // HPageTemporary (a migration's old folio): remove_hugetlb_folio, back to buddy
  // surplus page of its node: back to buddy; else enqueue_huge_page
  else freeToNode(g, nid ?? 0, t.bug('free-surplus-any-node'));
}
