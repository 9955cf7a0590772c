/**
 * Callers of split_huge_page_to_list_to_order(): split_folio() by a caller
 * holding a reference and the folio lock (as the debugfs split_huge_pages
 * interface and migration do), and the deferred split shrinker
 * deferred_split_scan() (mm/huge_memory.c @ v6.12): under split_queue_lock it
 * moves each queued folio it can folio_try_get() to an on-stack list; then,
 * without the lock, a folio that is not PG_partially_mapped is dropped from
 * the queue (thp_underused() is false at the default max_ptes_none,
 * HPAGE_PMD_NR - 1), the others are trylocked and split; survivors are spliced
 * back. v6.6 has no PG_partially_mapped and queues only partially unmapped
 * folios (rmap.ts records that in the same field), so there every queued
 * folio is a candidate, as in its deferred_split_scan().
 */
// Deliberate parallel of impl/thp's split.ts: the same role over the folio-era kernel code, kept in its own module (own state type, own kernel-version citations) so spec/thp judges each implementation on its own.
import { folioOf, folio_get, folio_put, folio_try_get, inLarge } from './folio.js';
import { SPLIT_PAGE, splitHugePageSteps } from './split-page.js';
import { BUSY, OK, arg, badSub, done, folio_lock, folio_unlock, kernelOp } from './steps.js';

const retOf = (ret: number): string => (ret === OK ? 'ok' : 'EBUSY');

export const split = kernelOp(
  'split_folio(page_folio(page)): the caller holds a reference and the folio lock (folio_get + folio_lock), then split_huge_page_to_list_to_order.',
  ['page', 'ret', 'walk', 'i'],
  [
    {
      name: 'folio_get + folio_lock',
      enabled: (g, t) => {
        const i = arg(t, 'sub');
        if (badSub(t, i)) return true;
        const h = g.pages[folioOf(g, i)]!;
        return h.freed || h.locked === 0;
      },
      run: (g, t) => {
        const i = arg(t, 'sub');
        if (badSub(t, i)) return done('EINVAL');
        const h = folioOf(g, i);
        if (g.pages[h]!.freed) return done('ENOENT');
        if (!inLarge(g, i)) return done('EINVAL'); /* not a large folio */
        folio_get(g, h);
        folio_lock(g, t, h);
        t.l.page = i;
        return SPLIT_PAGE.lock;
      },
    },
    ...splitHugePageSteps('folio_unlock + folio_put'),
    {
      name: 'folio_unlock + folio_put',
      run: (g, t) => {
        folio_unlock(g, t, t.l.page!);
        folio_put(g, t, t.l.page!);
        return done(retOf(t.l.ret!));
      },
    },
  ],
);

const DS = {
  isolate: 'deferred_split_scan: split_queue_lock, folio_try_get, list_move to the on-stack list',
  trylock: 'deferred_split_scan: partially mapped? folio_trylock',
  put: 'deferred_split_scan: folio_unlock + folio_put',
  splice: 'deferred_split_scan: split_queue_lock, list_splice_tail(on-stack list)',
} as const;

export const deferred_split_scan = kernelOp(
  'The deferred split shrinker (deferred_split_scan): isolate queued folios on an on-stack list, split_folio the partially mapped ones, drop the rest from the queue, splice survivors back.',
  ['page', 'ret', 'walk', 'i'],
  [
    {
      name: DS.isolate,
      run: (g, t) => {
        if (g.deferred !== 1) return done('done');
        if (!folio_try_get(g, 0)) {
          g.deferred = 0; /* We lost race with folio_put() */
          g.partially_mapped = false;
          return done('done');
        }
        g.deferred = 2 + t.tid;
        t.l.page = 0;
        return DS.trylock;
      },
    },
    {
      name: DS.trylock,
      run: (g, t) => {
        /* not partially mapped and not underused: list_del_init (unlocked: the folio is on our own list) */
        if (!g.partially_mapped) {
          g.deferred = 0;
          folio_put(g, t, 0);
          return done('done');
        }
        if (g.pages[0]!.locked !== 0) {
          /* folio_trylock() failed: goto next; folio_put() */
          t.l.ret = BUSY;
          folio_put(g, t, 0);
          return DS.splice;
        }
        folio_lock(g, t, 0);
        return SPLIT_PAGE.lock;
      },
    },
    ...splitHugePageSteps(DS.put),
    {
      name: DS.put,
      run: (g, t) => {
        folio_unlock(g, t, 0);
        folio_put(g, t, 0);
        return DS.splice;
      },
    },
    {
      name: DS.splice,
      run: (g, t) => {
        if (g.deferred === 2 + t.tid) g.deferred = 1;
        return done('done');
      },
    },
  ],
);
