/**
 * Callers of split_huge_page_to_list_to_order(): split_folio() by a caller
 * holding a reference and the folio lock (as the debugfs split_huge_pages
 * interface and migration do), and the deferred split shrinker
 * deferred_split_scan() (mm/huge_memory.c @ v6.12): under split_queue_lock it
 * moves each queued folio it can folio_try_get() to an on-stack list; then,
 * without the lock, a folio that is not PG_partially_mapped is dropped from
 * the queue (thp_underused() is false at the default max_ptes_none,
 * HPAGE_PMD_NR - 1), the others are trylocked and split; survivors are spliced
 * back. The flag is tested twice, unlocked: before the trylock and at `next:`,
 * whose unlocked list_del_init() follows as a step of its own, so a partial
 * unmap between that test and the unlink leaves the folio flagged partially
 * mapped and on no list, as on v6.12 (NOTES.md, "The deferred split
 * shrinker's unlocked unlink"). A folio kept (partially mapped, not split)
 * becomes `prev` (swap(folio, prev)): its reference is dropped after the
 * splice. v6.6 has no PG_partially_mapped and queues only partially unmapped
 * folios (rmap.ts records that in the same field), so there every queued
 * folio is a candidate and is put at once, as in its deferred_split_scan().
 * With params.prior another folio is on the list before the tracked one
 * (impl/thp-common/prior.ts): the unlocked list_del_init() of the tracked folio
 * is safe only while that folio cannot be freed, which e66f3185fa04 "mm/thp:
 * fix deferred split queue not partially_mapped" ensures by keeping its
 * reference (prev) until after the splice.
 */
// Deliberate parallel of impl/thp's split.ts: the same role over the folio-era kernel code, kept in its own module (own state type, own kernel-version citations) so spec/thp judges each implementation on its own.
import { prior_isolate, prior_put, prior_splice, put_prior_run } from '../thp-common/prior.js';
import { BUG_ON } from '../thp-common/steps.js';
import { folioOf, folio_get, folio_put, folio_try_get, inLarge, type FolioState, type T } from './folio.js';
import { SPLIT_PAGE, splitHugePageSteps } from './split-page.js';
import { OK, arg, badSub, done, folio_lock, folio_unlock, kernelOp, type Done } from './steps.js';

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
  prior:
    'deferred_split_scan: the prior folio: folio_trylock + split_folio (-EBUSY while its owner pins it) + folio_unlock; partially mapped: keep it as prev',
  trylock: 'deferred_split_scan: folio_test_partially_mapped? folio_trylock',
  next: 'deferred_split_scan: next: folio_test_partially_mapped (unlocked), list_del_init reads entry->prev',
  del: 'deferred_split_scan: list_del_init (unlocked): __list_del(entry->prev, entry->next)',
  put: 'deferred_split_scan: folio_unlock; next: split? folio_put : swap(folio, prev)',
  splice: 'deferred_split_scan: split_queue_lock, list_splice_tail(on-stack list), folio_put(prev)',
} as const;

const trackedOrSplice = (g: FolioState, t: T): typeof DS.trylock | typeof DS.splice | Done =>
  g.deferred === 2 + t.tid ? DS.trylock : g.prior.deferred === 2 + t.tid ? DS.splice : done('done');

/**
 * `next:` for a folio kept on the on-stack list (partially mapped, not split): swap(folio, prev) and
 * folio_put(folio), i.e. the tracked folio becomes prev (its reference dropped after the splice) and the
 * previous prev (the prior folio) is put now. Before e66f3185fa04 (and in v6.6, which has no unlocked
 * list_del_init()) the folio is put at once.
 */
function keep(g: FolioState, t: T): typeof DS.splice {
  if (t.bug('e66f3185fa04') || t.bug('dafff3f4c850')) folio_put(g, t, 0);
  else {
    if (t.l.prev === 1) prior_put(g.prior); /* the old prev */
    t.l.prev = 2; /* the tracked folio */
  }
  return DS.splice;
}

