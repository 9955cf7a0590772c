/**
 * THP abstraction: implementation state → spec view. Page tables give the
 * mapping sets; the kernel's counter formulas give page_mapcount / page_count,
 * so any counter bookkeeping error shows up as a mismatch at quiescence.
 */
import {
  PTE_FOREIGN,
  PTE_MIGRATION,
  PTE_PRESENT,
  page_count,
  page_mapcount,
  type ThpParams,
  type ThpState,
} from '../../impl/thp/page.js';
import type { ThpView } from '../../spec/thp/machine.js';

type G = ThpState;
type P = ThpParams;

export function abstraction(g: Readonly<G>, p: P): ThpView {
  const n = p.nr;
  const anon = p.kind === 'anon';
  const pmd: number[] = [];
  const ptable: number[] = [];
  const pte: number[][] = Array.from({ length: n }, () => []);
  const foreign: number[][] = Array.from({ length: n }, () => []);
  g.mms.forEach((mm, m) => {
    if (mm.pmd === 'huge') pmd.push(m);
    else if (mm.pmd === 'foreign') for (const s of foreign) s.push(m);
    else if (mm.pmd === 'table') {
      ptable.push(m);
      mm.pte.forEach((e, i) => {
        if (e === PTE_PRESENT || e === PTE_MIGRATION) pte[i]!.push(m);
        else if (e === PTE_FOREIGN) foreign[i]!.push(m);
      });
    }
  });
  const freed = g.pages.map((pg) => pg.freed);
  return {
    kind: p.kind,
    mms: p.mms,
    compound: g.head && !g.pages[0]!.freed,
    pmd,
    pte,
    ptable,
    foreign,
    pins: [...g.user_pins],
    refs: [...g.user_refs],
    cached: g.pages.map((pg) => pg.in_cache),
    queued: g.dsq !== 0,
    freed,
    mapcount: g.pages.map((_, i) => (freed[i] ? 0 : page_mapcount(g, anon, i))),
    refcount: g.pages.map((_, i) => (freed[i] ? 0 : page_count(g, i))),
  };
}

