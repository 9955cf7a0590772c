/**
 * Every frontswap step label, by the file whose steps carry it. A step's
 * `name` and every label a step returns is a StepLabel (frontend.ts `Step`),
 * so a misspelt label does not compile; test/contract/step-labels.test.ts
 * checks that each label here names a step of some op and each step's name is
 * here. The same shape as impl/hugetlb/labels.ts, deliberately: each
 * implementation lists its own labels. A label is the kernel function the
 * step stands for.
 */
import type { LabelResult } from '../step-types.js';

export const STEP_LABELS = [
  // register.ts: frontswap_register_ops
  'frontswap_register_ops',
  'ops_init',
  'frontswap_ops_publish',
  'swap_active_recheck',
  // swapfile.ts: swapon, swapoff, swap_entry_free
  'frontswap_init',
  '_enable_swap_info',
  'del_from_avail_list',
  'try_to_unuse',
  'frontswap_invalidate_area',
  'swap_entry_free',
  // page-io.ts and thp-swapout.ts: swap-out, whole or split
  'swap_writepage',
  '__frontswap_store',
  '__swap_writepage',
  'add_to_swap',
  'split_huge_page',
  // do-swap-page.ts: swap-in
  'do_swap_page',
  'swap_readpage',
  'frontswap_ops_load',
  'pte_same',
  // zswap-writeback.ts
  'zswap_writeback_entry',
  '__read_swap_cache_async',
  'zswap_entry_put',
] as const;

/** A frontswap step label: a step's name, or the next step a step returns. */
export type StepLabel = (typeof STEP_LABELS)[number];

/** What a frontswap step returns: the label of the next step, or `done(value)` to finish the op. */
export type StepResult = LabelResult<StepLabel>;
