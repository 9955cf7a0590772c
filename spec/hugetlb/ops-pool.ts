/**
 * The pool and its mounts: nr_hugepages, nr_overcommit_hugepages, mounting
 * hugetlbfs with size=/min_size=, and the internal step by which an
 * unreserved free surplus page may go back to buddy at any time.
 */
import { INJ, type Plan, decodeChoice } from './choices.js';

const NO_PLAN: Plan = decodeChoice(0);
import { fileStep, freshFile, lifeOf, mountStep } from './lifecycle.js';
import type { HugetlbParams } from './params.js';
import { bindCheckFails, gatherPlace, offlineNodePage } from './ops-numa.js';
import { clone, finish, inUse, nodeFree, nodeInUse, outstanding, promiseGlobal, surplusGone } from './promises.js';
import { type Args, type HugetlbView, type Outcome, type Ret, num } from './view.js';

export function setOvercommit(v0: HugetlbView, a: Args, plan: Plan): Outcome | undefined {
  if (plan.buddyFail || plan.numaMiss || plan.inj) return undefined;
  const v = clone(v0);
  v.overcommit = num(a, 'n');
  return { view: finish(v), ret: 'ok' };
}

/**
 * mount -o size=,min_size=: a min_size mount reserves min_size pages from the
 * pool at mount time, or fails with ENOMEM (Documentation/admin-guide/mm/hugetlbpage.rst
 * @ v6.1: "If there are not enough free huge pages available, the mount will fail").
 * Its files are created fresh, open and linked, with nothing reserved.
 */
export function mount(v0: HugetlbView, a: Args, plan: Plan, p: HugetlbParams): Outcome | undefined {
  if (plan.inj) return undefined;
  const mi = num(a, 'm');
  const size = num(a, 'size');
  const min = num(a, 'min');
  const s = v0.spools[mi];
  // an argument or state error returns before any allocation: no buddy failure or node miss can happen
  const refused = (ret: Ret): Outcome | undefined => (plan.buddyFail || plan.numaMiss ? undefined : { view: v0, ret });
  if (!s) return refused('EINVAL');
  if (!mountStep(s.mounted ? 'mounted' : 'unmounted', 'mount')) return refused('EBUSY');
  if (size !== -1 && min > size) return refused('EINVAL');
  const v = clone(v0);
  // hugepage_new_subpool -> hugetlb_acct_memory(h, min_hpages): gathered pages placed as an mmap's (ops-numa.ts)
  const place = gatherPlace(v, plan, p);
  const gathered = min > 0 ? promiseGlobal(v, outstanding(v0), min, plan.buddyFail, undefined, place.next) : true;
  if (gathered === undefined || (plan.node && (!gathered || !place.done()))) return undefined;
  if (!gathered) return plan.numaMiss ? undefined : { view: v0, ret: 'ENOMEM' };
  // a bound task: min_size is checked against its node's free pages as an mmap's reservation is
  // (hugepage_new_subpool -> hugetlb_acct_memory -> allowed_mems_nr, ops-numa.ts bindCheckFails)
  const bindFails = min > 0 ? bindCheckFails(v, min, plan, p) : plan.numaMiss ? undefined : false;
  if (bindFails === undefined) return undefined;
  if (bindFails) return plan.buddyFail ? undefined : { view: v0, ret: 'ENOMEM' };
  if (min <= 0 && plan.buddyFail) return undefined;
  v.spools[mi] = { mounted: true, max: size, min, reserve: min > 0 ? min : 0 };
  // the mount's files are created afresh (nothing of an earlier mount's files survives)
  v.files = v.files.map((f) => {
    const next = f.mount === mi ? fileStep(lifeOf(f), 'mount') : undefined;
    return next ? freshFile(mi, p, next) : f;
  });
  return { view: finish(v), ret: 'ok' };
}

/**
 * What a pool shrink keeps besides the count it is asked for: the reserved pages, and as many
 * persistent pages as the pages in use need. Surplus pages count as the pages in use first, so
 * with at least as many pages in use as surplus pages the rest of those in use are persistent.
 * With fewer pages in use than surplus pages the counts cannot tell which free pages are surplus,
 * and the shrink keeps as many persistent pages as there are pages in use (at most all of them)
 * (aabf58bfaace "mm/hugetlb: fix set_max_huge_pages() when there are surplus pages": before it a
 * surplus page in use kept a free persistent page from being freed, which became surplus instead).
 */
export function keptByShrink(v: HugetlbView): number {
  const used = inUse(v);
  const persistentUsed = used >= v.surp ? used - v.surp : Math.min(used, v.total - v.surp);
  return outstanding(v) + persistentUsed;
}

/**
 * set_max_huge_pages (nr_hugepages write). Grow: surplus -> persistent, then
 * fresh pages from buddy (y of them; fewer than needed = buddy failed).
 * Shrink: never below in-use + reserved; the rest becomes surplus.
 * x (surplus left unconverted on grow) and y on shrink (free pages not removed,
 * marked surplus instead) are the outcomes of the kernel dropping hugetlb_lock
 * inside the loops while other tasks allocate or free surplus pages; both keep
 * persistent_huge_pages == count.
 */
export function setNr(v0: HugetlbView, n: number, c: number): Outcome | undefined {
  const x = Math.floor(c / 7);
  const y = c % 7;
  const v = clone(v0);
  if (n < 0) return x === 0 && y === 0 ? { view: v0, ret: 'EINVAL' } : undefined;
  const persistent = (): number => v.total - v.surp;
  if (n > persistent()) {
    const conv = Math.min(v.surp, n - persistent());
    if (x > conv) return undefined;
    v.surp -= conv - x;
    const need = n - persistent();
    if (y > need) return undefined;
    v.total += y;
    if (x > 0 && y < need) return undefined; // the relaxation only covers completed grows
  } else {
    if (x !== 0) return undefined;
    const minCount = Math.max(n, keptByShrink(v));
    const removable = Math.max(0, persistent() - minCount);
    if (y > removable) return undefined;
    v.total -= removable - y;
    while (n < persistent() && v.surp < v.total) v.surp++;
  }
  return { view: finish(v), ret: 'ok' };
}

