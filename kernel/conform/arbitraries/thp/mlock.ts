/** mlock of a subpage range: a VM_LOCKED border inside the THP splits the PMD. */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { mmOf, subRange, type P, type ThpGenModel } from './model.js';

export const mlock: OpGen<P, ThpGenModel> = {
  op: 'mlock',
  weight: 1,
  draw: () => fc.record({ mm: fc.nat(), from: fc.nat(), len: fc.nat() }),
  resolve: (m, raw, p) => ({ mm: mmOf(m, raw.mm), ...subRange(p, raw.from, raw.len) }),
  apply() {},
};
