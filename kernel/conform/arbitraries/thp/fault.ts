/** A fault on the THP range in a process: PMD-maps it (anon: allocates the THP; file: maps the cached one). */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { mmOf, type P, type ThpGenModel } from './model.js';

export const fault: OpGen<P, ThpGenModel> = {
  op: 'fault',
  weight: 3,
  draw: () => fc.record({ mm: fc.nat() }),
  resolve: (m, raw) => ({ mm: mmOf(m, raw.mm) }),
  apply() {},
};
