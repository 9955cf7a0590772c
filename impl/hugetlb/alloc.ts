/**
 * alloc_huge_page (mm/hugetlb.c @ v6.1) with vma_needs_reservation,
 * vma_commit_reservation and vma_end_reservation: the page allocation every
 * fault and UFFDIO_COPY goes through. Steps split where resv_map->lock is
 * dropped (allocate_file_region_entries) and hugetlb_lock is dropped (buddy
 * allocation of a surplus page). Coarsening: hugepage_subpool_get_pages
 * (spool->lock) shares the dequeue step.
 */
import type { StepResult } from './labels.js';
import { returnUnused, surplusAllocated, surplusSteps } from './accounting.js';
import { type Cont, type Step, type T, at, isShared, mapOf, spoolIdx, vmaOf } from './context.js';
import { allocateFileRegionEntriesStep, regionChg } from './region-steps.js';
import { regionAbort, regionAdd } from './regions.js';
import { hugepageSubpoolGetPages, hugepageSubpoolPutPages } from './subpool.js';
import { account } from './nodes.js';
import { dequeueNid, preferredNid } from './node-pages.js';
import { type G, type Vma, HPAGE_RESV_OWNER, NORESERVE, PRIVATE_NORESERVE, SHARED } from './state.js';

export const DEQUEUE = 'dequeue_huge_page_vma';
const NEEDS_ENTRIES = 'allocate_file_region_entries';

/** Private maps invert region_chg/region_add results (__vma_reservation_common). */
export const invert = (v: Vma, ret: number): number => (isShared(v.kind) ? ret : ret > 0 ? 0 : 1);

/**
 * vma_needs_reservation / vma_commit_reservation as alloc_huge_page sees
 * them. Before 67961f9db8c4 ("mm/hugetlb: fix huge page reserve accounting
 * for private mappings") a private owner's map was not consulted: every
 * fault was told a reservation exists, also for an index whose page a hole
 * punch or truncate had thrown away after it consumed the reservation.
 */
function reservationResult(t: T, v: Vma, ret: number): number {
  if (!isShared(v.kind) && t.bug('67961f9db8c4')) return ret < 0 ? ret : 0;
  return invert(v, ret);
}

/** vma_has_reserves(vma, chg) */
function vmaHasReserves(v: Vma, chg: number): boolean {
  if (v.kind === NORESERVE) return chg === 0; // VM_MAYSHARE && chg == 0
  if (v.kind === PRIVATE_NORESERVE) return false;
  if (v.kind === SHARED) return chg === 0;
  if (v.flags & HPAGE_RESV_OWNER) return chg === 0;
  return false;
}

/** vma_end_reservation: region_abort of the pending region_chg. */
export function vmaEndReservation(g: G, v: Vma, t: T): void {
  const m = mapOf(g, v);
  if (m && t.l.regions_needed) regionAbort(m, t.l.regions_needed);
  t.l.regions_needed = 0;
}

const mapChgKnown: Cont = (g, t) => {
  t.l.map_chg = reservationResult(t, vmaOf(g, t), t.l.chg);
  t.l.chg = 0;
  return DEQUEUE;
};

/**
 * vma_needs_reservation (region_chg of [idx, idx+1)): the first step of
 * alloc_huge_page, entered from the caller's step with l.idx set.
 */
export function vmaNeedsReservation(g: G, t: T): StepResult {
  const v = vmaOf(g, t);
  const m = mapOf(g, v);
  if (!m) {
    t.l.map_chg = 1; // no reserve map: "every call returns 1"
    t.l.regions_needed = 0;
    return DEQUEUE;
  }
  return regionChg(g, t, m, t.l.idx, t.l.idx + 1, NEEDS_ENTRIES, mapChgKnown);
}

export interface AllocHooks {
  /** After vma_commit_reservation: the page is held (g.held), PagePrivate in l.restore_reserve. */
  after: Cont;
  /** alloc_huge_page failed: 'OOM' (map_chg < 0, -ENOMEM) or 'SIGBUS' (-ENOSPC). */
  fail: (g: G, t: T, ret: 'OOM' | 'SIGBUS') => StepResult;
}

/**
 * The page is taken: it consumes the VMA's reservation if it has one. From the pool even when the
 * owner's COW avoids its own reservation (58db7c5fbe7d "mm/hugetlb: fix avoid_reserve to allow
 * taking folio from subpool": gbl_chg == 0 there means the subpool's min_size reserve paid for it,
 * dequeue_huge_page_vma() @ Debian 6.1.192 and 6.12.118, both carry it); a surplus page from the
 * buddy allocator only without avoid_reserve (alloc_huge_page() @ 6.1.192). avoid: the page
 * does not take the VMA's reservation (the callers decide, per the above).
 */
function takeReserve(g: G, t: T, v: Vma, avoid: boolean): void {
  if (!avoid && vmaHasReserves(v, t.l.gbl_chg)) {
    t.l.restore_reserve = 1; // SetHPageRestoreReserve(page)
    g.resv--;
  }
}

/** out_subpool_put / out_end_reservation of alloc_huge_page. */
function outSubpoolPut(g: G, t: T, h: AllocHooks): StepResult {
  const v = vmaOf(g, t);
  if (t.l.map_chg || t.l.avoid_reserve) hugepageSubpoolPutPages(at(g.spool, spoolIdx(t, v)), 1);
  vmaEndReservation(g, v, t);
  t.l.gbl_chg = t.l.map_chg = 0;
  return h.fail(g, t, 'SIGBUS');
}

