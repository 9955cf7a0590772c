/** fork of a process into the next free mm slot: the child shares the THP (anon: COW; file: faults it in later). */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { forkVmas, mmOf, type P, type ThpGenModel } from './model.js';

export const fork: OpGen<P, ThpGenModel> = {
  op: 'fork',
  weight: 2,
  draw: () => fc.record({ src: fc.nat() }),
  resolve: (m, raw, p) => (m.live < p.mms ? { src: mmOf(m, raw.src), dst: m.live } : undefined),
  apply(m, args) {
    forkVmas(m, Number(args.src), m.live);
    m.live++;
  },
};
