/** mprotect of a subpage range: a VMA border inside the THP splits the PMD, not the page. */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { type P, type ThpGenModel, vmaChanged, vmaRange } from './model.js';

export const mprotect: OpGen<P, ThpGenModel> = {
  op: 'mprotect',
  weight: 1,
  draw: () => fc.record({ mm: fc.nat(), from: fc.nat(), len: fc.nat() }),
  resolve: (m, raw, p) => vmaRange(m, p, 'mprotect', raw),
  apply(m, args, p) {
    vmaChanged(m, p, 'mprotect', Number(args.mm), Number(args.from), Number(args.to));
  },
};
