/**
 * madvise(MADV_PAGEOUT) in the folio-era implementation: not modelled yet, and refused rather than
 * answered. This implementation models reclaim of its large folio (vmscan.ts, swap_out) but not
 * the madvise walk that isolates pages for it; an answer without that walk would claim what was
 * not modelled. The compound implementation models it (impl/thp/pageout.ts, v6.1); the folio-era walk
 * (mm/madvise.c madvise_cold_or_pageout_pte_range() @ v6.12) is to be read again when this is built
 * on the folio-era swap. See subsystems/thp/NOTES.md, MADV_PAGEOUT.
 */
// Deliberate parallel of impl/thp's pageout.ts: the same op, refused here until its v6.12 walk is built (no shared code).
import { kernelOp } from './steps.js';

export const madvise_pageout = kernelOp(
  'madvise(MADV_PAGEOUT): not modelled in the folio implementation yet (the v6.12 walk); every run of it is an impl-error.',
  [],
  [
    {
      name: 'madvise_pageout: not modelled (the v6.12 madvise_cold_or_pageout_pte_range walk)',
      run: () => {
        throw new Error(
          'not modelled: MADV_PAGEOUT in --impl folio (its v6.12 walk; impl/thp models it for v6.1); see subsystems/thp/NOTES.md, MADV_PAGEOUT',
        );
      },
    },
  ],
);
