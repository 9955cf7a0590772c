/**
 * madvise(MADV_PAGEOUT) of subpages [from, to) of mm's private anon range, in
 * user terms. What a user may rely on (madvise(2): "Reclaim a given range of
 * pages ... The advice might be ignored for some pages in the range"):
 *
 *   - it returns 0 ('ok') and changes no data: every process reads what it
 *     read before, and a pin keeps its page (a pinned page never leaves memory);
 *   - while it runs, the kernel may split the THP the range touches (split
 *     refuses while pinned or referenced, as split_huge_page does) and may
 *     reclaim any page wholly inside the range that mm maps: each such page
 *     goes through what a swap_out does (swap-ops.ts: into the swap cache, its
 *     mappings into swap entries, then out of memory as a private copy with
 *     the same data, shared by exactly the processes that mapped it), or
 *     stops anywhere on the way; pages outside the range are not reclaimed;
 *   - a private copy in the range (a page a write, a pin's unshare or a
 *     swap-in made) may go to swap as well: it stays, in user terms, the page
 *     every process that maps it reads (the same data, shared by the same
 *     processes, a swap entry a fork shares included), so no internal step
 *     shows it; a pinned copy keeps its pin's page like any other, which the
 *     pin/write rules check (a write that copies away from a pinned page);
 *   - which pages it reclaims is the kernel's choice: v6.1 skips a page that
 *     more than one mapping maps and splits a THP only partly in the range
 *     (mm/madvise.c madvise_cold_or_pageout_pte_range() @ v6.1), v6.12 also
 *     reclaims a PTE-mapped THP whole when the range covers it (@ v6.12);
 *     reclaim itself may keep any page (shrink_page_list()). The spec states
 *     the freedom, not one kernel's heuristic.
 *
 * A file THP (page cache; the pages are the file's, never a process's own):
 *
 *   - it returns 0 ('ok') and changes no data: the file's pages keep what they
 *     hold, and a pin keeps its page (a pinned page never leaves the page cache);
 *   - while it runs, the kernel may split the THP the range touches (not while
 *     pinned or referenced; a file split unmaps every mapping of the THP, and
 *     one that fails after its unmap leaves them unmapped too), may unmap any
 *     process's mappings of a page wholly in the range (a mapping of the file
 *     is not the process's own data: a later fault maps the page cache again),
 *     and may take such a page out of the page cache once nobody maps, pins or
 *     references it. Only a page the call itself found: the walk
 *     (madvise_cold_or_pageout_pte_range()) isolates a page only where mm maps
 *     it when the walk gets there, and reclaim acts only on what was isolated.
 *     So the call first finds the page (pending step pageout_find, enabled
 *     while mm maps a page of it; view.pageoutFound keeps one entry per call
 *     and page until the call linearizes), and only a found page is unmapped
 *     from the other processes or evicted. A page of the range that mm never
 *     mapped while the call ran stays in the page cache, even when no one uses
 *     it (MADV_PAGEOUT is not POSIX_FADV_DONTNEED). Two calls in flight with
 *     the same mm and range share their entries (the first to linearize drops
 *     them: no default scenario has two such calls at once);
 *   - a page that left the page cache is the file's data on disk: a later fault
 *     reads it back in (the model has no readahead: a fault of a page that is
 *     not in the page cache answers ENOENT, as after `evict`, see NOTES).
 *
 * The effects are pending internal steps of the op in flight (pageoutPending),
 * so a concurrent observer may see any prefix of them; the op linearizes with
 * 'ok' after them.
 */
import { REJECT, int, type Env, type Handler } from './handler.js';
import { failedSplitAfterUnmap, splitPage, unmapPmd, unmapPte } from './mappings.js';
import { swapOutPage, swapPageSet, swapPending } from './swap-ops.js';
import type { ThpView } from './view.js';

const badRange = (c: ThpView, mm: number, from: number, to: number): boolean =>
  mm < 0 || mm >= c.mms || from < 0 || to > c.pte.length || from >= to;

