/** A userspace read of one subpage through a process: the data of the page it maps. */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { mmOf, subOf, type P, type ThpGenModel } from './model.js';

export const read: OpGen<P, ThpGenModel> = {
  op: 'read',
  weight: 2,
  draw: () => fc.record({ mm: fc.nat(), sub: fc.nat() }),
  resolve: (m, raw, p) => ({ mm: mmOf(m, raw.mm), sub: subOf(p, raw.sub) }),
  apply(m, args) {
    m.swapped[Number(args.mm)]![Number(args.sub)] = false; /* an access maps a swap entry again */
  },
};
