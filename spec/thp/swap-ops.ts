/**
 * Swap-out of the anon THP (or of one small page of a split one) in the THP
 * spec, in user terms:
 *
 *   - swap changes neither the data a process reads nor which page it maps as
 *     far as a pin can tell: a page that leaves memory ('ok') becomes a private
 *     copy holding the same data, shared by exactly the processes that mapped
 *     it (fork sharing is kept: the swap entry is shared);
 *   - 'ok' never happens while anyone pins (or holds a speculative reference
 *     on) a page it takes out of memory, so a pin never loses its page;
 *   - reclaim may split the THP first (not while pinned or referenced, as
 *     split_huge_page refuses; v6.1 splits a THP no PMD maps, split_folio_to_list()
 *     in shrink_page_list()) and then goes on with its first small page only:
 *     after such a split, 'ok' means that page 0 left memory (the head; the
 *     kernel's tails wait on its list for passes of their own, which the
 *     implementations leave to a later swap_out). Tighter than the kernel: a
 *     tail reclaimed by the same shrink_page_list() call (its own pass, before
 *     swap_out returns) is not an outcome listed here, so an implementation
 *     that models those passes would fail refinement (NOTES, "Reclaim before
 *     add_to_swap");
 *   - reclaim may always give up ('kept'). While it is in flight it may put
 *     the page in the swap cache (swap_add) and replace mappings by swap
 *     entries of the page still in memory (swap_unmap): the process still
 *     maps that page (pageAt), only the derived counts change (a swap entry
 *     holds no mapcount; the swap cache holds a reference per subpage);
 *   - an access through such a swap entry maps the same page again (swapIn);
 *     while an access by mm is in flight, every swap entry of mm for the THP
 *     still in the swap cache may map it again at once (swap_in_folio: v6.11+
 *     do_swap_page() maps a large folio found in the swap cache entirely,
 *     508758960b8d "mm: swap: entirely map large folios found in swapcache").
 *
 * What the kernel does to get there (shrink_page_list(), try_to_unmap_one(),
 * __remove_mapping(), do_swap_page()) is the implementation's business
 * (impl/thp/swap.ts).
 */
import { REJECT, int, type Handler } from './handler.js';
import { mapNewCopy, pageAt } from './identity.js';
import { splitPage, splitPmd } from './mappings.js';
import { add, del, endSplit, splitKey, type ThpView } from './view.js';

/** The subpages that make up the page holding subpage sub: the whole THP while compound. */
export const swapPageSet = (c: ThpView, sub: number): number[] => (c.compound ? c.pte.map((_, i) => i) : [sub]);

/** An access by mm of a swap entry of page i still in memory maps page i again (do_swap_page). */
export function swapIn(c: ThpView, mm: number, i: number): void {
  if (!c.swapped[i]!.includes(mm)) return;
  del(c.swapped[i]!, mm);
  add(c.pte[i]!, mm);
}

/**
 * The page a swap_out(sub) in flight reclaims: the one holding sub, or the head (page 0) once the THP was split by
 * this swap_out (its key in view.splitting, the THP no longer compound).
 */
export function swapTarget(c: ThpView, sub: number): number {
  return !c.compound && c.splitting.includes(splitKey('swap_out', { sub })) ? 0 : sub;
}

const on_swap_out: Handler = (c, e) => {
  const { badSub, anon, choice, first } = e;
  if (badSub(e.sub) || !anon) return first(['ok', 'kept']) ? 'EINVAL' : REJECT;
  if (e.ev.mm !== undefined) {
    const mm = int(e.ev.mm);
    if (e.badMm(mm)) return first(['ok', 'kept']) ? 'EINVAL' : REJECT;
    const id = c.cow[mm]![e.sub]!;
    if (id >= 0) return swapOutCopy(c, id, choice);
  }
  const sub = swapTarget(c, e.sub);
  endSplit(c, splitKey('swap_out', { sub: e.sub }));
  if (choice === 'kept') return 'kept';
  return swapOutPage(c, sub);
};

/**
 * swap_out of private copy id (the page a process maps at sub, `mm` given): 'kept', or 'ok' when it left memory,
 * which changes nothing a process sees (the same data reads back, for every process that shares it); never while
 * a pin holds it.
 */
