/**
 * Swap entries of the tracked THP: the swap slots of its cluster, the swap
 * cache, zap of a swap PTE and do_swap_page() (mm/swapfile.c, mm/swap_state.c,
 * mm/memory.c @ v6.1; the v5.10 form where 6c287605fd56 is lacking).
 *
 * The model's swap device (impl/thp-common/swap-entry.ts): one cluster of nr
 * slots for the THP (add_to_swap() of a THP takes a whole cluster: slot i
 * holds subpage i), then a pool of slots for small pages that are not the
 * THP's (private copies), written synchronously (zram-like,
 * SWP_SYNCHRONOUS_IO). A swap PTE names its slot (swp_offset). A slot holds
 * its swap_map count (swap PTEs), the page in the swap cache for it (a THP
 * subpage, or a small page: add_to_swap of a copy, or do_swap_page's read) and
 * the data written out.
 */
import { slotFreeIfUnused } from '../thp-common/swap-entry.js';
import { alloc_copy, preExclusive } from './cow.js';
import {
  BUG_ON,
  PTE_COPY,
  PTE_PRESENT,
  get_page,
  isSwapPte,
  page_mapcount,
  page_mapped,
  pte_swp_exclusive,
  put_page,
  swp_offset,
  type MmT,
  type T,
  type ThpState,
} from './page.js';
import { page_add_anon_rmap } from './rmap.js';

type G = ThpState;

/** The THP subpages that share the swap cache entry of slot i's page (the whole THP while compound). */
export const swapSet = (g: Readonly<G>, i: number): number[] =>
  g.head && !g.pages[0]!.freed ? g.pages.map((_, j) => j) : [i];

/** folio_swapped(): a swap PTE still names a slot of the page. */
const swapped = (g: Readonly<G>, i: number): boolean => swapSet(g, i).some((j) => g.swap[j]!.count > 0);

/** __delete_from_swap_cache() of the THP subpages in set: out of the swap cache, their slots empty. */
export function delete_from_swap_cache_set(g: G, set: readonly number[]): void {
  for (const j of set) {
    g.pages[j]!.swapcache = false;
    g.swap[j]!.page = -1;
    slotFreeIfUnused(g.swap[j]!);
  }
}

/**
 * folio_free_swap() → delete_from_swap_cache() (mm/swapfile.c, mm/swap_state.c @ v6.1) of the page in
 * the swap cache for slot s, when no swap PTE names it any more (caller holds the page lock or its trylock
 * succeeded). Drops the swap cache's references (nr for a THP); the slots go free with it.
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
    const c = g.copies[k]!;
    c.refcount--;
    BUG_ON(c.refcount <= 0 && c.mapcount >= 0, `folio_free_swap: copy ${k} mapped without a reference`);
    return true;
  }
  const i = slot.page;
  if (swapped(g, i)) return false;
  const set = swapSet(g, i);
  delete_from_swap_cache_set(g, set);
  put_page(g, t, i, set.length);
  return true;
}

/**
 * zap_pte_range() of a swap PTE: free_swap_and_cache() (mm/swapfile.c @ v6.1): the swap count goes;
 * at SWAP_HAS_CACHE alone, __try_to_reclaim_swap(TTRS_UNMAPPED | TTRS_FULL) trylocks the page in the
 * swap cache and frees its swap space when it is mapped nowhere.
 */
export function free_swap_and_cache(g: G, t: T, s: number): void {
  const slot = g.swap[s]!;
  slot.count--;
  BUG_ON(slot.count < 0, `free_swap_and_cache: slot ${s} count went negative`);
  slotFreeIfUnused(slot); /* swap_entry_free() of the last count */
  if (slot.count > 0 || slot.page < 0) return;
  // folio_trylock(): the lock of the folio (a THP's head page), not of the subpage
  if (!swapSlotUnlocked(g, t, s)) return;
  const nr = t.params.nr;
  const mapped = slot.page >= nr ? g.copies[slot.page - nr]!.mapcount >= 0 : page_mapped(g, slot.page);
  if (!mapped) folio_free_swap(g, t, s);
}

