/**
 * Invariants of the folio-era THP implementation (impl/thp-folio), each
 * citing the kernel function or header @ v6.12 it comes from.
 */
import { vmaInvariants } from '../vma-invariants.js';
import { invariant } from '../../../checker/types.js';
import {
  ENTIRELY_MAPPED,
  FOLIO_PAGES_MAPPED,
  GUP_PIN_COUNTING_BIAS,
  PTE_COPY,
  PTE_MIGRATION,
  PTE_PRESENT,
  folio_precise_page_mapcount,
  isSwapPte,
  folioOf,
  inLarge,
  summedMapcount,
  type FolioParams,
  type FolioState,
} from '../../../impl/thp-folio/folio.js';
import { PIN_ZERO_PAGE } from '../../../impl/thp-folio/gup.js';
import { presentMappings } from '../../../impl/thp-folio/pgtable.js';
import { swapCountMatchesEntries, swapPoolHoldsCopies } from '../invariants.js';

type G = FolioState;
type P = FolioParams;

/** Whether the pages mapped by PTE or PMD in mm include subpage i's exclusivity: the PMD uses the head's flag. */
function exclusiveAt(g: Readonly<G>, page: number, nr: number): boolean {
  if (page >= nr) return g.copies[page - nr]!.anon_exclusive;
  const pmdMapped = g.mms.some((mm) => mm.pmd === 'huge');
  return g.pages[page]!.anon_exclusive || (inLarge(g, page) && pmdMapped && g.pages[0]!.anon_exclusive);
}

/** Mappings (PMD or PTE, any mm) of THP subpage i, or of copy k (page = nr + k). */
function mappersOf(g: Readonly<G>, page: number, nr: number): number {
  let n = 0;
  for (const mm of g.mms) {
    if (page < nr && mm.pmd === 'huge') n++;
    else if (mm.pmd === 'table')
      n += mm.pte.filter((e, i) => (page < nr ? i === page && e === PTE_PRESENT : e === PTE_COPY + page - nr)).length;
  }
  return n;
}

