/**
 * THP abstraction for the folio-era implementation: implementation state →
 * the same spec view as impl/thp's abstraction. Page tables give the mapping
 * sets; folio_precise_page_mapcount() and folio_ref_count() give the derived
 * counts, so a counter bookkeeping error shows up as a mismatch at quiescence.
 */
// Deliberately parallel to subsystems/thp/abstraction.ts: each abstraction reads its own implementation's state type (pages/mms fields differ by era), so the view code is not shared.
import {
  PTE_FOREIGN,
  PTE_MIGRATION,
  PTE_PRESENT,
  PTE_ZERO,
  folio_precise_page_mapcount,
  folio_ref_count,
  isCopyPte,
  isSwapPte,
  swp_offset,
  PTE_COPY,
  type FolioParams,
  type FolioState,
} from '../../../impl/thp-folio/folio.js';
import { PIN_ZERO_PAGE } from '../../../impl/thp-folio/gup.js';
import { ZERO_PAGE, canonicalCopies } from '../../../spec/thp/identity.js';
import { normaliseQueued, type ThpView } from '../../../spec/thp/machine.js';
import { vmaView } from '../vma-view.js';

type G = FolioState;
type P = FolioParams;

export function folioAbstraction(g: Readonly<G>, p: P): ThpView {
  const n = p.nr;
  const pmd: number[] = [];
  const ptable: number[] = [];
  const pte: number[][] = Array.from({ length: n }, () => []);
  const foreign: number[][] = Array.from({ length: n }, () => []);
  const fdata: number[][] = g.mms.map(() => new Array(n).fill(0));
  const cow: number[][] = g.mms.map(() => new Array(n).fill(-1));
  const zero: number[][] = Array.from({ length: n }, () => []);
  const ro: number[] = [];
  const swapped: number[][] = Array.from({ length: n }, () => []);
  const copyData = g.copies.map((k) => k.data);
  /* a swap PTE of a page that left memory: a private copy holding the slot's data, one per slot (shared by its PTEs) */
  const slotCopy = g.swap.map((sl) => (sl.page < 0 ? copyData.push(sl.data) - 1 : -1));
  g.mms.forEach((mm, m) => {
    if (!mm.vm_write) ro.push(m);
    if (mm.pmd === 'huge' || mm.pmd === 'migration') pmd.push(m);
    else if (mm.pmd === 'zero') for (let i = 0; i < n; i++) zero[i]!.push(m);
    else if (mm.pmd === 'foreign' || mm.pmd === 'foreign_migration')
      for (let i = 0; i < n; i++) {
        foreign[i]!.push(m);
        fdata[m]![i] = mm.foreign_data[i]!;
      }
    else if (mm.pmd === 'table') {
      ptable.push(m);
      mm.pte.forEach((e, i) => {
        if (e === PTE_PRESENT || e === PTE_MIGRATION) pte[i]!.push(m);
        else if (e === PTE_FOREIGN) {
          foreign[i]!.push(m);
          fdata[m]![i] = mm.foreign_data[i]!;
        } else if (e === PTE_ZERO) zero[i]!.push(m);
        else if (isCopyPte(e)) cow[m]![i] = e - PTE_COPY;
        else if (isSwapPte(e)) {
          const s = swp_offset(e);
          const page = g.swap[s]!.page;
          if (page === i) swapped[i]!.push(m); /* page i of the tracked folio, still in the swap cache */
          else cow[m]![i] = page >= n ? page - n : slotCopy[s]!;
        }
      });
    }
  });
  const freed = g.pages.map((pg) => pg.freed);
  const compound = g.large && !g.pages[0]!.freed;
  const view: ThpView = {
    kind: p.kind,
    mms: p.mms,
    compound,
    pmd,
    pte,
    ptable,
    foreign,
    fdata,
    data: g.pages.map((pg) => pg.data),
    cow,
    copyData,
    pinned: g.pins.map((q) => [q.mm, q.sub, q.page === PIN_ZERO_PAGE ? ZERO_PAGE : q.page]),
    pins: [...g.user_pins],
    refs: [...g.user_refs],
    cached: g.pages.map((pg) => pg.in_cache),
    swapped,
    swapcache: g.pages.map((pg) => pg.swapcache && !pg.freed),
    /* queued for a partial unmap (PG_partially_mapped; an unflagged entry is the underused-THP shrinker's) */
    queued: g.deferred !== 0 && g.partially_mapped,
    splitting: [], // only ever non-empty between a split's pending step and its linearization (spec/thp/view.ts)
    pageoutFound: [], // only ever non-empty while a madvise_pageout is in flight (spec/thp/view.ts)
    freed,
    zero,
    zeroData: g.zero_data,
    ro: p.kind === 'anon' ? ro : [],
    ...vmaView(g.mms, n, p.kind === 'anon'),
    mapcount: g.pages.map((_, i) => (freed[i] ? 0 : folio_precise_page_mapcount(g, i))),
    refcount: g.pages.map((_, i) => (freed[i] ? 0 : folio_ref_count(g, i))),
  };
  canonicalCopies(view); /* copies are named by first appearance, as the spec names them */
  normaliseQueued(view); /* a THP nobody maps counts as not queued (spec/thp/view.ts) */
  return view;
}
