/** io_uring fixed-buffer pins of one page of a live mapping (pin), and their release (unpin). */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { type HugetlbGenModel, liveSlots, type P, pick } from './model.js';

const RINGS = 2; // spec/hugetlb/params.ts PIN_SLOTS

export const pin: OpGen<P, HugetlbGenModel> = {
  op: 'pin',
  draw: () => fc.record({ k: fc.nat(), v: fc.nat(), i: fc.nat() }),
  resolve(m, raw) {
    // MAP_SHARED mappings (a private one is EINVAL on both sides, a bound of the op language)
    const v = pick(
      liveSlots(m).filter((s) => m.vmas[s]!.kind === 'shared' || m.vmas[s]!.kind === 'noreserve'),
      raw.v,
    );
    if (v === undefined) return undefined;
    const vma = m.vmas[v]!;
    return { k: Number(raw.k) % RINGS, v, i: vma.from + (Number(raw.i) % (vma.to - vma.from)) };
  },
  apply() {},
};

export const unpin: OpGen<P, HugetlbGenModel> = {
  op: 'unpin',
  draw: () => fc.record({ k: fc.nat() }),
  resolve: (_m, raw) => ({ k: Number(raw.k) % RINGS }),
  apply() {},
};
