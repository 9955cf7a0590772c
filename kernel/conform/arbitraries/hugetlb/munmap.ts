/** munmap of a whole live mapping. */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { type HugetlbGenModel, liveSlots, type P, pick } from './model.js';

export const munmap: OpGen<P, HugetlbGenModel> = {
  op: 'munmap',
  weight: 2,
  draw: () => fc.record({ v: fc.nat() }),
  resolve: (m, raw) => {
    const v = pick(liveSlots(m), raw.v);
    return v === undefined ? undefined : { v };
  },
  apply(m, a) {
    m.vmas[Number(a.v)] = null;
  },
};
