/**
 * VMA-level entry points that split or zap the THP's PMD: split_huge_pmd()
 * from a page-table walker under mmap_lock for read, mprotect()/mlock() of
 * part of the range (split_vma → vma_adjust_trans_huge → split_huge_pmd at the
 * border, mm/huge_memory.c @ v5.10) and munmap() (mm/mmap.c unmap_region →
 * mm/memory.c zap_pmd_range: zap_huge_pmd for the whole THP, otherwise
 * __split_huge_pmd then zap_pte_range), all under mmap_lock for write.
 */
import { PTE_COPY, PTE_NONE, PTE_PRESENT, isCopyPte, put_page, type ThpParams, type ThpState } from './page.js';
import { put_copy } from './cow.js';
import { free_pgtables } from './pgtable.js';
import { page_remove_rmap } from './rmap.js';
import { SPLIT_PMD, splitHugePmdSteps } from './split-pmd.js';
import {
  arg,
  assertPtlHeld,
  badMm,
  done,
  kernelOp,
  mmOf,
  mmap_read_unlock,
  mmap_write_unlock,
  pmd_lock,
  spin_unlock_ptl,
} from './steps.js';
import type { OpDef } from '../../checker/types.js';

type Op = OpDef<ThpState, ThpParams>;

export const split_huge_pmd = kernelOp(
  'split_huge_pmd(vma, pmd, addr) from a page-table walker holding mmap_lock for read ("Graceful fallback"); never fails.',
  ['i', 'page_locked'],
  [
    {
      name: 'mmap_read_lock',
      enabled: (g, t) => badMm(t, arg(t, 'mm')) || mmOf(g, t).mmap_lock >= 0,
      run: (g, t) => {
        if (badMm(t, arg(t, 'mm'))) return done('EINVAL');
        mmOf(g, t).mmap_lock++;
        return SPLIT_PMD.entry;
      },
    },
    ...splitHugePmdSteps('mmap_read_unlock'),
    {
      name: 'mmap_read_unlock',
      run: (g, t) => {
        mmap_read_unlock(mmOf(g, t));
        return done('ok');
      },
    },
  ],
);

const badRange = (t: Parameters<typeof arg>[0]): boolean => {
  const from = arg(t, 'from');
  const to = arg(t, 'to');
  return badMm(t, arg(t, 'mm')) || from < 0 || to > t.params.nr || from >= to;
};

/** mprotect/mlock of [from, to): split_vma → vma_adjust_trans_huge() splits a PMD straddling the new border. */
function borderSplitOp(doc: string): Op {
  return kernelOp(
    doc,
    ['i', 'page_locked'],
    [
      {
        name: 'mmap_write_lock',
        enabled: (g, t) => badMm(t, arg(t, 'mm')) || mmOf(g, t).mmap_lock === 0,
        run: (g, t) => {
          if (badRange(t)) return done('EINVAL');
          mmOf(g, t).mmap_lock = -1;
          if (arg(t, 'from') > 0 || arg(t, 'to') < t.params.nr) return SPLIT_PMD.entry;
          return 'mmap_write_unlock';
        },
      },
      ...splitHugePmdSteps('mmap_write_unlock'),
      {
        name: 'mmap_write_unlock',
        run: (g, t) => {
          mmap_write_unlock(mmOf(g, t));
          return done('ok');
        },
      },
    ],
  );
}

export const mprotect = borderSplitOp(
  'mprotect(addr range) of part of the THP: split_vma → vma_adjust_trans_huge → split_huge_pmd at the border; the page is not split.',
);
export const mlock = borderSplitOp(
  'mlock(addr range) of part of the THP: "the PMD on border of VM_LOCKED VMA will be split into PTE table" (transhuge.rst); never split_huge_page.',
);