/** hugepage_subpool_get_pages (spool->lock) + dequeue_huge_page_vma (hugetlb_lock). */
function dequeueStep(h: AllocHooks): Step {
  return {
    name: DEQUEUE,
    run(g, t) {
      const v = vmaOf(g, t);
      let gblChg = 0;
      // before 58db7c5fbe7d: avoid_reserve avoids even the subpool's reserve
      const avoidOwn = t.l.avoid_reserve !== 0 && t.bug('58db7c5fbe7d');
      if (t.l.map_chg || t.l.avoid_reserve) {
        gblChg = hugepageSubpoolGetPages(at(g.spool, spoolIdx(t, v)), 1);
        if (gblChg < 0) {
          vmaEndReservation(g, v, t);
          t.l.map_chg = 0;
          return h.fail(g, t, 'SIGBUS'); // -ENOSPC
        }
        if (avoidOwn) gblChg = 1;
      }
      t.l.gbl_chg = gblChg;
      const hasReserves = vmaHasReserves(v, gblChg);
      // HR-13: with cpusets/mempolicy the free pages may all be on disallowed nodes
      const offNode = t.params.numa && g.free > 0 && t.choose(2) === 1;
      const available = g.free - g.resv;
      const avoidOld = avoidOwn && available <= 0;
      // HR-16: an unreserved allocation refused while one free unreserved page is left
      const refuse = (!hasReserves && available <= (t.bug('HR-16') ? 1 : 0)) || avoidOld || offNode;
      // dequeue_huge_page_nodemask(h, gfp_mask, huge_node(vma, ...), nodemask): node-pages.ts
      const nid = refuse ? -1 : dequeueNid(g, t);
      if (nid >= 0) {
        account(g, nid, 0, -1, 0);
        t.l.page_nid = nid;
        g.held++;
        takeReserve(g, t, v, avoidOwn);
        return 'vma_commit_reservation';
      }
      // alloc_buddy_huge_page_with_mpol: surplus page, hugetlb_lock dropped
      if (g.surp < g.over) return 'alloc_buddy_huge_page';
      return outSubpoolPut(g, t, h);
    },
  };
}

/** vma_commit_reservation (region_add of [idx, idx+1)), then the needs/commit race fix-up. */
function commitStep(h: AllocHooks): Step {
  return {
    name: 'vma_commit_reservation',
    run(g, t) {
      const v = vmaOf(g, t);
      const m = mapOf(g, v);
      let mapCommit = 1;
      if (m) mapCommit = reservationResult(t, v, regionAdd(m, t.l.idx, t.l.idx + 1, t.l.regions_needed)); // one page: no new descriptor
      t.l.regions_needed = 0;
      if (t.l.map_chg > mapCommit && !t.bug('HR-4')) {
        // raced with hugetlb_reserve_pages: drop the subpool charge and the global reservation
        // it added for this page (alloc_huge_page "map_chg > map_commit" fix-up, v4.18+)
        const rsvAdjust = hugepageSubpoolPutPages(at(g.spool, spoolIdx(t, v)), 1);
        t.l.gbl_chg = t.l.map_chg = 0;
        return returnUnused(g, t, rsvAdjust, h.after);
      }
      t.l.gbl_chg = t.l.map_chg = 0;
      return h.after(g, t);
    },
  };
}

/** The steps of alloc_huge_page after vmaNeedsReservation(). */
export function allocSteps(h: AllocHooks): Step[] {
  return [
    allocateFileRegionEntriesStep({
      name: NEEDS_ENTRIES,
      caller: 'region_chg',
      map: (g, t) => {
        const m = mapOf(g, vmaOf(g, t));
        if (!m) throw new Error('hugetlb: allocate_file_region_entries without a reserve map');
        return m;
      },
      noMemory: (g, t) => {
        t.l.chg = t.l.regions_needed = 0;
        return h.fail(g, t, 'OOM'); // region_chg -ENOMEM: adds_in_progress untouched
      },
      charged: mapChgKnown,
    }),
    dequeueStep(h),
    {
      // alloc_buddy_hugetlb_folio_with_mpol (mm/hugetlb.c @ v6.12; alloc_buddy_huge_page_with_mpol @ v6.1):
      // alloc_surplus_hugetlb_folio's first check under hugetlb_lock, then the buddy allocation
      name: 'alloc_buddy_huge_page',
      run(g, t) {
        if (t.inject('alloc_buddy') || g.surp >= g.over) return outSubpoolPut(g, t, h);
        // huge_node() gives a bound task's node (MPOL_BIND's nodemask) or the local node; the page is
        // counted on folio_nid(folio) (surplusSteps)
        return surplusAllocated(t, 'alloc_buddy_huge_page', preferredNid(g, t));
      },
    },
    ...surplusSteps(
      'alloc_buddy_huge_page',
      (g, t) => {
        t.l.page_nid = t.l.surplus_nid;
        t.l.surplus_nid = 0;
        takeReserve(g, t, vmaOf(g, t), t.l.avoid_reserve !== 0);
        return 'vma_commit_reservation';
      },
      (g, t) => outSubpoolPut(g, t, h),
    ),
    commitStep(h),
  ];
}