function swapOutCopy(c: ThpView, id: number, choice: string | undefined): 'ok' | 'kept' | typeof REJECT {
  if (choice === 'kept') return 'kept';
  return c.pinned.some((p) => p[2] === c.data.length + id) ? REJECT : 'ok';
}

/** The page holding sub leaves memory ('ok'), or REJECT when it may not. */
export const swapOutPage = (c: ThpView, sub: number): 'ok' | typeof REJECT => {
  const set = swapPageSet(c, sub);
  if (c.freed[sub]) return REJECT;
  // 'ok': the page leaves memory, which nobody's pin or reference may see
  if (set.some((j) => c.pins[j]! > 0 || c.refs[j]! > 0)) return REJECT;
  const pmd = [...c.pmd];
  for (const j of set) {
    const mappers = [...new Set([...pmd, ...c.pte[j]!, ...c.swapped[j]!])].sort((a, b) => a - b);
    if (mappers.length > 0) {
      mapNewCopy(c, mappers[0]!, j, c.data[j]!);
      for (const m of mappers) {
        c.cow[m]![j] = c.cow[mappers[0]!]![j]!;
        add(c.ptable, m); // a PMD mapping was split into swap PTEs (TTU_SPLIT_HUGE_PMD)
      }
    }
    c.pte[j] = [];
    c.swapped[j] = [];
    c.swapcache[j] = false;
  }
  if (c.compound) c.pmd = [];
  return 'ok';
};

/** Internal, only while swap_out(sub) is in flight: the page joins the swap cache (add_to_swap). */
const on_swap_add: Handler = (c, e) => {
  if (e.badSub(e.sub) || !e.anon || c.freed[e.sub]) return REJECT;
  const set = swapPageSet(c, e.sub);
  if (set.every((j) => c.swapcache[j])) return REJECT;
  for (const j of set) c.swapcache[j] = true;
  return 'ok';
};

/**
 * Internal, only while swap_out is in flight: mm's mappings of the page's subpages below `upto` (the page
 * in the swap cache) become swap entries of it; a PMD mapping is split into PTEs first. The pages stay what
 * mm maps. Per process the unmapped part is a prefix of what it maps: the granularity at which reclaim's
 * unmapping can be seen (an rmap walk that may not unmap a page stops there; a full walk is upto = nr).
 */
const on_swap_unmap: Handler = (c, e) => {
  const { mm, badMm } = e;
  const upto = int(e.ev.upto);
  const set = swapPageSet(c, e.sub);
  if (badMm(mm) || e.badSub(e.sub) || upto < 1 || upto > c.pte.length) return REJECT;
  const todo = set.filter((j) => j < upto && c.swapcache[j] && (c.pte[j]!.includes(mm) || c.pmd.includes(mm)));
  if (todo.length === 0) return REJECT;
  if (c.pmd.includes(mm)) splitPmd(c, mm);
  for (const j of todo) {
    del(c.pte[j]!, mm);
    add(c.swapped[j]!, mm);
  }
  return 'ok';
};

/** mm's swap entries cover the whole THP, which is still one page in the swap cache. */
const wholeSwapped = (c: ThpView, mm: number): boolean =>
  c.compound && c.swapped.every((s, j) => s.includes(mm) && c.swapcache[j]);

/**
 * Internal, only while an access (read, wp_fault, pin, force_*) by mm is in flight: when every virtual page of
 * mm is a swap entry of the THP still in the swap cache, the fault may map them all again at once.
 */
const on_swap_in_folio: Handler = (c, e) => {
  if (e.badMm(e.mm) || !e.anon || !wholeSwapped(c, e.mm)) return REJECT;
  for (let j = 0; j < c.pte.length; j++) swapIn(c, e.mm, j);
  return 'ok';
};

/** Internal, at any time: a page in the swap cache that no swap entry refers to may leave it (folio_free_swap). */
const on_swap_cache_free: Handler = (c, e) => {
  if (e.badSub(e.sub) || !c.swapcache[e.sub]) return REJECT;
  const set = swapPageSet(c, e.sub);
  if (set.some((j) => c.swapped[j]!.length > 0)) return REJECT;
  for (const j of set) c.swapcache[j] = false;
  return 'ok';
};

/**
 * Internal, only while swap_out(sub) is in flight, after its split_freeze: the THP is split into small pages
 * (split_folio_to_list() of reclaim), not while anyone pins or references it.
 */
