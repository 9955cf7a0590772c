/** ftruncate of a shared file to 0..fileSize pages (shrinking removes pages and reservations). */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { type HugetlbGenModel, type P, unreserve } from './model.js';

export const truncate: OpGen<P, HugetlbGenModel> = {
  op: 'truncate',
  draw: () => fc.record({ f: fc.nat(), size: fc.nat() }),
  resolve: (_m, raw, p) => ({ f: Number(raw.f) % p.fileMount.length, size: Number(raw.size) % (p.fileSize + 1) }),
  apply(m, a) {
    unreserve(m, Number(a.f), Number(a.size));
    if (Number(a.size) === 0) m.touched[Number(a.f)] = false; // every page removed (a pinned one stays the pin's)
  },
};
