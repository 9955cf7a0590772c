/**
 * MADV_POPULATE_READ of the whole range in a process: the (huge) zero page
 * wherever nothing is mapped. Only where no munmap hole is (the kernel
 * answers ENOMEM there; the model has no VMAs). Afterwards no fault is
 * generated in that process (nor in its later children): a write to the huge
 * zero PMD splits it and COWs small pages (do_huge_pmd_wp_page), so it would
 * not map the model's THP.
 */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { mmOf, type P, type ThpGenModel } from './model.js';

export const populateRead: OpGen<P, ThpGenModel> = {
  op: 'populate_read',
  weight: 1,
  draw: () => fc.record({ mm: fc.nat() }),
  resolve: (m, raw, p) => {
    const mm = mmOf(m, raw.mm);
    return p.kind === 'anon' && !m.holes[mm]!.some((h) => h) ? { mm } : undefined;
  },
  apply(m, args) {
    const mm = Number(args.mm);
    m.whole[mm] = false;
    m.mapped[mm] = m.holes[mm]!.map((h) => !h);
  },
};
