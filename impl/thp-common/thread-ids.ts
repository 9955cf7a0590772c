/**
 * Symmetry reduction (ImplDef.permuteThreads, checker/symmetry.ts): the
 * thread-id fields both THP implementations share, typed structurally like
 * steps.ts. `tid + 1` lock owners: PG_locked (pages[].locked), the PTL
 * (mms[].ptl), the anon_vma / i_mmap rwsem (rmap_lock); `2 + tid`: the prior
 * THP's place on a shrinker's on-stack list (prior.deferred). mmap_lock is -1
 * or a reader count, pins name mms: no thread ids. Each implementation adds
 * its own fields (impl/thp/index.ts, impl/thp-folio/index.ts).
 */
import type { ThreadPermutation } from '../../checker/types.js';
import { onStackList } from '../thread-ids.js';

interface ThreadFields {
  readonly pages: { locked: number }[];
  readonly copies: { locked: number }[];
  readonly mms: { ptl: number }[];
  rmap_lock: number;
  readonly prior: { deferred: number };
}

export function permuteThpThreads(g: ThreadFields, p: ThreadPermutation): void {
  for (const pg of g.pages) pg.locked = p.owner(pg.locked);
  for (const c of g.copies) c.locked = p.owner(c.locked);
  for (const mm of g.mms) mm.ptl = p.owner(mm.ptl);
  g.rmap_lock = p.owner(g.rmap_lock);
  g.prior.deferred = onStackList(g.prior.deferred, p);
}
