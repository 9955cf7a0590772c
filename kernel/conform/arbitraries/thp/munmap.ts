/** munmap of part or all of the THP range in a process (a partial unmap queues a deferred split). */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { mmOf, subRange, type P, type ThpGenModel, vmaChanged } from './model.js';

export const munmap: OpGen<P, ThpGenModel> = {
  op: 'munmap',
  weight: 2,
  draw: () => fc.record({ mm: fc.nat(), from: fc.nat(), len: fc.nat() }),
  resolve: (m, raw, p) => ({ mm: mmOf(m, raw.mm), ...subRange(p, raw.from, raw.len) }),
  apply(m, args, p) {
    vmaChanged(m, p, 'munmap', Number(args.mm), Number(args.from), Number(args.to));
  },
};
