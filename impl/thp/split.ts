/**
 * Callers of split_huge_page_to_list(): split_huge_page() by a caller holding
 * a reference and the page lock (as the debugfs split_huge_pages interface
 * and migration do), and the deferred split shrinker deferred_split_scan()
 * (mm/huge_memory.c @ v5.10), which isolates queued THPs on an on-stack list
 * under split_queue_lock, trylocks each, splits it and splices survivors back.
 * With params.prior another THP is on the list before the tracked one
 * (impl/thp-common/prior.ts): v5.10 changes list links only under
 * split_queue_lock, so its owner may free it at any point of the scan.
 */
import { prior_isolate, prior_put, prior_splice, put_prior_run } from '../thp-common/prior.js';
import {
  PageCompound,
  compound_head,
  get_page,
  get_page_unless_zero,
  put_page,
  type T,
  type ThpState,
} from './page.js';
import { SPLIT_PAGE, splitHugePageSteps } from './split-page.js';
import { BUSY, OK, arg, badSub, done, kernelOp, lock_page, unlock_page, type Done } from './steps.js';

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
  prior:
    'deferred_split_scan: the prior THP: trylock_page + split_huge_page (-EBUSY while its owner pins it) + unlock_page + put_page',
  isolate: 'deferred_split_scan: split_queue_lock, get_page_unless_zero, list_move to local list, trylock_page',
  put: 'deferred_split_scan: unlock_page + put_page',
  splice: 'deferred_split_scan: split_queue_lock, list_splice_tail(local list)',
} as const;

/** The tracked THP's turn on the on-stack list: trylock_page(), then split_huge_page() (or goto next on a failed trylock). */
function trylock_tracked(g: ThpState, t: T): typeof SPLIT_PAGE.lock | typeof DS.splice | Done {
  if (g.dsq !== 2 + t.tid) return g.prior.deferred === 2 + t.tid ? DS.splice : done('done');
  t.l.page = 0;
  if (g.pages[0]!.locked !== 0) {
    /* trylock_page() failed: goto next; put_page(page) (same loop iteration, no lock in between) */
    t.l.ret = BUSY;
    put_page(g, t, 0);
    return DS.splice;
  }
  lock_page(g, t, 0);
  return SPLIT_PAGE.lock;
}

export const deferred_split_scan = kernelOp(
  'The deferred split shrinker (deferred_split_scan): isolate queued THPs on an on-stack list, split_huge_page each, splice survivors back.',
  ['page', 'ret', 'walk', 'i'],
  [
    {
      name: DS.isolate,
      run: (g, t) => {
        const prior = prior_isolate(g.prior, t.tid); /* queued before the tracked THP: first on the list */
        if (g.dsq === 1) {
          if (!get_page_unless_zero(g, t, 0)) g.dsq = 0; /* We lost race with put_compound_page() */
          else g.dsq = 2 + t.tid;
        }
        return prior ? DS.prior : trylock_tracked(g, t);
      },
    },
    {
      /* its owner's pin makes split_huge_page() fail (can_split_huge_page); once the owner is gone our put frees it */
      name: DS.prior,
      run: (g, t) => {
        prior_put(g.prior);
        return trylock_tracked(g, t);
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
        prior_splice(g.prior, t.tid);
        return done('done');
      },
    },
  ],
);

export const put_prior = kernelOp(
  'The owner of the THP queued before the tracked one (params.prior) unpins and unmaps it: put_page() of its last own reference; the last reference of all frees it (free_transhuge_page: list_del under split_queue_lock).',
  [],
  [
    {
      name: 'put_page(prior) → free_transhuge_page: list_del under split_queue_lock',
      run: (g) => {
        put_prior_run(g.prior);
        return done('ok');
      },
    },
  ],
);
