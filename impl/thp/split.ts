/**
 * Callers of split_huge_page_to_list(): split_huge_page() by a caller holding
 * a reference and the page lock (as the debugfs split_huge_pages interface
 * and migration do), and the deferred split shrinker deferred_split_scan()
 * (mm/huge_memory.c @ v5.10), which isolates queued THPs on an on-stack list
 * under split_queue_lock, trylocks each, splits it and splices survivors back.
 */
import { PageCompound, compound_head, get_page, get_page_unless_zero, put_page } from './page.js';
import { SPLIT_PAGE, splitHugePageSteps } from './split-page.js';
import { BUSY, OK, arg, badSub, done, kernelOp, lock_page, unlock_page } from './steps.js';

const retOf = (ret: number): string => (ret === OK ? 'ok' : 'EBUSY');

export const split = kernelOp(
  'split_huge_page(page): the caller holds a reference and the page lock (get_page + lock_page), then split_huge_page_to_list.',
  ['page', 'ret', 'walk', 'i'],
  [
    {
      name: 'get_page + lock_page',
      enabled: (g, t) => {
        const i = arg(t, 'sub');
        if (badSub(t, i)) return true;
        const h = g.pages[compound_head(g, i)]!;
        return h.freed || h.locked === 0;
      },
      run: (g, t) => {
        const i = arg(t, 'sub');
        if (badSub(t, i)) return done('EINVAL');
        const h = compound_head(g, i);
        if (g.pages[h]!.freed) return done('ENOENT');
        if (!PageCompound(g, i)) return done('EINVAL'); /* not PageTransHuge */
        get_page(g, h);
        lock_page(g, t, h);
        t.l.page = i;
        return SPLIT_PAGE.lock;
      },
    },
    ...splitHugePageSteps('unlock_page + put_page'),
    {
      name: 'unlock_page + put_page',
      run: (g, t) => {
        unlock_page(g, t, t.l.page!);
        put_page(g, t, t.l.page!);
        return done(retOf(t.l.ret!));
      },
    },
  ],
);

const DS = {
  isolate: 'deferred_split_scan: split_queue_lock, get_page_unless_zero, list_move to local list, trylock_page',
  put: 'deferred_split_scan: unlock_page + put_page',
  splice: 'deferred_split_scan: split_queue_lock, list_splice_tail(local list)',
} as const;

export const deferred_split_scan = kernelOp(
  'The deferred split shrinker (deferred_split_scan): isolate queued THPs on an on-stack list, split_huge_page each, splice survivors back.',
  ['page', 'ret', 'walk', 'i'],
  [
    {
      name: DS.isolate,
      run: (g, t) => {
        if (g.dsq !== 1) return done('done');
        if (!get_page_unless_zero(g, t, 0)) {
          g.dsq = 0; /* We lost race with put_compound_page() */
          return done('done');
        }
        g.dsq = 2 + t.tid;
        t.l.page = 0;
        if (g.pages[0]!.locked !== 0) {
          /* trylock_page() failed: goto next; put_page(page) (same loop iteration, no lock in between) */
          t.l.ret = BUSY;
          put_page(g, t, 0);
          return DS.splice;
        }
        lock_page(g, t, 0);
        return SPLIT_PAGE.lock;
      },
    },
    ...splitHugePageSteps(DS.put),
    {
      name: DS.put,
      run: (g, t) => {
        unlock_page(g, t, 0);
        put_page(g, t, 0);
        return DS.splice;
      },
    },
    {
      name: DS.splice,
      run: (g, t) => {
        if (g.dsq === 2 + t.tid) g.dsq = 1;
        return done('done');
      },
    },
  ],
);
