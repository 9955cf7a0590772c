/**
 * Swap entries of the tracked folio, folio era: the slots of its swap
 * cluster, the swap cache, zap of a swap PTE and do_swap_page() (mm/swapfile.c,
 * mm/swap_state.c, mm/memory.c @ v6.12).
 *
 * The model's swap device (impl/thp-common/swap-entry.ts): one cluster of nr
 * slots for the folio (add_to_swap() of a PMD-sized folio takes a whole
 * cluster: slot i holds page i), then a pool of slots for small folios that
 * are not the tracked one (private copies); a swap PTE names its slot
 * (swp_offset). Written synchronously (zram-like, SWP_SYNCHRONOUS_IO) and never more than
 * half full (vm_swap_full() is false). A slot holds its swap_map count (swap
 * PTEs), the folio in the swap cache for it (a page of the tracked folio, or a
 * small folio do_swap_page read in) and the data written out.
 *
 * do_swap_page() @ v6.12 maps a large folio it finds in the swap cache
 * entirely when all of its PTEs in the VMA are its swap entries with the same
 * bits (508758960b8d "mm: swap: entirely map large folios found in swapcache",
 * v6.11: swap_pte_batch() compares whole PTEs, the exclusive bit included);
 * otherwise it maps one page (6.6, lacking it, always one page). A folio read in from swap is small: v6.12's
 * large swap-in (alloc_swap_folio(), SWP_SYNCHRONOUS_IO) allocates only orders
 * below PMD_ORDER, and the model's folio is PMD-sized.
 */
// Deliberate parallel of impl/thp's swap.ts: the same swap device over the folio-era state (folio references on the head, PageAnonExclusive per page, the v6.12 do_swap_page with whole-folio mapping), kept apart so spec/thp judges each implementation on its own.
import { slotFreeIfUnused } from '../thp-common/swap-entry.js';
import { alloc_copy, put_copy } from './cow.js';
import {
  BUG_ON,
  PTE_COPY,
  PTE_PRESENT,
  folioOf,
  folio_get,
  folio_mapped,
  folio_put,
  folio_ref_count,
  inLarge,
  isSwapPte,
  pte_swp_exclusive,
  swp_offset,
  type FolioState,
  type MmT,
  type T,
} from './folio.js';
import { folio_add_rmap_ptes } from './rmap.js';

type G = FolioState;

/** The pages of the folio in the swap cache for slot i (the whole folio while large). */
export const swapSet = (g: Readonly<G>, i: number): number[] => (inLarge(g, i) ? g.pages.map((_, j) => j) : [i]);

/** folio_swapped(): a swap PTE still names a slot of the folio. */
const folio_swapped = (g: Readonly<G>, i: number): boolean => swapSet(g, i).some((j) => g.swap[j]!.count > 0);

/** __delete_from_swap_cache() of the pages in set: out of the swap cache, their slots without a folio. */
export function delete_from_swap_cache_set(g: G, set: readonly number[]): void {
  for (const j of set) {
    g.pages[j]!.swapcache = false;
    g.swap[j]!.page = -1;
    slotFreeIfUnused(g.swap[j]!);
  }
}

/**
 * folio_free_swap() → delete_from_swap_cache() (mm/swapfile.c, mm/swap_state.c @ v6.12) of the folio in the
 * swap cache for slot i, when no swap PTE names it any more (the caller holds the folio lock or its trylock
 * succeeded). Drops the swap cache's references (nr for a large folio); the slots go free with it.
 */
export function folio_free_swap(g: G, t: T, s: number): boolean {
  const slot = g.swap[s]!;
  const nr = t.params.nr;
  if (slot.page < 0) return false;
  if (slot.page >= nr) {
    if (slot.count > 0) return false;
    const k = slot.page - nr;
    g.copies[k]!.swap = 0;
    slot.page = -1;
    slotFreeIfUnused(slot);
    put_copy(g, k);
    return true;
  }
  if (folio_swapped(g, slot.page)) return false;
  const set = swapSet(g, slot.page);
  const h = folioOf(g, slot.page);
  delete_from_swap_cache_set(g, set);
  folio_put(g, t, h, set.length);
  return true;
}

/** folio_lock() of the folio in the swap cache for slot s is free (do_swap_page sleeps on it, e.g. behind reclaim). */
export function swapSlotUnlocked(g: Readonly<G>, t: T, s: number): boolean {
  const p = g.swap[s]!.page;
  if (p < 0) return true;
  if (p >= t.params.nr) return g.copies[p - t.params.nr]!.locked === 0;
  return g.pages[folioOf(g, p)]!.locked === 0;
}

/** A PTE that is not a swap entry, or one whose swap cache folio (if any) is unlocked. */
export const swapFolioUnlocked = (g: Readonly<G>, t: T, e: number): boolean =>
  !isSwapPte(e) || swapSlotUnlocked(g, t, swp_offset(e));

/**
 * zap_nonpresent_ptes() of a swap PTE: free_swap_and_cache_nr() (mm/swapfile.c @ v6.12): the swap count goes;
 * at SWAP_HAS_CACHE alone, __try_to_reclaim_swap(TTRS_UNMAPPED | TTRS_FULL) folio_trylock()s the folio in the
 * swap cache and frees its swap space when no page table maps it.
 */
export function free_swap_and_cache(g: G, t: T, s: number): void {
  const slot = g.swap[s]!;
  slot.count--;
  BUG_ON(slot.count < 0, `free_swap_and_cache: slot ${s} count went negative`);
  slotFreeIfUnused(slot); /* swap_entry_free() of the last count */
  if (slot.count > 0 || slot.page < 0) return;
  if (!swapSlotUnlocked(g, t, s)) return; /* folio_trylock() failed */
  const nr = t.params.nr;
  const mapped = slot.page >= nr ? g.copies[slot.page - nr]!.mapcount >= 0 : folio_mapped(g, t, slot.page);
  if (!mapped) folio_free_swap(g, t, s);
}

