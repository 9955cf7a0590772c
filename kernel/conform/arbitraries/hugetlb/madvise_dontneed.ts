/** madvise(MADV_DONTNEED) of a page range through a live mapping (may reach past it: ENOMEM). */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { type HugetlbGenModel, liveSlots, type P, pick, range } from './model.js';

export const madviseDontneed: OpGen<P, HugetlbGenModel> = {
  op: 'madvise_dontneed',
  draw: () => fc.record({ v: fc.nat(), from: fc.nat(), len: fc.nat() }),
  resolve: (m, raw, p) => {
    const v = pick(liveSlots(m), raw.v);
    return v === undefined ? undefined : { v, ...range(p.fileSize, raw.from, raw.len) };
  },
  apply() {},
};
