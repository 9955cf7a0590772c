/**
 * Reclaim of a private copy (a small anon page that is not the tracked THP's: page handle nr + k, as a pin names
 * it) as both THP implementations step through it: mm/vmscan.c shrink_page_list() @ v6.1 and shrink_folio_list()
 * @ v6.12 treat it as any small anon page, and the two eras do the same here (isolate + trylock, the
 * maybe-pinned keep_locked of feb889fb40fa "mm: don't put pinned pages into the swap cache", add_to_swap() of one
 * pool slot, then the unmap or the free). The rmap walk's callback (try_to_unmap_one) and the page references of
 * each era stay in each implementation's vmscan.ts; these helpers only touch the copy pool, typed structurally
 * (like steps.ts) so neither implementation's state type leaks into the other.
 */
import type { ThreadCtx } from '../../checker/types.js';
import { add_to_swap_copy, removeCopyFromSwapCache } from './swap-entry.js';
import { BUG_ON, done, me, type Done } from './steps.js';

interface Copy {
  refcount: number;
  readonly mapcount: number;
  readonly data: number;
  swap: number;
  locked: number;
}
interface CopyState {
  readonly copies: Copy[];
  readonly swap: { count: number; page: number; data: number }[];
}
type T = ThreadCtx<{ readonly nr: number; readonly mms: number }>;

/** pin_user_pages() on a small page adds this to _refcount (include/linux/mm.h), as both page.ts / folio.ts say. */
const GUP_PIN_COUNTING_BIAS = 1024;

/** The steps of shrink_page_list() / shrink_folio_list() a copy's reclaim goes to (each implementation's V names). */
export interface CopySteps<A extends string, U extends string, F extends string, K extends string> {
  readonly add: A;
  readonly unmap: U;
  readonly free: F;
  readonly keep: K;
}

/** trylock_page() / folio_trylock() of copy k for reclaim (the caller saw it unlocked). */
export function lockCopy(g: CopyState, t: T, k: number): void {
  const c = g.copies[k]!;
  BUG_ON(c.locked !== 0, `trylock: copy ${k} already locked`);
  c.locked = me(t);
}

/** isolate_lru_page() / folio_isolate_lru() + the trylock of copy k for swap_out: a locked copy is not reclaimed ('kept'). */
export function isolateCopy<A extends string>(g: CopyState, t: T, k: number, add: A): A | Done {
  if (g.copies[k]!.locked !== 0) return done('kept');
  g.copies[k]!.refcount++;
  lockCopy(g, t, k);
  t.l.page = t.params.nr + k;
  return add;
}

/** After add_to_swap (or when already in the swap cache): unmap copy k while mapped, else free it. */
export function copyAfterAdd<U extends string, F extends string>(
  g: CopyState,
  t: T,
  k: number,
  s: { unmap: U; free: F },
): U | F {
  t.l.walk = 0;
  return g.copies[k]!.mapcount >= 0 ? s.unmap : s.free;
}

/** page_maybe_dma_pinned() / folio_maybe_dma_pinned() of copy k, a small page: the GUP_PIN_COUNTING_BIAS heuristic. */
export const copyMaybeDmaPinned = (g: CopyState, k: number): boolean => g.copies[k]!.refcount >= GUP_PIN_COUNTING_BIAS;

/**
 * shrink_page_list() / shrink_folio_list() up to add_to_swap() for copy k: in the swap cache already, kept while
 * page_maybe_dma_pinned() / folio_maybe_dma_pinned() (keep_locked; `pinnedKept` false: a kernel before
 * feb889fb40fa), or add_to_swap() of one slot of the pool (get_swap_page() @ v6.1, folio_alloc_swap() @ v6.12)
 * and add_to_swap_cache() (a reference). The pool running out is the model's bound, an error, never a silent 'kept'.
 */
export function addCopy<U extends string, F extends string, K extends string>(
  g: CopyState,
  t: T,
  k: number,
  s: { unmap: U; free: F; keep: K },
  pinnedKept: boolean,
): U | F | K {
  const c = g.copies[k]!;
  if (c.swap !== 0) return copyAfterAdd(g, t, k, s);
  if (copyMaybeDmaPinned(g, k) && pinnedKept) return s.keep; /* keep_locked */
  add_to_swap_copy(g, t.params.nr, k);
  return copyAfterAdd(g, t, k, s);
}

/** unlock_page() / folio_unlock() + putback_lru_page() / folio_putback_lru() of copy k (activate_locked / keep_locked). */
export function putbackCopy(g: CopyState, t: T, k: number, put: (k: number) => void): void {
  BUG_ON(g.copies[k]!.locked !== me(t), `unlock: copy ${k} is not locked by this thread`);
  g.copies[k]!.locked = 0;
  put(k);
}

/** pageout() + __remove_mapping() of copy k (swap-entry.ts removeCopyFromSwapCache), then its two references dropped. */
export function freeCopy(g: CopyState, k: number, put: (k: number, n: number) => void): boolean {
  const c = g.copies[k]!;
  if (!removeCopyFromSwapCache(c, g.swap[c.swap - 1]!)) return false;
  put(k, 2);
  return true;
}
