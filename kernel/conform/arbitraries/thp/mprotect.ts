/**
 * mprotect of a subpage range: a VMA border inside the THP splits the PMD, not the page; with exec 0 (one draw in
 * two, over part of a run of subpages with PROT_EXEC) back to the original protection, the VMAs merging again.
 */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { type P, type ThpGenModel, vmaBackRange, vmaChanged, vmaFlagCleared, vmaRange } from './model.js';

export const mprotect: OpGen<P, ThpGenModel> = {
  op: 'mprotect',
  weight: 1,
  draw: () => fc.record({ mm: fc.nat(), from: fc.nat(), len: fc.nat(), back: fc.nat() }),
  resolve: (m, raw, p) => {
    const back = Number(raw.back) % 2 === 0 ? vmaBackRange(m, p, 'mprotect', raw) : undefined;
    return back ? { ...back, exec: 0 } : vmaRange(m, p, 'mprotect', raw);
  },
  apply(m, args, p) {
    const [mm, from, to] = [Number(args.mm), Number(args.from), Number(args.to)];
    if (args.exec === 0) vmaFlagCleared(m, 'mprotect', mm, from, to);
    else vmaChanged(m, p, 'mprotect', mm, from, to);
  },
};