const on_swap_split: Handler = (c, e) => {
  if (!e.anon || !c.compound || c.freed[0] || e.pins + e.refs > 0) return REJECT;
  if (c.swapcache.some(Boolean)) return REJECT; // only a folio not in the swap cache (see swapOutPending)
  if (!c.splitting.includes(String(e.ev.key))) return REJECT;
  splitPage(c);
  return 'ok';
};

export const swapHandlers: Readonly<Record<string, Handler>> = {
  swap_out: on_swap_out,
  swap_split: on_swap_split,
  swap_add: on_swap_add,
  swap_unmap: on_swap_unmap,
  swap_cache_free: on_swap_cache_free,
  swap_in_folio: on_swap_in_folio,
};

/** The ops whose fault may swap in through mm's swap entries (do_swap_page). */
const SWAPIN_OPS = new Set(['read', 'wp_fault', 'pin', 'force_read', 'force_write', 'populate_read']);

/** The internal step of an access in flight that maps the whole THP again from the swap cache (thpPendingInternal). */
export function swapInPending(
  view: ThpView,
  op: string,
  args: Readonly<Record<string, unknown>>,
): { type: string; mm: number }[] {
  if (view.kind !== 'anon' || !SWAPIN_OPS.has(op)) return [];
  const mm = int(args.mm);
  if (mm < 0 || mm >= view.mms || !wholeSwapped(view, mm)) return [];
  return [{ type: 'swap_in_folio', mm }];
}

/**
 * The internal steps of a swap_out(sub) in flight (thpPendingInternal): while the THP is compound and not in the
 * swap cache, the freeze of a split (split_freeze, its key) and then the split (swap_split); the steps of
 * swapPending for the page it reclaims. Reclaim splits only a folio not yet in the swap cache: both of
 * shrink_page_list()'s splits (no PMD maps it; add_to_swap() failing) sit under `if (!folio_test_swapcache(folio))`
 * (mm/vmscan.c @ v6.1, shrink_folio_list() @ v6.12), so once swap_add ran, or a kept THP sits in the swap cache,
 * no swap_out splits it.
 */
export function swapOutPending(
  view: ThpView,
  args: Readonly<Record<string, unknown>>,
): { type: string; mm?: number; sub: number; upto?: number; key?: string }[] {
  const sub = int(args.sub);
  if (view.kind !== 'anon' || sub < 0 || sub >= view.pte.length) return [];
  /* with mm: the page mm maps at sub; a private copy's reclaim shows nothing in the view */
  const mm = int(args.mm);
  if (args.mm !== undefined && (mm < 0 || mm >= view.mms || pageAt(view, mm, sub) !== sub)) return [];
  const key = splitKey('swap_out', { sub });
  const split =
    view.compound && !view.freed[0] && !view.swapcache.some(Boolean)
      ? [view.splitting.includes(key) ? { type: 'swap_split', sub, key } : { type: 'split_freeze', sub, key }]
      : [];
  return [...split, ...swapPending(view, { sub: swapTarget(view, sub) })];
}

/** The internal steps of a swap_out(sub) in flight for the page holding sub: swap_add, swap_unmap. */
export function swapPending(
  view: ThpView,
  args: Readonly<Record<string, unknown>>,
): { type: string; mm?: number; sub: number; upto?: number }[] {
  const sub = int(args.sub);
  if (view.kind !== 'anon' || sub < 0 || sub >= view.pte.length || view.freed[sub]) return [];
  const out: { type: string; mm?: number; sub: number; upto?: number }[] = [{ type: 'swap_add', sub }];
  const set = swapPageSet(view, sub);
  if (!set.some((j) => view.swapcache[j])) return out;
  for (let mm = 0; mm < view.mms; mm++)
    for (const j of set)
      if (view.pte[j]!.includes(mm) || view.pmd.includes(mm)) out.push({ type: 'swap_unmap', mm, sub, upto: j + 1 });
  return out;
}

/** Free internal steps: the swap cache of a page no swap entry refers to may be dropped. */
export function swapInternal(view: ThpView): { type: string; sub: number }[] {
  const out: { type: string; sub: number }[] = [];
  for (let i = 0; i < view.pte.length; i++) {
    if (!view.swapcache[i] || (view.compound && i > 0)) continue;
    if (swapPageSet(view, i).every((j) => view.swapped[j]!.length === 0)) out.push({ type: 'swap_cache_free', sub: i });
  }
  return out;
}
