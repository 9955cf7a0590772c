/**
 * Buggy variants of the folio-era THP implementation, each guarded by
 * `t.bug(NAME)` next to the correct code in impl/thp-folio. Where the bug is
 * one impl/thp also models, the name is the same (the fixing commit, or the
 * hazard id); TF-n are hazards of the folio era's PageAnonExclusive rules,
 * cited by the kernel function that states the rule.
 */
import type { Variant } from '../../../checker/types.js';

export const folioVariants: Variant[] = [
  {
    name: 'be6e843fc51a',
    description:
      "The deferred split shrinker's unmap_folio() walks the anon_vma of the queued folio and __split_huge_pmd() checks folio != page_folio(pmd_page(*pmd)) on a PMD that holds another folio's migration entry: pmd_page() of a swap entry is no struct page (invalid address access).",
    source: 'be6e843fc51a "mm/huge_memory: fix dereferencing invalid pmd migration entry"',
    scenarios: ['migrate-vs-deferred-split'],
  },
  {
    name: 'TH-1',
    description:
      'split_huge_page_to_list_to_order() without can_split_folio(), freezing at any count: a pinned folio gets split.',
    source: 'mm/huge_memory.c can_split_folio() and split_huge_page_to_list_to_order() @ v6.12',
    scenarios: ['split-vs-pin', 'anon-mix'],
  },
  {
    name: 'TH-6',
    description:
      'A large folio is freed without folio_unqueue_deferred_split(): the shrinker later finds a freed folio.',
    source:
      'mm/huge_memory.c __folio_unqueue_deferred_split() @ v6.12 ("It is unsafe to call folio_unqueue_deferred_split() until folio refcount is zero"); 9a982250f773 "thp: introduce deferred_split_huge_page()"',
    scenarios: ['partial-unmap-shrinker'],
  },
  {
    name: 'TH-8',
    description:
      "The pfn walker's get_page_unless_zero() goes through page_folio(), so it succeeds on a tail page of a large folio.",
    source: "include/linux/page_ref.h get_page_unless_zero() @ v6.12 (a tail page's _refcount is 0)",
    scenarios: ['scanner-vs-split'],
  },
  {
    name: '70e806e4e645',
    description:
      "copy_present_ptes() shares a maybe-pinned exclusive page with the child (folio_try_dup_anon_rmap_ptes ignores folio_maybe_dma_pinned): the parent's next write copies and leaves its own pin behind.",
    source:
      '70e806e4e645 "mm: Do early cow for pinned pages during fork() for ptes"; include/linux/rmap.h __folio_try_dup_anon_rmap() @ v6.12',
    scenarios: ['pin-fork-cow', 'two-thps-fork-vs-split-pin', 'two-thps-swap-vs-fork'],
  },
  {
    name: 'd042035eaf5f',
    description:
      "copy_huge_pmd() shares a maybe-pinned exclusive THP with the child by PMD (folio_try_dup_anon_rmap_pmd ignores the pin): the parent's next write copies and leaves its pin behind.",
    source:
      'd042035eaf5f "mm/thp: Split huge pmds/puds if they\'re pinned when fork()"; mm/huge_memory.c copy_huge_pmd() @ v6.12',
    scenarios: ['pin-fork-cow', 'two-thps-fork-vs-split-pin', 'two-thps-swap-vs-fork'],
  },
  {
    name: 'a7f226604170',
    description:
      "gup_must_unshare() never asks to unshare: a R/O FOLL_PIN (slow path or GUP-fast) pins a page shared after fork, and the pinner's next write copies and leaves the pin behind.",
    source: 'a7f226604170 "mm/gup: trigger FAULT_FLAG_UNSHARE when R/O-pinning a possibly shared anonymous page"',
    scenarios: ['ro-pin-shared', 'two-thps-fork-vs-split-pin', 'two-thps-swap-vs-fork'],
  },
  {
    name: '57efa1fe5957',
    description:
      'GUP-fast does not sample mm->write_protect_seq: it pins a page after fork() shared it (folio_try_dup_anon_rmap found no pin) and before it write-protected, so the pinned page is shared with the child.',
    source: '57efa1fe5957 "mm/gup: prevent gup_fast from racing with COW during fork"',
    scenarios: ['gup-fast-vs-fork', 'two-thps-fork-vs-split-pin'],
  },
  {
    name: '70cbc3cc78a9',
    description:
      'GUP-fast rechecks the PTE but not the PMD: it grabs a page of a table khugepaged has detached (pmdp_collapse_flush) after the isolation found no extra reference, so the pin holds a page the process no longer maps.',
    source: '70cbc3cc78a9 "mm: gup: fix the fast GUP race against THP collapse"',
    scenarios: ['gup-fast-vs-collapse'],
  },
  {
    name: 'TF-1',
    description:
      "__split_huge_pmd_locked() maps the PTEs without RMAP_EXCLUSIVE: a pinned exclusive THP's subpages become shared-looking, fork shares them and the next write copies, leaving the pin behind.",
    source:
      'mm/huge_memory.c __split_huge_pmd_locked() @ v6.12 (anon_exclusive → folio_add_anon_rmap_ptes(..., RMAP_EXCLUSIVE)); 6c287605fd56 "mm: remember exclusively mapped anonymous pages with PG_anon_exclusive"',
    scenarios: ['pin-fork-cow', 'two-thps-fork-vs-split-pin'],
  },
  {
    name: 'TF-2',
    description:
      'fork shares an anon page without ClearPageAnonExclusive: both processes take it for exclusive and a write is reused in place, so the other process sees it.',
    source:
      'include/linux/rmap.h __folio_try_dup_anon_rmap() @ v6.12 (ClearPageAnonExclusive when sharing); 6c287605fd56 "mm: remember exclusively mapped anonymous pages with PG_anon_exclusive"',
    scenarios: [
      'gup-fast-vs-fork',
      'fork-vs-split',
      'fork-tree-double-map',
      'two-thps-fork-vs-split-pin',
      'two-thps-swap-vs-fork',
    ],
  },
  {
    name: 'collapse-file-refcount',
    description:
      "collapse_file() replaces a small page-cache page by the new huge page without checking that only its own, the page cache's and the LRU isolation's references remain: a GUP-fast pin taken after the scan survives the collapse on the old page, which the file and the process no longer map.",
    source:
      'mm/khugepaged.c collapse_file() @ v6.12: "We control three references to the folio" (folio_ref_count(folio) != 3, SCAN_PAGE_COUNT)',
    scenarios: ['file-collapse-vs-gup-fast'],
  },
  {
    name: '84209e87c696',
    description:
      "gup_must_unshare() returns false for every non-anon page, FOLL_LONGTERM or not: a R/O long-term pin of the huge zero page pins the zero page itself, and the pinner's next write COWs away from it, leaving the long-term pin on a page the process no longer maps.",
    source:
      '84209e87c696 "mm/gup: reliable R/O long-term pinning in COW mappings"; mm/internal.h gup_must_unshare() @ v6.12',
    scenarios: ['zero-page-longterm-pin'],
  },
  {
    name: '6fa1066fc5d0',
    description:
      'move_normal_pmd() moves the page table get_old_pmd() saw without rechecking the PMD under the rmap and page-table locks: retract_page_tables(), which takes no mmap_lock since 1d65b771bc08, has cleared it meanwhile, and pmd_populate() installs pfn 0 as a page table. Caught as an impl-error (the model stops at that bogus pmd_populate() as a kernel BUG), not as a spec violation.',
    source:
      '6fa1066fc5d0 "mm/mremap: fix move_normal_pmd/retract_page_tables race" (fixes 1d65b771bc08 "mm/khugepaged: retract_page_tables() without mmap or vma lock")',
    scenarios: ['file-collapse-vs-mremap'],
  },
  {
    name: '99fa8a48203d',
    description:
      "__split_huge_pmd_locked() of a file PMD assumes a present PMD: on a shmem/file folio's PMD migration entry pmdp_huge_clear_flush() hits VM_BUG_ON(!pmd_present) (without DEBUG_VM, the rmap of pmd_folio() of a swap entry is dropped). Caught as an impl-error (the modelled VM_BUG_ON), not as a spec violation.",
    source: '99fa8a48203d "mm/thp: fix __split_huge_pmd_locked() on shmem migration entry"',
    scenarios: ['file-migrate-vs-split-pmd'],
  },
  {
    name: 'e66f3185fa04',
    description:
      "deferred_split_scan() drops its reference to a partially mapped folio whose split failed at once (v6.12 release candidates after dafff3f4c850): the folio stays on the shrinker's unlocked on-stack list, its owner's last folio_put() frees it and unqueues it under split_queue_lock while the shrinker's unlocked list_del_init() of the next folio (not partially mapped) is rewriting the links through it: list corruption. Needs two THPs on the queue (params.prior). Caught as an impl-error (the modelled CONFIG_DEBUG_LIST check), not as a spec violation.",
    source:
      'e66f3185fa04 "mm/thp: fix deferred split queue not partially_mapped" (fixes dafff3f4c850 "mm: split underused THPs"): swap(folio, prev) keeps one raised-refcount folio before each unlocked list_del_init()',
    scenarios: ['deferred-split-two-thps'],
  },
  {
    name: '6c287605fd56',
    description:
      'Reclaim as before the PG_anon_exclusive series, in folio form: try_to_unmap_one() unmaps a maybe-pinned exclusive page (no folio_try_share_anon_rmap_pte() refusal) and its swap PTE carries no exclusive bit (no pte_swp_mkexclusive(), 1493a1913e34 "mm/swap: remember PG_anon_exclusive via a swp pte bit"). The pinned folio\'s freeze fails and it stays in the swap cache; the owner\'s read maps it back read-only and not exclusive, and the write copies, leaving the R/O pin on a page the process no longer maps. Dropping either half alone is not caught: the refusal keeps a pinned page mapped, and the bit makes the swapped-in page exclusive again.',
    source:
      '6c287605fd56 "mm: remember exclusively mapped anonymous pages with PG_anon_exclusive" (v5.19); mm/rmap.c try_to_unmap_one() @ v6.12 (folio_try_share_anon_rmap_pte() after swap_duplicate(), swp_pte = pte_swp_mkexclusive() when anon_exclusive); mm/memory.c do_swap_page() @ v6.12 (exclusive = pte_swp_exclusive(vmf->orig_pte))',
    scenarios: ['swap-out-vs-pin'],
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
