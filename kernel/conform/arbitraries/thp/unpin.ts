/** Dropping a pin taken earlier on a subpage (io_uring buffer unregistration). */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { mmOf, subOf, type P, type ThpGenModel } from './model.js';

export const unpin: OpGen<P, ThpGenModel> = {
  op: 'unpin',
  weight: 1,
  draw: () => fc.record({ mm: fc.nat(), sub: fc.nat() }),
  resolve: (m, raw, p) => ({ mm: mmOf(m, raw.mm), sub: subOf(p, raw.sub) }),
  apply() {},
};
