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
 *
 * With several NUMA nodes (params.nodePool > 1) the copy lands where the
 * kernel puts it (alloc_migration_target prefers the page's own node,
 * alloc_hugetlb_folio_nodemask() @ v6.12 dequeues with no nodemask, so the
 * task's memory policy is not asked): on the page's own node when that node
 * has a free page, else on another node that has one (digit 1 of plan.node in
 * base nodePool names it; digit 0 is the GUP fault's node); a borrowed page
 * (no free unreserved page) sits on the page's own node. The old page leaves
 * the pool from its own node: as one of that node's surplus pages when it has
 * any (free_huge_folio gives it back to buddy), else as one of its persistent
 * pages (enqueued, then dissolved). An EBUSY after the copy was made (the old
 * page could not be removed) leaves the page on the node it was copied to and
 * the old page free on its own node.
 */
import { INJ, type Plan } from './choices.js';
import { fault } from './ops-fault.js';
import { clone, finish, has, isPinned, isSharedKind, nodeFree, surplusGone, tokenAt, withToken } from './promises.js';
import type { HugetlbParams } from './params.js';
import { type Args, type HugetlbView, type Outcome, num } from './view.js';

/** The view with page i of mapping `slot` on node nid (the file's page-cache page, or the private page and its fork partner's share). */
function movePage(w: HugetlbView, slot: number, i: number, file: number, nid: number): void {
  const m = w.vmas[slot];
  if (!m) return;
  if (!has(m.anon, i)) {
    const f = w.files[file];
    if (f) f.nodes = withToken(f.nodes, i, nid);
    return;
  }
  m.nodes = withToken(m.nodes, i, nid);
  const peer = w.vmas[m.peer];
  if (peer && has(m.cow, i)) peer.nodes = withToken(peer.nodes, i, nid);
}

/** soft_offline {v, i} */
export function softOffline(v0: HugetlbView, a: Args, plan: Plan, p: HugetlbParams): Outcome | undefined {
  const slot = num(a, 'v');
  const i = num(a, 'i');
  const busy = plan.inj === INJ.busy;
  const m = v0.vmas[slot];
  const np = v0.nodes.length; // 0: one node
  const faultNode = np > 0 ? plan.node % np : plan.node;
  const dst = np > 0 ? Math.floor(plan.node / np) : 0;
  const plain = !plan.buddyFail && !plan.numaMiss && !plan.surplusFirst && !plan.inj && !plan.reserveOffset;
  if (!m || m.kind === 'none' || i < m.from || i >= m.to)
    return plain && plan.node === 0 ? { view: v0, ret: 'EFAULT' } : undefined;
  let v = v0;
  if (!has(m.anon, i) && !has(m.pagecache, i)) {
    // get_user_pages faults the page in (a read); the migration's own outcomes take no further choice
    const fp = { ...plan, node: faultNode, ...(busy ? { inj: INJ.none } : {}) };
    const o = fault(v0, { v: slot, i, write: false }, fp, p);
    if (!o) return undefined;
    if (o.ret !== 'ok')
      return busy || dst !== 0 ? undefined : { view: o.view, ret: o.ret === 'OOM' ? 'ENOMEM' : 'EFAULT' };
    v = o.view;
  } else if (plan.numaMiss || plan.surplusFirst || (plan.inj && !busy) || plan.reserveOffset || faultNode !== 0)
    return undefined;
  const mv = v.vmas[slot] ?? m;
  const file = isSharedKind(m.kind) ? m.src : m.file;
  const src = np === 0 ? 0 : has(mv.anon, i) ? tokenAt(mv.nodes, i) : tokenAt(v.files[file]?.nodes ?? [], i);
  /** The view with the page copied to node dst (the pool unchanged: the old page stays, free, on its node). */
  const moved = (): HugetlbView => {
    if (dst === src) return v;
    const w = clone(v);
    movePage(w, slot, i, file, dst);
    return finish(w);
  };
  if (busy) {
    // the copy was made on its own node or on one that had a free page, and the old page stays
    if (plan.buddyFail || (dst !== src && nodeFree(v, dst) <= 0)) return undefined;
    return { view: moved(), ret: 'EBUSY' };
  }
  // a long-term pinned page is not migrated: the target taken (ENOMEM when none) goes back, EBUSY
  const pinned = !has(mv.anon, i) && file >= 0 && isPinned(v, file, i);
  if (v.free - v.rsvd > 0) {
    if (plan.buddyFail && v === v0) return undefined;
    // the copy's node: the page's own while it has a free page, else another node with one
    const target = np === 0 || nodeFree(v, src) > 0 ? src : dst !== src && nodeFree(v, dst) > 0 ? dst : -1;
    if (pinned) return dst === src ? { view: v, ret: 'EBUSY' } : undefined;
    if (target !== dst) return undefined;
    const w = clone(v);
    movePage(w, slot, i, file, dst);
    // the old page leaves the pool from its own node, one of its surplus pages first
    if (np === 0) {
      w.total--;
      if (w.surp > 0) w.surp--;
    } else if ((w.nodeSurp[src] ?? 0) > 0) surplusGone(w, src);
    else {
      w.total--;
      w.nodes = w.nodes.map((k, n) => (n === src ? k - 1 : k));
    }
    return { view: finish(w), ret: 'ok' };
  }
  // a page borrowed from the page allocator on the page's own node: nothing changes
  if (dst !== src) return undefined;
  if (plan.buddyFail && v === v0) return { view: v, ret: 'ENOMEM' };
  return { view: v, ret: pinned ? 'EBUSY' : 'ok' };
}
