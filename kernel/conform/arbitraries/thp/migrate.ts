/**
 * move_pages(2) of the THP a process maps to the VM's other NUMA node (the
 * runner boots two nodes for a batch with a migrate step): the THP moves to
 * new physical pages unless pinned or referenced (a partially mapped one on
 * the deferred split queue is split first on v6.10+, its small pages then
 * move one by one; once split, the first page group the process maps moves);
 * "none" where the process maps no page of it.
 */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { mmOf, type P, type ThpGenModel } from './model.js';

export const migrate: OpGen<P, ThpGenModel> = {
  op: 'migrate',
  weight: 1,
  draw: () => fc.record({ mm: fc.nat() }),
  resolve: (m, raw, p) => (p.kind === 'anon' ? { mm: mmOf(m, raw.mm) } : undefined),
  apply() {},
};
