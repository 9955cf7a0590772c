/**
 * Reclaim of the file folio's page cache: the legs of mm/vmscan.c shrink_folio_list() @ v6.12 that a file folio
 * takes, with mm/rmap.c try_to_unmap_one() @ v6.12 over the i_mmap walk and mm/vmscan.c __remove_mapping() @ v6.12.
 *
 * The model's file is a regular file's page cache (the large folio khugepaged's collapse_file makes from it; not
 * shmem): not anon, not swap-backed, never dirty (no write reaches it).
 *
 *   - No add_to_swap(): `folio_test_anon(folio) && folio_test_swapbacked(folio)` is false.
 *   - try_to_unmap(folio, TTU_BATCH_FLUSH | TTU_SPLIT_HUGE_PMD | TTU_SYNC for a large folio): rmap_walk_file()
 *     under i_mmap_lock_read; per VMA, page_vma_mapped_walk() meets the PMD (!pvmw.pte) under the PMD lock and
 *     try_to_unmap_one() calls split_huge_pmd_locked(vma, address, pmd, false, folio), whose
 *     __split_huge_pmd_locked() @ v6.12 (mm/huge_memory.c) zaps a file PMD (pmdp_huge_clear_flush,
 *     folio_remove_rmap_pmd, folio_put) instead of making PTEs; page_vma_mapped_walk_restart() then finds no PTE
 *     table there. PTEs of the folio are cleared one by one (folio_remove_rmap_pte, folio_put). A dirty PTE or PMD
 *     would mark the folio dirty (folio_mark_dirty): never set on the model's file.
 *   - Still mapped afterwards: activate_locked. "Folio is unmapped now so it cannot be newly pinned anymore":
 *     folio_maybe_dma_pinned() → activate_locked. A dirty file folio would be activated
 *     (`folio_is_file_lru(folio) && !current_is_kswapd()`); never dirty here.
 *   - __remove_mapping(mapping, folio, true): folio_ref_freeze(folio, 1 + folio_nr_pages(folio)) fails on any
 *     other reference: keep_locked. Success: __filemap_remove_folio(), then the folio is freed.
 */
// Deliberate parallel of impl/thp's reclaim-file.ts: the same kernel legs over the folio-era rmap (folio_remove_rmap_pmd / _ptes, _pincount), kept apart so spec/thp judges each implementation on its own.
import {
  PTE_NONE,
  PTE_PRESENT,
  folio_maybe_dma_pinned,
  folio_put,
  folio_ref_count,
  type FolioState,
  type MmT,
  type T,
} from './folio.js';
import { folio_remove_rmap_pmd, folio_remove_rmap_ptes } from './rmap.js';

type G = FolioState;

/** __split_huge_pmd_locked(vma, pmd, haddr, false) of a file PMD (mm/huge_memory.c @ v6.12), under the PMD lock: zapped. */
export function file_split_huge_pmd_locked(g: G, t: T, mm: MmT): void {
  mm.pmd = 'none';
  mm.pmd_write = false;
  folio_remove_rmap_pmd(g, t);
  folio_put(g, t, 0);
}

/** try_to_unmap_one() of a file folio on mm's present PTEs of `set` inside the VMA piece `piece` (subpage mask). */
export function file_unmap_ptes(g: G, t: T, mm: MmT, set: readonly number[], piece: number): void {
  if (mm.pmd !== 'table') return;
  for (const i of set) {
    if (mm.pte[i] !== PTE_PRESENT || !(piece & (1 << i))) continue;
    mm.pte[i] = PTE_NONE;
    mm.pte_write[i] = false;
    folio_remove_rmap_ptes(g, t, i, 1);
    folio_put(g, t, i);
  }
}

/**
 * shrink_folio_list() @ v6.12 after the unmap, for the unmapped, locked file folio h (its pages `set`): 'activate'
 * when maybe pinned, 'keep' when the freeze fails, else 'ok': out of the page cache and freed.
 */
export function file_remove_mapping(g: G, t: T, h: number, set: readonly number[]): 'ok' | 'activate' | 'keep' {
  if (folio_maybe_dma_pinned(g, h)) return 'activate';
  if (folio_ref_count(g, h) !== 1 + set.length) return 'keep'; /* folio_ref_freeze() failed */
  for (const j of set) g.pages[j]!.in_cache = false; /* __filemap_remove_folio() */
  g.pages[h]!.locked = 0; /* folio_unlock() before the free */
  folio_put(g, t, h, 1 + set.length);
  return 'ok';
}
