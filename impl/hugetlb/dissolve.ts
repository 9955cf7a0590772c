/**
 * Memory offline of a block holding a huge page of the pool (issue 10 item 6):
 * dissolve_free_hugetlb_folio (mm/hugetlb.c @ v6.12), reached from
 * offline_pages -> dissolve_free_hugetlb_folios. Only a free page is
 * dissolved, and only while the pool has a free unreserved page
 * (available_huge_pages: "Reserved pages cannot be dissolved"); a page in use
 * is -EBUSY here (offline would migrate it first: not modelled). The page
 * leaves the pool: HugePages_Total drops, and max_huge_pages with it; it leaves
 * as a surplus page when its node has surplus pages (adjust_surplus =
 * surplus_huge_pages_node[folio_nid(folio)], added by cb402bbdabca "mm/hugetlb:
 * fix surplus pages in dissolve_free_huge_page()", v6.14; before it
 * remove_hugetlb_folio(h, folio, false) kept the node's surplus count, so a
 * node could count more surplus pages than it has).
 *
 * With several nodes (params.nodePool > 1) the block may hold a free page of
 * any node: the check is global (available_huge_pages), so a free page of a
 * node whose free pages are all reserved is dissolved while another node's
 * free page backs the reservation (the reproducer of cb402bbdabca).
 *
 * Which page the block holds is the kernel's freedom: a page on the free list,
 * or a page whose last reference was just dropped by a batch release
 * (folio_batch_release: folio_put_testzero, then free_huge_folio takes
 * hugetlb_lock; g.freeing counts those). 7ffddd499ba6 "mm: hugetlb: fix a
 * race between freeing and dissolving the page" makes dissolve wait for such a
 * page to reach the free list (HPageFreed: cond_resched; goto retry).
 * Coarsening: after the retry the page is on the free list; its being
 * allocated again meanwhile (-EBUSY) is not explored.
 */
import { done } from '../../checker/types.js';
import type { StepResult } from './labels.js';
import { type Op, type T, LOCALS } from './context.js';
import type { G } from './state.js';
import { account, nodeCounts } from './nodes.js';
import { freeNid } from './node-pages.js';

/**
 * Under hugetlb_lock: dissolve a page on the free list (folio_ref_count 0, HPageFreed). `only`: the
 * page is on that node (a soft offline's old folio); when the node has no free page left, the folio
 * was allocated again (folio_ref_count != 0): -EBUSY. Coarsening: any free page of that node stands
 * for the old folio.
 */
export function dissolveFree(g: G, t: T, only?: number): StepResult {
  if (g.free - g.resv <= 0) return done('EBUSY'); // !available_huge_pages(h)
  if (only !== undefined && nodeCounts(g, only).free === 0) return done('EBUSY');
  const nid = only ?? freeNid(g, t); // the offlined block holds a free page of any node (the user's choice)
  // adjust_surplus = h->surplus_huge_pages_node[folio_nid(folio)] != 0 (cb402bbdabca; before it: false)
  const adjust = nodeCounts(g, nid).surp > 0 && !t.bug('cb402bbdabca');
  // remove_hugetlb_folio(h, folio, adjust_surplus); h->max_huge_pages--; update_and_free_hugetlb_folio
  account(g, nid, -1, -1, adjust ? -1 : 0);
  return done('ok');
}

export const dissolveOp: Op = {
  doc: 'offline a memory block holding a huge page: dissolve_free_hugetlb_folio (a free unreserved page leaves the pool; in use or reserved: EBUSY)',
  locals: LOCALS,
  steps: [
    {
      name: 'dissolve_free_hugetlb_folio',
      run(g: G, t: T) {
        // the block's page: on the free list, or one a batch release has put to refcount 0
        const freeing = g.freeing > 0 && (g.free === 0 || t.choose(2) === 1);
        if (!freeing) return g.free > 0 ? dissolveFree(g, t) : done('EBUSY'); // in use: not dissolved
        if (g.free - g.resv + 1 <= 0) return done('EBUSY'); // available_huge_pages (the freed page not counted yet)
        if (!t.bug('7ffddd499ba6')) return 'dissolve_free_hugetlb_folio:retry'; // !folio_test_hugetlb_freed
        if (g.nd.length > 0) throw new Error('hugetlb: variant 7ffddd499ba6 is modelled with one node only');
        // before 7ffddd499ba6: PageHuge && !page_count is enough: list_del of a page not on the list,
        // free_huge_pages-- for it, and the page goes to buddy while its freer's free_huge_folio still
        // enqueues it: the hugetlb free list then holds memory the page allocator owns (g.ghost)
        g.free--;
        g.nr--;
        if (g.surp > 0) g.surp--;
        g.ghost++;
        return done('ok');
      },
    },
    {
      // spin_unlock; cond_resched; goto retry: the page is on the free list by now
      name: 'dissolve_free_hugetlb_folio:retry',
      enabled: (g) => g.freeing === 0,
      run: (g, t) => (g.free > 0 ? dissolveFree(g, t) : done('EBUSY')),
    },
  ],
};
