/**
 * Memory offline of a block holding huge pages of the pool (issue 10 item 6):
 * echo offline > /sys/devices/system/memory/memoryN/state -> offline_pages
 * (mm/memory_hotplug.c @ v6.1 / v6.12, under mem_hotplug_lock) -> after
 * isolating the range and migrating its movable pages,
 * dissolve_free_huge_pages(start_pfn, end_pfn) @ v6.1 /
 * dissolve_free_hugetlb_folios @ v6.12 (mm/hugetlb.c): a loop over the block's
 * pfns, one huge page at a time, each through dissolve_free_huge_page @ v6.1 /
 * dissolve_free_hugetlb_folio @ v6.12, which takes hugetlb_lock, dissolves the
 * page when it is free (refcount 0, on the free list) and the pool has a free
 * unreserved page (available_huge_pages: "Reserved pages cannot be
 * dissolved"), and drops the lock before the next page. The first page that
 * cannot be dissolved (in use, or no free unreserved page) ends the loop with
 * -EBUSY and offline_pages fails ("failure to dissolve huge pages"); "all free
 * hugetlb folios that were dissolved before that error are lost"
 * (dissolve_free_hugetlb_folios' comment). Both kernels loop the same way: Debian
 * 6.1.192 and 6.12.118 agreed with the one-page op only where the block held one
 * huge page.
 *
 * The block (g.off = [nid, bf, bu, bz] while the offline runs; mem_hotplug_lock
 * lets one run at a time): every huge page of node nid that is free or on its
 * way to the free list when the offline starts, none in use (the layout of the
 * probe VM's hot-plugged DIMM, where a node's pool pages sit; a page in use in
 * the block would be migrated first by do_migrate_range: not modelled, so the
 * modelled block holds none). bf: its pages on the free list not yet visited;
 * bu: its pages an allocation took meanwhile (dequeue_huge_page_node_exact does
 * not skip isolated pageblocks, so a fault can take a page of the block between
 * two dissolves); bz: its pages a batch release has put to refcount 0 and
 * free_huge_folio has not yet enqueued (g.freeing). nodes.ts account() moves
 * pages of node nid between these counts (offlineSees); a new pool page never
 * comes from the isolated block. Which unvisited page the pfn loop meets next is a
 * choice (the block's physical order is not modelled).
 *
 * A dissolved page leaves as a surplus page when its node has surplus pages
 * (adjust_surplus = surplus_huge_pages_node[folio_nid(folio)] @ v6.12 as Debian
 * ships it, cb402bbdabca "mm/hugetlb: fix surplus pages in
 * dissolve_free_huge_page()", v6.14 upstream; remove_hugetlb_page(h, head,
 * false) @ v6.1.192 kept the node's surplus count).
 */
import { done } from '../../checker/types.js';
import type { StepResult } from './labels.js';
import { type Op, type T, LOCALS, at } from './context.js';
import type { G } from './state.js';
import { accountRaw, nodeCounts } from './nodes.js';
import { freeNid } from './node-pages.js';

/** Remove a free page of node nid from the pool under hugetlb_lock (remove_hugetlb_folio + update_and_free). */
function removeFreePage(g: G, t: T, nid: number): void {
  // adjust_surplus = h->surplus_huge_pages_node[folio_nid(folio)] != 0 (cb402bbdabca; before it: false)
  const adjust = nodeCounts(g, nid).surp > 0 && !t.bug('cb402bbdabca');
  accountRaw(g, nid, -1, -1, adjust ? -1 : 0);
}

/**
 * Under hugetlb_lock: dissolve a page on the free list (folio_ref_count 0, HPageFreed). `only`: the
 * page is on that node (a soft offline's old folio); when the node has no free page left, the folio
 * was allocated again (folio_ref_count != 0): -EBUSY. Coarsening: any free page of that node stands
 * for the old folio.
 */
