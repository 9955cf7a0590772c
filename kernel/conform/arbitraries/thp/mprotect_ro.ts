/**
 * mprotect(PROT_READ) of the whole range in a process: stores fault from now
 * on. Only where no munmap hole is (the kernel answers ENOMEM there); it also
 * drops PROT_EXEC, so no mprotect of a range is generated in that process
 * afterwards (its flags would be stale in the generation model), and no
 * fault (a store to a read-only VMA maps nothing).
 */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { mmOf, type P, type ThpGenModel } from './model.js';

export const mprotectRo: OpGen<P, ThpGenModel> = {
  op: 'mprotect_ro',
  weight: 1,
  draw: () => fc.record({ mm: fc.nat() }),
  resolve: (m, raw) => {
    const mm = mmOf(m, raw.mm);
    return m.holes[mm]!.some((h) => h) ? undefined : { mm };
  },
  apply(m, args) {
    const mm = Number(args.mm);
    m.whole[mm] = false;
    m.flagged.mprotect[mm]!.fill(true);
  },
};