/** The call linearizes: 'ok' (EINVAL for a bad range), and the pages it found are no longer its to act on. */
const on_madvise_pageout: Handler = (c, e) => {
  const from = int(e.ev.from);
  const to = int(e.ev.to);
  if (badRange(c, e.mm, from, to)) return 'EINVAL';
  const mine = `${pageoutKey(e.mm, from, to)}@`;
  c.pageoutFound = c.pageoutFound.filter((f) => !f.startsWith(mine));
  return 'ok';
};

/** mm maps (by PMD or PTE) one of the subpages in `set`. */
const mapsSome = (c: ThpView, mm: number, set: readonly number[]): boolean =>
  c.pmd.includes(mm) || set.some((j) => c.pte[j]!.includes(mm));

/** Internal, only while madvise_pageout is in flight: split_huge_page of the THP the range touches. */
const on_pageout_split: Handler = (c, e) => {
  if (!c.compound || c.freed[0] || e.pins + e.refs > 0) return REJECT;
  splitPage(c);
  return 'ok';
};

/** Internal (file): a split of the file THP that unmapped it and then failed (a transient reference): mappings gone. */
const on_pageout_split_unmapped: Handler = (c, e) => {
  if (e.anon || !c.compound || c.freed[0]) return REJECT;
  failedSplitAfterUnmap(c);
  return 'ok';
};

/** The pages of the file page holding sub that lie in the page cache: the whole THP while compound. */
const filePageSet = (c: ThpView, sub: number): number[] => (c.compound ? c.pte.map((_, i) => i) : [sub]);

/** The key of a madvise_pageout call (view.pageoutFound): its process and range. */
export const pageoutKey = (mm: number, from: number, to: number): string => `pageout:${mm}:${from}:${to}`;

/** The view.pageoutFound entry of call `key` for the file page holding sub: the compound THP, or small page sub. */
const foundEntry = (c: ThpView, key: string, sub: number): string => `${key}@${c.compound ? 'thp' : sub}`;

/** The call `key` in flight found the page holding sub (and it is still the page it found: not split since). */
const found = (c: ThpView, e: Env): boolean => c.pageoutFound.includes(foundEntry(c, String(e.ev.key), e.sub));

/**
 * Internal (file), only while madvise_pageout(mm, ...) is in flight: its walk finds the page holding `sub` mapped
 * by mm and isolates it for reclaim (madvise_cold_or_pageout_pte_range(): isolate_lru_page / folio_isolate_lru of a
 * page mm maps by PMD or PTE). Nothing a user sees changes; the page becomes one the call may unmap and evict.
 */
const on_pageout_find: Handler = (c, e) => {
  if (e.anon || e.badSub(e.sub) || e.badMm(e.mm) || !c.cached[e.sub] || c.freed[e.sub]) return REJECT;
  const entry = foundEntry(c, String(e.ev.key), e.sub);
  if (c.pageoutFound.includes(entry) || !mapsSome(c, e.mm, filePageSet(c, e.sub))) return REJECT;
  c.pageoutFound = [...c.pageoutFound, entry].sort();
  return 'ok';
};

/** Internal (file): mm's mappings of a page the call found go (try_to_unmap: a file PMD is zapped, not split). */
const on_pageout_unmap: Handler = (c, e) => {
  if (e.anon || e.badSub(e.sub) || e.badMm(e.mm) || !c.cached[e.sub] || c.freed[e.sub] || !found(c, e)) return REJECT;
  const set = filePageSet(c, e.sub);
  if (!mapsSome(c, e.mm, set)) return REJECT;
  if (c.compound) unmapPmd(c, e.mm);
  for (const i of set) unmapPte(c, e.mm, i);
  return 'ok';
};

