/**
 * Swap PTEs and the swap device as both THP implementations store them
 * (include/linux/swapops.h swp_entry(), swp_offset(), pte_swp_exclusive();
 * mm/swapfile.c get_swap_pages() @ v6.1 and v6.12).
 *
 * A swap PTE names its slot and carries the exclusive bit (pte_swp_mkexclusive,
 * 1493a1913e34 "mm/swap: remember PG_anon_exclusive via a swp pte bit"): the
 * value is -(1 + 2 * slot + exclusive), so every swap PTE is negative and every
 * other PTE value is not.
 *
 * The model's device: slots 0 .. nr-1 are the tracked THP's cluster (a THP
 * takes a whole cluster, page i in slot i, as get_swap_pages() of an order-9
 * folio does; a page of a split THP keeps its own slot of that cluster), and
 * the slots from nr on are a pool for small pages that are not the THP's (the
 * private copies: COW copies, unshared pages, pages read back from swap), one
 * slot each, the lowest free one first (scan_swap_map_slots() hands out the
 * next free offset of a cluster; which offset a page gets is not visible to
 * userspace, so taking the lowest keeps equal states equal). A slot is free
 * when no swap PTE names it (swap_map count 0) and no page is in the swap
 * cache for it; its data is then 0.
 */

/** The PTE value of a swap entry for `slot` (swp_entry_to_pte(), with pte_swp_mkexclusive when `exclusive`). */
export const swp_entry = (slot: number, exclusive: boolean): number => -(1 + 2 * slot + (exclusive ? 1 : 0));
/** is_swap_pte() of a PTE value (the model has no other non-present entries in a PTE table besides migration). */
export const isSwapPte = (e: number): boolean => e < 0;
/** swp_offset() of a swap PTE value: the slot it names. */
export const swp_offset = (e: number): number => (-e - 1) >> 1;
/** pte_swp_exclusive() of a swap PTE value. */
export const pte_swp_exclusive = (e: number): boolean => ((-e - 1) & 1) === 1;

interface SlotState {
  readonly swap: readonly { readonly count: number; readonly page: number }[];
}

/** Slots of the model's device: the THP's cluster (anon only) and the pool for small pages, one per private page of each mm. */
export const swapSlots = (p: { readonly nr: number; readonly mms: number; readonly kind: string }): number =>
  p.kind === 'anon' ? p.nr * (1 + p.mms) : 0;

/**
 * get_swap_pages() of one slot for a small page that is not the THP's (mm/swapfile.c @ v6.1): the lowest free
 * slot of the pool, or -1 when every one is busy (the model's bound; add_to_swap() then fails and reclaim keeps
 * the page, which the spec always allows, so the caller reports it as a model bound instead: never silent).
 */
export function get_swap_slot(g: Readonly<SlotState>, nr: number): number {
  for (let s = nr; s < g.swap.length; s++) if (g.swap[s]!.count === 0 && g.swap[s]!.page < 0) return s;
  return -1;
}

interface Slot {
  count: number;
  page: number;
  data: number;
}

/**
 * A slot that no swap PTE names and no page is in the swap cache for is free (swap_entry_free(): its swap_map
 * byte is 0 again), and the model forgets what was written there, so equal devices are equal states.
 */
export function slotFreeIfUnused(slot: Slot): void {
  if (slot.count === 0 && slot.page < 0) slot.data = 0;
}

interface CopyInSwapCache {
  readonly refcount: number;
  readonly data: number;
  swap: number;
  locked: number;
}

/**
 * pageout() + __remove_mapping() of a locked private copy in the swap cache, as shrink_page_list() @ v6.1 and
 * shrink_folio_list() @ v6.12 both do it: the data is written to its slot (swap_writepage), then the reference
 * freeze at 2 (the swap cache's and reclaim's own) fails while anything else holds it (cannot_free: false), or
 * the copy leaves the swap cache (__delete_from_swap_cache; put_swap_page/put_swap_folio frees an unused slot)
 * and is unlocked before the free. The caller drops the two references (its own put_page / folio_put).
 */
export function removeCopyFromSwapCache(c: CopyInSwapCache, slot: Slot): boolean {
  slot.data = c.data;
  if (c.refcount !== 2) return false;
  c.swap = 0;
  slot.page = -1;
  slotFreeIfUnused(slot);
  c.locked = 0;
  return true;
}

interface CopySwapState {
  readonly copies: { refcount: number; swap: number }[];
  readonly swap: { readonly count: number; page: number }[];
}

/**
 * add_to_swap() of a locked private copy k (mm/swap_state.c @ v6.1 get_swap_page(), @ v6.12 folio_alloc_swap()):
 * one slot of the pool, then add_to_swap_cache() (a reference). The pool running out is the model's bound, an
 * error, never a silent 'kept'.
 */
export function add_to_swap_copy(g: CopySwapState, nr: number, k: number): void {
  const c = g.copies[k]!;
  const s = get_swap_slot(g, nr);
  if (s < 0) throw new Error('not modelled: the swap slot pool is exhausted (model bound: raise swapSlots)');
  c.swap = s + 1;
  g.swap[s]!.page = nr + k;
  c.refcount++; /* add_to_swap_cache(): folio_ref_add(folio, 1) */
}
