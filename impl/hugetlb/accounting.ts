/**
 * hugetlb_acct_memory(): global reservations taken (gather_surplus_pages) and
 * released (return_unused_surplus_pages), mm/hugetlb.c @ v6.1. Both are
 * entered with hugetlb_lock held and drop it: gather to allocate surplus
 * pages from buddy, return_unused per freed page (cond_resched_lock), so each
 * lock drop ends an atomic step.
 */
import { type Cont, type Step, type T } from './context.js';
import { hugepageSubpoolGetPages } from './subpool.js';
import { account, freePoolSurplusPage } from './nodes.js';
import { allowedMemsNr, freeToNode, gatherAdd, gatherNid, gatherTake } from './node-pages.js';
import type { G } from './state.js';
import { done } from '../../checker/types.js';
import type { StepResult } from './labels.js';

export const RETURN_UNUSED = 'return_unused_surplus_pages';
export const ALLOC_SURPLUS = 'alloc_surplus_huge_page';

// ---------------------------------------------------------------------------
// return_unused_surplus_pages (v4.10+ form; H14 is the pre-v4.10 form)
// ---------------------------------------------------------------------------

/**
 * hugetlb_acct_memory(-n): frees up to min(n, surplus) free surplus pages,
 * decrementing resv_huge_pages as it goes, then uncommits the rest. Runs
 * `next` (with hugetlb_lock held) when done; the caller's op must include
 * returnUnusedStep(next).
 */
export function returnUnused(g: G, t: T, n: number, next: Cont): StepResult {
  if (n <= 0) return next(g, t);
  if (t.bug('H14')) {
    // e5bbc8a6c992^: uncommit the whole reservation first, then free with the lock dropped per page
    g.resv -= n;
    t.l.unused_resv_pages = 0;
  } else t.l.unused_resv_pages = n;
  t.l.nr_pages = Math.min(n, g.surp);
  return returnUnusedIter(g, t, next, true);
}

/** One page of the loop; `yieldPerPage` = cond_resched_lock(&hugetlb_lock) ends the step. */
function returnUnusedIter(g: G, t: T, next: Cont, yieldPerPage: boolean): StepResult {
  while (t.l.nr_pages > 0) {
    t.l.nr_pages--;
    if (!t.bug('H14')) {
      g.resv--;
      t.l.unused_resv_pages--;
    }
    // free_pool_huge_page(h, nodes, acct_surplus=1): a free page on a node with surplus (nodes.ts)
    if (!freePoolSurplusPage(g, t)) break;
    if (t.l.nr_pages > 0 && yieldPerPage) return RETURN_UNUSED;
  }
  // out: fully uncommit the reservation
  g.resv -= t.l.unused_resv_pages;
  t.l.unused_resv_pages = 0;
  t.l.nr_pages = 0;
  return next(g, t);
}

/** The step a returnUnused() loop resumes in after cond_resched_lock. */
export function returnUnusedStep(next: Cont): Step {
  return { name: RETURN_UNUSED, run: (g, t) => returnUnusedIter(g, t, next, true) };
}

/**
 * hugetlb_acct_memory(-n) of at most one page (hugetlb_unreserve_pages of a
 * single punched index): the loop cannot yield, so it runs inside the step.
 * This deliberately shares returnUnusedIter rather than copying it.
 */
export function returnUnusedAtomic(g: G, t: T, n: number): void {
  if (n > 0) {
    t.l.unused_resv_pages = n;
    t.l.nr_pages = Math.min(n, g.surp);
    returnUnusedIter(g, t, () => done(), false); // never continues: the loop does not yield
  } else if (n < 0) g.resv -= n;
}

// ---------------------------------------------------------------------------
// gather_surplus_pages (hugetlb_acct_memory(delta > 0))
// ---------------------------------------------------------------------------

/** Entered with hugetlb_lock held; `ok`/`fail` run with the lock held. Needs gatherSteps(ok, fail). */
export function gatherSurplusPages(g: G, t: T, delta: number, ok: Cont, fail: Cont): StepResult {
  if (delta <= 0) return ok(g, t);
  if (t.bug('HR-11')) {
    // Documentation/vm/hugetlbfs_reserv.rst pseudo-code taken literally (operands swapped, no surplus)
    if (delta <= g.resv - g.free) {
      g.resv += delta;
      return ok(g, t);
    }
    return fail(g, t);
  }
  const needed = g.resv + delta - g.free;
  if (needed <= 0) {
    g.resv += delta;
    return ok(g, t);
  }
  t.l.delta = delta;
  t.l.needed = needed;
  t.l.allocated = 0;
  t.l.alloc_ok = 1;
  return ALLOC_SURPLUS; // spin_unlock(&hugetlb_lock)
}

