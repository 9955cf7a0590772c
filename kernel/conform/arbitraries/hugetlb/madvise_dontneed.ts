/**
 * madvise(MADV_DONTNEED) of a page range through a live mapping (may reach past it: ENOMEM).
 * Only where nothing else is mapped: a range reaching into another piece of the same split
 * mapping (at the same addresses) stays inside its own piece. The op language's madvise acts on
 * one VMA (impl/hugetlb/madvise.ts, spec madviseDontneed: ENOMEM past it); the kernel's
 * madvise_walk_vmas (mm/madvise.c @ v6.1, v6.12) advises every VMA of the address range and is
 * ENOMEM only for a hole, so there it zaps the neighbouring piece too and answers ok (conform
 * smoke, seed 20261205, 6.12.118: mprotect split [0,2) at 1, madvise of the piece [1,2) over
 * [0,2): kernel ok, model ENOMEM).
 */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { type HugetlbGenModel, liveSlots, type P, pick, range } from './model.js';

/** Another live mapping at v's addresses maps a page of [from, to) outside v's own range. */
function reachesNeighbour(m: Readonly<HugetlbGenModel>, v: number, from: number, to: number): boolean {
  const x = m.vmas[v]!;
  const base = x.base ?? v;
  return m.vmas.some(
    (y, s) =>
      y !== null &&
      s !== v &&
      (y.base ?? s) === base &&
      Math.max(from, y.from) < Math.min(to, y.to) &&
      (Math.max(from, y.from) < x.from || Math.min(to, y.to) > x.to),
  );
}

export const madviseDontneed: OpGen<P, HugetlbGenModel> = {
  op: 'madvise_dontneed',
  draw: () => fc.record({ v: fc.nat(), from: fc.nat(), len: fc.nat() }),
  resolve: (m, raw, p) => {
    const v = pick(liveSlots(m), raw.v);
    if (v === undefined) return undefined;
    const r = range(p.fileSize, raw.from, raw.len);
    if (!reachesNeighbour(m, v, r.from, r.to)) return { v, ...r };
    const x = m.vmas[v]!;
    const from = x.from + (Number(raw.from) % (x.to - x.from));
    return { v, from, to: from + 1 + (Number(raw.len) % (x.to - from)) };
  },
  apply() {},
};
