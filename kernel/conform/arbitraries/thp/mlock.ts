/** mlock of a subpage range: a VM_LOCKED border inside the THP splits the PMD. */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { type P, type ThpGenModel, vmaChanged, vmaRange } from './model.js';

export const mlock: OpGen<P, ThpGenModel> = {
  op: 'mlock',
  weight: 1,
  draw: () => fc.record({ mm: fc.nat(), from: fc.nat(), len: fc.nat() }),
  resolve: (m, raw, p) => vmaRange(m, p, 'mlock', raw),
  apply(m, args, p) {
    vmaChanged(m, p, 'mlock', Number(args.mm), Number(args.from), Number(args.to));
  },
};
