/**
 * What `mmcheck run thp --impl folio --script` prints after each step: the
 * folio's counters (impl) next to the spec's derived counts.
 */
import type { Observer } from '../../../checker/types.js';
import {
  ENTIRELY_MAPPED,
  FOLIO_PAGES_MAPPED,
  folio_precise_page_mapcount,
  type FolioParams,
  type FolioState,
} from '../../../impl/thp-folio/folio.js';
import type { ThpView } from '../../../spec/thp/machine.js';

export const folioObserver: Observer<FolioState, ThpView, FolioParams> = {
  impl: (g) => ({
    kpagecount: g.pages.map((pg, i) => (pg.freed ? 0 : folio_precise_page_mapcount(g, i))),
    refcount: g.pages.map((pg) => pg.refcount),
    _mapcount: g.pages.map((pg) => pg.mapcount),
    _entire_mapcount: g.large ? g.entire_mapcount : null,
    _nr_pages_mapped: g.large
      ? `${g.nr_pages_mapped & FOLIO_PAGES_MAPPED}${g.nr_pages_mapped >= ENTIRELY_MAPPED ? ' + ENTIRELY_MAPPED' : ''}`
      : null,
    _large_mapcount: g.large ? g.large_mapcount : null,
    _pincount: g.large ? g.pincount : null,
    PageAnonExclusive: g.anon ? g.pages.map((pg) => pg.anon_exclusive) : null,
    deferred:
      g.deferred === 0
        ? 'no'
        : `${g.deferred === 1 ? 'queued' : `shrinker t${g.deferred - 2}`}${g.partially_mapped ? ' (partially mapped)' : ''}`,
  }),
  spec: (v) => ({ mapcount: v.mapcount, refcount: v.refcount, queued: v.queued }),
};
