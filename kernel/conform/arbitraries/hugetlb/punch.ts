/** fallocate(FALLOC_FL_PUNCH_HOLE) of a page range of a shared file. */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { type HugetlbGenModel, type P, range, unreserve } from './model.js';

export const punch: OpGen<P, HugetlbGenModel> = {
  op: 'punch',
  draw: () => fc.record({ f: fc.nat(), from: fc.nat(), len: fc.nat() }),
  resolve: (_m, raw, p) => ({ f: Number(raw.f) % p.fileMount.length, ...range(p.fileSize, raw.from, raw.len) }),
  apply: (m, a) => unreserve(m, Number(a.f), Number(a.from), Number(a.to)),
};