export const deferred_split_scan = kernelOp(
  'The deferred split shrinker (deferred_split_scan): isolate queued folios on an on-stack list, split_folio the partially mapped ones, drop the rest from the queue, splice survivors back.',
  ['page', 'ret', 'walk', 'i', 'prev', 'entry_prev'],
  [
    {
      name: DS.isolate,
      run: (g, t) => {
        const prior = prior_isolate(g.prior, t.tid); /* queued before the tracked folio: first on the list */
        if (g.deferred === 1) {
          if (!folio_try_get(g, 0)) {
            g.deferred = 0; /* We lost race with folio_put() */
            g.partially_mapped = false;
          } else g.deferred = 2 + t.tid;
        }
        t.l.page = 0;
        return prior ? DS.prior : trackedOrSplice(g, t);
      },
    },
    {
      /*
       * Its owner's pin makes split_folio() fail (can_split_folio); once the owner is gone the split succeeds
       * and our folio_put() frees it. A failed, still partially mapped folio stays on our list, and since
       * e66f3185fa04 its reference is kept as `prev` until after the splice, so that nobody can unqueue (free)
       * it while the unlocked list_del_init() of the next folio rewrites its links. v6.6 puts it at once.
       */
      name: DS.prior,
      run: (g, t) => {
        if (!g.prior.owned || t.bug('e66f3185fa04') || t.bug('dafff3f4c850')) prior_put(g.prior);
        else t.l.prev = 1; /* swap(folio, prev) */
        return trackedOrSplice(g, t);
      },
    },
    {
      /*
       * The first unlocked folio_test_partially_mapped(): not set (and not thp_underused(), false at the
       * default max_ptes_none) goes to `next:`, which tests the flag again, apart. v6.6 (no such flag: every
       * queued folio is a candidate, see the header) goes straight to the trylock.
       */
      name: DS.trylock,
      run: (g, t) => {
        if (!g.partially_mapped && !t.bug('8422acdc97ed')) return DS.next;
        /*
         * folio_trylock() failed: goto next. Whoever holds the lock cannot split the folio (our reference
         * makes can_split_folio() fail) nor migrate it, so the flag is still set at `next:`: kept.
         */
        if (g.pages[0]!.locked !== 0) return keep(g, t);
        folio_lock(g, t, 0);
        return SPLIT_PAGE.lock;
      },
    },
    {
      /*
       * The second unlocked folio_test_partially_mapped(), at `next:`, and the reads of list_del_init()
       * (entry->prev: the prior folio while it is on our list). A partial unmap since the first test set the
       * flag and did not queue the folio (its list_head is not empty): kept. One after this read sets the flag
       * and is undone by the unlink below: the folio is left partially mapped and on no list (NOTES.md, "The
       * deferred split shrinker's unlocked unlink").
       */
      name: DS.next,
      run: (g, t) => {
        if (g.partially_mapped) return keep(g, t);
        t.l.entry_prev = g.prior.deferred === 2 + t.tid ? 1 : 0;
        return DS.del;
      },
    },
    {
      name: DS.del,
      run: (g, t) => {
        // CONFIG_DEBUG_LIST would catch it at the splice: the list head's prev now names a freed folio
        BUG_ON(
          t.l.entry_prev === 1 && g.prior.deferred !== 2 + t.tid,
          'list_del corruption: the unlocked list_del_init() wrote the links of a folio unqueued and freed meanwhile (e66f3185fa04)',
        );
        g.deferred = 0; /* our reference keeps the folio on our list until here: only the unlink removes it */
        folio_put(g, t, 0);
        return DS.splice;
      },
    },
    ...splitHugePageSteps(DS.put),
    {
      /*
       * After split_folio() the flag is still set unless the split succeeded (only a split clears it while
       * we hold a reference), so the unlock and the `next:` test are one step: nothing in between can change
       * what the test finds.
       */
      name: DS.put,
      run: (g, t) => {
        folio_unlock(g, t, 0);
        if (t.l.ret === OK) {
          folio_put(g, t, 0); /* did_split: the folio already left the list */
          return DS.splice;
        }
        return keep(g, t);
      },
    },
    {
      /* folio_put(prev) runs after the unlock: only the owner's own put can come between, and both orders free it once */
      name: DS.splice,
      run: (g, t) => {
        if (g.deferred === 2 + t.tid) g.deferred = 1;
        prior_splice(g.prior, t.tid);
        if (t.l.prev === 1) prior_put(g.prior);
        else if (t.l.prev === 2) folio_put(g, t, 0);
        return done('done');
      },
    },
  ],
);

export const put_prior = kernelOp(
  'The owner of the folio queued before the tracked one (params.prior) unpins and unmaps it: folio_put() of its last own reference; the last reference of all frees it (__folio_unqueue_deferred_split under split_queue_lock).',
  [],
  [
    {
      name: 'folio_put(prior) → __folio_unqueue_deferred_split under split_queue_lock',
      run: (g) => {
        put_prior_run(g.prior);
        return done('ok');
      },
    },
  ],
);
