/**
 * Reclaim of the file THP's page cache: the legs of mm/vmscan.c shrink_folio_list() @ v6.1 (Debian's 6.1.192 names
 * it shrink_folio_list; the model's step names keep shrink_page_list, as the anon steps do) that a file folio takes,
 * with mm/rmap.c try_to_unmap_one() @ v6.1 over the i_mmap walk and mm/vmscan.c __remove_mapping() @ v6.1.
 *
 * The model's file is a regular file's page cache (the file THP khugepaged's collapse_file makes from it, as
 * CONFIG_READ_ONLY_THP_FOR_FS does; not shmem): not anon, not swap-backed, never dirty (no write reaches it).
 *
 *   - No add_to_swap(): `folio_test_anon(folio) && folio_test_swapbacked(folio)` is false, and the split of a
 *     large shmem folio (`folio_test_swapbacked(folio) && folio_test_large(folio)`) does not apply.
 *   - try_to_unmap(folio, TTU_BATCH_FLUSH | TTU_SPLIT_HUGE_PMD) for a PMD-mappable folio: rmap_walk_file() under
 *     i_mmap_lock_read; per VMA try_to_unmap_one() calls split_huge_pmd_address(vma, address, false, folio) first,
 *     and __split_huge_pmd_locked() @ v6.1 (mm/huge_memory.c) of a file PMD does not make PTEs: `if
 *     (!vma_is_anonymous(vma))` it zaps the PMD (pmdp_huge_clear_flush_notify, page_remove_rmap(page, vma, true),
 *     put_page); then page_vma_mapped_walk() clears each PTE of the folio in that VMA (page_remove_rmap of the
 *     subpage, folio_put). A PTE or PMD dirty bit would mark the folio dirty (set_page_dirty / folio_mark_dirty):
 *     never set on the model's file.
 *   - Still mapped afterwards (a fault mapped it again behind the walk): activate_locked.
 *   - "Folio is unmapped now so it cannot be newly pinned anymore": folio_maybe_dma_pinned() → activate_locked
 *     (d824ec2a1546, v6.4: --kernel-version 5.10 / 5.13 lack it; the freeze below then fails on the pin alike).
 *   - A dirty folio would be activated here (`folio_is_file_lru(folio) && !current_is_kswapd()`: madvise and
 *     direct reclaim never write a file folio back): the model's file is never dirty.
 *   - __remove_mapping(mapping, folio, true): folio_ref_freeze(folio, 1 + folio_nr_pages(folio)) (isolation + the
 *     page cache's reference per page) fails on any other reference (a pin, a scanner, GUP-fast before its
 *     recheck): keep_locked. Success: __filemap_remove_folio() takes it out of the page cache, and it is freed
 *     (folio_unlock, free_it: destroy_large_folio / free_unref_page_list). PG_double_map "goes away when the page
 *     gets evicted from the page cache" (as the evict op, filemap.ts).
 */
import {
  BUG_ON,
  PTE_NONE,
  PTE_PRESENT,
  maybeDmaPinnedPage,
  page_count,
  put_page,
  type MmT,
  type T,
  type ThpState,
} from './page.js';
import { page_remove_rmap } from './rmap.js';

type G = ThpState;

/**
 * __split_huge_pmd_locked(vma, pmd, haddr, false) of a file PMD (mm/huge_memory.c @ v6.1), under the PMD lock:
 * zapped, not split into PTEs (a later fault maps the page cache again).
 */
export function file_split_huge_pmd_locked(g: G, t: T, mm: MmT): void {
  BUG_ON(mm.pmd_dirty, 'a dirty file PMD: the model never writes the file (set_page_dirty not modelled)');
  mm.pmd = 'none';
  mm.pmd_write = false;
  page_remove_rmap(g, t, 0, true);
  put_page(g, t, 0);
}

/** try_to_unmap_one() of a file folio on mm's present PTEs of `set` inside the VMA piece `piece` (subpage mask). */
export function file_unmap_ptes(g: G, t: T, mm: MmT, set: readonly number[], piece: number): void {
  if (mm.pmd !== 'table') return;
  for (const i of set) {
    if (mm.pte[i] !== PTE_PRESENT || !(piece & (1 << i))) continue;
    BUG_ON(mm.pte_dirty[i]!, 'a dirty file PTE: the model never writes the file (folio_mark_dirty not modelled)');
    mm.pte[i] = PTE_NONE;
    mm.pte_write[i] = false;
    page_remove_rmap(g, t, i, false);
    put_page(g, t, i);
  }
}

/**
 * shrink_folio_list() @ v6.1 after the unmap, for the unmapped, locked file page h (its pages `set`): 'activate'
 * when maybe pinned, 'keep' when the freeze fails, else 'ok': out of the page cache and freed.
 */
export function file_remove_mapping(g: G, t: T, h: number, set: readonly number[]): 'ok' | 'activate' | 'keep' {
  if (maybeDmaPinnedPage(g, h) && !t.bug('d824ec2a1546')) return 'activate'; /* lacking before v6.4 (5.10, 5.13) */
  if (page_count(g, h) !== 1 + set.length) return 'keep'; /* folio_ref_freeze() failed */
  for (const j of set) g.pages[j]!.in_cache = false; /* __filemap_remove_folio() */
  if (set.length > 1) g.double_map = false;
  g.pages[h]!.locked = 0; /* folio_unlock() before the free */
  put_page(g, t, h, 1 + set.length);
  return 'ok';
}