/**
 * free_huge_folio of the last n of the `left` pages on the gather list, each on its node: back
 * to buddy while that node has surplus pages, else onto its free list (a concurrent
 * nr_hugepages grow may have turned their surplus count into persistent pages meanwhile).
 */
function freeGathered(g: G, t: T, n: number, left: number): void {
  for (let k = 0; k < n; k++) {
    g.held--;
    freeToNode(g, gatherTake(t, left - k));
  }
}

function clearGather(t: T): void {
  t.l.delta = t.l.needed = t.l.allocated = t.l.alloc_ok = t.l.gather_nid = 0;
}

/** spin_lock(&hugetlb_lock); needed = (resv + delta) - (free + allocated); retry or finish. */
function gatherRecheck(g: G, t: T, ok: Cont, fail: Cont): StepResult {
  let needed = g.resv + t.l.delta - (g.free + t.l.allocated);
  if (needed > 0) {
    if (t.l.alloc_ok) {
      t.l.needed = needed;
      return ALLOC_SURPLUS; // retry
    }
    // could not allocate enough: free what we allocated (put_page -> free_huge_page)
    freeGathered(g, t, t.l.allocated, t.l.allocated);
    clearGather(t);
    return fail(g, t);
  }
  needed += t.l.allocated;
  g.resv += t.l.delta;
  const enqueue = Math.min(t.l.allocated, Math.max(0, needed));
  // enqueue_hugetlb_folio of the needed pages, each on its node's free list
  for (let k = 0; k < enqueue; k++) account(g, gatherTake(t, t.l.allocated - k), 0, 1, 0);
  g.held -= enqueue;
  freeGathered(g, t, t.l.allocated - enqueue, t.l.allocated - enqueue); // free_huge_folio of the rest
  clearGather(t);
  return ok(g, t);
}

// ---------------------------------------------------------------------------
// alloc_surplus_hugetlb_folio (mm/hugetlb.c @ v6.12; alloc_surplus_huge_page @ v6.1)
// ---------------------------------------------------------------------------

/** The fix that put nr_huge_pages and surplus_huge_pages into one lock cycle (see surplusSteps). */
export const SURPLUS_TOGETHER = '2273dea6b1e1';

type SurplusLabel = 'gather_surplus_pages' | 'alloc_buddy_huge_page';
const PREP = {
  gather_surplus_pages: 'gather_surplus_pages:prep_new_hugetlb_folio',
  alloc_buddy_huge_page: 'alloc_buddy_huge_page:prep_new_hugetlb_folio',
} as const;
const RECHECK = {
  gather_surplus_pages: 'gather_surplus_pages:alloc_surplus_hugetlb_folio',
  alloc_buddy_huge_page: 'alloc_buddy_huge_page:alloc_surplus_hugetlb_folio',
} as const;

/**
 * alloc_surplus_hugetlb_folio() after its first check (surplus < overcommit under hugetlb_lock,
 * made by the caller's step, which then drops the lock): the buddy allocation of node nid's
 * folio is done, with hugetlb_lock not held. The next step depends on the modelled kernel:
 * before 2273dea6b1e1 alloc_fresh_hugetlb_folio() -> prep_new_hugetlb_folio() counts the page
 * in nr_huge_pages in a lock cycle of its own, so a set_max_huge_pages() in between sees it as
 * persistent (persistent_huge_pages = nr - surplus).
 */
export function surplusAllocated(t: T, caller: SurplusLabel, nid: number): StepResult {
  t.l.surplus_nid = nid;
  return t.bug(SURPLUS_TOGETHER) ? PREP[caller] : RECHECK[caller];
}

/**
 * The lock cycles of alloc_surplus_hugetlb_folio() after the allocation (v6.12; v6.1 is the
 * same with pages): `got` runs with the folio counted (nr and surplus, g.held), `none` when it
 * returned NULL; both with hugetlb_lock held.
 *  - before 2273dea6b1e1 ("mm/hugetlb: update nr_huge_pages and surplus_huge_pages together",
 *    Liu Shixin, v6.15-rc1; Fixes: 0c397daea1d4 "mm, hugetlb: further simplify hugetlb allocation API"):
 *    prep_new_hugetlb_folio(): spin_lock_irq; __prep_account_new_huge_page (nr_huge_pages++,
 *    nr_huge_pages_node[nid]++); spin_unlock_irq. Then spin_lock_irq again for the recheck.
 *  - with it: only_alloc_fresh_hugetlb_folio(), and __prep_account_new_huge_page(h,
 *    folio_nid(folio)) moved under the recheck's lock (the follow-up's folio_nid).
 * Recheck: surplus_huge_pages >= nr_overcommit_huge_pages ("We could have raced with the pool
 * size change"): folio_set_hugetlb_temporary, unlock, free_huge_folio() -> remove_hugetlb_folio(h,
 * folio, false): nr_huge_pages-- only. Coarsening: that free shares the recheck's step (the
 * lock is dropped between them; NOTES.md "The surplus-allocation window").
 */
