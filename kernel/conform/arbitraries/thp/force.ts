/**
 * /proc/self/mem access (FOLL_FORCE) to one subpage of a process: a write of
 * val (into the process's own copy on a read-only private VMA) or a read.
 * Only where something is surely mapped (ThpGenModel.mapped): on an unmapped
 * address the kernel faults in what the VMA's flags say (small zero pages, or
 * small anon pages, in a MADV_NOHUGEPAGE VMA) and the model has no VMA flags.
 */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { mmOf, subOf, type P, type ThpGenModel } from './model.js';

function mappedSub(
  m: Readonly<ThpGenModel>,
  raw: Readonly<Record<string, unknown>>,
  p: P,
): { mm: number; sub: number } | undefined {
  const mm = mmOf(m, raw.mm);
  const sub = subOf(p, raw.sub);
  return p.kind === 'anon' && m.mapped[mm]![sub] ? { mm, sub } : undefined;
}

export const forceWrite: OpGen<P, ThpGenModel> = {
  op: 'force_write',
  weight: 1,
  draw: () => fc.record({ mm: fc.nat(), sub: fc.nat(), val: fc.integer({ min: 1, max: 99 }) }),
  resolve: (m, raw, p) => {
    const at = mappedSub(m, raw, p);
    return at && { ...at, val: Number(raw.val) };
  },
  apply(m, args) {
    m.written[Number(args.mm)]![Number(args.sub)] = true;
    m.swapped[Number(args.mm)]![Number(args.sub)] = false;
  },
};

export const forceRead: OpGen<P, ThpGenModel> = {
  op: 'force_read',
  weight: 1,
  draw: () => fc.record({ mm: fc.nat(), sub: fc.nat() }),
  resolve: (m, raw, p) => mappedSub(m, raw, p),
  apply(m, args) {
    m.swapped[Number(args.mm)]![Number(args.sub)] = false;
  },
};
