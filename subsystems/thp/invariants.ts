/**
 * THP invariants over the implementation state (v4.5 – v6.1 counters). Each
 * cites the kernel function or Documentation/vm/transhuge.rst @ v5.10 section
 * it comes from.
 */
import { vmaInvariants } from './vma-invariants.js';
import { invariant } from '../../checker/types.js';
import {
  GUP_PIN_COUNTING_BIAS,
  PTE_COPY,
  PTE_MIGRATION,
  PTE_PRESENT,
  PageCompound,
  compound_head,
  isSwapPte,
  page_mapcount,
  total_mapcount,
  type ThpParams,
  type ThpState,
} from '../../impl/thp/page.js';
import { presentMappings } from '../../impl/thp/pgtable.js';
import { swp_offset } from '../../impl/thp-common/swap-entry.js';

type G = ThpState;
type P = ThpParams;

const anonOf = (p: P): boolean => p.kind === 'anon';

export const invariants = [
  invariant<G, P>({
    name: 'tail-refcount-zero',
    why: "prep_compound_page sets every tail's _refcount to 0 and all references are taken on the head (compound_head in get_page), so a speculative get on a tail fails.",
    doc: 'While a page is compound, every tail page has _refcount 0, so get_page_unless_zero() never succeeds on a tail.',
    source:
      'Documentation/vm/transhuge.rst @ v5.10, "Refcounts and transparent huge pages": "->_refcount in tail pages is always zero"',
    when: 'always',
    check: (g) => {
      if (!g.head) return null;
      for (let i = 1; i < g.pages.length; i++)
        if (g.pages[i]!.tail && g.pages[i]!.refcount !== 0)
          return `tail ${i} of a compound page has _refcount ${g.pages[i]!.refcount}`;
      return true;
    },
  }),
  invariant<G, P>({
    name: 'refcount-covers-mappings-and-pins',
    why: 'Each mapping, pin (GUP_PIN_COUNTING_BIAS) and page-cache slot takes a reference on the head before it becomes visible and drops it only after it is gone.',
    doc: 'page_count is at least total_mapcount plus GUP pins, speculative references and page-cache references, except while split_huge_page or collapse_file holds it frozen or a PMD split is mid-transfer.',
    source:
      'Documentation/vm/transhuge.rst @ v5.10, "Refcounts and transparent huge pages"; mm/huge_memory.c can_split_huge_page() @ v5.10',
    when: 'always',
    check: (g, p) => {
      /* inside __split_huge_pmd_locked total_mapcount transiently counts the PMD and its new PTEs */
      if (g.frozen || g.mms.some((mm) => mm.pmd === 'splitting')) return null;
      const anon = anonOf(p);
      const n = p.nr;
      if (g.head) {
        if (g.pages[0]!.freed) return null;
        const pins = g.user_pins.reduce((a, b) => a + b, 0);
        const refs = g.user_refs.reduce((a, b) => a + b, 0);
        const cache = (g.pages[0]!.in_cache ? n : 0) + (g.pages[0]!.swapcache ? n : 0);
        const need = total_mapcount(g, anon) + pins + refs + cache;
        const have = g.pages[0]!.refcount;
        return have >= need || `head _refcount ${have} < total_mapcount + pins + refs + cache = ${need}`;
      }
      let any = false;
      for (let i = 0; i < n; i++) {
        const pg = g.pages[i]!;
        if (pg.freed || PageCompound(g, i)) continue;
        if (pg.refcount === 0 && pg.locked !== 0) continue; /* page_ref_freeze()d by collapse_file under its lock */
        any = true;
        const need =
          pg.mapcount +
          1 +
          GUP_PIN_COUNTING_BIAS * g.user_pins[i]! +
          g.user_refs[i]! +
          (pg.in_cache ? 1 : 0) +
          (pg.swapcache ? 1 : 0);
        if (pg.refcount < need) return `page ${i}: _refcount ${pg.refcount} < mapcount + pins + refs + cache = ${need}`;
      }
      return any ? true : null;
    },
  }),
  invariant<G, P>({
    name: 'no-false-negative-mapcount',
    why: 'A PTE or PMD is installed only after the matching _mapcount/compound_mapcount increment (page_add_*_rmap under the page-table lock), and removed before the decrement.',
    doc: 'page_mapcount(subpage) computed from the counters is never below the number of present page-table entries mapping that subpage.',
    source:
      'mm/huge_memory.c __split_huge_pmd_locked() @ v5.10: "Set PG_double_map before dropping compound_mapcount to avoid false-negative page_mapped()"',
    when: 'always',
    check: (g, p) => {
      const anon = anonOf(p);
      let any = false;
      for (let i = 0; i < p.nr; i++) {
        const maps = presentMappings(g, i);
        if (maps === 0) continue;
        any = true;
        const mc = page_mapcount(g, anon, i);
        if (mc < maps) return `page_mapcount(${i}) = ${mc} but ${maps} page-table entries map it`;
      }
      return any ? true : null;
    },
  }),
  invariant<G, P>({
    name: 'doublemap-consistent',
    why: '__split_huge_pmd_locked sets PageDoubleMap and adds the +1 bias to every subpage when the first PTE mapping appears next to a PMD one, and page_remove_rmap clears it with the last PMD mapping.',
    doc: 'Anon: PageDoubleMap implies a PMD mapping and the +1 bias on every subpage (a page mapped by both PMD and PTE may lack it after migration, then without the bias); file: a PTE-mapped THP has PageDoubleMap, which implies the page is in the page cache.',
    source:
      'Documentation/vm/transhuge.rst @ v5.10, "Refcounts and transparent huge pages" (PageDoubleMap); mm/rmap.c page_add_file_rmap() @ v5.10',
    when: 'quiescent',
    check: (g, p) => {
      if (!g.head || g.pages[0]!.freed) return null;
      if (!anonOf(p)) {
        const pteMapped = g.mms.some((mm) => mm.pmd === 'table' && mm.pte.some((e) => e === PTE_PRESENT));
        if (pteMapped && !g.double_map) return 'PTE-mapped file THP without PageDoubleMap';
        if (!g.double_map) return null;
        return g.pages[0]!.in_cache || 'file PageDoubleMap set on a page no longer in the page cache';
      }
      const k = g.compound_mapcount + 1;
      const ptes = g.mms.some((mm) => mm.pmd === 'table' && mm.pte.some((e) => e === PTE_PRESENT));
      if (g.double_map) {
        if (k < 1) return 'PageDoubleMap set with no PMD mapping left';
        const unbiased = g.pages.findIndex((pg) => pg.mapcount < 0);
        if (unbiased >= 0)
          return `PageDoubleMap set but subpage ${unbiased} has no bias (_mapcount ${g.pages[unbiased]!.mapcount})`;
        return true;
      }
      /* a THP migrated while mapped by PMD and PTEs is mapped both ways without PageDoubleMap and without the bias:
         remove_migration_pte() maps PTEs with page_add_anon_rmap(new, false) (mm/migrate.c @ v5.10) */
      if (k >= 1 && ptes && g.pages.some((pg) => pg.mapcount < -1))
        return 'PMD- and PTE-mapped anon THP without PageDoubleMap has a negative _mapcount';
      return k >= 1 ? true : null;
    },
  }),
  invariant<G, P>({
    name: 'deferred-queue-live',
    why: 'deferred_split_huge_page queues a page on a partial unmap, and free_transhuge_page or split_huge_page removes it under split_queue_lock before the page goes away.',
    doc: 'The deferred split queue holds only live anon compound pages. It may hold one that a PMD maps, also with PageDoubleMap: v6.1 queues on any PTE unmap that drops a subpage to no mapping, and nothing takes the page off the queue when a later PMD split sets PageDoubleMap (conform on 6.1.192 showed it: forked, mprotect, fork, migrate, munmap of the PTE-mapped mm, then a partial munmap in a PMD-mapped one).',
    source:
      '9a982250f773 "thp: introduce deferred_split_huge_page()"; Documentation/vm/transhuge.rst @ v5.10, "Partial unmap and deferred_split_huge_page()"; mm/rmap.c page_remove_rmap() and mm/huge_memory.c __split_huge_pmd_locked() @ v6.1',
    when: 'always',
    check: (g, p) => {
      if (g.dsq === 0) return null;
      if (g.pages[0]!.freed) return 'a freed page is on the deferred split list';
      if (!g.head) return 'a non-compound page is on the deferred split list';
      if (!anonOf(p)) return 'a file THP is on the deferred split list';
      return true;
    },
  }),
  ...vmaInvariants<G, P>(),
  invariant<G, P>({
    name: 'freeze-only-unpinned',
    why: 'split_huge_page_to_list freezes the refcount with page_ref_freeze(head, 1 + extra) only when can_split_huge_page finds no unexpected references.',
    doc: 'split_huge_page freezes the refcount only when no GUP pin or other extra reference exists, so a split succeeds iff there are no extra pins.',
    source:
      'Documentation/vm/transhuge.rst @ v5.10, "Refcounts and transparent huge pages": "split_huge_page() fails any requests to split pinned huge pages"',
    when: 'always',
    check: (g) => {
      if (!g.frozen) return null;
      /* only references on the still-compound part count: a tail already split off may be referenced */
      let pins = 0;
      let refs = 0;
      for (let i = 0; i < g.pages.length; i++) {
        if (!PageCompound(g, i)) continue;
        pins += g.user_pins[i]!;
        refs += g.user_refs[i]!;
      }
      return pins + refs === 0 || `refcount frozen for split with ${pins} pin(s) and ${refs} reference(s) held`;
    },
  }),
  invariant<G, P>({
    name: 'split-unmapped-after-unmap_page',
    why: 'unmap_page walks the rmap under the anon_vma/i_mmap lock replacing every mapping with a migration entry, and new faults wait on the page lock held by the splitter.',
    doc: 'When unmap_page() returns inside split_huge_page, no mapping of the page is left (total_mapcount is 0).',
    source:
      'mm/huge_memory.c split_huge_page_to_list() @ v5.10 (VM_BUG_ON_PAGE(!unmap_success)); 732ed55823fc "mm/thp: try_to_unmap() use TTU_SYNC for safe splitting"',
    when: 'always',
    check: (g, p) => {
      if (g.split_unmapped === 0) return null;
      const mc = total_mapcount(g, anonOf(p));
      return mc === 0 || `unmap_page() returned with total_mapcount ${mc}`;
    },
  }),
  invariant<G, P>({
    name: 'freed-page-unmapped',
    why: 'A page is freed only when its last reference goes, and every mapping holds a reference; free_pages_check reports any leftover mapcount as a bad page.',
    doc: 'No page-table entry (present or migration) maps a subpage of a freed page, and its counters are back to zero.',
    source: 'mm/page_alloc.c free_pages_check() / bad_page() @ v5.10',
    when: 'always',
    check: (g) => {
      let any = false;
      for (let i = 0; i < g.pages.length; i++) {
        const pg = g.pages[i]!;
        if (!pg.freed) continue;
        any = true;
        if (pg.refcount !== 0) return `freed page ${i} has _refcount ${pg.refcount}`;
        if (pg.mapcount !== -1) return `freed page ${i} has _mapcount ${pg.mapcount}`;
        for (let m = 0; m < g.mms.length; m++) {
          const mm = g.mms[m]!;
          if (compound_head(g, i) === 0 && g.head && (mm.pmd === 'huge' || mm.pmd === 'splitting'))
            return `mm ${m} still maps freed page ${i} by PMD`;
          if (mm.pmd === 'table' && (mm.pte[i] === PTE_PRESENT || mm.pte[i] === PTE_MIGRATION))
            return `mm ${m} still has an entry for freed page ${i}`;
        }
      }
      return any ? true : null;
    },
  }),
  invariant<G, P>({
    name: 'copy-page-accounted',
    why: "wp_page_copy maps the new copy with page_add_new_anon_rmap and one reference, and each later pin adds GUP_PIN_COUNTING_BIAS, so the copy's counters follow its mappings and pins.",
    doc: 'Every private COW copy has _mapcount equal to the PTEs mapping it, and _refcount at least those mappings plus GUP_PIN_COUNTING_BIAS per pin held on it; a free copy (_refcount 0) is mapped by no PTE.',
    source:
      'mm/memory.c wp_page_copy() and copy_present_page() @ v5.10; include/linux/mm.h page_maybe_dma_pinned() @ v5.10',
    when: 'always',
    check: (g, p) => {
      let any = false;
      for (let k = 0; k < g.copies.length; k++) {
        const c = g.copies[k]!;
        let ptes = 0;
        for (const mm of g.mms) if (mm.pmd === 'table') for (const e of mm.pte) if (e === PTE_COPY + k) ptes++;
        const pins = g.pins.filter((q) => q.page === p.nr + k).length;
        if (c.refcount === 0) {
          if (ptes > 0 || pins > 0) return `free copy ${k} is still mapped (${ptes}) or pinned (${pins})`;
          continue;
        }
        any = true;
        if (c.mapcount + 1 !== ptes) return `copy ${k}: _mapcount ${c.mapcount} but ${ptes} PTE(s) map it`;
        const need = ptes + GUP_PIN_COUNTING_BIAS * pins;
        if (c.refcount < need) return `copy ${k}: _refcount ${c.refcount} < mappings + pins = ${need}`;
      }
      return any ? true : null;
    },
  }),
  invariant<G, P>({
    name: 'migration-entry-page-locked',
    why: 'split_huge_page and migration install migration entries only while holding the page lock, and restore or drop every entry before unlocking; a fault or GUP meeting one sleeps on that lock.',
    doc: 'Every PMD or PTE migration entry of the THP exists only while its (head) page is locked.',
    source:
      'include/linux/swapops.h migration_entry_to_page() @ v5.10: "Any use of migration entries may only occur while the corresponding page is locked"',
    when: 'always',
    check: (g) => {
      let any = false;
      for (let m = 0; m < g.mms.length; m++) {
        const mm = g.mms[m]!;
        const pmd = mm.pmd === 'migration';
        for (let i = 0; i < g.pages.length; i++) {
          if (!(pmd || (mm.pmd === 'table' && mm.pte[i] === PTE_MIGRATION))) continue;
          any = true;
          if (g.pages[compound_head(g, i)]!.locked === 0)
            return `mm ${m}: a migration entry of page ${i} while it is unlocked`;
        }
      }
      return any ? true : null;
    },
  }),
  invariant<G, P>({
    name: 'swap-count-matches-entries',
    why: 'try_to_unmap_one() takes swap_duplicate() before it installs a swap PTE and copy_nonpresent_pte() before it copies one; zap (free_swap_and_cache) and do_swap_page (swap_free) drop it with the PTE; add_to_swap_cache and __delete_from_swap_cache set and clear PG_swapcache with the slot.',
    doc: "Every swap slot's swap_map count equals the swap PTEs naming it, and a slot's swap-cache page is in the swap cache (PG_swapcache, a THP subpage or a small page read back in); a swap PTE of a slot with no page in the swap cache has its data written out.",
    source: 'mm/swapfile.c swap_duplicate(), free_swap_and_cache() @ v6.1; mm/swap_state.c add_to_swap_cache() @ v6.1',
    when: 'always',
    check: (g, p) => swapCountMatchesEntries(g, p.nr, isSwapPte),
  }),
  invariant<G, P>({
    name: 'swap-pool-holds-private-copies',
    why: 'reclaim of a small anon page that is not the THP (a COW copy, an unshared page, a page read back from swap) takes one slot of its own (add_to_swap → get_swap_page), and do_swap_page() reads such a slot back into a fresh small page; only the THP takes its cluster.',
    doc: 'A swap slot of the small-page pool is named by swap PTEs or holds a private copy in the swap cache for it, never a page of the THP. Non-trivial where a private copy went to swap (MADV_PAGEOUT of a copy).',
    source:
      'mm/swap_state.c add_to_swap() @ v6.1; mm/swapfile.c get_swap_pages() @ v6.1; mm/memory.c do_swap_page() @ v6.1',
    when: 'always',
    check: (g, p) => swapPoolHoldsCopies(g, p.nr),
  }),
];

