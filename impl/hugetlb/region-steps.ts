/**
 * region_chg as its callers see it: the count under resv_map->lock, then,
 * when the descriptor cache is short, allocate_file_region_entries() drops the
 * lock to kmalloc and retakes it to recheck (mm/hugetlb.c @ v6.1). One
 * factory serves every caller (vma_needs_reservation, restore_reserve_on_error,
 * hugetlb_reserve_pages' region_chg and region_add).
 */
import type { StepLabel, StepResult } from './labels.js';
import type { Cont, Step, T } from './context.js';
import { type ResvMap, regionChgCommit, regionChgCount } from './regions.js';
import type { G } from './state.js';

/**
 * region_chg(map, from, to): sets l.chg and l.regions_needed. With enough
 * cached descriptors, commits (adds_in_progress += regions_needed) and runs
 * `charged` in this step; otherwise returns `retryStep`, which must be a
 * allocateFileRegionEntriesStep() of the same op.
 */
export function regionChg(
  g: G,
  t: T,
  m: ResvMap,
  from: number,
  to: number,
  retryStep: StepLabel,
  charged: Cont,
): StepResult {
  const { chg, needed, missing } = regionChgCount(m, from, to);
  t.l.chg = chg;
  t.l.regions_needed = needed;
  if (missing > 0) {
    t.l.to_allocate = missing;
    return retryStep;
  }
  regionChgCommit(m, needed);
  return charged(g, t);
}

export interface RegionEntriesHooks {
  /** The step's name (unique within the op). */
  readonly name: StepLabel;
  /** The reserve map being charged. */
  map(g: G, t: T): ResvMap;
  /** kmalloc failed (region_chg/region_add returns -ENOMEM); l.to_allocate is already 0. */
  noMemory: Cont;
  /**
   * 'region_chg': recheck the shortfall and commit adds_in_progress, then `charged`.
   * 'region_add': hand the new descriptors to region_add, which rechecks itself, then `charged`.
   */
  readonly caller: 'region_chg' | 'region_add';
  charged: Cont;
}

/**
 * allocate_file_region_entries: kmalloc to_allocate descriptors with
 * resv_map->lock dropped, retake it, and retry while another thread consumed
 * the cache meanwhile. Fault site 'region_chg_kmalloc'.
 */
export function allocateFileRegionEntriesStep(h: RegionEntriesHooks): Step {
  return {
    name: h.name,
    run(g, t) {
      const m = h.map(g, t);
      if (t.inject('region_chg_kmalloc')) {
        t.l.to_allocate = 0;
        return h.noMemory(g, t);
      }
      m.cache += t.l.to_allocate;
      if (h.caller === 'region_chg') {
        const missing = m.adds + t.l.regions_needed - m.cache;
        if (missing > 0) {
          t.l.to_allocate = missing;
          return h.name;
        }
        regionChgCommit(m, t.l.regions_needed);
      }
      t.l.to_allocate = 0;
      return h.charged(g, t);
    },
  };
}
