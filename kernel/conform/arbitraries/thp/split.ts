/** A forced split_huge_page of the THP (debugfs split_huge_pages on a kernel). */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { subOf, type P, type ThpGenModel } from './model.js';

export const split: OpGen<P, ThpGenModel> = {
  op: 'split',
  weight: 1,
  draw: () => fc.record({ sub: fc.nat() }),
  resolve: (_m, raw, p) => ({ sub: subOf(p, raw.sub) }),
  apply() {},
};
