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
import { clone, finish, inUse, nodeFree, nodePick, pickOf } from './promises.js';
import { keptByShrink } from './ops-pool.js';
import type { HugetlbView, Outcome } from './view.js';

/** Persistent pages by node as the user reads them (one node: the global pool). */
export function persistentByNode(v: HugetlbView): number[] {
  return v.nodes.length > 0 ? v.nodes : [v.total - v.surp];
}

/** Internal spec event: a node's nr_hugepages shrink in flight removes free pages of its node. */
export const NODE_SHRINK_REMOVE = 'node_shrink_remove';

/**
 * echo n > nodes/node<nid>/.../nr_hugepages (set_max_huge_pages(h, count, nid, {nid}),
 * mm/hugetlb.c @ v6.1). Grow: node nid's own surplus pages become persistent first
 * (adjust_pool_surplus under hugetlb_lock), then fresh pages on nid (y of them; fewer than
 * needed = buddy failed). Shrink: free pages of nid leave the pool, never below what is in use
 * or reserved (keptByShrink), then the rest of its excess becomes surplus on nid. Other nodes'
 * pages never change. c = 7*x + y (choices.ts SETNR_CHOICES): x surplus pages of nid left
 * unconverted on a completed grow (as set_nr: a surplus page allocated on nid while the lock
 * is dropped between fresh pages, so only with nr_overcommit_hugepages > 0); y the fresh pages
 * of a grow. A shrink has no choice: the write drops hugetlb_lock between its removals and its
 * surplus marking, which the spec states as a step the call takes in flight
 * (NODE_SHRINK_REMOVE): a page freed to the node meanwhile is not removed, it becomes surplus.
 */
export function setNrNode(v0: HugetlbView, nid: number, n: number, c: number): Outcome | undefined {
  const x = Math.floor(c / 7);
  const y = c % 7;
  const cur = persistentByNode(v0)[nid];
  if (cur === undefined) return undefined;
  if (v0.resizing.length > 0) {
    // the write in flight finishes: adjust_pool_surplus(h, {nid}, 1) while count < persistent
    if (c !== 0 || v0.resizing[0] !== nid || v0.resizing[2] !== n) return undefined;
    const v = clone(v0);
    markSurplus(v, nid, v0.resizing[1] ?? 0);
    v.resizing = [];
    return { view: finish(v), ret: 'ok' };
  }
  const several = v0.nodes.length > 0;
  const v = clone(v0);
  if (n <= cur) {
    if (c !== 0) return undefined;
    const count = removeFree(v, nid, n);
    markSurplus(v, nid, count);
    return { view: finish(v), ret: 'ok' };
  }
  const surpHere = several ? (v0.nodeSurp[nid] ?? 0) : v0.surp;
  const conv = Math.min(surpHere, n - cur);
  if (x > conv || (x > 0 && v0.overcommit === 0)) return undefined;
  const need = n - cur - (conv - x);
  if (y > need || (x > 0 && y < need)) return undefined; // the relaxation only covers completed grows
  v.surp -= conv - x;
  v.total += y;
  if (several) {
    v.nodes = v0.nodes.map((k, i) => (i === nid ? cur + conv - x + y : k));
    v.nodeSurp = v0.nodeSurp.map((k, i) => (i === nid ? surpHere - (conv - x) : k));
  }
  return { view: finish(v), ret: 'ok' };
}

/** The shrink's first part, under hugetlb_lock: free pages of nid leave the pool down to min_count. Returns count. */
function removeFree(v: HugetlbView, nid: number, n: number): number {
  const several = v.nodes.length > 0;
  const cur = persistentByNode(v)[nid] ?? 0;
  const persistent = v.total - v.surp;
  const count = persistent - cur + n; // the node's count made global
  const minCount = Math.max(count, keptByShrink(v));
  const free = several ? nodeFree(v, nid) : v.total - inUse(v);
  const y = Math.min(free, Math.max(0, persistent - minCount));
  v.total -= y;
  if (several) v.nodes = v.nodes.map((k, i) => (i === nid ? k - y : k));
  return count;
}

/** adjust_pool_surplus(h, {nid}, 1) while count < persistent: pages of nid become surplus (while it has persistent ones). */
function markSurplus(v: HugetlbView, nid: number, count: number): void {
  const several = v.nodes.length > 0;
  while (count < v.total - v.surp && (several ? (v.nodes[nid] ?? 0) > 0 : v.surp < v.total)) {
    v.surp++;
    if (several) {
      v.nodes = v.nodes.map((k, i) => (i === nid ? k - 1 : k));
      v.nodeSurp = v.nodeSurp.map((k, i) => (i === nid ? k + 1 : k));
    }
  }
}

