/**
 * A fault on the THP range in a process: PMD-maps it (anon: allocates the THP).
 * Generated only while the script has no THP yet and only in a process whose
 * VMA still covers the whole aligned range: the model has one huge page, so
 * on a kernel a later fault would allocate a second one (or a small page in a
 * VMA too small for a THP, or SIGSEGV after munmap) that the model does not have.
 */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { mmOf, type P, type ThpGenModel } from './model.js';

export const fault: OpGen<P, ThpGenModel> = {
  op: 'fault',
  weight: 3,
  draw: () => fc.record({ mm: fc.nat() }),
  resolve: (m, raw) => {
    const mm = mmOf(m, raw.mm);
    return !m.allocated && m.whole[mm] ? { mm } : undefined;
  },
  apply(m, args) {
    m.allocated = true;
    m.mapped[Number(args.mm)]!.fill(true);
  },
};
