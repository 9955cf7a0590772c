/**
 * A FOLL_PIN of one subpage through a process (io_uring buffer registration on
 * a kernel). Always a write pin: io_uring registers buffers with FOLL_WRITE |
 * FOLL_LONGTERM, and no other user-level path holds a read-only pin across
 * system calls, so `write: 0` is not generated (the profile says so).
 */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { mmOf, readFirst, subOf, type P, type ThpGenModel } from './model.js';

export const pin: OpGen<P, ThpGenModel> = {
  op: 'pin',
  weight: 2,
  draw: () => fc.record({ mm: fc.nat(), sub: fc.nat() }),
  resolve: (m, raw, p) =>
    m.swapped[mmOf(m, raw.mm)]![subOf(p, raw.sub)]
      ? undefined
      : { mm: mmOf(m, raw.mm), sub: subOf(p, raw.sub), write: 1 },
  // a swap entry there: read it in first (ThpGenModel.swapped)
  setup: readFirst,
  apply(m, args) {
    m.pins.push([Number(args.mm), Number(args.sub)]);
    m.written[Number(args.mm)]![Number(args.sub)] = true; /* a write pin breaks COW */
  },
};
