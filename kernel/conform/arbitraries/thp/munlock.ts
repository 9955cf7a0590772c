/** munlock of a part of a run of mlocked subpages: VM_LOCKED goes, and the VMAs merge with unlocked neighbours. */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { type P, type ThpGenModel, vmaBackRange, vmaFlagCleared } from './model.js';

export const munlock: OpGen<P, ThpGenModel> = {
  op: 'munlock',
  weight: 3, // resolvable only after an mlock of the same process: drawn more often, dropped when it does not apply
  draw: () => fc.record({ mm: fc.nat(), from: fc.nat(), len: fc.nat() }),
  resolve: (m, raw, p) => vmaBackRange(m, p, 'mlock', raw),
  apply(m, args) {
    vmaFlagCleared(m, 'mlock', Number(args.mm), Number(args.from), Number(args.to));
  },
};
