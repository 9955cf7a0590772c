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
    const [mm, sub] = [Number(args.mm), Number(args.sub)];
    /* a page read back from swap is a fresh small page (or the swap-cache page, then not a copy) */
    if (m.swapped[mm]![sub]) m.copies[mm]![sub] = true;
    m.swapped[mm]![sub] = false; /* an access maps a swap entry again */
  },
};
