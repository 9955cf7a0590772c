/** mmap of a hugetlbfs range into a free VMA slot: shared, NORESERVE, private, private NORESERVE, MAP_PRIVATE of a file. */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { freeSlots, type HugetlbGenModel, type P, pick, range } from './model.js';

export const mmap: OpGen<P, HugetlbGenModel> = {
  op: 'mmap',
  weight: 3,
  draw: () =>
    fc.record({
      v: fc.nat(),
      kind: fc.constantFrom('shared', 'private', 'noreserve', 'private_noreserve', 'private_file'),
      f: fc.nat(),
      from: fc.nat(),
      len: fc.nat(),
    }),
  resolve(m, raw, p) {
    const v = pick(freeSlots(m), raw.v);
    if (v === undefined) return undefined;
    const kind = String(raw.kind);
    const file = kind === 'shared' || kind === 'noreserve' || kind === 'private_file';
    // a shared mapping (or MAP_PRIVATE of a file) names a file; a private one names the mount its
    // (unlinked) file lives on
    const f = Number(raw.f) % (file ? p.fileMount.length : p.mounts.length);
    return { v, kind, f, ...range(p.fileSize, raw.from, raw.len) };
  },
  apply(m, a) {
    if (a.kind === 'shared' || a.kind === 'noreserve' || a.kind === 'private_file') m.touched[Number(a.f)] = true;
    if (a.kind === 'shared') {
      const r = m.reserved[Number(a.f)] ?? [];
      for (let i = Number(a.from); i < Number(a.to); i++) if (!r.includes(i)) r.push(i);
      m.reserved[Number(a.f)] = r;
    }
    m.vmas[Number(a.v)] = {
      kind: String(a.kind),
      f: Number(a.f),
      from: Number(a.from),
      to: Number(a.to),
      forked: false,
      base: Number(a.v),
    };
  },
};
