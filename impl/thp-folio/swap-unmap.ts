/**
 * try_to_unmap_one() for reclaim, folio era (mm/rmap.c @ v6.12): the PMD split
 * of TTU_SPLIT_HUGE_PMD inside the page_vma_mapped_walk() loop and the swap
 * PTEs of one VMA under its PTL.
 */
// Deliberate parallel of impl/thp's swap-unmap.ts: the same role over the folio-era rmap (folio_add_rmap_ptes, folio_remove_rmap_pmd/ptes, folio_try_share_anon_rmap_pte), kept apart so spec/thp judges each implementation on its own.
import { put_copy } from './cow.js';
import {
  GUP_PIN_COUNTING_BIAS,
  PTE_COPY,
  PTE_PRESENT,
  swp_entry,
  folio_get,
  folio_maybe_dma_pinned,
  folio_put,
  type FolioState,
  type MmT,
  type T,
} from './folio.js';
import { folio_add_rmap_ptes, folio_remove_rmap_pmd, folio_remove_rmap_ptes } from './rmap.js';

type G = FolioState;

/**
 * split_huge_pmd_locked(vma, address, pmd, freeze = false, folio) → __split_huge_pmd_locked() (mm/huge_memory.c
 * @ v6.12), called by try_to_unmap_one() @ v6.12 under the PMD lock page_vma_mapped_walk() holds, which then
 * drops it and restarts the walk on the PTEs (page_vma_mapped_walk_restart); v6.6 calls split_huge_pmd_address()
 * ahead of the walk, under the same lock, so the model's steps are one for both: a PTE per page with the PMD's
 * write bit, folio_ref_add(HPAGE_PMD_NR - 1),
 * folio_add_anon_rmap_ptes(RMAP_EXCLUSIVE when the head was PageAnonExclusive), folio_remove_rmap_pmd().
 */
export function split_huge_pmd_locked(g: G, t: T, mm: MmT): void {
  const n = t.params.nr;
  folio_get(g, 0, n - 1);
  folio_add_rmap_ptes(g, 0, n, g.pages[0]!.anon_exclusive);
  for (let i = 0; i < n; i++) {
    mm.pte[i] = PTE_PRESENT;
    mm.pte_write[i] = mm.pmd_write;
    mm.pte_excl[i] = false;
  }
  mm.pmd_write = false;
  mm.pmd = 'table';
  folio_remove_rmap_pmd(g, t);
}

/**
 * try_to_unmap_one() on mm's present PTEs of the pages in `set`, under the PTL (mm/rmap.c @ v6.12): each becomes
 * a swap PTE (swap_duplicate(); pte_swp_mkexclusive() when the page was PageAnonExclusive, 1493a1913e34), and
 * folio_remove_rmap_pte() + folio_put() drop its mapping. For an exclusive page, folio_try_share_anon_rmap_pte()
 * fails on a maybe-pinned folio: swap_free(), the PTE is restored and the walk aborts (walk_abort: returns
 * false). The model's reclaim has no VM_LOCKED, MADV_FREE or hwpoison pages.
 */
export function try_to_unmap_ptes(g: G, t: T, mm: MmT, set: readonly number[], piece: number): boolean {
  if (mm.pmd !== 'table') return true;
  // 6c287605fd56: neither the refusal of a maybe-pinned exclusive page nor the swap PTE's exclusive bit
  const v = t.bug('6c287605fd56');
  for (const i of set) {
    if (mm.pte[i] !== PTE_PRESENT || !(piece & (1 << i))) continue;
    const anon_exclusive = g.pages[i]!.anon_exclusive;
    g.swap[i]!.count++; /* swap_duplicate() */
    /* "See folio_try_share_anon_rmap(): clear PTE first": -EBUSY when the folio may be pinned */
    if (anon_exclusive && folio_maybe_dma_pinned(g, i) && !v) {
      g.swap[i]!.count--; /* swap_free(entry); set_pte_at(mm, address, pvmw.pte, pteval) */
      return false;
    }
    g.pages[i]!.anon_exclusive = false; /* folio_try_share_anon_rmap_pte(): ClearPageAnonExclusive */
    mm.pte[i] = swp_entry(i, anon_exclusive && !v);
    mm.pte_write[i] = false;
    mm.pte_excl[i] = false;
    folio_remove_rmap_ptes(g, t, i, 1); /* folio_remove_rmap_pte() */
    folio_put(g, t, i);
  }
  return true;
}

/**
 * try_to_unmap_one() of mm's PTEs mapping copy k (a small anon folio that is not the tracked one: a COW copy, an
 * unshared page, a folio read back from swap) under the PTL, with the swap slot s add_to_swap() gave it: the same
 * steps as above (swap_duplicate(), folio_try_share_anon_rmap_pte()'s refusal of a maybe-pinned exclusive folio,
 * the exclusive bit), folio_remove_rmap_pte() + folio_put() per PTE (mm/rmap.c try_to_unmap_one() @ v6.12).
 */
export function try_to_unmap_copy(g: G, t: T, mm: MmT, k: number, s: number, piece: number): boolean {
  if (mm.pmd !== 'table') return true;
  // 6c287605fd56: neither the refusal of a maybe-pinned exclusive page nor the swap PTE's exclusive bit
  const v = t.bug('6c287605fd56');
  const c = g.copies[k]!;
  for (let i = 0; i < mm.pte.length; i++) {
    if (mm.pte[i] !== PTE_COPY + k || !(piece & (1 << i))) continue;
    const anon_exclusive = c.anon_exclusive;
    g.swap[s]!.count++; /* swap_duplicate() */
    if (anon_exclusive && c.refcount >= GUP_PIN_COUNTING_BIAS && !v) {
      g.swap[s]!.count--; /* swap_free(entry); set_pte_at(mm, address, pvmw.pte, pteval) */
      return false;
    }
    c.anon_exclusive = false;
    mm.pte[i] = swp_entry(s, anon_exclusive && !v);
    mm.pte_write[i] = false;
    mm.pte_excl[i] = false;
    c.mapcount--; /* folio_remove_rmap_pte() */
    put_copy(g, k);
  }
  return true;
}