/** The steps a node's nr_hugepages write in flight may take: a shrink's removal (NODE_SHRINK_REMOVE). */
export function nodeShrinkSteps(v: HugetlbView, nid: number, n: number): { type: string; nid: number; n: number }[] {
  const cur = persistentByNode(v)[nid];
  if (v.resizing.length > 0 || cur === undefined || n > cur) return [];
  return [{ type: NODE_SHRINK_REMOVE, nid, n }];
}

/** NODE_SHRINK_REMOVE: the removal happens; the write's own event marks the rest surplus. */
export function nodeShrinkRemove(v0: HugetlbView, nid: number, n: number): HugetlbView | undefined {
  if (nodeShrinkSteps(v0, nid, n).length === 0) return undefined;
  const v = clone(v0);
  v.resizing = [nid, removeFree(v, nid, n), n];
  return finish(v);
}

/**
 * echo n > /proc/sys/vm/nr_hugepages with several nodes (set_max_huge_pages(h, count,
 * NUMA_NO_NODE, N_MEMORY), mm/hugetlb.c @ v6.1): as set_nr (ops-pool.ts) for the totals, and per
 * node: a grow converts surplus pages of nodes that have them, then adds fresh pages on any nodes;
 * a shrink removes free pages of nodes that have them, then marks pages of nodes with persistent
 * pages surplus. Which node each time is the round-robin cursors' (next_nid_to_alloc,
 * next_nid_to_free: not in the view): c = y + 7 * code, y as set_nr's (fresh pages of a grow, free
 * pages kept on a shrink), code the node digits (promises.ts NodePick). No surplus page is left
 * unconverted (set_nr's x): with several nodes nr_overcommit_hugepages is 0, so no surplus page
 * comes while the lock is dropped. A removal that leaves a node with more surplus pages than
 * pages (remove_pool_huge_page(h, nodes, 0) of a node whose free pages are all surplus) is not an
 * outcome the spec allows: a node's surplus pages are among its pages.
 */
export function setNrNodes(v0: HugetlbView, n: number, c: number): Outcome | undefined {
  const y = c % 7;
  if (n < 0) return c === 0 ? { view: v0, ret: 'EINVAL' } : undefined;
  const pick = nodePick(v0, Math.floor(c / 7));
  const v = clone(v0);
  const persistent = (): number => v.total - v.surp;
  const nodesWhere = (f: (k: number) => boolean): number[] => v.nodes.map((_, k) => k).filter(f);
  const move = (nid: number, dn: number, ds: number): void => {
    v.nodes = v.nodes.map((k, i) => (i === nid ? k + dn : k));
    v.nodeSurp = v.nodeSurp.map((k, i) => (i === nid ? k + ds : k));
  };
  if (n > persistent()) {
    // adjust_pool_surplus(h, N_MEMORY, -1) under hugetlb_lock
    while (v.surp > 0 && n > persistent()) {
      const nid = pickOf(
        pick,
        nodesWhere((k) => (v.nodeSurp[k] ?? 0) > 0),
      );
      if (nid === undefined) return undefined;
      v.surp--;
      move(nid, 1, -1);
    }
    if (y > n - persistent()) return undefined;
    for (let j = 0; j < y; j++) {
      const nid = pickOf(
        pick,
        nodesWhere(() => true),
      ); // alloc_pool_huge_page's node
      if (nid === undefined) return undefined;
      v.total++;
      move(nid, 1, 0);
    }
  } else {
    const removable = Math.max(0, persistent() - Math.max(n, keptByShrink(v)));
    if (y > removable) return undefined;
    for (let j = 0; j < removable - y; j++) {
      const nid = pickOf(
        pick,
        nodesWhere((k) => nodeFree(v, k) > 0),
      ); // remove_pool_huge_page(h, N_MEMORY, 0)
      if (nid === undefined || (v.nodes[nid] ?? 0) <= 0) return undefined;
      v.total--;
      move(nid, -1, 0);
    }
    // adjust_pool_surplus(h, N_MEMORY, 1): a node with pages not yet surplus
    while (n < persistent()) {
      const nid = pickOf(
        pick,
        nodesWhere((k) => (v.nodes[k] ?? 0) > 0),
      );
      if (nid === undefined) break;
      v.surp++;
      move(nid, -1, 1);
    }
  }
  return pick.code === 0 ? { view: finish(v), ret: 'ok' } : undefined;
}