/**
 * Internal step: an unreserved free surplus page goes back to buddy. The
 * kernel does this in return_unused_surplus_pages / free_huge_page; which of
 * them runs first when several tasks race (a needs/commit refund, a gather
 * whose pages became unnecessary) is not something a user can observe or rely
 * on, so the spec lets it happen at any time while free - rsvd > 0. With
 * several nodes the page is a free page of a node with surplus pages: the
 * nodes it may come from (one node: [0] when it may happen at all).
 */
export function surplusToBuddy(v: HugetlbView): number[] {
  if (!(v.surp > 0 && v.free - v.rsvd > 0)) return [];
  if (v.nodes.length === 0) return [0];
  return v.nodes.map((_, nid) => nid).filter((nid) => (v.nodeSurp[nid] ?? 0) > 0 && nodeFree(v, nid) > 0);
}

/** The internal step from node nid (surplusToBuddy). */
export function shrinkSurplus(v0: HugetlbView, nid: number): HugetlbView | undefined {
  if (!surplusToBuddy(v0).includes(nid)) return undefined;
  const v = clone(v0);
  surplusGone(v, nid);
  return finish(v);
}

/** Internal spec event: a memory offline in flight takes one more free page of its node out of the pool. */
export const OFFLINE_TAKE = 'offline_take';

/**
 * One free page of node nid that no reservation needs leaves the pool: a surplus page of its
 * node when it has any (one node: when the pool has any), else a persistent one. undefined: none.
 */
function takeFree(v0: HugetlbView, nid: number): HugetlbView | undefined {
  if (v0.free - v0.rsvd <= 0) return undefined; // a reservation counts on every free page
  if (v0.nodes.length > 0)
    return offlineNodePage(v0, { ...NO_PLAN, node: nid, surplusFirst: (v0.nodeSurp[nid] ?? 0) > 0 });
  if (nid !== 0) return undefined;
  const v = clone(v0);
  v.total--;
  if (v.surp > 0) v.surp--;
  return finish(v);
}

/**
 * Memory offline of a memory block holding huge pages of one node (issue 10
 * item 6), as the user sees it: the block's free pages leave the pool one at a
 * time while the call runs (OFFLINE_TAKE, a step the call takes in flight:
 * other users may see any number of them gone before it returns), each only
 * while the pool has a free page no reservation needs; a page in use or one a
 * reservation counts on is never taken. The call fails with EBUSY when it meets
 * a page it cannot take (one in use, or the pool has no free unreserved page),
 * and the pages it took before stay out of the pool ("all free hugetlb folios
 * that were dissolved before that error are lost", dissolve_free_hugetlb_folios
 * @ v6.12). It returns ok once no huge page is left in the block, with the last
 * page it takes, or with none when the block's pages left the pool otherwise
 * (a concurrent shrink). Which pages the block holds is not the user's to see,
 * so any node with a free page may be it (view `offlining`: the node, once the
 * first page has gone), and EBUSY needs a page of that node in use or no free
 * unreserved page. Choices: plan.node the node, plan.surplusFirst the last
 * page left as its node's surplus page (several nodes), INJ.busy the EBUSY
 * outcome, plan.buddyFail ok with no page taken at the return.
 */
export function dissolve(v0: HugetlbView, plan: Plan): Outcome | undefined {
  const busy = plan.inj === INJ.busy;
  if (plan.numaMiss || (plan.inj && !busy) || (busy && (plan.buddyFail || plan.surplusFirst))) return undefined;
  const nid = plan.node;
  if (v0.nodes.length === 0 && (nid !== 0 || plan.surplusFirst)) return undefined;
  if (nid >= Math.max(1, v0.nodes.length)) return undefined;
  if (v0.offlining.length > 0 && v0.offlining[0] !== nid) return undefined;
  if (busy || plan.buddyFail) {
    if (plan.surplusFirst) return undefined;
    const inUseHere = v0.nodes.length > 0 ? nodeInUse(v0, nid) : inUse(v0);
    if (busy && !(v0.free - v0.rsvd <= 0 || inUseHere > 0)) return undefined;
    const v = clone(v0);
    v.offlining = [];
    return { view: v, ret: busy ? 'EBUSY' : 'ok' };
  }
  if (v0.nodes.length > 0 && plan.surplusFirst !== (v0.nodeSurp[nid] ?? 0) > 0) return undefined;
  const v = takeFree(v0, nid);
  if (!v) return undefined;
  v.offlining = [];
  return { view: v, ret: 'ok' };
}

/** The steps a memory offline in flight may take: one more free page of its node (OFFLINE_TAKE). */
export function offlineSteps(v: HugetlbView): { type: string; nid: number }[] {
  const nodes = v.offlining.length > 0 ? [v.offlining[0] ?? 0] : v.nodes.length > 0 ? v.nodes.map((_, k) => k) : [0];
  return nodes.filter((nid) => takeFree(v, nid) !== undefined).map((nid) => ({ type: OFFLINE_TAKE, nid }));
}

/** OFFLINE_TAKE: a free page of node nid leaves the pool; the offline is now on that node. */
export function offlineTake(v0: HugetlbView, nid: number): HugetlbView | undefined {
  if (v0.offlining.length > 0 && v0.offlining[0] !== nid) return undefined;
  const v = takeFree(v0, nid);
  if (!v) return undefined;
  v.offlining = [nid];
  return v;
}
