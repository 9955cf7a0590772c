/**
 * Soft offline of an in-use huge page, madvise(MADV_SOFT_OFFLINE) (issue 10
 * item 6): the kernel migrates the page's contents to another page and takes
 * the old page out of service. The promise, in user terms:
 *
 *  - migration changes nothing a mapping sees (the same data at the same
 *    index, through every mapping that mapped it) and no promise: a
 *    reservation, a mount's usage and its min_size reserve stay as they were;
 *  - the page is faulted in first when it is not mapped (get_user_pages, a
 *    read fault: its outcome is the fault's, a failed one is EFAULT / ENOMEM);
 *  - the pool loses at most one page, and only one no promise needs: while a
 *    free unreserved page exists the new copy takes it and the old page
 *    leaves (HugePages_Total and Free drop by one, a surplus page first);
 *    otherwise a page borrowed from the page allocator replaces it and the
 *    counters stay. EBUSY (the page left the file while GUP held it, or the
 *    old page was taken again or needed by a reservation before it could be
 *    removed) and ENOMEM (the page allocator had no page) change nothing
 *    beyond the GUP fault;
 *  - a page under a long-term pin (ops-pin.ts) is never migrated: EBUSY (or
 *    ENOMEM when no page could be found to copy it to), nothing changed.
 */
import { INJ, type Plan } from './choices.js';
import { fault } from './ops-fault.js';
import { clone, finish, has, isPinned, isSharedKind } from './promises.js';
import type { HugetlbParams } from './params.js';
import { type Args, type HugetlbView, type Outcome, num } from './view.js';

/** soft_offline {v, i} */
export function softOffline(v0: HugetlbView, a: Args, plan: Plan, p: HugetlbParams): Outcome | undefined {
  const slot = num(a, 'v');
  const i = num(a, 'i');
  const busy = plan.inj === INJ.busy;
  const m = v0.vmas[slot];
  const plain = !plan.buddyFail && !plan.numaMiss && !plan.surplusFirst && !plan.inj && !plan.reserveOffset;
  if (!m || m.kind === 'none' || i < m.from || i >= m.to) return plain ? { view: v0, ret: 'EFAULT' } : undefined;
  let v = v0;
  if (!has(m.anon, i) && !has(m.pagecache, i)) {
    // get_user_pages faults the page in (a read); the migration's own outcomes take no further choice
    const o = fault(v0, { v: slot, i, write: false }, busy ? { ...plan, inj: INJ.none } : plan, p);
    if (!o) return undefined;
    if (o.ret !== 'ok') return busy ? undefined : { view: o.view, ret: o.ret === 'OOM' ? 'ENOMEM' : 'EFAULT' };
    v = o.view;
  } else if (plan.numaMiss || plan.surplusFirst || (plan.inj && !busy) || plan.reserveOffset) return undefined;
  if (busy) return plan.buddyFail ? undefined : { view: v, ret: 'EBUSY' };
  // a long-term pinned page is not migrated: the target taken (ENOMEM when none) goes back, EBUSY
  const file = isSharedKind(m.kind) ? m.src : m.file;
  const pinned = !has(m.anon, i) && file >= 0 && isPinned(v, file, i);
  if (v.free - v.rsvd > 0) {
    if (plan.buddyFail && v === v0) return undefined;
    if (pinned) return { view: v, ret: 'EBUSY' };
    const w = clone(v);
    w.total--; // the old page leaves the pool, a surplus one first
    if (w.surp > 0) w.surp--;
    return { view: finish(w), ret: 'ok' };
  }
  if (plan.buddyFail && v === v0) return { view: v, ret: 'ENOMEM' };
  return { view: v, ret: pinned ? 'EBUSY' : 'ok' };
}
