/** A file fault of one subpage by PTE (a file THP mapped a page at a time); anon THPs have no such path. */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { mmOf, subOf, type P, type ThpGenModel } from './model.js';

export const faultPte: OpGen<P, ThpGenModel> = {
  op: 'fault_pte',
  weight: 2,
  draw: () => fc.record({ mm: fc.nat(), sub: fc.nat() }),
  resolve: (m, raw, p) => (p.kind === 'file' ? { mm: mmOf(m, raw.mm), sub: subOf(p, raw.sub) } : undefined),
  apply() {},
};
