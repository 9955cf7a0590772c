/**
 * The folio-era THP implementation (impl/thp-folio) registered as a second
 * implementation of the THP spec: `mmcheck check thp --impl folio`. The spec,
 * op schemas, scenarios, knobs and params are thp's (subsystems/thp); this
 * folder holds what is the folio implementation's own: the abstraction to the
 * same spec view, its invariants, variants, observer and kernel versions.
 */
import type { ImplChoice } from '../../../checker/types.js';
import { folioImpl } from '../../../impl/thp-folio/index.js';
import type { FolioParams, FolioState } from '../../../impl/thp-folio/folio.js';
import type { ThpView } from '../../../spec/thp/machine.js';
import { folioAbstraction } from './abstraction.js';
import { folioInvariants } from './invariants.js';
import { folioObserver } from './observer.js';
import { folioVariants } from './variants.js';
import { kAbstraction, kInvariant, kObserver } from '../kthps.js';

export const thpFolio: ImplChoice<FolioState, ThpView, FolioParams> = {
  name: 'folio',
  description:
    'Large folios, v6.6 / v6.12: _entire_mapcount, _nr_pages_mapped, _large_mapcount (6.12), _pincount, PageAnonExclusive COW reuse and GUP unsharing, folio_try_get in GUP-fast, split_folio refusing extra references, deferred_split_folio with PG_partially_mapped (6.12).',
  impl: folioImpl,
  abstraction: kAbstraction(folioAbstraction),
  invariants: folioInvariants.map(kInvariant),
  variants: folioVariants,
  observer: kObserver(folioObserver),
  /* --kernel-version: 6.12 is every modelled change applied; 6.6 lacks the three that moved the design on */
  kernelVersions: {
    default: '6.12',
    versions: [
      {
        name: '6.6',
        description:
          'linux-6.6.y: folio_total_mapcount() sums the pages (no _large_mapcount, 05c5323b2a34), page_remove_rmap() per PTE queues every partial unmap (no PG_partially_mapped, 8422acdc97ed), no underused-THP queueing at fault (dafff3f4c850), migration does not split a queued folio (7262f208ca68, v6.10) nor requeue the new folio (a2e0c0668a34, 6.12.y); do_wp_page() may reuse a lone large-folio page; do_swap_page() maps one page of a large folio in the swap cache at a time (508758960b8d, v6.11) and maps an exclusive page writable on a write fault only (c18160dba5ff, v6.11); MADV_PAGEOUT splits every large folio its PTE walk meets and stops at a shared one (3931b871c493, v6.10)',
        lacks: [
          '05c5323b2a34',
          '8422acdc97ed',
          'dafff3f4c850',
          '7262f208ca68',
          'a2e0c0668a34',
          '508758960b8d',
          'c18160dba5ff',
          '3931b871c493',
        ],
      },
      {
        name: '6.12',
        description:
          'linux-6.12.y: _large_mapcount, PG_partially_mapped, batched rmap removal, no reuse of large-folio pages, migration splits a partially mapped queued folio, MADV_PAGEOUT reclaims a PTE-mapped large folio wholly in its range whole',
        lacks: [],
      },
    ],
  },
};
