/**
 * try_to_unmap_one() for reclaim (mm/rmap.c @ v6.1): the swap PTEs of one VMA
 * under its PTL (the PMD split of TTU_SPLIT_HUGE_PMD before it is
 * split-page.ts __split_huge_pmd_locked(freeze = false)).
 */
import { preExclusive, put_copy } from './cow.js';
import {
  GUP_PIN_COUNTING_BIAS,
  PTE_COPY,
  PTE_PRESENT,
  maybeDmaPinnedPage,
  put_page,
  swp_entry,
  type MmT,
  type T,
  type ThpState,
} from './page.js';
import { page_remove_rmap } from './rmap.js';

type G = ThpState;

/**
 * try_to_unmap_one() on mm's present PTEs of the pages in `set` inside the VMA piece `piece` (subpage mask), under the PTL (mm/rmap.c @ v6.1): each becomes
 * a swap PTE (swap_duplicate(); the exclusive bit when the page was PageAnonExclusive, 1493a1913e34), dropping its
 * mapcount and reference. An exclusive page that may be pinned is refused (page_try_share_anon_rmap() → -EBUSY:
 * swap_free(), the PTE is restored, the walk stops): returns false. Lacking 6c287605fd56 (v5.10 - v5.18) there
 * is no such refusal and no exclusive bit.
 */
export function swapUnmapPtes(g: G, t: T, mm: MmT, set: readonly number[], piece: number): boolean {
  if (mm.pmd !== 'table') return true;
  const pinned = maybeDmaPinnedPage(g, set[0]!);
  for (const i of set) {
    if (mm.pte[i] !== PTE_PRESENT || !(piece & (1 << i))) continue;
    const anon_exclusive = !preExclusive(t) && g.pages[i]!.anon_exclusive;
    g.swap[i]!.count++; /* swap_duplicate() */
    if (anon_exclusive && pinned) {
      g.swap[i]!.count--; /* swap_free(); set_pte_at(pteval): the PTE is restored */
      return false;
    }
    g.pages[i]!.anon_exclusive = false; /* page_try_share_anon_rmap(): ClearPageAnonExclusive */
    mm.pte[i] = swp_entry(i, anon_exclusive);
    mm.pte_write[i] = false;
    mm.pte_dirty[i] = false;
    page_remove_rmap(g, t, i, false);
    put_page(g, t, i);
  }
  return true;
}

/**
 * try_to_unmap_one() of mm's PTEs mapping copy k (a small anon page that is not the THP's: a COW copy, an
 * unshared page, a page read back from swap) under the PTL, with the swap slot s add_to_swap() gave it: the same
 * steps as above (swap_duplicate(), the refusal of a maybe-pinned exclusive page, the exclusive bit), the page's
 * mapcount and reference dropped per PTE (mm/rmap.c try_to_unmap_one() @ v6.1).
 */
export function swapUnmapCopy(g: G, t: T, mm: MmT, k: number, s: number, piece: number): boolean {
  if (mm.pmd !== 'table') return true;
  const c = g.copies[k]!;
  for (let i = 0; i < mm.pte.length; i++) {
    if (mm.pte[i] !== PTE_COPY + k || !(piece & (1 << i))) continue;
    const anon_exclusive = !preExclusive(t) && c.anon_exclusive;
    g.swap[s]!.count++; /* swap_duplicate() */
    if (anon_exclusive && c.refcount >= GUP_PIN_COUNTING_BIAS) {
      g.swap[s]!.count--; /* page_try_share_anon_rmap() -EBUSY: swap_free(), the PTE is restored */
      return false;
    }
    c.anon_exclusive = false;
    mm.pte[i] = swp_entry(s, anon_exclusive);
    mm.pte_write[i] = false;
    mm.pte_dirty[i] = false;
    c.mapcount--; /* page_remove_rmap() */
    put_copy(g, k);
  }
  return true;
}
