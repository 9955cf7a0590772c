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
 * pages coming and going (those change a node's total and surplus together).
 * Which of the global surplus pages and free pages sit on node nid is not in
 * the view: how many of them a write converts or removes is left free.
 */
import { clone, finish, inUse, outstanding } from './promises.js';
import type { HugetlbView, Outcome } from './view.js';

/** Persistent pages by node as the user reads them (one node: the global pool). */
export function persistentByNode(v: HugetlbView): number[] {
  return v.nodes.length > 0 ? v.nodes : [v.total - v.surp];
}

/**
 * echo n > nodes/node<nid>/.../nr_hugepages. Grow: node nid's persistent pages
 * become n, from its own surplus pages (x of them: the view does not say how
 * many sit on nid) and then y fresh pages on nid; fewer fresh pages than
 * needed = buddy failed. Shrink: node nid keeps n persistent pages; y free
 * pages leave the pool (never below what is in use or reserved), the rest of
 * its excess becomes surplus. Other nodes' persistent pages never change.
 * c = 7*x + y (choices.ts SETNR_CHOICES).
 */
export function setNrNode(v0: HugetlbView, nid: number, n: number, c: number): Outcome | undefined {
  const x = Math.floor(c / 7);
  const y = c % 7;
  const nodes = persistentByNode(v0);
  const cur = nodes[nid];
  if (cur === undefined) return undefined;
  const v = clone(v0);
  let now = n;
  if (n > cur) {
    if (x > Math.min(v.surp, n - cur)) return undefined;
    v.surp -= x;
    const need = n - cur - x;
    if (y > need) return undefined;
    v.total += y;
    now = cur + x + y;
  } else {
    if (x !== 0) return undefined;
    const persistent = v.total - v.surp;
    const minCount = Math.max(persistent - cur + n, outstanding(v0) + inUse(v0));
    if (y > Math.max(0, persistent - minCount)) return undefined;
    v.total -= y;
    v.surp += cur - n - y;
  }
  if (v0.nodes.length > 0) v.nodes = v0.nodes.map((k, i) => (i === nid ? now : k));
  return { view: finish(v), ret: 'ok' };
}