export function dissolveFree(g: G, t: T, only?: number): StepResult {
  if (g.free - g.resv <= 0) return done('EBUSY'); // !available_huge_pages(h)
  if (only !== undefined && nodeCounts(g, only).free === 0) return done('EBUSY');
  const nid = only ?? freeNid(g, t);
  removeFreePage(g, t, nid);
  return done('ok');
}

/** The offline ends (offline_pages returns): ret, and mem_hotplug_lock is released. */
function offlineEnd(g: G, ret: 'ok' | 'EBUSY'): StepResult {
  g.off = [];
  return done(ret);
}

/** The block's pages not yet visited. */
const unvisited = (g: Readonly<G>): number => at(g.off, 1) + at(g.off, 2) + at(g.off, 3);

export const dissolveOp: Op = {
  doc: 'offline a memory block holding huge pages of one node: dissolve_free_huge_pages / dissolve_free_hugetlb_folios, page by page under hugetlb_lock (free unreserved pages leave the pool; the first page in use or reserved ends it with EBUSY, the pages dissolved before stay out)',
  locals: LOCALS,
  steps: [
    {
      // offline_pages: mem_hotplug_lock (one offline at a time), start_isolate_page_range,
      // scan_movable_pages / do_migrate_range (the block holds no page in use: nothing to migrate)
      name: 'offline_pages',
      enabled: (g) => g.off.length === 0,
      run(g: G, t: T) {
        const nid = freeNid(g, t);
        const bz = g.nd.length === 0 ? g.freeing : 0; // pages on their way to the free list (one node)
        if (nid < 0 && bz === 0) return done('EBUSY'); // no huge page of the pool is free: the block holds one in use
        const node = nid < 0 ? 0 : nid;
        g.off = [node, nodeCounts(g, node).free, 0, bz];
        return 'dissolve_free_hugetlb_folio';
      },
    },
    {
      // one pass of the pfn loop: dissolve_free_hugetlb_folio(pfn_folio(pfn)), hugetlb_lock held inside
      name: 'dissolve_free_hugetlb_folio',
      run(g: G, t: T) {
        const [nid = 0, bf = 0, bu = 0, bz = 0] = g.off;
        // which of the block's unvisited pages the loop meets next: free, in use, or being freed
        const kinds = [bf > 0 ? 0 : -1, bu > 0 ? 1 : -1, bz > 0 ? 2 : -1].filter((k) => k >= 0);
        const kind = kinds.length === 1 ? at(kinds, 0) : at(kinds, t.choose(kinds.length));
        if (kind === 1) return offlineEnd(g, 'EBUSY'); // folio_ref_count != 0: -EBUSY
        if (g.free - g.resv + (kind === 2 ? 1 : 0) <= 0) return offlineEnd(g, 'EBUSY'); // !available_huge_pages(h)
        if (kind === 2) {
          if (!t.bug('7ffddd499ba6')) return 'dissolve_free_hugetlb_folio:retry'; // !folio_test_hugetlb_freed
          if (g.nd.length > 0) throw new Error('hugetlb: variant 7ffddd499ba6 is modelled with one node only');
          // before 7ffddd499ba6: PageHuge && !page_count is enough: list_del of a page not on the list,
          // free_huge_pages-- for it, and the page goes to buddy while its freer's free_huge_folio still
          // enqueues it: the hugetlb free list then holds memory the page allocator owns (g.ghost)
          g.free--;
          g.nr--;
          if (g.surp > 0) g.surp--;
          g.ghost++;
          g.off = [nid, bf, bu, bz - 1];
        } else {
          removeFreePage(g, t, nid);
          g.off = [nid, bf - 1, bu, bz];
        }
        return unvisited(g) === 0 ? offlineEnd(g, 'ok') : 'dissolve_free_hugetlb_folio';
      },
    },
    {
      // spin_unlock; cond_resched; goto retry: the page is on the free list by now
      name: 'dissolve_free_hugetlb_folio:retry',
      enabled: (g) => g.freeing === 0,
      run: () => 'dissolve_free_hugetlb_folio',
    },
  ],
};
