/**
 * munmap() of part or all of the THP's range (split out of vma.ts, whose zap steps it shares with MADV_DONTNEED).
 */
// Deliberate copy of impl/thp's munmap.ts where the kernel code is unchanged: the two implementations stay independently built (own state types, own kernel-version citations) so spec/thp judges each on its own.
import { free_pgtables } from './pgtable.js';
import { SPLIT_PMD, splitHugePmdSteps } from './split-pmd.js';
import { arg, badMm, done, kernelOp, mmOf, mmap_write_unlock } from './steps.js';
import type { T } from './folio.js';
import { badRange, vmaChangeOk, zapPmdRange, zapSteps } from './vma.js';
import { vmaTreeChange, vmaTreeUnlink } from '../thp-common/rmap-walk.js';
import { vmaHugeSuitable } from '../thp-common/vma-layout.js';

/** The variant that cuts munmap's VMA pieces before the PMD split (subsystems/thp/variants.ts). */
const CUT_FIRST = 'vma-cut-before-pmd-split';

const MUNMAP_UNLOCK = 'free_pgtables + mmap_write_unlock';
const MUNMAP_SPLIT_VMA = '__split_vma: anon_vma_lock_write + re-insert the pieces';

/* the range cuts a VMA: __split_vma() at the border(s), each through vma_adjust_trans_huge() first */
const cutsVma = (t: T): boolean => arg(t, 'from') > 0 || arg(t, 'to') < t.params.nr;

/**
 * munmap(): do_mas_align_munmap() @ v6.1 (mm/mmap.c) / do_vmi_align_munmap() → vms_gather_munmap_vmas() @ v6.12
 * (mm/vma.c) calls __split_vma() at each border inside a VMA, all under mmap_lock for write; __split_vma() →
 * __vma_adjust() @ v6.1 / __split_vma() itself @ v6.12 calls vma_adjust_trans_huge(), which splits a PMD straddling
 * the new border (split_huge_pmd_if_needed() → split_huge_pmd_address() → __split_huge_pmd() under the PMD lock)
 * before the VMA bounds change and the pieces are re-inserted under anon_vma_lock_write (vma_adjust @ v6.1;
 * vma_prepare()/vma_complete() @ v6.12, which take that lock before the PMD split: coarsened to v6.1's order). Then
 * unmap_region() zaps the PTEs, and free_pgtables() unlinks the removed VMAs. The model splits the PMD (takes its
 * lock) for a range that is not the whole THP while one VMA covers the THP's range (range_in_vma() of the PMD range in
 * the VMA being cut), and not once that VMA is cut: a huge PMD lies in one VMA (invariant huge-pmd-in-one-vma).
 */
export const munmap = kernelOp(
  'munmap(addr range): part of the THP: __split_vma → vma_adjust_trans_huge splits the PMD at the border, then the VMA pieces (anon_vma_lock_write); unmap_region → zap_pmd_range (whole THP: zap_huge_pmd; part: zap_pte_range); a partial unmap queues the folio for deferred split in __folio_remove_rmap.',
  ['zapped'],
  [
    {
      name: 'mmap_write_lock',
      enabled: (g, t) =>
        (badMm(t, arg(t, 'mm')) || mmOf(g, t).mmap_lock === 0) && (!t.bug(CUT_FIRST) || vmaChangeOk(g, t, 'munmap')),
      run: (g, t) => {
        if (badRange(t)) return done('EINVAL');
        mmOf(g, t).mmap_lock = -1;
        // vma-cut-before-pmd-split: the VMA is cut first, the PMD split only in the zap that follows
        if (t.bug(CUT_FIRST)) {
          vmaTreeChange(g, t, arg(t, 'mm'), arg(t, 'from'), arg(t, 'to'), 'munmap');
          return zapPmdRange(g, t) ?? MUNMAP_UNLOCK;
        }
        if (!cutsVma(t)) return zapPmdRange(g, t) ?? MUNMAP_UNLOCK;
        /* vma_adjust_trans_huge() only where the PMD range lies in the VMA being cut (as in vma.ts) */
        return vmaHugeSuitable(mmOf(g, t), t.params.nr) ? SPLIT_PMD.entry : MUNMAP_SPLIT_VMA;
      },
    },
    ...splitHugePmdSteps(MUNMAP_SPLIT_VMA),
    {
      name: MUNMAP_SPLIT_VMA,
      enabled: (g, t) => vmaChangeOk(g, t, 'munmap'),
      run: (g, t) => {
        /* the PMD across the border was split above (vma_adjust_trans_huge); now the pieces (anon_vma_lock_write; a
           second call, as after the variant's early cut, finds nothing new to insert) */
        vmaTreeChange(g, t, arg(t, 'mm'), arg(t, 'from'), arg(t, 'to'), 'munmap');
        return zapPmdRange(g, t) ?? MUNMAP_UNLOCK;
      },
    },
    ...zapSteps(MUNMAP_UNLOCK, false),
    {
      name: MUNMAP_UNLOCK,
      run: (g, t) => {
        free_pgtables(g, arg(t, 'mm'));
        /* unlink_anon_vmas() of the VMAs it removed (all of the mm's when nothing of the range is left) */
        vmaTreeUnlink(g, t, arg(t, 'mm'), arg(t, 'from'), arg(t, 'to'), mmOf(g, t).pmd === 'none');
        mmap_write_unlock(mmOf(g, t));
        return done('ok');
      },
    },
  ],
);
