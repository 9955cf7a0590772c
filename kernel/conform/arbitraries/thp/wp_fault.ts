/** A write to one subpage of a private anonymous THP: reuse, or COW after fork. */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { mmOf, readFirst, subOf, type P, type ThpGenModel } from './model.js';

export const wpFault: OpGen<P, ThpGenModel> = {
  op: 'wp_fault',
  weight: 3,
  draw: () => fc.record({ mm: fc.nat(), sub: fc.nat(), val: fc.integer({ min: 1, max: 99 }) }),
  // distinct values, so a read that sees another process's write (or a stale copy) shows it
  resolve: (m, raw, p) =>
    p.kind === 'anon' && !m.swapped[mmOf(m, raw.mm)]![subOf(p, raw.sub)]
      ? { mm: mmOf(m, raw.mm), sub: subOf(p, raw.sub), val: Number(raw.val) }
      : undefined,
  // a swap entry there: read it in first (ThpGenModel.swapped)
  setup: readFirst,
  apply(m, args) {
    m.written[Number(args.mm)]![Number(args.sub)] = true;
    if (m.live > 1) m.copies[Number(args.mm)]![Number(args.sub)] = true; /* COW of a page the fork shared */
  },
};