const ZAP = {
  pmdClear: 'zap_huge_pmd: pmdp_huge_get_and_clear_full',
  pmdRmap: 'zap_huge_pmd: page_remove_rmap(compound) + put_page + spin_unlock',
  pteClear: 'zap_pte_range: ptep_get_and_clear_full',
  pteRmap: 'zap_pte_range: page_remove_rmap + put_page + pte_unmap_unlock',
  unlock: 'mmap_write_unlock',
} as const;

export const munmap = kernelOp(
  'munmap(addr range): unmap_region → zap_pmd_range (whole THP: zap_huge_pmd; part: __split_huge_pmd then zap_pte_range); partial unmap queues the THP for deferred split in page_remove_rmap.',
  ['i', 'page_locked', 'zapped'],
  [
    {
      name: 'mmap_write_lock',
      enabled: (g, t) => badMm(t, arg(t, 'mm')) || mmOf(g, t).mmap_lock === 0,
      run: (g, t) => {
        if (badRange(t)) return done('EINVAL');
        const mm = mmOf(g, t);
        mm.mmap_lock = -1;
        const whole = arg(t, 'from') === 0 && arg(t, 'to') === t.params.nr;
        if (mm.pmd === 'huge') return whole ? ZAP.pmdClear : SPLIT_PMD.entry;
        if (mm.pmd === 'foreign') {
          if (!whole) return SPLIT_PMD.entry;
          mm.pmd = 'none';
          return ZAP.unlock;
        }
        return ZAP.pteClear;
      },
    },
    ...splitHugePmdSteps(ZAP.pteClear),
    {
      name: ZAP.pmdClear,
      enabled: (g, t) => mmOf(g, t).ptl === 0,
      run: (g, t) => {
        const mm = mmOf(g, t);
        /* __pmd_trans_huge_lock(): re-check under the ptl; split_huge_page may have frozen/zapped it */
        if (mm.pmd !== 'huge') return ZAP.pteClear;
        pmd_lock(mm, t);
        mm.pmd = 'none';
        mm.pmd_write = false;
        return ZAP.pmdRmap;
      },
    },
    {
      name: ZAP.pmdRmap,
      run: (g, t) => {
        assertPtlHeld(mmOf(g, t), t);
        page_remove_rmap(g, t, 0, true);
        put_page(g, t, 0);
        spin_unlock_ptl(mmOf(g, t), t);
        return ZAP.unlock;
      },
    },
    {
      name: ZAP.pteClear,
      enabled: (g, t) => mmOf(g, t).ptl === 0,
      run: (g, t) => {
        const mm = mmOf(g, t);
        if (mm.pmd !== 'table') return ZAP.unlock;
        pmd_lock(mm, t);
        let zapped = 0;
        for (let i = arg(t, 'from'); i < arg(t, 'to'); i++) {
          const e = mm.pte[i]!;
          if (e === PTE_PRESENT) zapped |= 1 << i;
          mm.pte[i] = PTE_NONE; /* present, foreign and migration entries alike */
          mm.pte_write[i] = false;
          if (isCopyPte(e)) {
            /* a COW copy: page_remove_rmap + put_page in the same loop iteration under the PTL */
            g.copies[e - PTE_COPY]!.mapcount--;
            put_copy(g, e - PTE_COPY);
          }
        }
        t.l.zapped = zapped;
        return ZAP.pteRmap;
      },
    },
    {
      name: ZAP.pteRmap,
      run: (g, t) => {
        assertPtlHeld(mmOf(g, t), t);
        for (let i = 0; i < t.params.nr; i++) {
          if (!(t.l.zapped! & (1 << i))) continue;
          page_remove_rmap(g, t, i, false);
          put_page(g, t, i);
        }
        spin_unlock_ptl(mmOf(g, t), t);
        return ZAP.unlock;
      },
    },
    {
      name: ZAP.unlock,
      run: (g, t) => {
        free_pgtables(g, arg(t, 'mm'));
        mmap_write_unlock(mmOf(g, t));
        return done('ok');
      },
    },
  ],
);
