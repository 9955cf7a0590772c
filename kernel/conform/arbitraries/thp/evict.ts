/** Evicting the file THP from the page cache (POSIX_FADV_DONTNEED / drop_caches on a kernel). */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { subOf, type P, type ThpGenModel } from './model.js';

export const evict: OpGen<P, ThpGenModel> = {
  op: 'evict',
  weight: 1,
  draw: () => fc.record({ sub: fc.nat() }),
  resolve: (_m, raw, p) => (p.kind === 'file' ? { sub: subOf(p, raw.sub) } : undefined),
  apply() {},
};
