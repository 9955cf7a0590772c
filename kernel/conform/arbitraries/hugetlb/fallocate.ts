/** fallocate(2) mode 0 of a page range of a file: preallocate the pages in the page cache. */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { type HugetlbGenModel, type P, range } from './model.js';

export const fallocate: OpGen<P, HugetlbGenModel> = {
  op: 'fallocate',
  draw: () => fc.record({ f: fc.nat(), from: fc.nat(), len: fc.nat() }),
  resolve: (_m, raw, p) => ({ f: Number(raw.f) % p.fileMount.length, ...range(p.fileSize, raw.from, raw.len) }),
  apply(m, a) {
    m.touched[Number(a.f)] = true;
  },
};