export const folioInvariants = [
  invariant<G, P>({
    name: 'tail-refcount-zero',
    why: 'A large folio keeps its reference count in the head page (folio->_refcount); tails stay at 0 until __split_huge_page_tail gives each its own.',
    doc: 'While the folio is large, every tail page has _refcount 0, so get_page_unless_zero() never succeeds on a tail.',
    source: 'include/linux/page_ref.h @ v6.12; mm/huge_memory.c __split_huge_page_tail() @ v6.12',
    when: 'always',
    check: (g) => {
      if (!g.large) return null;
      for (let i = 1; i < g.pages.length; i++)
        if (g.pages[i]!.tail && g.pages[i]!.refcount !== 0)
          return `tail ${i} of a large folio has _refcount ${g.pages[i]!.refcount}`;
      return true;
    },
  }),
  invariant<G, P>({
    name: 'folio-mapcounts-consistent',
    why: '__folio_add_rmap / __folio_remove_rmap change _mapcount, _nr_pages_mapped (with ENTIRELY_MAPPED) and _large_mapcount together under the page-table lock of the entries they account.',
    doc: "While the folio is large: _nr_pages_mapped counts the pages whose _mapcount is >= 0, plus ENTIRELY_MAPPED exactly while _entire_mapcount >= 0; _large_mapcount + 1 is _entire_mapcount + 1 plus every page's _mapcount + 1.",
    source:
      'mm/rmap.c __folio_add_rmap(), __folio_remove_rmap() @ v6.12; include/linux/mm_types.h struct folio @ v6.12',
    when: 'always',
    check: (g) => {
      if (!g.large || g.pages[0]!.freed) return null;
      const mapped = g.pages.filter((p) => p.mapcount >= 0).length;
      if ((g.nr_pages_mapped & FOLIO_PAGES_MAPPED) !== mapped)
        return `_nr_pages_mapped counts ${g.nr_pages_mapped & FOLIO_PAGES_MAPPED} pages but ${mapped} have _mapcount >= 0`;
      if (g.nr_pages_mapped >= ENTIRELY_MAPPED !== g.entire_mapcount >= 0)
        return `ENTIRELY_MAPPED ${g.nr_pages_mapped >= ENTIRELY_MAPPED ? 'set' : 'clear'} with _entire_mapcount ${g.entire_mapcount}`;
      if (g.large_mapcount + 1 !== summedMapcount(g))
        return `_large_mapcount + 1 = ${g.large_mapcount + 1} but the mappings sum to ${summedMapcount(g)}`;
      return true;
    },
  }),
  invariant<G, P>({
    name: 'refcount-covers-mappings-and-pins',
    why: 'Each mapping, pin (one reference, plus _pincount, on a large folio; GUP_PIN_COUNTING_BIAS on a small one) and page-cache slot holds a folio reference taken before it becomes visible and dropped after it is gone.',
    doc: 'folio_ref_count is at least the folio mapcount plus pins, speculative references and page-cache references, except while split_folio holds it frozen or a PMD split counts the PMD and its PTEs at once.',
    source:
      'include/linux/mm.h folio_mapcount() @ v6.12 ("Each such present user page table entry must be paired with exactly on folio reference"); mm/huge_memory.c can_split_folio() @ v6.12',
    when: 'always',
    check: (g, p) => {
      /* inside __split_huge_pmd_locked the PMD and its new PTEs are both counted, with one reference per PTE */
      if (g.frozen || g.mms.some((mm) => mm.pmd === 'splitting')) return null;
      const n = p.nr;
      if (g.large) {
        if (g.pages[0]!.freed) return null;
        const pins = g.user_pins.reduce((a, b) => a + b, 0);
        const refs = g.user_refs.reduce((a, b) => a + b, 0);
        const cache = (g.pages[0]!.in_cache ? n : 0) + (g.pages[0]!.swapcache ? n : 0);
        const need = summedMapcount(g) + pins + refs + cache;
        const have = g.pages[0]!.refcount;
        /* GUP-fast may hold a grabbed pin it has not yet kept (or is about to drop) */
        if (g.pincount < pins) return `_pincount ${g.pincount} but ${pins} pin(s) held`;
        return have >= need || `folio _refcount ${have} < mapcount + pins + refs + cache = ${need}`;
      }
      let any = false;
      for (let i = 0; i < n; i++) {
        const pg = g.pages[i]!;
        if (pg.freed) continue;
        any = true;
        const cache = (pg.in_cache ? 1 : 0) + (pg.swapcache ? 1 : 0);
        const need = pg.mapcount + 1 + GUP_PIN_COUNTING_BIAS * g.user_pins[i]! + g.user_refs[i]! + cache;
        if (pg.refcount < need) return `page ${i}: _refcount ${pg.refcount} < mapcount + pins + refs + cache = ${need}`;
      }
      return any ? true : null;
    },
  }),
  invariant<G, P>({
    name: 'no-false-negative-mapcount',
    why: 'A PTE or PMD is installed only after (or in the same page-table-locked step as) the matching rmap increment, and removed before the decrement; a splitting PMD is still counted until its PTEs are.',
    doc: 'folio_precise_page_mapcount(page) is never below the number of present page-table entries mapping that page.',
    source:
      'fs/proc/internal.h folio_precise_page_mapcount() @ v6.12; mm/huge_memory.c __split_huge_pmd_locked() @ v6.12',
    when: 'always',
    check: (g, p) => {
      let any = false;
      for (let i = 0; i < p.nr; i++) {
        const maps = presentMappings(g, i);
        if (maps === 0) continue;
        any = true;
        const mc = folio_precise_page_mapcount(g, i);
        if (mc < maps) return `folio_precise_page_mapcount(${i}) = ${mc} but ${maps} page-table entries map it`;
      }
      return any ? true : null;
    },
  }),
  invariant<G, P>({
    name: 'anon-exclusive-pinned',
    why: "GUP only pins an anon page that is PageAnonExclusive (gup_must_unshare otherwise unshares first), fork refuses to share an exclusive page of a maybe-pinned folio (folio_try_dup_anon_rmap_*), and a PMD split passes the head's exclusivity to every PTE (RMAP_EXCLUSIVE).",
    doc: 'At rest, every mapped anon page held by a FOLL_PIN pin is PageAnonExclusive (for a PMD mapping: its head), and an exclusive anon page is mapped by at most one page-table entry.',
    source:
      'mm/internal.h gup_must_unshare() @ v6.12; include/linux/rmap.h __folio_try_dup_anon_rmap(), folio_try_share_anon_rmap_pte() @ v6.12 ("can only fail if the folio maybe pinned"); 6c287605fd56 "mm: remember exclusively mapped anonymous pages with PG_anon_exclusive"',
    when: 'quiescent',
    check: (g, p) => {
      if (p.kind !== 'anon') return null;
      let any = false;
      for (const pin of g.pins) {
        if (pin.page === PIN_ZERO_PAGE) continue; // the zero page is no anon page (gup.ts)
        any = true;
        // unmapped (MADV_DONTNEED, munmap): nothing can COW-share it; the zap left the flag where the
        // last mapping had it (a PMD's: on the head only)
        if (mappersOf(g, pin.page, p.nr) === 0) continue;
        if (!exclusiveAt(g, pin.page, p.nr))
          return `pinned page ${pin.page} (mm ${pin.mm}, subpage ${pin.sub}) is not PageAnonExclusive`;
      }
      for (let page = 0; page < p.nr + g.copies.length; page++) {
        const excl = page < p.nr ? g.pages[page]!.anon_exclusive : g.copies[page - p.nr]!.anon_exclusive;
        if (!excl) continue;
        if (page < p.nr && g.pages[page]!.freed) continue;
        any = true;
        const maps =
          page === 0 && g.large
            ? Math.max(mappersOf(g, 0, p.nr), g.mms.filter((mm) => mm.pmd === 'huge').length)
            : mappersOf(g, page, p.nr);
        if (maps > 1) return `page ${page} is PageAnonExclusive but mapped ${maps} times`;
      }
      return any ? true : null;
    },
  }),
  invariant<G, P>({
    name: 'deferred-queue-live',
    why: 'deferred_split_folio queues only anon large folios, and __folio_unqueue_deferred_split or split_folio takes a folio off the queue under split_queue_lock before it is freed or split; PG_partially_mapped lives in the second page, cleared by a split (__split_huge_page_tail) and by free_pages_prepare (PAGE_FLAGS_SECOND).',
    doc: "The deferred split queue holds only live anon large folios, and only a live anon large folio is flagged partially mapped. (v6.12 does not keep the flag with the list membership: a partial unmap between the shrinker's unlocked folio_test_partially_mapped() and its unlocked list_del_init() leaves a flagged folio on no list, see NOTES.md; so that is not stated.)",
    source:
      'mm/huge_memory.c deferred_split_folio(), __folio_unqueue_deferred_split(), deferred_split_scan() @ v6.12, mm/page_alloc.c free_pages_prepare() @ v6.12; 8422acdc97ed "mm: introduce a pageflag for partially mapped folios"',
    when: 'always',
    check: (g, p) => {
      if (g.partially_mapped) {
        if (g.pages[0]!.freed) return 'PG_partially_mapped set on a freed folio';
        if (!g.large) return 'PG_partially_mapped set on a small folio';
        if (p.kind !== 'anon') return 'PG_partially_mapped set on a file folio';
      }
      if (g.deferred === 0) return g.partially_mapped ? true : null;
      if (g.pages[0]!.freed) return 'a freed folio is on the deferred split list';
      if (!g.large) return 'a small folio is on the deferred split list';
      if (p.kind !== 'anon') return 'a file folio is on the deferred split list';
      return true;
    },
  }),
  ...vmaInvariants<G, P>(),
  invariant<G, P>({
    name: 'freeze-only-unpinned',
    why: 'split_huge_page_to_list_to_order freezes with folio_ref_freeze(folio, 1 + extra_pins) only when can_split_folio found no unexpected references.',
    doc: 'split_folio freezes the refcount only when no GUP pin or other extra reference exists.',
    source: 'mm/huge_memory.c can_split_folio(), split_huge_page_to_list_to_order() @ v6.12',
    when: 'always',
    check: (g) => {
      if (!g.frozen) return null;
      let pins = 0;
      let refs = 0;
      for (let i = 0; i < g.pages.length; i++) {
        if (!inLarge(g, i)) continue;
        pins += g.user_pins[i]!;
        refs += g.user_refs[i]!;
      }
      return pins + refs === 0 || `refcount frozen for split with ${pins} pin(s) and ${refs} reference(s) held`;
    },
  }),
  invariant<G, P>({
    name: 'freed-page-unmapped',
    why: 'A folio is freed only when its last reference goes, and every mapping holds one; free_pages_prepare reports a leftover mapcount as a bad page.',
    doc: 'No page-table entry (present or migration) maps a page of a freed folio, and its counters are back to zero.',
    source: 'mm/page_alloc.c free_pages_prepare() / bad_page() @ v6.12',
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
          if (inLarge(g, i) && (mm.pmd === 'huge' || mm.pmd === 'splitting'))
            return `mm ${m} still maps freed page ${i} by PMD`;
          if (
            (mm.pmd === 'table' || mm.pmd === 'collapsing') &&
            (mm.pte[i] === PTE_PRESENT || mm.pte[i] === PTE_MIGRATION)
          )
            return `mm ${m} still has an entry for freed page ${i}`;
        }
      }
      return any ? true : null;
    },
  }),
  invariant<G, P>({
    name: 'copy-page-accounted',
    why: "wp_page_copy / copy_present_page map the new folio with folio_add_new_anon_rmap and one reference, and each later pin adds GUP_PIN_COUNTING_BIAS, so a copy's counters follow its mappings and pins.",
    doc: 'Every private COW copy has _mapcount equal to the PTEs mapping it, and _refcount at least those mappings plus GUP_PIN_COUNTING_BIAS per pin held on it; a free copy (_refcount 0) is mapped by no PTE.',
    source: 'mm/memory.c wp_page_copy() and copy_present_page() @ v6.12',
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
      'include/linux/swapops.h pfn_swap_entry_to_page() @ v6.12: "Any use of migration entries may only occur while the corresponding page is locked"',
    when: 'always',
    check: (g) => {
      let any = false;
      for (let m = 0; m < g.mms.length; m++) {
        const mm = g.mms[m]!;
        const pmd = mm.pmd === 'migration';
        for (let i = 0; i < g.pages.length; i++) {
          if (!(pmd || (mm.pmd === 'table' && mm.pte[i] === PTE_MIGRATION))) continue;
          any = true;
          if (g.pages[folioOf(g, i)]!.locked === 0)
            return `mm ${m}: a migration entry of page ${i} while it is unlocked`;
        }
      }
      return any ? true : null;
    },
  }),
  invariant<G, P>({
    name: 'swap-count-matches-entries',
    why: 'try_to_unmap_one() takes swap_duplicate() before it installs a swap PTE and copy_nonpresent_pte() before it copies one; zap (free_swap_and_cache_nr) and do_swap_page (swap_free_nr) drop it with the PTE; add_to_swap_cache and __delete_from_swap_cache set and clear PG_swapcache with the slot.',
    doc: "Every swap slot's swap_map count equals the swap PTEs naming it, and a slot's swap-cache folio is in the swap cache (PG_swapcache, a page of the tracked folio or a small folio read back in).",
    source:
      'mm/swapfile.c swap_duplicate(), free_swap_and_cache_nr() @ v6.12; mm/swap_state.c add_to_swap_cache() @ v6.12',
    when: 'always',
    check: (g, p) => swapCountMatchesEntries(g, p.nr, isSwapPte),
  }),
  invariant<G, P>({
    name: 'swap-pool-holds-private-copies',
    why: 'reclaim of a small anon folio that is not the tracked one (a COW copy, an unshared page, a folio read back from swap) takes one slot of its own (add_to_swap → folio_alloc_swap), and do_swap_page() reads such a slot back into a fresh small folio; only the PMD-sized folio takes its cluster.',
    doc: 'A swap slot of the small-folio pool is named by swap PTEs or holds a private copy in the swap cache for it, never a page of the tracked folio. Non-trivial where a private copy went to swap (MADV_PAGEOUT of a copy).',
    source:
      'mm/swap_state.c add_to_swap() @ v6.12; mm/swapfile.c folio_alloc_swap() @ v6.12; mm/memory.c do_swap_page() @ v6.12',
    when: 'always',
    check: (g, p) => swapPoolHoldsCopies(g, p.nr),
  }),
];
