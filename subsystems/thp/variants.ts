/**
 * THP buggy variants. Each is guarded by `t.bug(NAME)` next to the correct code
 * in impl/thp; `source` is a commit id with its title, or the kernel function
 * or Documentation/ section at a version that states the rule the variant
 * breaks (hazards with no single fixing commit).
 */
import type { Variant } from '../../checker/types.js';

export const variants: Variant[] = [
  {
    name: 'T3',
    description:
      'PMD split sets PG_double_map (and adds the bias) before the PTE _mapcount increments: page_mapcount undercounts mid-split.',
    source:
      'eef1b3ba053a "thp: implement split_huge_pmd()" (v4.5; the ordering was fixed in review before merge): mm/huge_memory.c __split_huge_pmd_locked() @ v5.10',
    scenarios: [
      'cow-vs-pmd-split',
      'shared-split-unmap',
      'anon-mix',
      'fork-vs-split',
      'fork-tree-double-map',
      'two-thps-fork-vs-split-pin',
      'two-thps-migrate-vs-cow',
    ],
  },
  {
    name: 'T8',
    description:
      '__split_huge_pmd() without lock_page(): a reader of the mapcounts under the page lock sees them mid-transfer (v5.8 - v5.18: the COW reuse_swap_page() reuses a shared THP, shown by cow-reuse-race and fork-vs-split under --kernel-version 5.13; since PG_anon_exclusive the COW reads no mapcount).',
    source: 'c444eb564fb1 "mm: thp: make the THP mapcount atomic against __split_huge_pmd_locked()" (CVE-2020-29368)',
    scenarios: ['cow-vs-pmd-split', 'anon-mix'],
  },
  {
    name: 'T10',
    description:
      'try_to_unmap() without TTU_SYNC skips an entry a racing zap cleared but has not yet unaccounted, so split sees the page still mapped.',
    source: '732ed55823fc "mm/thp: try_to_unmap() use TTU_SYNC for safe splitting"',
    scenarios: ['file-split-vs-munmap', 'anon-mix', 'file-mix'],
  },
  {
    name: '688272809fcc',
    description:
      'follow_pmd_mask() reads *pmd again after its pmd_present() check: a PMD that meanwhile became a THP migration entry is !pmd_trans_huge and is walked by follow_page_pte() as if it were a page table.',
    source: '688272809fcc "mm, gup: prevent pmd checking race in follow_pmd_mask()"',
    scenarios: ['migrate-vs-gup'],
  },
  {
    name: 'TH-1',
    description:
      'split_huge_page ignores extra pins (no can_split_huge_page check, freeze at any count): a pinned THP gets split.',
    source:
      'mm/huge_memory.c can_split_huge_page() and split_huge_page_to_list() @ v5.10; Documentation/vm/transhuge.rst @ v5.10, "Refcounts and transparent huge pages"',
    scenarios: ['split-vs-pin', 'anon-mix'],
  },
  {
    name: 'TH-4',
    description:
      'The last compound unmap clears PG_double_map without removing the +1 bias from the subpages: page_mapcount never returns to 0.',
    source:
      'mm/rmap.c page_remove_anon_compound_rmap() @ v5.10 (TestClearPageDoubleMap + atomic_add_negative(-1, &page[i]._mapcount))',
    scenarios: ['shared-split-unmap', 'anon-mix'],
  },
  {
    name: 'TH-5',
    description:
      "A file THP PMD map/unmap does not touch the subpages' _mapcount, so page_mapcount of a PMD-mapped file subpage is wrong.",
    source:
      'mm/rmap.c page_add_file_rmap() / page_remove_file_rmap() @ v5.10 (compound: atomic_inc_and_test(&page[i]._mapcount) for every subpage)',
    scenarios: ['file-map-evict', 'file-mix'],
  },
  {
    name: 'TH-6',
    description:
      'free_transhuge_page() does not take the page off the deferred split queue: the shrinker later finds a freed page.',
    source: '9a982250f773 "thp: introduce deferred_split_huge_page()"; mm/huge_memory.c free_transhuge_page() @ v5.10',
    scenarios: ['partial-unmap-shrinker'],
  },
  {
    name: 'TH-8',
    description:
      "The scanner's get_page_unless_zero() goes through compound_head(), so it succeeds on a tail page of a compound THP.",
    source:
      'Documentation/vm/transhuge.rst @ v5.10, "Refcounts and transparent huge pages": "get_page_unless_zero() never succeeds on tail pages"',
    scenarios: ['scanner-vs-split'],
  },
  {
    name: '17839856fd58',
    description:
      'Before "COW can break either way" was worked around: a R/O GUP pin does not break COW and do_wp_page() reuses by mapcount, so a child\'s pin sees the parent\'s later write (CVE-2020-29374).',
    source:
      '17839856fd58 "gup: document and work around \'COW can break either way\' issue"; 09854ba94c6a "mm: do_wp_page() simplification"',
    scenarios: ['cow-either-way', 'fork-tree-double-map'],
  },
  {
    name: '70e806e4e645',
    description:
      "fork() shares a maybe-pinned page with the child (no early COW in copy_present_pte): the parent's next write copies and leaves its own pin behind.",
    source: '70e806e4e645 "mm: Do early cow for pinned pages during fork() for ptes"',
    scenarios: ['pin-fork-cow', 'two-thps-fork-vs-split-pin', 'two-thps-swap-vs-fork'],
  },
  {
    name: 'd042035eaf5f',
    description:
      "copy_huge_pmd() shares a pinned THP with the child by PMD instead of splitting and copying: the parent's next write copies and leaves its pin behind.",
    source: 'd042035eaf5f "mm/thp: Split huge pmds/puds if they\'re pinned when fork()"',
    scenarios: ['pin-fork-cow', 'two-thps-fork-vs-split-pin', 'two-thps-swap-vs-fork'],
  },
  {
    name: 'a7f226604170',
    description:
      'A R/O FOLL_PIN of a page shared after fork does not unshare it (v5.9 - v5.18, after a308c71bf1e6 "mm/gup: Remove enfornced COW mechanism"): the pinner\'s next write copies and leaves the pin behind.',
    source: 'a7f226604170 "mm/gup: trigger FAULT_FLAG_UNSHARE when R/O-pinning a possibly shared anonymous page"',
    scenarios: ['ro-pin-shared', 'two-thps-fork-vs-split-pin', 'two-thps-swap-vs-fork'],
  },
  {
    name: '84209e87c696',
    description:
      "6.1 as released: gup_must_unshare() returns false for every non-anon page, FOLL_LONGTERM or not, so a R/O long-term pin of the huge zero page pins the zero page itself, and the pinner's next write COWs away from it, leaving the long-term pin on a page the process no longer maps.",
    source:
      '84209e87c696 "mm/gup: reliable R/O long-term pinning in COW mappings" (v6.2); include/linux/mm.h gup_must_unshare() @ v6.1 (6.1.192: only PageAnon pages unshare)',
    scenarios: ['zero-page-longterm-pin'],
  },
  {
    name: '6c287605fd56',
    description:
      "No PG_anon_exclusive (v5.9 - v5.18 COW and GUP): do_wp_page() reuses only a page whose refcount is this PTE's alone, so the FOLL_FORCE write to a PTE-mapped subpage of an exclusive THP copies it (every other PTE holds a reference on the head) and leaves the R/O pin the process took on it behind. Reclaim: try_to_unmap_one() does not refuse a maybe-pinned exclusive page (and swap PTEs carry no exclusive bit), so a THP pinned after add_to_swap() is unmapped to swap; __remove_mapping() fails on the pin, the read fault maps the swap-cache page back read-only and the write copies it, leaving the pin behind.",
    source:
      '6c287605fd56 "mm: remember exclusively mapped anonymous pages with PG_anon_exclusive" (v5.19); mm/memory.c do_wp_page() @ v6.1 ("If the page is exclusive to this process we must reuse the page without further checks"); mm/rmap.c try_to_unmap_one() @ v6.1 (page_try_share_anon_rmap() after swap_duplicate())',
    scenarios: ['ro-pin-exclusive-force-write', 'swap-out-vs-pin', 'two-thps-swap-vs-fork'],
  },
  {
    name: '57efa1fe5957',
    description:
      'GUP-fast does not sample mm->write_protect_seq: it pins a page after fork() checked page_maybe_dma_pinned() and before it write-protected, so the pinned page is shared with the child.',
    source: '57efa1fe5957 "mm/gup: prevent gup_fast from racing with COW during fork"',
    scenarios: ['gup-fast-vs-fork', 'two-thps-fork-vs-split-pin'],
  },
  {
    name: 'a8f97366452e',
    description:
      'touch_pmd() makes the PMD dirty on every FOLL_TOUCH follow, a read included: after MADV_DONTNEED and a read fault, a FOLL_FORCE write holding FOLL_COW finds the huge zero PMD "dirty" and writes into the huge zero page (Huge Dirty COW, CVE-2017-1000405).',
    source: 'a8f97366452e "mm, thp: Do not make page table dirty unconditionally in touch_p[mu]d()"',
    scenarios: ['zero-page-force-write'],
  },
  {
    name: 'ced108037c2a',
    description:
      'change_huge_pmd(prot_numa) clears the PMD (pmdp_huge_get_and_clear_notify) before set_pmd_at: MADV_DONTNEED under the same read lock reads it as none, skips it, and the THP stays mapped after MADV_DONTNEED returned.',
    source: 'ced108037c2a "thp: fix MADV_DONTNEED vs. numa balancing race"',
    scenarios: ['dontneed-vs-numa'],
  },
  {
    name: '70cbc3cc78a9',
    description:
      'gup_pte_range() rechecks only the PTE it read, not that the PMD still points to that table: khugepaged has detached it (pmdp_collapse_flush) and checked the refcounts, GUP-fast pins the old page, and the range is then collapsed into a new THP the pin does not hold.',
    source: '70cbc3cc78a9 "mm: gup: fix the fast GUP race against THP collapse"',
    scenarios: ['gup-fast-vs-collapse'],
  },
  {
    name: 'collapse-file-refcount',
    description:
      "collapse_file() replaces a small page-cache page by the new huge page without checking that only its own, the page cache's and the LRU isolation's references remain: a GUP-fast pin taken after the scan survives the collapse on the old page, which the file and the process no longer map.",
    source:
      'mm/khugepaged.c collapse_file() @ v6.1: "The page is expected to have page_count() == 3" (page_ref_freeze(page, 3), SCAN_PAGE_COUNT)',
    scenarios: ['file-collapse-vs-gup-fast'],
  },
  {
    name: '99fa8a48203d',
    description:
      "__split_huge_pmd_locked() of a file PMD assumes a present PMD: on a shmem/file THP's PMD migration entry pmdp_huge_clear_flush() hits VM_BUG_ON(!pmd_present) (without DEBUG_VM, page_remove_rmap() of pmd_page() of a swap entry). Caught as an impl-error (the modelled VM_BUG_ON), not as a spec violation.",
    source: '99fa8a48203d "mm/thp: fix __split_huge_pmd_locked() on shmem migration entry"',
    scenarios: ['file-migrate-vs-split-pmd'],
  },
  {
    name: 'feb889fb40fa',
    description:
      "v5.10 as released (COW by page_count since 09854ba94c6a, no PG_anon_exclusive): shrink_page_list() puts a pinned page into the swap cache, try_to_unmap_one() unmaps it (no refusal before v5.19), __remove_mapping() fails on the pin, and the process's next fault maps the swap-cache page back read-only; its write sees page_count() > 1 and copies, leaving the pin on a page the process no longer maps. Reached by MADV_PAGEOUT of a pinned private copy (pin taken before the pageout) as well as by reclaim of the pinned THP.",
    source:
      'feb889fb40fa "mm: don\'t put pinned pages into the swap cache" (v5.11; 5.10.y: 72c5ce89427f); mm/vmscan.c shrink_page_list() @ v6.1 (page_maybe_dma_pinned() → keep_locked before add_to_swap())',
    scenarios: ['pageout-copy-vs-pin', 'swap-out-vs-pin', 'two-thps-swap-vs-fork'],
  },
  {
    name: 'vma-cut-before-pmd-split',
    description:
      'munmap cuts its VMA pieces (and re-inserts them in the anon_vma tree) in its first step and splits the PMD only in the zap after it, as the model did before session 16: until then a huge PMD straddles a VMA border, which an rmap walk visits piece by piece and a split through the shrunk VMA would hit VM_BUG_ON_VMA for. The kernel splits first: __split_vma() calls vma_adjust_trans_huge() before the VMA bounds change.',
    source:
      'mm/mmap.c __vma_adjust() @ v6.1 ("Get rid of huge pages and shared page tables straddling the split boundary": vma_adjust_trans_huge() before vma->vm_start/vm_end change) and mm/huge_memory.c __split_huge_pmd_locked() @ v6.1 (VM_BUG_ON_VMA(vma->vm_end < haddr + HPAGE_PMD_SIZE)); mm/vma.c __split_vma() @ v6.12. The rule came with the THP series: "thp: avoid breaking huge pmd invariants in case of vma_adjust failures" (Andrea Arcangeli, linux-mm, 2010-11-03, merged for v2.6.38: "An huge pmd can only be mapped if the corresponding 2M virtual range is fully contained in the vma")',
    scenarios: ['munmap-vs-migrate', 'partial-unmap-shrinker'],
  },
];
