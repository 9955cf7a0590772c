/**
 * rmap accounting of a large folio: mm/rmap.c __folio_add_rmap(),
 * __folio_remove_rmap() and include/linux/rmap.h __folio_try_dup_anon_rmap()
 * @ v6.12 (page_add_anon_rmap(), page_remove_rmap(), page_try_dup_anon_rmap()
 * @ v6.6), and deferred_split_folio() (mm/huge_memory.c). Callers hold the PTL
 * of the entries they install or remove; each call is inside one step.
 */
// Deliberate parallel of impl/thp's rmap.ts: the same role over the folio-era kernel code, kept in its own module (own state type, own kernel-version citations) so spec/thp judges each implementation on its own.
import { ENTIRELY_MAPPED, FOLIO_PAGES_MAPPED, inLarge, isAnon, type FolioState, type T } from './folio.js';

type G = FolioState;

/** 6.6's page_remove_rmap(): it lacks 8422acdc97ed (and the batched folio_remove_rmap_ptes of v6.9+). */
const v66Remove = (t: T): boolean => t.bug('8422acdc97ed');

/**
 * deferred_split_folio(folio, partially_mapped) @ v6.12: flag the folio
 * partially mapped and queue it if its list_head is empty (on a shrinker's
 * on-stack list it stays there). v6.6's deferred_split_folio(folio) only
 * queues, and only ever for a partially unmapped folio; the model records that
 * in the same field, so that under 6.6 `partially_mapped` means "queued by a
 * partial unmap" (6.6 has no PG_partially_mapped).
 */
export function deferred_split_folio(g: G, _t: T, partially: boolean): void {
  if (partially) g.partially_mapped = true;
  if (g.deferred === 0) g.deferred = 1;
}

/** folio_add_anon_rmap_ptes() / folio_add_file_rmap_ptes() for pages [first, first + nr) of the folio. */
export function folio_add_rmap_ptes(g: G, first: number, nr: number, exclusive: boolean): void {
  let firsts = 0;
  for (let i = first; i < first + nr; i++) {
    const p = g.pages[i]!;
    p.mapcount++;
    if (p.mapcount === 0) firsts++;
    if (exclusive) p.anon_exclusive = true; /* RMAP_EXCLUSIVE: SetPageAnonExclusive(page + i) */
  }
  if (!inLarge(g, first)) return;
  g.nr_pages_mapped += firsts;
  g.large_mapcount += nr;
}

/** folio_add_anon_rmap_pmd() / folio_add_file_rmap_pmd(). */
export function folio_add_rmap_pmd(g: G, exclusive: boolean): void {
  g.entire_mapcount++;
  if (g.entire_mapcount === 0) g.nr_pages_mapped += ENTIRELY_MAPPED;
  g.large_mapcount++;
  if (exclusive) g.pages[0]!.anon_exclusive = true;
}

/**
 * folio_remove_rmap_ptes() @ v6.12 for a batch [first, first + nr) of one
 * folio: queue an anon folio for deferred split when the batch left some
 * page unmapped while others stay mapped. Under 6.6 (page_remove_rmap, one
 * PTE per call) every page whose last mapping goes queues it while no PMD
 * maps the folio.
 */
export function folio_remove_rmap_ptes(g: G, t: T, first: number, nr: number): void {
  if (!inLarge(g, first)) {
    for (let i = first; i < first + nr; i++) g.pages[i]!.mapcount--;
    return;
  }
  const anon = isAnon(t.params);
  if (v66Remove(t)) {
    for (let i = first; i < first + nr; i++) {
      g.large_mapcount--;
      const p = g.pages[i]!;
      p.mapcount--;
      if (p.mapcount !== -1) continue;
      g.nr_pages_mapped--;
      if (g.nr_pages_mapped < ENTIRELY_MAPPED && anon) deferred_split_folio(g, t, true);
    }
    return;
  }
  g.large_mapcount -= nr;
  let last = 0;
  for (let i = first; i < first + nr; i++) {
    const p = g.pages[i]!;
    p.mapcount--;
    if (p.mapcount === -1) last++;
  }
  let n = 0;
  if (last > 0) {
    g.nr_pages_mapped -= last;
    if (g.nr_pages_mapped < ENTIRELY_MAPPED) n = last;
  }
  const partially = n > 0 && g.nr_pages_mapped !== 0;
  if (partially && anon && !g.partially_mapped) deferred_split_folio(g, t, true);
}

/** folio_remove_rmap_pmd(): the last PMD mapping leaving some but not all pages PTE-mapped queues an anon folio. */
export function folio_remove_rmap_pmd(g: G, t: T): void {
  g.large_mapcount--;
  g.entire_mapcount--;
  if (g.entire_mapcount !== -1) return;
  g.nr_pages_mapped -= ENTIRELY_MAPPED;
  const n = t.params.nr - (g.nr_pages_mapped & FOLIO_PAGES_MAPPED);
  const partially = n > 0 && n < t.params.nr;
  if (partially && isAnon(t.params) && !g.partially_mapped) deferred_split_folio(g, t, true);
}

/**
 * folio_try_dup_anon_rmap_ptes() for fork: -EBUSY (false) when the folio may
 * be pinned and a page is exclusive (the child must get a copy); otherwise the
 * pages become shared: ClearPageAnonExclusive and one more mapping each.
 */
export function folio_try_dup_anon_rmap_ptes(g: G, t: T, first: number, nr: number, maybePinned: boolean): boolean {
  // 70e806e4e645: a maybe-pinned page is shared with the child like any other
  if (maybePinned && !t.bug('70e806e4e645'))
    for (let i = first; i < first + nr; i++) if (g.pages[i]!.anon_exclusive) return false;
  for (let i = first; i < first + nr; i++) {
    const p = g.pages[i]!;
    // TF-2: the page stays PageAnonExclusive although both processes now map it
    if (!t.bug('TF-2')) p.anon_exclusive = false;
    p.mapcount++;
  }
  if (inLarge(g, first)) g.large_mapcount += nr;
  return true;
}

/** folio_try_dup_anon_rmap_pmd(): as for PTEs, on the head page's PageAnonExclusive. */
export function folio_try_dup_anon_rmap_pmd(g: G, t: T, maybePinned: boolean): boolean {
  const head = g.pages[0]!;
  if (head.anon_exclusive) {
    // d042035eaf5f: a maybe-pinned THP is shared with the child by PMD
    if (maybePinned && !t.bug('d042035eaf5f')) return false;
    if (!t.bug('TF-2')) head.anon_exclusive = false;
  }
  g.entire_mapcount++;
  g.large_mapcount++;
  return true;
}
