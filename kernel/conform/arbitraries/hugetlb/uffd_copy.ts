/**
 * UFFDIO_COPY into one page of a live mapping (userfaultfd registered on it),
 * from a resident, an unpopulated or an unmapped source buffer. The last two
 * take the retry path (a temporary folio, the copy outside the locks); they
 * are only generated while no surplus page can exist (overcommit 0 and no
 * set_nr/set_overcommit generated so far): with surplus pages in use the retry
 * frees a reserved page to buddy (HugePages_Rsvd > HugePages_Free inside the
 * step, the finding-restore-on-surplus-page window), which the implementation
 * reports as an invariant breach the probe cannot see.
 */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { type HugetlbGenModel, liveSlots, type P, pick } from './model.js';

const SRC = ['resident', 'unpopulated', 'bad'] as const;

export const uffdCopy: OpGen<P, HugetlbGenModel> = {
  op: 'uffd_copy',
  draw: () => fc.record({ v: fc.nat(), i: fc.nat(), src: fc.nat() }),
  resolve(m, raw, p) {
    const v = pick(liveSlots(m), raw.v);
    if (v === undefined) return undefined;
    const vma = m.vmas[v]!;
    const i = vma.from + (Number(raw.i) % (vma.to - vma.from));
    const src = p.overcommit === 0 && !m.poolResized ? SRC[Number(raw.src) % SRC.length]! : 'resident';
    const args: Record<string, number | string> = { v, i };
    if (src !== 'resident') args.src = src;
    return args;
  },
  apply() {},
};
