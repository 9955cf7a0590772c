/** pin_user_pages_fast of one subpage (a lockless GUP-fast pin: O_DIRECT / vmsplice on a kernel). */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { mmOf, subOf, type P, type ThpGenModel } from './model.js';

export const pinFast: OpGen<P, ThpGenModel> = {
  op: 'pin_fast',
  weight: 1,
  draw: () => fc.record({ mm: fc.nat(), sub: fc.nat() }),
  resolve: (m, raw, p) => ({ mm: mmOf(m, raw.mm), sub: subOf(p, raw.sub) }),
  apply() {},
};
