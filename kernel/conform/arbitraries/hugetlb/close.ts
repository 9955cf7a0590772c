/** close(2) of a file's descriptor: the inode is evicted once it is also unlinked and unmapped. */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { anyFile, type HugetlbGenModel, type P } from './model.js';

export const close: OpGen<P, HugetlbGenModel> = {
  op: 'close',
  weight: 1,
  draw: () => fc.record({ f: fc.nat() }),
  resolve: (_m, raw, p) => anyFile(raw.f, p),
  apply(m, a) {
    m.closed[Number(a.f)] = true;
  },
};