/**
 * The folio do_swap_page() maps for slot i: the one in the swap cache (with the lookup's reference), or a
 * fresh small folio read in; `fresh` when it skipped the swap cache (SWP_SYNCHRONOUS_IO and __swap_count() == 1:
 * "a fresh page that is not exposed to the swapcache", certainly exclusive). Returns its page id (< nr: a page
 * of the tracked folio; nr + k: copy k).
 */
function swapin_folio(g: G, t: T, s: number): { page: number; fresh: boolean } {
  const slot = g.swap[s]!;
  const nr = t.params.nr;
  if (slot.page >= 0) {
    if (slot.page < nr) folio_get(g, slot.page);
    else g.copies[slot.page - nr]!.refcount++;
    return { page: slot.page, fresh: false };
  }
  const k = alloc_copy(g, slot.data); /* one reference: the fault's; mapped below */
  const c = g.copies[k]!;
  c.mapcount = -1;
  c.anon_exclusive = false;
  if (slot.count === 1) return { page: nr + k, fresh: true };
  c.refcount++; /* swapin_readahead → add_to_swap_cache(): the swap cache's reference */
  c.swap = s + 1;
  slot.page = nr + k;
  return { page: nr + k, fresh: false };
}

/**
 * do_swap_page() (mm/memory.c @ v6.12) of mm's swap PTE at virtual page i, in one step under mmap_lock (read),
 * the folio lock of the swap cache folio and the PTL (the lookup's reference is taken with the lock: a
 * reference before folio_lock() that makes reclaim's freeze fail is what a scanner's reference already shows).
 * `write` is FAULT_FLAG_WRITE. Returns true when the new PTE is writable and the write needs no do_wp_page().
 */
export function do_swap_page(g: G, t: T, mm: MmT, i: number, write: boolean): boolean {
  const nr = t.params.nr;
  const orig = mm.pte[i]!;
  const s = swp_offset(orig);
  const { page, fresh } = swapin_folio(g, t, s);
  /* exclusive = pte_swp_exclusive(vmf->orig_pte); a fresh folio is certainly exclusive (1493a1913e34) */
  let exclusive = fresh || pte_swp_exclusive(orig);
  /* 508758960b8d: a large folio in the swap cache, all its PTEs the same swap PTE run: map it entirely */
  // 508758960b8d (6.6 lacks it, v6.11): one page at a time
  const large = !t.bug('508758960b8d');
  /* swap_pte_batch(): the folio's PTEs are swap entries of its slots in order, with the same exclusive bit */
  const batch =
    large &&
    page < nr &&
    inLarge(g, page) &&
    mm.pte.every((e, j) => isSwapPte(e) && swp_offset(e) === j && pte_swp_exclusive(e) === pte_swp_exclusive(orig));
  const pages = batch ? g.pages.map((_, j) => j) : [i];
  const slots = batch ? pages : [s];
  /* "A swap pte must never point at an anonymous page in the swapcache that is PG_anon_exclusive" */
  for (const j of pages)
    BUG_ON(page < nr && g.pages[j]!.anon_exclusive, `do_swap_page: page ${j} is PageAnonExclusive`);
  for (const j of slots) {
    g.swap[j]!.count--; /* swap_free_nr(entry, nr_pages) */
    slotFreeIfUnused(g.swap[j]!);
  }
  const refs = (): number => (page < nr ? folio_ref_count(g, page) : g.copies[page - nr]!.refcount);
  /*
   * should_try_to_free_swap(): a write fault when only the swap cache and this fault hold the folio,
   * folio_ref_count() == 1 + folio_nr_pages() ("mm: swap: make should_try_to_free_swap() support large-folio", v6.11)
   */
  const nrPages = large && page < nr && inLarge(g, page) ? nr : 1; /* 6.6: folio_ref_count() == 2 */
  if (write && g.swap[s]!.page >= 0 && refs() === 1 + nrPages) folio_free_swap(g, t, s);
  if (page < nr) folio_get(g, page, pages.length - 1); /* folio_ref_add(folio, nr_pages - 1) */
  /*
   * "Same logic as in do_wp_page()": after the folio_ref_add() above, 508758960b8d (v6.11) reuses when
   * exclusive || (folio_ref_count(folio) == nr_pages && folio_nr_pages(folio) == nr_pages), so a batch of
   * a whole large folio held by nothing else is exclusive; before it (6.6), folio_ref_count() == 1.
   * Then RMAP_EXCLUSIVE, pte_mkwrite on VM_WRITE.
   */
  exclusive = exclusive || (refs() === pages.length && (!large || nrPages === pages.length));
  /*
   * c18160dba5ff "mm: swap: reuse exclusive folio directly instead of wp page faults" (v6.11): an exclusive
   * folio is mapped writable on a read fault too; before it (6.6) maybe_mkwrite() on FAULT_FLAG_WRITE only.
   */
  const writable = exclusive && mm.vm_write && (write || !t.bug('c18160dba5ff'));
  for (const j of pages) {
    mm.pte[j] = page < nr ? PTE_PRESENT : PTE_COPY + (page - nr);
    mm.pte_write[j] = writable;
    mm.pte_excl[j] = false;
  }
  if (page < nr) folio_add_rmap_ptes(g, pages[0]!, pages.length, exclusive);
  else {
    const c = g.copies[page - nr]!;
    c.mapcount++; /* folio_add_new_anon_rmap() (fresh) / folio_add_anon_rmap_ptes() */
    if (exclusive) c.anon_exclusive = true;
  }
  return writable && write;
}
