/**
 * mremap of the whole range in a process to another address and back,
 * PMD-aligned or not. Only while one VMA covers the whole range: no munmap
 * hole, no mprotect/mlock flag on part of it and no border a fork left (mremap
 * of a range spanning several VMAs fails with EFAULT, which the model does not
 * predict).
 */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { mmOf, type P, type ThpGenModel } from './model.js';

const uniform = (row: readonly boolean[]): boolean => row.every((x) => x === row[0]);

export const mremap: OpGen<P, ThpGenModel> = {
  op: 'mremap',
  weight: 1,
  draw: () => fc.record({ mm: fc.nat(), aligned: fc.boolean() }),
  resolve: (m, raw) => {
    const mm = mmOf(m, raw.mm);
    if (
      m.holes[mm]!.some((h) => h) ||
      m.nomerge[mm]!.some((b) => b) ||
      !uniform(m.flagged.mprotect[mm]!) ||
      !uniform(m.flagged.mlock[mm]!)
    )
      return undefined;
    return { mm, aligned: raw.aligned ? 1 : 0 };
  },
  apply() {},
};
