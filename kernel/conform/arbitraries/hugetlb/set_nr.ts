/** Write /proc/sys/vm/nr_hugepages: grow or shrink the persistent pool. */
import fc from 'fast-check';
import { LIMITS } from '../../../../spec/hugetlb/params.js';
import type { OpGen } from '../../profile.js';
import type { HugetlbGenModel, P } from './model.js';

export const setNr: OpGen<P, HugetlbGenModel> = {
  op: 'set_nr',
  draw: () => fc.record({ n: fc.integer({ min: 0, max: LIMITS.maxPages }) }),
  resolve: (_m, raw) => ({ n: Number(raw.n) }),
  apply(m) {
    m.poolResized = true;
  },
};
