/**
 * Per-node huge page pools (issue 10 item 6): struct hstate's per-node
 * counters nr_huge_pages_node[], free_huge_pages_node[] and
 * surplus_huge_pages_node[] (g.nd, one entry per node when params.nodePool > 1;
 * with one node g.nd is empty and node 0 is the global counters), and the
 * per-node write of /sys/devices/system/node/node<nid>/hugepages/hugepages-<size>/nr_hugepages:
 * nr_hugepages_store_common -> __nr_hugepages_store_common (nodes_allowed =
 * {nid}) -> set_max_huge_pages(h, count, nid, nodes_allowed), mm/hugetlb.c @ v6.1.
 *
 * Scope: every page records its node (node-pages.ts: page_to_nid of pages in
 * use, the free lists per node) and faults, fallocate, UFFDIO_COPY and a pin's
 * GUP fault allocate by the task's memory policy; memory offline and udmabuf
 * take a free page of any node; the global nr_hugepages write spreads its
 * conversions, fresh pages and removals over the nodes by the round-robin
 * cursors; surplus pages from buddy (gather_surplus_pages, a fault's
 * alloc_buddy_hugetlb_folio_with_mpol) record their node (node-pages.ts); a soft offline's
 * migration target comes from the source's node first (migrate.ts, node-pages.ts migrateTargetNid).
 * The round-robin cursors h->next_nid_to_alloc / next_nid_to_free are kept
 * (g.nta, g.ntf; cursorWalk): unknown (-1) at the start, where the kernel's
 * cursor may stand anywhere, so the first walk takes every candidate
 * (t.choose); exact from then on. A real kernel judged it: the global write
 * interleaves its fresh pages over the nodes (subsystems/hugetlb/NOTES.md
 * "Per-node pools on a real kernel").
 */
import { done } from '../../checker/types.js';
import { type T, LOCALS, argInt, at, resizeUnlock, type Op } from './context.js';
import type { StepResult } from './labels.js';
import type { G, Node } from './state.js';

/** Ops that keep g.nd and every page's node exact with several nodes (surplus pages: node-pages.ts gatherNid, preferredNid). */
export const NODE_OPS: ReadonlySet<string> = new Set([
  'set_nr',
  'set_nr_node',
  'fault',
  'mount',
  'mmap',
  'munmap',
  'mprotect',
  'fork',
  'truncate',
  'punch',
  'close',
  'unlink',
  'umount',
  'madvise_dontneed',
  'mremap',
  'memfd_create',
  'uffd_register',
  'uffd_continue',
  'dissolve',
  'fallocate',
  'pin',
  'unpin',
  'udmabuf',
  'uffd_copy',
  'set_overcommit',
  'soft_offline',
]);

/** An op outside NODE_OPS, made to refuse a state with per-node counters (one line, names the op). */
export function nodeGuard<O extends Op>(name: string, op: O): O {
  if (NODE_OPS.has(name)) return op;
  const [first, ...rest] = op.steps;
  if (!first) return op;
  const guarded = {
    ...first,
    run(g: G, t: T): StepResult {
      if (g.nd.length > 0)
        throw new Error(
          `hugetlb: ${name} does not track the node of a huge page; with params.nodePool > 1 only ${[...NODE_OPS].join(', ')} run`,
        );
      return first.run(g, t);
    },
  };
  return { ...op, steps: [guarded, ...rest] };
}

/** Node nid's counters (with one node: the global ones, as a copy). */
export function nodeCounts(g: Readonly<G>, nid: number): Node {
  return g.nd.length > 0 ? at(g.nd, nid) : { nr: g.nr, free: g.free, surp: g.surp };
}

/** Add to the global counters and, with several nodes, to node nid's. */
export function account(g: G, nid: number, nr: number, free: number, surp: number): void {
  if (g.off.length > 0 && g.off[0] === nid) offlineSees(g, nid, nr, free);
  accountRaw(g, nid, nr, free, surp);
}

/**
 * A memory offline in flight on node nid (g.off = [nid, bf, bu, bz], dissolve.ts) and a page of
 * that node coming or going elsewhere. Its block holds pages of the node that were free or on
 * their way to the free list when it started. Which page a dequeue or a removal takes from the free
 * list, and which page comes back to it, is not kept (free pages are not told apart), so:
 * a page taken from the free list is one of the block's only when the node has no other free page
 * (enqueue_huge_page adds at the head and dequeue takes the head: the pages freed since the offline
 * started come first); a page given back is one of the block's when the block has one away (being
 * freed first, then in use). Coarsening: the orders in which a page freed back is not the block's
 * while a block page is still away, or the block's page is taken while another one is free, are
 * not explored. A new pool page never comes from the isolated block (nr > 0: not the block's).
 */
