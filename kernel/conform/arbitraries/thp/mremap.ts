/**
 * mremap of the whole range in a process to another address and back,
 * PMD-aligned or not, also where several VMAs cover the range (a munmap hole,
 * an mprotect/mlock flag on part of it, a border a fork left): vma_to_resize()
 * fails it with EFAULT then (mm/mremap.c @ v6.1 / v6.12), which both
 * implementations and the spec predict (spec/thp/vmas.ts). Nothing changes
 * either way, so the generation model stays as it is.
 */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { mmOf, type P, type ThpGenModel } from './model.js';

export const mremap: OpGen<P, ThpGenModel> = {
  op: 'mremap',
  weight: 1,
  draw: () => fc.record({ mm: fc.nat(), aligned: fc.boolean() }),
  resolve: (m, raw) => ({ mm: mmOf(m, raw.mm), aligned: raw.aligned ? 1 : 0 }),
  apply() {},
};