/** Internal (file): a page the call found leaves the page cache: nobody maps, pins or references it. */
const on_pageout_evict: Handler = (c, e) => {
  if (e.anon || e.badSub(e.sub) || !c.cached[e.sub] || c.freed[e.sub] || !found(c, e)) return REJECT;
  const set = filePageSet(c, e.sub);
  const used = (i: number): boolean => c.pte[i]!.length > 0 || c.pins[i]! > 0 || c.refs[i]! > 0;
  if (set.some(used) || (c.compound && c.pmd.length > 0)) return REJECT;
  for (const i of set) c.cached[i] = false;
  return 'ok';
};

/** Internal, only while madvise_pageout is in flight: the page holding `sub` leaves memory (swap_out's 'ok'). */
const on_pageout_reclaim: Handler = (c, e) => {
  if (e.badSub(e.sub) || !e.anon || c.freed[e.sub]) return REJECT;
  return swapOutPage(c, e.sub);
};

export const pageoutHandlers: Readonly<Record<string, Handler>> = {
  madvise_pageout: on_madvise_pageout,
  pageout_split: on_pageout_split,
  pageout_split_unmapped: on_pageout_split_unmapped,
  pageout_reclaim: on_pageout_reclaim,
  pageout_find: on_pageout_find,
  pageout_unmap: on_pageout_unmap,
  pageout_evict: on_pageout_evict,
};

/**
 * The internal steps of a madvise_pageout of a file range in flight: split the THP, find the range's pages mm maps,
 * unmap and evict the pages found.
 */
function filePageoutPending(
  view: ThpView,
  mm: number,
  range: readonly number[],
): { type: string; mm?: number; sub: number; key?: string }[] {
  const out: { type: string; mm?: number; sub: number; key?: string }[] = [];
  const from = range[0]!;
  const key = pageoutKey(mm, from, range[range.length - 1]! + 1);
  if (view.compound && !view.freed[0] && mapsSome(view, mm, range))
    out.push({ type: 'pageout_split', sub: from }, { type: 'pageout_split_unmapped', sub: from });
  for (const sub of range) {
    const set = filePageSet(view, sub);
    if (view.freed[sub] || !view.cached[sub] || set[0] !== sub || set.some((j) => !range.includes(j))) continue;
    if (!view.pageoutFound.includes(foundEntry(view, key, sub))) {
      if (mapsSome(view, mm, set)) out.push({ type: 'pageout_find', mm, sub, key });
      continue;
    }
    for (let m = 0; m < view.mms; m++) if (mapsSome(view, m, set)) out.push({ type: 'pageout_unmap', mm: m, sub, key });
    out.push({ type: 'pageout_evict', sub, key });
  }
  return out;
}

/** The internal steps of a madvise_pageout(mm, from, to) in flight (thpPendingInternal). */
export function pageoutPending(
  view: ThpView,
  args: Readonly<Record<string, unknown>>,
): { type: string; mm?: number; sub: number; upto?: number }[] {
  const mm = int(args.mm);
  const from = int(args.from);
  const to = int(args.to);
  if (badRange(view, mm, from, to)) return [];
  const range = Array.from({ length: to - from }, (_, k) => from + k);
  if (view.kind !== 'anon') return filePageoutPending(view, mm, range);
  const out: { type: string; mm?: number; sub: number; upto?: number }[] = [];
  if (view.compound && !view.freed[0] && mapsSome(view, mm, range)) out.push({ type: 'pageout_split', sub: from });
  for (const sub of range) {
    const set = swapPageSet(view, sub); /* the whole THP while compound: one entry for it, at its head */
    if (view.freed[sub] || set[0] !== sub || set.some((j) => j < from || j >= to)) continue;
    /* reached through mm's mapping: present, or (once this call unmapped it) mm's swap entry */
    if (!mapsSome(view, mm, set) && !set.some((j) => view.swapped[j]!.includes(mm))) continue;
    out.push(...swapPending(view, { sub }), { type: 'pageout_reclaim', sub });
  }
  return out;
}