function offlineSees(g: G, nid: number, nr: number, free: number): void {
  let [, bf = 0, bu = 0, bz = 0] = g.off;
  const nodeFree = g.nd.length > 0 ? at(g.nd, nid).free : g.free;
  if (free < 0) {
    for (let k = 0; k < -free; k++)
      if (nodeFree - k <= bf) {
        bf--; // the block's free page: into use (dequeue) or out of the pool (removal)
        if (nr === 0) bu++;
      }
  } else if (free > 0 && nr === 0) {
    for (let k = 0; k < free; k++)
      if (bz > 0 || bu > 0) {
        if (bz > 0) bz--;
        else bu--;
        bf++;
      }
  } else if (free === 0 && nr < 0) {
    // a page in use or being freed goes straight back to buddy (its node has surplus pages)
    if (bz > 0) bz--;
    else if (bu > 0) bu--;
  }
  g.off = [nid, bf, bu, bz];
}

/** account() without the memory offline's bookkeeping: the offline's own dissolves. */
export function accountRaw(g: G, nid: number, nr: number, free: number, surp: number): void {
  g.nr += nr;
  g.free += free;
  g.surp += surp;
  if (g.nd.length === 0) return;
  const n = at(g.nd, nid);
  n.nr += nr;
  n.free += free;
  n.surp += surp;
}

const persistent = (g: Readonly<G>): number => g.nr - g.surp;

/**
 * free_pool_huge_page(h, &node_states[N_MEMORY], acct_surplus = 1) for
 * return_unused_surplus_pages: a free page on a node with surplus pages goes
 * back to buddy (nr, free and surplus of that node drop). False when no node
 * has one. Which node: for_each_node_mask_to_free's cursor (a choice here).
 */
export function freePoolSurplusPage(g: G, t: T): boolean {
  if (g.nd.length === 0) {
    if (!(g.surp > 0 && g.free > 0)) return false;
    account(g, 0, -1, -1, -1);
    return true;
  }
  const nid = cursorWalk(g, t, 'ntf', (k) => at(g.nd, k).surp > 0 && at(g.nd, k).free > 0);
  if (nid < 0) return false;
  account(g, nid, -1, -1, -1);
  return true;
}

/**
 * for_each_node_mask_to_alloc / for_each_node_mask_to_free over N_MEMORY (every node), stopping at
 * the first node ok accepts: hstate_next_node_to_alloc / _to_free hand out the cursor's node and
 * advance it to next_node_allowed (mm/hugetlb.c @ v6.1), so after a hit on nid the cursor stands
 * on the node after nid; a walk without a hit visits every node and leaves the cursor where it
 * was. An unknown cursor (-1) may stand anywhere: every node ok accepts is a choice. -1: no node.
 * With one node (g.nd empty) the cursor is not kept.
 */
function cursorWalk(g: G, t: T, key: 'nta' | 'ntf', ok: (nid: number) => boolean): number {
  const n = g.nd.length;
  if (n === 0) return ok(0) ? 0 : -1;
  let nid = -1;
  if (g[key] < 0) {
    const cands = g.nd.map((_, k) => k).filter(ok);
    if (cands.length > 0) nid = cands.length === 1 ? at(cands, 0) : at(cands, t.choose(cands.length));
  } else for (let i = 0; i < n && nid < 0; i++) if (ok((g[key] + i) % n)) nid = (g[key] + i) % n;
  if (nid >= 0) g[key] = (nid + 1) % n;
  return nid;
}

/**
 * The same walk over nodes_allowed = {nid} (a node's own write): get_valid_node_allowed gives nid
 * and next_node_allowed(nid, {nid}) is nid again, so the cursor stands on nid after it.
 */
function cursorOn(g: G, key: 'nta' | 'ntf', nid: number): void {
  if (g.nd.length > 0) g[key] = nid;
}

/**
 * adjust_pool_surplus(h, &node_states[N_MEMORY], delta) for the global write: delta -1 takes a
 * surplus page of a node that has one (for_each_node_mask_to_alloc), +1 marks a page of a node
 * with pages not yet surplus (for_each_node_mask_to_free). False when no node qualifies.
 */
export function adjustPoolSurplusAny(g: G, t: T, delta: 1 | -1): boolean {
  const ok = (k: number): boolean => {
    const n = nodeCounts(g, k);
    return delta < 0 ? n.surp > 0 : n.surp < n.nr;
  };
  const nid = cursorWalk(g, t, delta < 0 ? 'nta' : 'ntf', ok);
  if (nid < 0) return false;
  account(g, nid, 0, 0, delta);
  return true;
}

/**
 * alloc_pool_huge_page(h, N_MEMORY, ...): the node a fresh page is allocated on (for_each_node_mask_to_alloc:
 * the cursor's node, buddy not failing there).
 */
export const allocPoolNid = (g: G, t: T): number => cursorWalk(g, t, 'nta', () => true);

/**
 * remove_pool_huge_page(h, N_MEMORY, 0) for the global write's shrink: a free page of a node with
 * free pages (for_each_node_mask_to_free) leaves the pool with no surplus accounting, whatever
 * that node's surplus count (a node whose free pages are all surplus then counts more surplus
 * pages than pages: surplus-bounded reports it). False when no node has a free page.
 */
export function removePoolHugePage(g: G, t: T): boolean {
  const nid = cursorWalk(g, t, 'ntf', (k) => nodeCounts(g, k).free > 0);
  if (nid < 0) return false;
  account(g, nid, -1, -1, 0);
  return true;
}

