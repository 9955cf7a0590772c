/** MADV_DONTNEED of a subpage range in a process: its mappings go, the VMA stays (a partial range splits the PMD). */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { dontneedRange, type P, type ThpGenModel } from './model.js';

export const madviseDontneed: OpGen<P, ThpGenModel> = {
  op: 'madvise_dontneed',
  weight: 1,
  draw: () => fc.record({ mm: fc.nat(), from: fc.nat(), len: fc.nat() }),
  resolve: (m, raw, p) => dontneedRange(m, p, raw),
  apply(m, args) {
    m.mapped[Number(args.mm)]!.fill(false, Number(args.from), Number(args.to));
    m.copies[Number(args.mm)]!.fill(false, Number(args.from), Number(args.to));
  },
};
