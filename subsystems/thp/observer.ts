/**
 * What `mmcheck run thp --script` prints after each step: the kernel's counters
 * (impl) next to the spec's derived counts.
 */
import type { Observer } from '../../checker/types.js';
import { page_mapcount, type ThpParams, type ThpState } from '../../impl/thp/page.js';
import type { ThpView } from '../../spec/thp/machine.js';

export const observer: Observer<ThpState, ThpView, ThpParams> = {
  impl: (g) => ({
    kpagecount: g.pages.map((pg, i) => (pg.freed ? 0 : page_mapcount(g, g.anon, i))),
    refcount: g.pages.map((pg) => pg.refcount),
    _mapcount: g.pages.map((pg) => pg.mapcount),
    compound_mapcount: g.head ? g.compound_mapcount : null,
    PageDoubleMap: g.double_map,
    deferred: g.dsq === 0 ? 'no' : g.dsq === 1 ? 'queued' : `shrinker t${g.dsq - 2}`,
  }),
  spec: (v) => ({ mapcount: v.mapcount, refcount: v.refcount, queued: v.queued }),
};
