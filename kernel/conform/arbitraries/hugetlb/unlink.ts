/** unlink(2) of a file: its reservations stay until the last close and munmap. */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { anyFile, type HugetlbGenModel, type P } from './model.js';

export const unlink: OpGen<P, HugetlbGenModel> = {
  op: 'unlink',
  weight: 1,
  draw: () => fc.record({ f: fc.nat() }),
  resolve: (_m, raw, p) => anyFile(raw.f, p),
  apply() {},
};
