/**
 * Where a huge page sits and where a task may take one (issue 10 item 6):
 * page_to_nid of every page in use (file.pn for page-cache pages, vma.an for
 * anonymous ones; sparse as the data lists, node 0 unlisted, so one-node
 * states are unchanged), the free lists per node (g.nd), and the task's
 * memory policy: params.membind = set_mempolicy(MPOL_BIND, {membind}) of
 * every thread before the scenario starts (numactl --membind, the reproducer
 * of 8ca39e6874f8); absent = the default policy. mm/hugetlb.c and
 * mm/mempolicy.c @ v6.1.
 *
 * Why the task policy and not mbind(): allowed_mems_nr() reads
 * get_task_policy(current) (policy_mbind_nodemask), and an mbind() policy is
 * installed on a VMA only after its mmap, so the reservation check never
 * sees it. With no VMA policy, huge_node() falls back to the same task policy
 * for faults. The spec's events carry no thread, so the policy is one for
 * the whole scenario (as numactl gives every thread the same one).
 */
import { type T, at, datGet, datSet } from './context.js';
import { account, nodeCounts } from './nodes.js';
import type { G } from './state.js';

/** page_to_nid of page idx in a node record (file.pn, vma.an). */
export const pageNid = (rec: readonly number[], idx: number): number => datGet(rec, idx);

/** The node record with page idx on node nid (node 0 is not listed: the record stays canonical). */
export const withPageNid = (rec: readonly number[], idx: number, nid: number): number[] => datSet(rec, idx, nid);

/**
 * The end of free_huge_page under hugetlb_lock (mm/hugetlb.c free_huge_page() @ v6.1): a page
 * of a node with surplus pages (surplus_huge_pages_node[nid]) goes back to buddy
 * (remove_hugetlb_page + update_and_free_page), any other is enqueue_huge_page'd on its node.
 * anyNode (variant free-surplus-any-node): the test reads h->surplus_huge_pages instead.
 */
export function freeToNode(g: G, nid: number, anyNode = false): void {
  if ((anyNode ? g.surp : nodeCounts(g, nid).surp) > 0) account(g, nid, -1, 0, -1);
  else account(g, nid, 0, 1, 0);
}

/** The nodes huge_node() lets a fault allocate on: MPOL_BIND's nodemask, or (default policy) every node. */
function policyNodes(g: Readonly<G>, t: T): number[] {
  const bind = t.params.membind;
  return bind === undefined ? g.nd.map((_, k) => k) : [bind];
}

/**
 * The node dequeue_huge_page_vma() takes a free page from, -1 when none
 * (mm/hugetlb.c @ v6.1): huge_node(vma, address, gfp_mask, &mpol, &nodemask)
 * gives the preferred node and MPOL_BIND's nodemask; dequeue_huge_page_nodemask
 * walks the preferred node's zonelist within the nodemask and takes the first
 * node with a free page. Bound: the bound node or nothing. Default policy:
 * the preferred node is the local one, numa_node_id() of the CPU the task runs
 * on, which any node may be: every node with a free page is a choice.
 */
export function dequeueNid(g: G, t: T): number {
  if (g.nd.length === 0) return g.free > 0 ? 0 : -1;
  const cands = policyNodes(g, t).filter((k) => at(g.nd, k).free > 0);
  if (cands.length === 0) return -1;
  return cands.length === 1 ? at(cands, 0) : at(cands, t.choose(cands.length));
}

/**
 * The preferred node huge_node() gives a buddy allocation (alloc_migrate_hugetlb_folio with
 * __GFP_THISNODE): a bound task's node; under the default policy the local node, any node.
 */
export function preferredNid(g: Readonly<G>, t: T): number {
  if (g.nd.length === 0) return 0;
  const bind = t.params.membind;
  if (bind !== undefined) return bind;
  return g.nd.length === 1 ? 0 : t.choose(g.nd.length);
}

/**
 * The node of a free page taken with no nodemask from the local node's zonelist
 * (dequeue_hugetlb_folio_nodemask(h, gfp, numa_node_id(), NULL): the local node
 * first, then the others by distance) or hit by a memory offline: the task may
 * run on any node's CPU, so every node with a free page is a choice; -1 when none.
 */
export function freeNid(g: Readonly<G>, t: T): number {
  if (g.nd.length === 0) return g.free > 0 ? 0 : -1;
  const cands: number[] = [];
  g.nd.forEach((n, k) => {
    if (n.free > 0) cands.push(k);
  });
  if (cands.length === 0) return -1;
  return cands.length === 1 ? at(cands, 0) : at(cands, t.choose(cands.length));
}

