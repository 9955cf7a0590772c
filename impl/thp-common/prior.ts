/**
 * A second THP reduced to its place on the deferred split queue (scenario
 * param `prior: 1`): another process's anon THP, partially unmapped (so
 * queued, and PG_partially_mapped under v6.12) before the tracked one, whose
 * owner still holds a FOLL_PIN on it (so every split_huge_page of it fails:
 * can_split_huge_page / can_split_folio) until the op `put_prior` drops the
 * pin and the last mapping at once. Its data, identity and mappings are not
 * modelled: no user of the tracked THP can observe it. What is modelled is
 * what the shrinker does with it (mm/huge_memory.c deferred_split_scan() @
 * v5.10 / v6.12) and its unqueue when its last reference goes
 * (free_transhuge_page() @ v5.10, __folio_unqueue_deferred_split() @ v6.12):
 * the deferred split list with two entries, prior before tracked.
 *
 * Shared by both implementations: the same three fields and the same
 * unqueue-on-free in both eras (under split_queue_lock, one step).
 */
import { S } from '../../checker/schema.js';
import { BUG_ON } from './steps.js';

export const PriorS = S.struct({
  /** Its _refcount: the owner's 1 while `owned`, plus a shrinker's folio_try_get()/get_page_unless_zero(). */
  refcount: S.int(),
  /** Its _deferred_list: 0 off any list (or freed), 1 on ds_queue->split_queue, 2 + tid on that shrinker's on-stack list. */
  deferred: S.int(),
  /** The owner still holds its pin and mapping (put_prior not yet run). */
  owned: S.bool(),
});

interface PriorT {
  refcount: number;
  deferred: number;
  owned: boolean;
}

/** The initial prior THP: queued and owned when the scenario asks for it, absent otherwise. */
export const initPrior = (p: { readonly prior?: number }): PriorT =>
  p.prior === 1 ? { refcount: 1, deferred: 1, owned: true } : { refcount: 0, deferred: 0, owned: false };

/** put_page()/folio_put() of the prior THP: the last reference unqueues it under split_queue_lock and frees it. */
export function prior_put(pr: PriorT): void {
  pr.refcount--;
  BUG_ON(pr.refcount < 0, 'put_prior: _refcount went negative');
  if (pr.refcount === 0) pr.deferred = 0; /* list_del_init(&folio->_deferred_list) under split_queue_lock */
}

/** The shrinker's isolation of the prior THP (it is queued before the tracked one): true when it moved to tid's list. */
export function prior_isolate(pr: PriorT, tid: number): boolean {
  if (pr.deferred !== 1) return false;
  BUG_ON(pr.refcount === 0, 'deferred split queue holds a freed THP');
  pr.refcount++; /* get_page_unless_zero / folio_try_get */
  pr.deferred = 2 + tid;
  return true;
}

/** list_splice_tail() of the shrinker's on-stack list: the prior THP, still on it, goes back to the queue. */
export function prior_splice(pr: PriorT, tid: number): void {
  if (pr.deferred === 2 + tid) pr.deferred = 1;
}

/** put_prior: the owner unpins and unmaps the prior THP (its last own reference). */
export function put_prior_run(pr: PriorT): void {
  if (!pr.owned) return;
  pr.owned = false;
  prior_put(pr);
}
