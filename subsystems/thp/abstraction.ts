/**
 * THP abstraction: implementation state → spec view. Page tables give the
 * mapping sets; the kernel's counter formulas give page_mapcount / page_count,
 * so any counter bookkeeping error shows up as a mismatch at quiescence.
 */
import {
  PTE_COPY,
  PTE_FOREIGN,
  isCopyPte,
  PTE_MIGRATION,
  PTE_PRESENT,
  PTE_ZERO,
  isSwapPte,
  swp_offset,
  page_count,
  page_mapcount,
  type ThpParams,
  type ThpState,
} from '../../impl/thp/page.js';
import { PIN_ZERO_PAGE } from '../../impl/thp/gup.js';
import { ZERO_PAGE, canonicalCopies } from '../../spec/thp/identity.js';
import { normaliseQueued, type ThpView } from '../../spec/thp/machine.js';
import { vmaView } from './vma-view.js';

type G = ThpState;
type P = ThpParams;

export function abstraction(g: Readonly<G>, p: P): ThpView {
  const n = p.nr;
  const anon = p.kind === 'anon';
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
    else if (mm.pmd === 'foreign')
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
          if (page === i) swapped[i]!.push(m); /* the THP's page i, still in the swap cache */
          else cow[m]![i] = page >= n ? page - n : slotCopy[s]!;
        }
      });
    }
  });
  const freed = g.pages.map((pg) => pg.freed);
  const view: ThpView = {
    kind: p.kind,
    mms: p.mms,
    compound: g.head && !g.pages[0]!.freed,
    pmd,
    pte,
    ptable,
    foreign,
    fdata,
    zero,
    zeroData: g.zero_data,
    ro: anon ? ro : [],
    ...vmaView(g.mms, n, anon),
    data: g.pages.map((pg) => pg.data),
    cow,
    copyData,
    pinned: g.pins.map((q) => [q.mm, q.sub, q.page === PIN_ZERO_PAGE ? ZERO_PAGE : q.page]),
    pins: [...g.user_pins],
    refs: [...g.user_refs],
    cached: g.pages.map((pg) => pg.in_cache),
    swapped,
    swapcache: g.pages.map((pg) => pg.swapcache && !pg.freed),
    queued: g.dsq !== 0,
    splitting: [], // only ever non-empty between a split's pending step and its linearization (spec/thp/view.ts)
    pageoutFound: [], // only ever non-empty while a madvise_pageout is in flight (spec/thp/view.ts)
    freed,
    mapcount: g.pages.map((_, i) => (freed[i] ? 0 : page_mapcount(g, anon, i))),
    refcount: g.pages.map((_, i) => (freed[i] ? 0 : page_count(g, i))),
  };
  canonicalCopies(view); /* copies are named by first appearance, as the spec names them */
  normaliseQueued(view); /* a THP nobody maps counts as not queued (spec/thp/view.ts) */
  return view;
}
