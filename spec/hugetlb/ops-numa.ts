/**
 * Which node a huge page comes from, and what a memory policy changes in the
 * reservation promise (params.nodePool > 1; params.membind: every task of
 * the scenario runs under set_mempolicy(MPOL_BIND, {membind}), as numactl
 * --membind sets it up).
 *
 * The user sees the node of each page in use (move_pages(2), numa_maps: the
 * view's `nodes` of files and mappings) and each node's pool
 * (/sys/devices/system/node/node<nid>/hugepages/). What is promised
 * (Documentation/admin-guide/mm/hugetlbpage.rst and
 * Documentation/mm/hugetlbfs_reserv.rst "Reservations and Memory Policy" @ v6.1;
 * mm/hugetlb.c hugetlb_acct_memory()'s comment @ v6.1):
 *
 *  - A page allocated for a bound task comes from its bound node. With the
 *    default policy it comes from any node that has a free page (the local
 *    node first, and the task may run on any node's CPU).
 *  - Reservations are global, not per node. For a bound task, mmap checks
 *    "as a best attempt" that the bound node has at least as many free pages
 *    as the mapping reserves, and fails with ENOMEM otherwise (since
 *    8ca39e6874f8 "mm/hugetlb: add mempolicy check in the reservation
 *    routine"). The free pages it counted are not set aside, so a later
 *    fault of a bound task may find its node empty although the global pool
 *    still holds the reserved page elsewhere: that fault SIGBUSes. That is
 *    the only SIGBUS a reservation does not rule out under a policy.
 *
 * A node's free pages are exact (promises.ts nodeFree): the view keeps each
 * node's persistent and surplus pages and the node of every page in use (in
 * the page cache, mapped, held by a truncate in flight or by pins only).
 */
import type { Plan } from './choices.js';
import { clone, finish, nodeFree, nodePick, pickOf } from './promises.js';
import type { HugetlbParams } from './params.js';
import type { HugetlbView } from './view.js';

/** The scenario parameters that decide where a page may come from. */
export type NodePolicy = Pick<HugetlbParams, 'numa' | 'membind'>;

/**
 * The node of a page the pool gives this allocation (the global conditions
 * already allowed it): a node number, 'miss' (a bound task's node has no free
 * page: the allocation fails), or undefined (this choice is no possible outcome).
 * plan.node picks the node under the default policy; plan.numaMiss the miss.
 */
export function poolNode(v: HugetlbView, plan: Plan, pol: NodePolicy): number | 'miss' | undefined {
  if (v.nodes.length === 0) return plan.node === 0 ? 0 : undefined;
  const bind = pol.membind;
  if (bind !== undefined && plan.node !== 0) return undefined;
  const nid = bind ?? plan.node;
  const free = nodeFree(v, nid);
  if (plan.numaMiss) return bind !== undefined && free === 0 ? 'miss' : undefined;
  return free > 0 ? nid : undefined;
}

/** Has node nid a free page (a page taken with no nodemask: udmabuf's memfd_alloc_folio)? */
export const hasFree = (v: HugetlbView, nid: number): boolean => nid < v.nodes.length && nodeFree(v, nid) > 0;

/**
 * mmap's check for a bound task reserving n pages from the global pool
 * (hugetlb_acct_memory(): delta > allowed_mems_nr(h) -> -ENOMEM): true = it
 * fails (plan.numaMiss), false = it passes, undefined = not a possible outcome.
 */
export function bindCheckFails(v: HugetlbView, n: number, plan: Plan, pol: NodePolicy): boolean | undefined {
  const bind = pol.membind;
  if (bind === undefined || v.nodes.length === 0 || n <= 0) return plan.numaMiss ? undefined : false;
  const free = nodeFree(v, bind);
  // as for the global check (ops-map.ts transientEnomem), a concurrent fault may hold a page of
  // the node it has taken and not yet mapped: the check may fail with one page less
  if (plan.numaMiss) return n > free - 1 ? true : undefined;
  return n <= free ? false : undefined;
}

/**
 * Memory offline of a block holding a free page of node plan.node (which block
 * is offlined is the user's choice), with several nodes: the page leaves the
 * pool as one of its node's surplus pages when that node has any
 * (plan.surplusFirst; cb402bbdabca "mm/hugetlb: fix surplus pages in
 * dissolve_free_huge_page()"), else as one of its persistent pages.
 * undefined: not a possible outcome.
 */
export function offlineNodePage(v0: HugetlbView, plan: Plan): HugetlbView | undefined {
  const nid = plan.node;
  if (nid >= v0.nodes.length || nodeFree(v0, nid) <= 0) return undefined;
  const surplus = (v0.nodeSurp[nid] ?? 0) > 0;
  if (plan.surplusFirst !== surplus) return undefined;
  const v = clone(v0);
  v.total--;
  if (surplus) {
    v.surp--;
    v.nodeSurp = v.nodeSurp.map((k, i) => (i === nid ? k - 1 : k));
  } else v.nodes = v.nodes.map((k, i) => (i === nid ? k - 1 : k));
  return finish(v);
}

/**
 * fallocate under a memory policy (hugetlbfs_fallocate: hugetlb_set_vma_policy
 * of the pseudo VMA falls back to the task policy): the node of the k-th page
 * the call allocates is digit k of plan.node in base `nodes` (under the default
 * policy each page may come from any node: the task may move between CPUs);
 * a bound task's allocation misses (the call ends with ENOSPC) at the first page
 * whose node has no free page (plan.numaMiss). The plan for page k.
 */
export function fallocatePagePlan(v: HugetlbView, plan: Plan, pol: NodePolicy, k: number): Plan {
  if (v.nodes.length === 0) return plan; // one node (params.numa's HR-13 miss is the plan's own)
  const nodes = Math.max(1, v.nodes.length);
  const node = pol.membind === undefined ? Math.floor(plan.node / nodes ** k) % nodes : 0;
  const bind = pol.membind;
  const miss = plan.numaMiss && bind !== undefined && nodeFree(v, bind) === 0;
  return { ...plan, node, numaMiss: miss };
}

/**
 * Where the surplus pages a reservation needs come from (hugetlb_acct_memory ->
 * gather_surplus_pages, mm/hugetlb.c @ v6.12): a bound task's from its bound node
 * (003af997c8a9 "hugetlb: force allocating surplus hugepages on mempolicy allowed nodes": before
 * it they came from whatever node the task ran on, and the mempolicy check that follows then
 * failed the mmap, or passed on other free pages and left the new page off the task's node);
 * under the default policy from any node (the kernel starts at the cpuset's first node and the
 * buddy allocator may fall back to another): digit k of plan.node names page k's. `next` gives
 * one page's node; `done` is false when plan.node has digits no page used (not an outcome).
 */
export function gatherPlace(
  v: HugetlbView,
  plan: Plan,
  pol: NodePolicy,
): { next: () => number | undefined; done: () => boolean } {
  const bind = pol.membind;
  if (bind !== undefined) return { next: () => bind, done: () => plan.node === 0 };
  const pick = nodePick(v, plan.node);
  const all = v.nodes.map((_, k) => k);
  return { next: () => pickOf(pick, all), done: () => pick.code === 0 };
}
