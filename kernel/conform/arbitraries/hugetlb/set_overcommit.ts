/** Write /proc/sys/vm/nr_overcommit_hugepages: how many surplus pages may be allocated. */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import type { HugetlbGenModel, P } from './model.js';

export const setOvercommit: OpGen<P, HugetlbGenModel> = {
  op: 'set_overcommit',
  draw: () => fc.record({ n: fc.integer({ min: 0, max: 4 }) }),
  resolve: (_m, raw) => ({ n: Number(raw.n) }),
  apply(m) {
    m.poolResized = true;
  },
};
