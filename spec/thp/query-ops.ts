/**
 * Spec handlers of the counter readers: page_mapcount, total_mapcount,
 * page_mapped and page_count, a derived view with freedom wherever a kernel
 * reader can see transient values (moved out of ref-ops.ts).
 */
import type { RetValue } from '../../checker/types.js';
import { REJECT, int, type Env, type Handler } from './handler.js';
import { GUP_PIN_COUNTING_BIAS, specTotalMapcount, type ThpView } from './view.js';

/**
 * A PMD split may be counted twice by a reader: the folio-era
 * __split_huge_pmd() takes only the PMD lock (no page lock), and between
 * folio_add_anon_rmap_ptes() and folio_remove_rmap_pmd() /proc/kpagecount and
 * folio_mapcount() count the PMD and its new PTEs at once. The kernel never
 * promised readers a count stable against a concurrent split, so a reader may
 * see up to one extra mapping per process that now maps the page by PTE (the
 * split is linearized before the reader). Anon only: a file PMD split zaps.
 */
function transientSplits(c: ThpView, e: Env, mappers: number): number | typeof REJECT {
  const extra = int(e.ev.choice) > 0 ? int(e.ev.choice) : 0;
  if (extra === 0) return 0;
  if (!e.anon || !c.compound || extra > mappers) return REJECT;
  return extra;
}

const on_page_mapcount: Handler = (c, e) => {
  const { sub, badSub } = e;
  if (badSub(sub) || c.freed[sub]) return int(e.ev.choice) > 0 ? REJECT : badSub(sub) ? 'EINVAL' : c.mapcount[sub]!;
  const extra = transientSplits(c, e, c.pte[sub]!.filter((m) => c.ptable.includes(m)).length);
  return extra === REJECT ? REJECT : c.mapcount[sub]! + extra;
};

const on_total_mapcount: Handler = (c, e) => {
  if (c.freed[0]) return int(e.ev.choice) > 0 ? REJECT : 0;
  const splitters = c.ptable.filter((m) => c.pte.some((s) => s.includes(m))).length;
  const extra = transientSplits(c, e, splitters);
  return extra === REJECT ? REJECT : specTotalMapcount(c) + extra;
};

const on_page_mapped: Handler = (c, e) => {
  const { sub, badSub } = e;
  let ret: RetValue | undefined;
  ret = badSub(sub) ? 'EINVAL' : c.freed[sub] ? false : c.compound ? specTotalMapcount(c) > 0 : c.pte[sub]!.length > 0;
  return ret;
};

/**
 * page_count(): the exact count, or that plus transient references a racing
 * lockless path holds (a GUP-fast grab before its recheck, a speculative
 * get_page_unless_zero): the kernel never promised readers a stable count.
 */
const on_page_count: Handler = (c, e) => {
  const { sub, badSub, ev } = e;
  const transient = int(ev.choice) > 0 ? int(ev.choice) : 0;
  if (badSub(sub) || c.freed[sub]) return transient === 0 ? (badSub(sub) ? 'EINVAL' : 0) : REJECT;
  return c.refcount[sub]! + transient * (c.compound ? 1 : GUP_PIN_COUNTING_BIAS);
};

export const queryHandlers: Readonly<Record<string, Handler>> = {
  page_mapcount: on_page_mapcount,
  total_mapcount: on_total_mapcount,
  page_mapped: on_page_mapped,
  page_count: on_page_count,
};
