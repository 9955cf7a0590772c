/**
 * Reclaim to swap in the folio-era implementation: not modelled yet. This
 * implementation is a machine without a swap device: with total_swap_pages
 * == 0, shrink_folio_list() @ v6.12 does not try to reclaim anon folios
 * (can_reclaim_anon_pages() is false, so they are not even scanned; a folio
 * that reached the list would fail add_to_swap() and be activated): every
 * swap_out is 'kept' and changes nothing. The spec allows 'kept' always, so
 * this proves nothing about swap in the folio era; the swap-out of
 * impl/thp (v6.1) is impl/thp/vmscan.ts. See subsystems/thp/NOTES.md.
 */
import { isAnon } from './folio.js';
import { arg, badSub, done, kernelOp } from './steps.js';

export const swap_out = kernelOp(
  'Reclaim to swap of the anon folio holding subpage `sub`: this implementation has no swap device (total_swap_pages == 0), so the folio is kept.',
  [],
  [
    {
      name: 'shrink_folio_list: no swap space (can_reclaim_anon_pages false): keep',
      run: (_g, t) => {
        if (badSub(t, arg(t, 'sub')) || !isAnon(t.params)) return done('EINVAL');
        return done('kept');
      },
    },
  ],
);
