/**
 * A FOLL_PIN of one subpage through a process: a write pin (io_uring buffer
 * registration, FOLL_WRITE | FOLL_LONGTERM) or, as often, a read-only pin
 * (process_vm_readv's short-term FOLL_PIN, held by the probe until unpin;
 * subsystems/thp/probe-pin-c.ts). A read-only long-term pin is not generated
 * (the profile says why).
 */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { mmOf, readFirst, subOf, type P, type ThpGenModel } from './model.js';

export const pin: OpGen<P, ThpGenModel> = {
  op: 'pin',
  weight: 2,
  draw: () => fc.record({ mm: fc.nat(), sub: fc.nat(), ro: fc.boolean() }),
  resolve: (m, raw, p) =>
    m.swapped[mmOf(m, raw.mm)]![subOf(p, raw.sub)]
      ? undefined
      : { mm: mmOf(m, raw.mm), sub: subOf(p, raw.sub), write: raw.ro === true ? 0 : 1 },
  // a swap entry there: read it in first (ThpGenModel.swapped)
  setup: readFirst,
  apply(m, args) {
    m.pins.push([Number(args.mm), Number(args.sub)]);
    /* a write pin breaks COW, a read-only one unshares a page another process maps */
    m.written[Number(args.mm)]![Number(args.sub)] = true;
    if (m.live > 1) m.copies[Number(args.mm)]![Number(args.sub)] = true;
  },
};
