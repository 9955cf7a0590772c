/** Evicting the file THP from the page cache (POSIX_FADV_DONTNEED / drop_caches on a kernel). */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import type { P, ThpGenModel } from './model.js';

export const evict: OpGen<P, ThpGenModel> = {
  op: 'evict',
  weight: 1,
  draw: () => fc.record({}),
  resolve: (_m, _raw, p) => (p.kind === 'file' ? {} : undefined),
  apply() {},
};
