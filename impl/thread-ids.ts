/**
 * Thread ids inside implementation states, for symmetry reduction
 * (checker/symmetry.ts, ImplDef.permuteThreads): the encodings impl/ uses.
 * Lock owners are `tid + 1` (impl/lockdep.ts), renumbered by
 * ThreadPermutation.owner; a shrinker's on-stack deferred split list is
 * `2 + tid` (impl/thp-common/prior.ts), renumbered here.
 */
import type { ThreadPermutation } from '../checker/types.js';

/** A `_deferred_list` field: 0 off every list, 1 on the split queue, 2 + tid on that thread's on-stack list. */
export function onStackList(v: number, p: ThreadPermutation): number {
  return v >= 2 ? 2 + p.tid(v - 2) : v;
}