/** lock_page() of the page in the swap cache for slot s is free (do_swap_page waits for it, e.g. while reclaim holds it). */
export function swapSlotUnlocked(g: Readonly<G>, t: T, s: number): boolean {
  const p = g.swap[s]!.page;
  if (p < 0) return true;
  if (p >= t.params.nr) return g.copies[p - t.params.nr]!.locked === 0;
  return g.pages[g.head && !g.pages[0]!.freed ? 0 : p]!.locked === 0;
}

/** A PTE that is not a swap entry, or one whose swap cache page (if any) is unlocked. */
export const swapPageUnlocked = (g: Readonly<G>, t: T, e: number): boolean =>
  !isSwapPte(e) || swapSlotUnlocked(g, t, swp_offset(e));

/**
 * do_swap_page() (mm/memory.c @ v6.1) of mm's swap PTE at virtual page i, in one step under mmap_lock
 * (read), the page lock of the swap cache page and the PTL (the model takes the swap cache reference
 * with the lock: a reference before lock_page() that makes reclaim's freeze fail is what a scanner's
 * reference already shows). Maps the page again; `write` is FAULT_FLAG_WRITE. Returns true when the
 * new PTE is writable (the write needs no do_wp_page()).
 */
export function do_swap_page(g: G, t: T, mm: MmT, i: number, write: boolean): boolean {
  const s = swp_offset(mm.pte[i]!);
  const slot = g.swap[s]!;
  const nr = t.params.nr;
  let exclusive = pte_swp_exclusive(mm.pte[i]!) && !preExclusive(t); /* pte_swp_exclusive(vmf->orig_pte) */
  let pte: number;
  if (slot.page < 0) {
    /* not in the swap cache: read in (SWP_SYNCHRONOUS_IO and __swap_count() == 1 skips the swap cache) */
    const k = alloc_copy(g, slot.data);
    const c = g.copies[k]!;
    c.mapcount = -1; /* mapped below */
    c.anon_exclusive = false;
    if (slot.count === 1) exclusive = true; /* "a fresh page that is not exposed to the swapcache" */
    else {
      c.refcount++; /* add_to_swap_cache() */
      c.swap = s + 1;
      slot.page = nr + k;
    }
    c.refcount--; /* the mapping's reference is taken below */
    pte = PTE_COPY + k;
  } else pte = slot.page >= nr ? PTE_COPY + (slot.page - nr) : PTE_PRESENT;
  const count = preExclusive(t) && pte === PTE_PRESENT ? page_mapcount(g, true, i) + slot.count : 0;
  /* the mapping's reference (the swap cache lookup's, kept) */
  if (pte === PTE_PRESENT) get_page(g, i);
  else g.copies[pte - PTE_COPY]!.refcount++;
  slot.count--; /* swap_free(entry) */
  slotFreeIfUnused(slot);
  const refs = (): number =>
    pte === PTE_PRESENT ? g.pages[g.head ? 0 : i]!.refcount : g.copies[pte - PTE_COPY]!.refcount;
  /* should_try_to_free_swap(): a write fault when only the swap cache and this fault hold the page */
  if (write && refs() === 2 && slot.page >= 0) folio_free_swap(g, t, s);
  let writable = false;
  if (preExclusive(t)) {
    /* v5.10: a write fault reuses the page when reuse_swap_page() (mapcount + swap count of the subpage <= 1) */
    const copyCount = pte === PTE_PRESENT ? count : 1;
    exclusive = write && copyCount <= 1;
    writable = exclusive;
  } else {
    exclusive = exclusive || refs() === 1;
    writable = exclusive && write;
  }
  mm.pte[i] = pte;
  mm.pte_write[i] = writable && mm.vm_write;
  mm.pte_dirty[i] = writable;
  if (pte === PTE_PRESENT) {
    page_add_anon_rmap(g, i, false);
    if (exclusive) g.pages[i]!.anon_exclusive = true; /* RMAP_EXCLUSIVE */
  } else {
    const c = g.copies[pte - PTE_COPY]!;
    c.mapcount++;
    if (exclusive) c.anon_exclusive = true;
  }
  return mm.pte_write[i]!;
}