/**
 * allowed_mems_nr(h) (mm/hugetlb.c @ v6.1): the free pages on the nodes of
 * cpuset_current_mems_allowed (every node here) that policy_mbind_nodemask()
 * (the task's MPOL_BIND nodemask) allows. hugetlb_acct_memory() fails a
 * reservation of delta pages when delta exceeds it. Before 8ca39e6874f8
 * "mm/hugetlb: add mempolicy check in the reservation routine" (v5.9) the
 * check was cpuset_mems_nr(h->free_huge_pages_node): every cpuset node,
 * whatever the policy.
 */
export function allowedMemsNr(g: Readonly<G>, t: T): number {
  const bind = t.params.membind;
  if (g.nd.length === 0 || bind === undefined || t.bug('8ca39e6874f8')) return g.free;
  return at(g.nd, bind).free;
}

/**
 * The node of a surplus page gather_surplus_pages() allocates (mm/hugetlb.c @ v6.12):
 * for_each_node_mask(node, cpuset_current_mems_allowed), the first node that
 * policy_mbind_nodemask() allows, alloc_surplus_hugetlb_folio(h, gfp, node, NULL): the bound
 * node, or (default policy) the first node of the cpuset, node 0. Coarsening: buddy memory is not
 * modelled, so that node never runs out (the zonelist fallback to another node is not reached).
 * Before 003af997c8a9 "hugetlb: force allocating surplus hugepages on mempolicy allowed nodes"
 * (v6.11-rc1; alloc_surplus_huge_page(h, htlb_alloc_mask(h), NUMA_NO_NODE, NULL) @ v6.1 as
 * released) the page came from numa_mem_id(), the node of whatever CPU the task runs on: any node.
 */
export function gatherNid(g: Readonly<G>, t: T): number {
  if (g.nd.length === 0) return 0;
  if (t.bug('003af997c8a9')) return t.choose(g.nd.length);
  return t.params.membind ?? 0;
}

/** The gathered pages' record (l.gather_nid, as batch_nid): one more page of node nid. */
export function gatherAdd(t: T, nid: number): void {
  if (nid > 0) t.l.gather_nid += 8 ** (nid - 1);
}

/**
 * Take one of the `left` gathered pages out of the record, lowest node first (the list order is
 * not kept: with 003af997c8a9 every page of one call is on the same node): its node.
 */
export function gatherTake(t: T, left: number): number {
  let others = 0;
  for (let r = t.l.gather_nid; r > 0; r = Math.floor(r / 8)) others += r % 8;
  if (left > others) return 0;
  for (let k = 1; ; k++) {
    if (Math.floor(t.l.gather_nid / 8 ** (k - 1)) % 8 > 0) {
      t.l.gather_nid -= 8 ** (k - 1);
      return k;
    }
  }
}

/**
 * A truncate's batch of removed folios by node (l.batch_nid: a count per node nid != 0 in base
 * 8; a folio of node 0 is the rest of the batch). Adds one folio of node nid.
 */
export function batchAdd(t: T, nid: number): void {
  if (nid > 0) t.l.batch_nid += 8 ** (nid - 1);
}

/** Take one folio out of the batch (any order: each is freed to its own node): its node. */
export function batchTake(t: T): number {
  for (let k = 1; t.l.batch_nid > 0; k++) {
    const digit = Math.floor(t.l.batch_nid / 8 ** (k - 1)) % 8;
    if (digit > 0) {
      t.l.batch_nid -= 8 ** (k - 1);
      return k;
    }
  }
  return 0;
}

/**
 * The node a migration target comes from when the pool has a free unreserved page
 * (mm/hugetlb.c alloc_hugetlb_folio_nodemask() @ v6.12 -> dequeue_hugetlb_folio_nodemask(h,
 * gfp_mask, preferred_nid, nmask); alloc_huge_page_nodemask -> dequeue_huge_page_nodemask @ v6.1):
 * alloc_migration_target (mm/migrate.c @ v6.12) prefers folio_nid(src) when mtc->nid is
 * NUMA_NO_NODE (soft_offline_in_use_page's), and the walk over that node's zonelist with no
 * nodemask takes the source's node first, then the other nodes by distance; the task's MPOL_BIND
 * is not asked. With two nodes the order is fixed; with more, the distance table (not modelled)
 * orders the others: each is a choice. -1: no node has a free page.
 */
export function migrateTargetNid(g: Readonly<G>, t: T, src: number): number {
  if (g.nd.length === 0) return g.free > 0 ? 0 : -1;
  if (at(g.nd, src).free > 0) return src;
  const cands: number[] = [];
  g.nd.forEach((n, k) => {
    if (k !== src && n.free > 0) cands.push(k);
  });
  if (cands.length === 0) return -1;
  return cands.length === 1 ? at(cands, 0) : at(cands, t.choose(cands.length));
}
