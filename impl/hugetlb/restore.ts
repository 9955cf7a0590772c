/**
 * restore_reserve_on_error (mm/hugetlb.c @ v6.1, the decision table of
 * 846be08578ed "mm/hugetlb: expand restore_reserve_on_error functionality"):
 * a fault that allocated a page and fails before instantiating it puts the
 * reserve map and the page's restore flag back so that the global count
 * stays right when the page is freed.
 */
import type { StepResult } from './labels.js';
import { type Step, type T, isShared, mapOf, vmaOf } from './context.js';
import { invert } from './alloc.js';
import { putPage, putPageAndRelease } from './fault-release.js';
import { allocateFileRegionEntriesStep, regionChg } from './region-steps.js';
import { regionAbort, regionAdd, regionDel } from './regions.js';
import type { G } from './state.js';

/** What the fault returns after backing out (l.fail_ret). */
export const FAIL_RET = ['ok', 'OOM', 'EFAULT', 'SIGBUS'] as const;
export const FAIL_OOM = 1;
export const FAIL_EFAULT = 2;
export const FAIL_SIGBUS = 3;
/**
 * Not a return value: hugetlb_mfill_atomic_pte's copy under the locks failed; after
 * restore_reserve_on_error + folio_put it allocates the temporary folio (impl/hugetlb/uffd.ts).
 */
export const FAIL_UFFD_RETRY = 4;
/** The step UFFDIO_COPY continues with after FAIL_UFFD_RETRY (defined in impl/hugetlb/uffd.ts). */
export const UFFD_TEMP_ALLOC = 'alloc_hugetlb_folio_vma';

/** The end of restore_reserve_on_error: folio_put, then return (or, for UFFDIO_COPY, allocate a temporary folio). */
function restoreDone(g: G, t: T): StepResult {
  if (t.l.fail_ret === FAIL_UFFD_RETRY) {
    putPage(g, t);
    t.l.fail_ret = 0;
    return UFFD_TEMP_ALLOC;
  }
  return putPageAndRelease(g, t, FAIL_RET[t.l.fail_ret] ?? 'ok');
}

const RESTORE_ENTRIES = 'restore:allocate_file_region_entries';
const RESTORE_DEL = 'restore:region_del_kmalloc';

/** Entered from the caller's step: vma_needs_reservation for the held page, then decide and put_page. */
export function restoreReserveOnError(g: G, t: T, failRet: number): StepResult {
  t.l.fail_ret = failRet;
  const m = mapOf(g, vmaOf(g, t));
  if (!m) {
    t.l.rc = 1;
    return restoreDecide(g, t);
  }
  return regionChg(g, t, m, t.l.idx, t.l.idx + 1, RESTORE_ENTRIES, rcKnown);
}

function rcKnown(g: G, t: T): StepResult {
  t.l.rc = invert(vmaOf(g, t), t.l.chg);
  t.l.chg = 0;
  return restoreDecide(g, t);
}

/** The page consumed a reservation (HPageRestoreReserve): give the map entry back. */
function restoreWithFlag(g: G, t: T): void {
  const v = vmaOf(g, t);
  const m = mapOf(g, v);
  const idx = t.l.idx;
  if (t.l.rc < 0) {
    // Rare OOM in reserve map manipulation: clear the flag so free_huge_page does not
    // re-credit the global count
    if (!t.bug('HR-2')) t.l.restore_reserve = 0;
  } else if (t.l.rc > 0) {
    // vma_add_reservation
    if (isShared(v.kind) && m) regionAdd(m, idx, idx + 1, t.l.regions_needed);
    else if (m) {
      regionAbort(m, t.l.regions_needed);
      regionDel(m, idx, idx + 1, false); // after the abort a cached descriptor is free: cannot fail
    }
  } else if (m) regionAbort(m, t.l.regions_needed); // vma_end_reservation
}

function restoreDecide(g: G, t: T): StepResult {
  const v = vmaOf(g, t);
  const m = mapOf(g, v);
  const rc = t.l.rc;
  if (t.l.restore_reserve) restoreWithFlag(g, t);
  else if (rc === 0 && m) {
    // vma_del_reservation: remove the entry alloc_huge_page added
    if (isShared(v.kind)) {
      regionAbort(m, t.l.regions_needed);
      t.l.regions_needed = 0;
      if (regionDel(m, t.l.idx, t.l.idx + 1, false) < 0) return RESTORE_DEL;
    } else regionAdd(m, t.l.idx, t.l.idx + 1, t.l.regions_needed);
  } else if (rc < 0) {
    if (!isShared(v.kind)) t.l.restore_reserve = 1; // reserve count re-incremented when freed
  } else if (m) regionAbort(m, t.l.regions_needed); // vma_end_reservation
  t.l.regions_needed = 0;
  return restoreDone(g, t);
}

export const restoreSteps: Step[] = [
  allocateFileRegionEntriesStep({
    name: RESTORE_ENTRIES,
    caller: 'region_chg',
    map: (g, t) => {
      const m = mapOf(g, vmaOf(g, t));
      if (!m) throw new Error('hugetlb: restore_reserve_on_error retry without a reserve map');
      return m;
    },
    noMemory: (g, t) => {
      t.l.chg = t.l.regions_needed = 0;
      t.l.rc = -1;
      return restoreDecide(g, t);
    },
    charged: rcKnown,
  }),
  {
    // region_del must split and has no cached descriptor: kmalloc with resv_map->lock dropped
    name: RESTORE_DEL,
    run(g, t) {
      const m = mapOf(g, vmaOf(g, t));
      if (t.inject('region_del_split') || !m)
        t.l.restore_reserve = 1; // could not delete: restored at free
      else regionDel(m, t.l.idx, t.l.idx + 1, true);
      return restoreDone(g, t);
    },
  },
];