/** adjust_pool_surplus(h, {nid}, delta): one page of node nid changes between surplus and persistent. */
function adjustPoolSurplus(g: G, nid: number, delta: 1 | -1): boolean {
  cursorOn(g, delta < 0 ? 'nta' : 'ntf', nid);
  const n = nodeCounts(g, nid);
  if (delta < 0 ? n.surp === 0 : n.surp >= n.nr) return false;
  account(g, nid, 0, 0, delta);
  return true;
}

/**
 * set_max_huge_pages' min_count under hugetlb_lock: what the shrink keeps besides count, the reserved
 * pages and the persistent pages in use. aabf58bfaace "mm/hugetlb: fix set_max_huge_pages() when
 * there are surplus pages" (v6.15-rc3, Jinjiang Tu) counts the free persistent pages (all free
 * pages while they do not exceed the persistent ones, else those beyond the surplus count: a free
 * surplus page left by a failed vmemmap restore) instead of resv + nr - free, which counted surplus
 * pages in use as persistent pages in use: a node's free persistent pages were then marked surplus
 * instead of freed. Matches mm/hugetlb.c set_max_huge_pages() at mainline (persistent_free_count,
 * "we should calculate persistent free count first"; free > persistent ? free - surplus, or 0 : free).
 */
export function shrinkMinCount(g: Readonly<G>, t: T, count: number): number {
  if (t.bug('aabf58bfaace')) return Math.max(count, g.resv + g.nr - g.free);
  const persistentFree = g.free <= persistent(g) ? g.free : Math.max(0, g.free - g.surp);
  return Math.max(count, g.resv + persistent(g) - persistentFree);
}

/** decrease_pool: remove free pages of node nid down to min_count, then (lock dropped) the adjust step. */
function decreasePool(g: G, t: T): StepResult {
  const nid = argInt(t, 'nid');
  const minCount = shrinkMinCount(g, t, t.l.count);
  // remove_pool_huge_page(h, nodes_allowed, 0): a free page of node nid, no surplus accounting
  if (minCount < persistent(g)) cursorOn(g, 'ntf', nid); // the loop's first remove_pool_huge_page(h, {nid}, 0)
  while (minCount < persistent(g) && nodeCounts(g, nid).free > 0) account(g, nid, -1, -1, 0);
  return 'adjust_pool_surplus'; // spin_unlock_irq: update_and_free_pages_bulk of the removed pages
}

export const setNrNodeOp: Op = {
  doc: 'write nodes/node<nid>/hugepages/.../nr_hugepages: set_max_huge_pages(h, count, nid, {nid}) with count made global under hugetlb_lock',
  locals: LOCALS,
  steps: [
    {
      name: 'set_max_huge_pages',
      enabled: (g) => g.resize === 0, // mutex_lock(&h->resize_lock)
      run(g, t) {
        const nid = argInt(t, 'nid');
        g.resize = t.tid + 1;
        // spin_lock_irq(&hugetlb_lock); "Check for a node specific request": make count global
        const n = nodeCounts(g, nid);
        const count =
          argInt(t, 'n') +
          (t.bug('b72b3c9c34c8')
            ? g.nr - n.nr // before b72b3c9c34c8: counts other nodes' surplus pages as persistent
            : persistent(g) - (n.nr - n.surp));
        // fd875dca7c71's overflow check (count < old_count -> ULONG_MAX) needs surplus_huge_pages_node[] >
        // nr_huge_pages_node[] on another node, which only the global write's removals leave behind
        if (count < argInt(t, 'n')) throw new Error('hugetlb: set_nr_node: count wrapped (ULONG_MAX) is not modelled');
        t.l.count = count;
        // Increase the pool size: first take node nid's pages out of surplus state
        while (g.surp > 0 && t.l.count > persistent(g)) if (!adjustPoolSurplus(g, nid, -1)) break;
        if (t.l.count > persistent(g)) return 'alloc_pool_huge_page';
        return decreasePool(g, t);
      },
    },
    {
      // hugetlb_lock dropped per fresh page; alloc_pool_huge_page(h, {nid}, ...) allocates on node nid
      name: 'alloc_pool_huge_page',
      run(g, t) {
        cursorOn(g, 'nta', argInt(t, 'nid')); // for_each_node_mask_to_alloc(h, .., {nid})
        if (t.inject('alloc_buddy')) {
          resizeUnlock(g, t); // goto out
          return done('ok');
        }
        account(g, argInt(t, 'nid'), 1, 1, 0); // prep_new_huge_page + enqueue on node nid
        if (t.l.count > persistent(g)) return 'alloc_pool_huge_page';
        return decreasePool(g, t);
      },
    },
    {
      name: 'adjust_pool_surplus',
      run(g, t) {
        // spin_lock_irq(&hugetlb_lock): the rest of node nid's excess becomes surplus
        while (t.l.count < persistent(g)) if (!adjustPoolSurplus(g, argInt(t, 'nid'), 1)) break;
        resizeUnlock(g, t);
        return done('ok');
      },
    },
  ],
};