/** The state both THP implementations keep for swap (impl/thp/page.ts, impl/thp-folio/folio.ts). */
export interface SwapState {
  readonly swap: readonly { readonly count: number; readonly page: number }[];
  readonly mms: readonly { readonly pmd: string; readonly pte: readonly number[] }[];
  readonly copies: readonly { readonly swap: number }[];
  readonly pages: readonly { readonly swapcache: boolean; readonly freed: boolean }[];
}

/**
 * swap-count-matches-entries of either implementation: each slot's count is its swap PTEs, and its
 * swap-cache page (a THP subpage below nr, else a copy) is in the swap cache for it. null: no slot in use.
 */
export function swapCountMatchesEntries(
  g: SwapState,
  nr: number,
  isSwapPte: (e: number) => boolean,
): true | null | string {
  let any = false;
  for (const mm of g.mms)
    if (mm.pmd === 'table')
      for (let j = 0; j < mm.pte.length; j++) {
        const e = mm.pte[j]!;
        if (isSwapPte(e) && swp_offset(e) < nr && swp_offset(e) !== j)
          return `virtual page ${j}: a swap PTE of the THP's slot ${swp_offset(e)}`; /* the cluster moves whole */
      }
  for (let i = 0; i < g.swap.length; i++) {
    const slot = g.swap[i]!;
    const ptes = g.mms
      .filter((mm) => mm.pmd === 'table')
      .reduce((n, mm) => n + mm.pte.filter((e) => isSwapPte(e) && swp_offset(e) === i).length, 0);
    if (ptes !== slot.count) return `slot ${i}: swap count ${slot.count} but ${ptes} swap PTE(s)`;
    if (slot.page < 0 && ptes === 0) continue;
    any = true;
    if (slot.page >= nr && g.copies[slot.page - nr]!.swap !== i + 1)
      return `slot ${i}: copy ${slot.page - nr} is not in the swap cache for it`;
    if (slot.page >= 0 && slot.page < nr && (slot.page !== i || !g.pages[i]!.swapcache || g.pages[i]!.freed))
      return `slot ${i}: page ${slot.page} is not in the swap cache for it`;
  }
  for (let k = 0; k < g.copies.length; k++) {
    const s = g.copies[k]!.swap - 1;
    if (s >= 0 && g.swap[s]?.page !== nr + k)
      return `copy ${k} is in the swap cache for slot ${s}, which names another page`;
  }
  return any ? true : null;
}

/**
 * swap-pool-holds-private-copies of either implementation: a slot of the pool (from nr on) in use is named by swap
 * PTEs or holds a private copy in the swap cache for it, never a page of the THP. null: no pool slot in use.
 */
export function swapPoolHoldsCopies(g: SwapState, nr: number): true | null | string {
  let any = false;
  for (let s = nr; s < g.swap.length; s++) {
    const slot = g.swap[s]!;
    if (slot.count === 0 && slot.page < 0) continue;
    any = true;
    if (slot.page >= 0 && slot.page < nr) return `pool slot ${s} holds page ${slot.page} of the THP`;
    if (slot.page >= nr && g.copies[slot.page - nr]!.swap !== s + 1)
      return `pool slot ${s}: copy ${slot.page - nr} is not in the swap cache for it`;
  }
  return any ? true : null;
}
