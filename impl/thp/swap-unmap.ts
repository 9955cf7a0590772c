/**
 * try_to_unmap_one() for reclaim (mm/rmap.c @ v6.1): the PMD split of
 * TTU_SPLIT_HUGE_PMD and the swap PTEs of one VMA under its PTL.
 */
import { preExclusive } from './cow.js';
import {
  PTE_PRESENT,
  PTE_SWAP,
  PTE_SWAP_EXCLUSIVE,
  get_page,
  maybeDmaPinnedPage,
  put_page,
  type MmT,
  type T,
  type ThpState,
} from './page.js';
import { page_remove_rmap } from './rmap.js';

type G = ThpState;

/**
 * split_huge_pmd_address(vma, address, false, folio) → __split_huge_pmd_locked(freeze = false) (mm/huge_memory.c
 * @ v6.1) under the PMD lock: a PTE per subpage with the PMD's write and dirty bits, each subpage inheriting the
 * head's PG_anon_exclusive, its own mapcount and a reference (page_ref_add(page, HPAGE_PMD_NR - 1)); PG_double_map
 * when another PMD still maps the page (the v5.8 - v6.1 counters).
 */
export function splitPmdForReclaim(g: G, t: T, mm: MmT): void {
  const n = t.params.nr;
  get_page(g, 0, n - 1);
  for (let i = 0; i < n; i++) {
    if (g.pages[0]!.anon_exclusive) g.pages[i]!.anon_exclusive = true;
    mm.pte[i] = PTE_PRESENT;
    mm.pte_write[i] = mm.pmd_write;
    mm.pte_dirty[i] = mm.pmd_dirty;
    g.pages[i]!.mapcount++;
  }
  mm.pmd_write = false;
  mm.pmd_dirty = false;
  if (g.compound_mapcount + 1 > 1 && !g.double_map) {
    g.double_map = true;
    for (const p of g.pages) p.mapcount++;
  }
  g.compound_mapcount--; /* page_remove_rmap(page, vma, true) of the PMD mapping */
  if (g.compound_mapcount < 0 && g.double_map) {
    g.double_map = false;
    for (const p of g.pages) p.mapcount--;
  }
  mm.pmd = 'table';
}

/**
 * try_to_unmap_one() on mm's present PTEs of the pages in `set`, under the PTL (mm/rmap.c @ v6.1): each becomes
 * a swap PTE (swap_duplicate(); the exclusive bit when the page was PageAnonExclusive, 1493a1913e34), dropping its
 * mapcount and reference. An exclusive page that may be pinned is refused (page_try_share_anon_rmap() → -EBUSY:
 * swap_free(), the PTE is restored, the walk stops): returns false. Lacking 6c287605fd56 (v5.10 - v5.18) there
 * is no such refusal and no exclusive bit.
 */
export function swapUnmapPtes(g: G, t: T, mm: MmT, set: readonly number[]): boolean {
  if (mm.pmd !== 'table') return true;
  const pinned = maybeDmaPinnedPage(g, set[0]!);
  for (const i of set) {
    if (mm.pte[i] !== PTE_PRESENT) continue;
    const anon_exclusive = !preExclusive(t) && g.pages[i]!.anon_exclusive;
    g.swap[i]!.count++; /* swap_duplicate() */
    if (anon_exclusive && pinned) {
      g.swap[i]!.count--; /* swap_free(); set_pte_at(pteval): the PTE is restored */
      return false;
    }
    g.pages[i]!.anon_exclusive = false; /* page_try_share_anon_rmap(): ClearPageAnonExclusive */
    mm.pte[i] = anon_exclusive ? PTE_SWAP_EXCLUSIVE : PTE_SWAP;
    mm.pte_write[i] = false;
    mm.pte_dirty[i] = false;
    page_remove_rmap(g, t, i, false);
    put_page(g, t, i);
  }
  return true;
}