export function surplusSteps(caller: SurplusLabel, got: Cont, none: Cont): Step[] {
  return [
    {
      name: PREP[caller],
      run(g, t) {
        account(g, t.l.surplus_nid, 1, 0, 0); // __prep_account_new_huge_page
        g.held++;
        return RECHECK[caller];
      },
    },
    {
      name: RECHECK[caller],
      run(g, t) {
        const nid = t.l.surplus_nid;
        t.l.surplus_nid = 0;
        if (!t.bug(SURPLUS_TOGETHER)) {
          account(g, nid, 1, 0, 0); // __prep_account_new_huge_page under the same lock
          g.held++;
        }
        if (g.surp >= g.over) {
          // folio_set_hugetlb_temporary; free_huge_folio: remove_hugetlb_folio(h, folio, false)
          account(g, nid, -1, 0, 0);
          g.held--;
          return none(g, t);
        }
        account(g, nid, 0, 0, 1); // surplus_huge_pages++, surplus_huge_pages_node[folio_nid]++
        t.l.surplus_nid = nid;
        return got(g, t);
      },
    },
  ];
}

/**
 * gather_surplus_pages' allocation loop: alloc_surplus_hugetlb_folio per page with hugetlb_lock
 * dropped (surplusSteps), then the recheck of the reservation under the lock. Coarsening: the
 * last allocation's accounting and gather's recheck share a step.
 */
export function gatherSteps(ok: Cont, fail: Cont): Step[] {
  return [
    {
      name: ALLOC_SURPLUS,
      run(g, t) {
        if (g.surp >= g.over || t.inject('alloc_buddy')) {
          t.l.alloc_ok = 0;
          t.l.needed = 0;
          return gatherRecheck(g, t, ok, fail);
        }
        return surplusAllocated(t, 'gather_surplus_pages', gatherNid(g, t));
      },
    },
    ...surplusSteps(
      'gather_surplus_pages',
      (g, t) => {
        gatherAdd(t, t.l.surplus_nid);
        t.l.surplus_nid = 0;
        t.l.allocated++;
        t.l.needed--;
        if (t.l.needed > 0) return ALLOC_SURPLUS;
        return gatherRecheck(g, t, ok, fail);
      },
      (g, t) => {
        // if (!folio) { alloc_ok = false; break; }
        t.l.alloc_ok = 0;
        t.l.needed = 0;
        return gatherRecheck(g, t, ok, fail);
      },
    ),
  ];
}

/**
 * hugetlb_fix_reserve_counts (mm/hugetlb.c @ v6.12; remove_inode_single_folio's caller when
 * hugetlb_unreserve_pages fails to split an entry): make the undeletable entry a live reservation
 * again, hugepage_subpool_get_pages(spool, 1) and, when the subpool does not cover it,
 * hugetlb_acct_memory(h, 1): gather_surplus_pages allocates the missing surplus pages, each on
 * the node alloc_surplus_hugetlb_folio gives (gatherNid: the bound node, else the cpuset's first
 * node), counts them in surplus_huge_pages_node and enqueues them on that node; then
 * `delta > allowed_mems_nr(h)` gives them back (return_unused_surplus_pages(h, delta): resv
 * uncommitted, a free surplus page of some node freed) and the reservation is not made ("Huge
 * Page Reserved count may go negative."). Coarsening: the gather runs atomically (no lock drop
 * between its buddy allocations, no injected buddy failure).
 */
export function hugetlbFixReserveCounts(g: G, t: T, spoolIndex: number): void {
  const spool = g.spool[spoolIndex];
  if (!spool) throw new Error(`hugetlb: subpool ${spoolIndex} does not exist`);
  const rsvAdjust = hugepageSubpoolGetPages(spool, 1);
  if (rsvAdjust <= 0) return;
  const needed = g.resv + 1 - g.free;
  if (needed > 0) {
    if (g.surp + needed > g.over) return; // gather fails: -ENOMEM, "may go negative"
    for (let k = 0; k < needed; k++) account(g, gatherNid(g, t), 1, 1, 1); // alloc_surplus + enqueue on its node
  }
  g.resv++;
  if (1 > allowedMemsNr(g, t)) {
    // return_unused_surplus_pages(h, 1): uncommit, free min(1, surplus) free surplus pages
    g.resv--;
    if (g.surp > 0) freePoolSurplusPage(g, t);
  }
}
