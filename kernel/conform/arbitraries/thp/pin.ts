/** A FOLL_PIN of one subpage through a process (io_uring buffer registration on a kernel). */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { mmOf, subOf, type P, type ThpGenModel } from './model.js';

export const pin: OpGen<P, ThpGenModel> = {
  op: 'pin',
  weight: 1,
  draw: () => fc.record({ mm: fc.nat(), sub: fc.nat(), write: fc.boolean() }),
  resolve: (m, raw, p) => ({ mm: mmOf(m, raw.mm), sub: subOf(p, raw.sub), write: raw.write ? 1 : 0 }),
  apply() {},
};
