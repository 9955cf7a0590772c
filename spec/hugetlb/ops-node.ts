/**
 * Per-node pools (params.nodePool > 1): what a user reads in
 * /sys/devices/system/node/node<nid>/hugepages/hugepages-<size>/nr_hugepages
 * and what writing it promises. Documentation/admin-guide/mm/hugetlbpage.rst
 * @ v6.1: the per-node nr_hugepages "is the number of persistent huge pages on
 * that node", and writing it changes "the number of persistent huge pages ...
 * on that node only"; the global nr_hugepages is their sum.
 *
 * The view keeps each node's persistent count (view.ts `nodes`): it changes
 * only through a pool write, never through faults, reservations or surplus
 * pages coming and going (those change a node's total and surplus together),
 * and each node's surplus pages (`nodeSurp`: nodes/node<nid>/.../surplus_hugepages).
 */
import { clone, finish, inUse, nodeFree, outstanding } from './promises.js';
import type { HugetlbView, Outcome } from './view.js';

/** Persistent pages by node as the user reads them (one node: the global pool). */
export function persistentByNode(v: HugetlbView): number[] {
  return v.nodes.length > 0 ? v.nodes : [v.total - v.surp];
}

/**
 * echo n > nodes/node<nid>/.../nr_hugepages (set_max_huge_pages(h, count, nid, {nid}),
 * mm/hugetlb.c @ v6.1). Grow: node nid's own surplus pages become persistent first
 * (adjust_pool_surplus under hugetlb_lock), then fresh pages on nid (y of them; fewer than
 * needed = buddy failed). Shrink: free pages of nid leave the pool, never below what is in use
 * or reserved (min_count), and the rest of its excess becomes surplus on nid. Other nodes'
 * pages never change. c = 7*x + y (choices.ts SETNR_CHOICES): x surplus pages of nid left
 * unconverted on a completed grow (as set_nr: a surplus page allocated on nid while the lock
 * is dropped between fresh pages, so only with nr_overcommit_hugepages > 0); y the fresh pages
 * (grow) or the pages removed (shrink: at most as many as min_count allows and nid has free).
 */
export function setNrNode(v0: HugetlbView, nid: number, n: number, c: number): Outcome | undefined {
  const x = Math.floor(c / 7);
  const y = c % 7;
  const nodes = persistentByNode(v0);
  const cur = nodes[nid];
  if (cur === undefined) return undefined;
  const several = v0.nodes.length > 0;
  const surpHere = several ? (v0.nodeSurp[nid] ?? 0) : v0.surp;
  const v = clone(v0);
  let now = n;
  let surpNow = surpHere;
  if (n > cur) {
    const conv = Math.min(surpHere, n - cur);
    if (x > conv || (x > 0 && v0.overcommit === 0)) return undefined;
    const need = n - cur - (conv - x);
    if (y > need || (x > 0 && y < need)) return undefined; // the relaxation only covers completed grows
    v.surp -= conv - x;
    surpNow -= conv - x;
    v.total += y;
    now = cur + conv - x + y;
  } else {
    if (x !== 0) return undefined;
    const persistent = v.total - v.surp;
    const minCount = Math.max(persistent - cur + n, outstanding(v0) + inUse(v0));
    const free = several ? nodeFree(v0, nid) : v0.total - inUse(v0);
    // fewer: pages of nid freed to its free list while the lock is dropped between the removal and
    // adjust_pool_surplus (they become surplus instead; node-default-fault reaches it)
    if (y > Math.min(free, Math.max(0, persistent - minCount))) return undefined;
    v.total -= y;
    v.surp += cur - n - y;
    surpNow += cur - n - y;
  }
  if (several) {
    v.nodes = v0.nodes.map((k, i) => (i === nid ? now : k));
    v.nodeSurp = v0.nodeSurp.map((k, i) => (i === nid ? surpNow : k));
  }
  return { view: finish(v), ret: 'ok' };
}
