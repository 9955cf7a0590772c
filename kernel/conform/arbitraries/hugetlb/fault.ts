/** A read or write fault on one page of a live mapping. */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { type HugetlbGenModel, liveSlots, type P, pick } from './model.js';

export const fault: OpGen<P, HugetlbGenModel> = {
  op: 'fault',
  weight: 4,
  draw: () => fc.record({ v: fc.nat(), i: fc.nat(), write: fc.boolean() }),
  resolve(m, raw) {
    const v = pick(liveSlots(m), raw.v);
    if (v === undefined) return undefined;
    const vma = m.vmas[v]!;
    return { v, i: vma.from + (Number(raw.i) % (vma.to - vma.from)), write: Boolean(raw.write) };
  },
  apply() {},
};
