/** madvise(MADV_SOFT_OFFLINE) of one page of a live mapping (faulted in first when not mapped). */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { type HugetlbGenModel, liveSlots, type P, pick } from './model.js';

export const softOffline: OpGen<P, HugetlbGenModel> = {
  op: 'soft_offline',
  draw: () => fc.record({ v: fc.nat(), i: fc.nat() }),
  resolve(m, raw) {
    const v = pick(liveSlots(m), raw.v);
    if (v === undefined) return undefined;
    const vma = m.vmas[v]!;
    return { v, i: vma.from + (Number(raw.i) % (vma.to - vma.from)) };
  },
  apply() {},
};
