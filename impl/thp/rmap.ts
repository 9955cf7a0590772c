/**
 * rmap accounting of a THP, v4.5 – v6.1 (mm/rmap.c @ v5.10: page_add_anon_rmap(),
 * page_add_file_rmap(), page_remove_rmap(), page_remove_anon_compound_rmap();
 * mm/huge_memory.c @ v5.10 deferred_split_huge_page()). Callers hold the PTL of
 * the entry they install or remove (not asserted here: the PTL of a zap is
 * taken and dropped around these calls within one step).
 */
import { PageCompound, isAnon, type T, type ThpState } from './page.js';

/** deferred_split_huge_page(): queue under split_queue_lock if the list_head is empty. */
export function deferred_split_huge_page(g: ThpState): void {
  if (g.dsq === 0) g.dsq = 1;
}

/** page_add_anon_rmap() / page_dup_rmap(): compound → compound_mapcount, else the subpage's _mapcount. */
export function page_add_anon_rmap(g: ThpState, i: number, compound: boolean): void {
  if (compound) g.compound_mapcount++;
  else g.pages[i]!.mapcount++;
}

/** page_add_file_rmap(): a PMD map increments every subpage's _mapcount too. */
export function page_add_file_rmap(g: ThpState, t: T, i: number, compound: boolean): void {
  if (compound) {
    // TH-5: the PMD map does not increment the subpages' _mapcount
    if (!t.bug('TH-5')) for (const p of g.pages) p.mapcount++;
    g.compound_mapcount++;
  } else {
    /* "File pages get PG_double_map set on the first map of the page with PTE" */
    if (PageCompound(g, i) && g.pages[0]!.in_cache) g.double_map = true;
    g.pages[i]!.mapcount++;
  }
}

/** page_remove_rmap() (anon and file). */
export function page_remove_rmap(g: ThpState, t: T, i: number, compound: boolean): void {
  const anon = isAnon(t.params);
  if (!anon) {
    // page_remove_file_rmap()
    if (compound) {
      if (!t.bug('TH-5')) for (const p of g.pages) p.mapcount--;
      g.compound_mapcount--;
    } else g.pages[i]!.mapcount--;
    return;
  }
  if (compound) {
    page_remove_anon_compound_rmap(g, t);
    return;
  }
  const p = g.pages[i]!;
  p.mapcount--;
  if (p.mapcount === -1 && PageCompound(g, i)) deferred_split_huge_page(g);
}

/** page_remove_anon_compound_rmap(). */
function page_remove_anon_compound_rmap(g: ThpState, t: T): void {
  g.compound_mapcount--;
  if (g.compound_mapcount >= 0) return; /* !atomic_add_negative */
  const n = g.pages.length;
  if (g.double_map) {
    g.double_map = false; /* TestClearPageDoubleMap */
    let nr = 0;
    // TH-4: the bias is not removed with the last compound_mapcount
    if (!t.bug('TH-4'))
      for (const p of g.pages) {
        p.mapcount--;
        if (p.mapcount < 0) nr++;
      }
    /* Queue the page for deferred split if at least one small page of the
     * compound page is unmapped, but at least one small page is still mapped. */
    if (nr && nr < n) deferred_split_huge_page(g);
  }
}
