/**
 * The THP implementation of the folio era (v6.6 / v6.12: large folios with
 * _entire_mapcount, _nr_pages_mapped, _large_mapcount and PageAnonExclusive),
 * a second implementation of spec/thp: one module per kernel entry point,
 * assembled here. The v4.5 - v6.1 design is impl/thp.
 */
// Deliberate parallel of impl/thp's index.ts (same op table, own modules): the two implementations stay independently built (own state types, own kernel-version citations) so spec/thp judges each on its own.
import type { ImplDef } from '../../checker/types.js';
import { read, wp_fault } from './access.js';
import { mremap } from './mremap.js';
import { fault, fault_pte, populate_read } from './fault.js';
import { force_read, force_write } from './gup-force.js';
import { evict } from './filemap.js';
import { folioSchema, type FolioParams, type FolioState } from './folio.js';
import { init } from './folio-init.js';
import { permuteThpThreads } from '../thp-common/thread-ids.js';
import { kThps } from '../thp-common/kthps.js';
import { onStackList } from '../thread-ids.js';
import { FORK_STEPS, fork } from './fork.js';
import { pin, unpin } from './gup.js';
import { pin_fast } from './gup-fast.js';
import { collapse } from './khugepaged.js';
import { collapse_file } from './collapse-file.js';
import { migrate } from './migrate.js';
import { swap_out } from './vmscan.js';
import { madvise_pageout } from './pageout.js';
import { page_count_op, page_mapcount_op, page_mapped_op, total_mapcount_op } from './query.js';
import { scan_get, scan_put } from './scanner.js';
import { deferred_split_scan, put_prior, split } from './split.js';
import { madvise_dontneed, mlock, mprotect, mprotect_ro, munlock, numa_hint, split_huge_pmd } from './vma.js';
import { munmap } from './munmap.js';

/** One tracked THP: the state and steps every params.thps builds on. */
export const folioImplOne: ImplDef<FolioState, FolioParams> = {
  state: folioSchema,
  init,
  /** The shared fields (thp-common/thread-ids.ts) and the deferred list (deferred: 2 + tid). */
  permuteThreads(g, p) {
    permuteThpThreads(g, p);
    g.deferred = onStackList(g.deferred, p);
  },
  ops: {
    fault,
    fault_pte,
    fork,
    split_huge_pmd,
    mprotect,
    mlock,
    munlock,
    munmap,
    madvise_dontneed,
    mremap,
    mprotect_ro,
    numa_hint,
    populate_read,
    force_write,
    force_read,
    pin,
    pin_fast,
    unpin,
    scan_get,
    scan_put,
    split,
    deferred_split_scan,
    put_prior,
    collapse,
    collapse_file,
    migrate,
    swap_out,
    madvise_pageout,
    wp_fault,
    read,
    evict,
    page_mapcount: page_mapcount_op,
    total_mapcount: total_mapcount_op,
    page_mapped: page_mapped_op,
    page_count: page_count_op,
  },
};

/**
 * The registered implementation: params.thps tracked THPs (impl/thp-common/kthps.ts). At thps 1 (the default) its
 * state and steps are folioImplOne's; at thps K > 1 the state is KState<FolioState> (one record per THP).
 */
export const folioImpl: ImplDef<FolioState, FolioParams> = kThps(folioImplOne, FORK_STEPS);
