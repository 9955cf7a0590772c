/**
 * Default scenarios of THP swap-out (issue 12 item 6; impl/thp/vmscan.ts): reclaim of an exclusive THP racing a
 * GUP-fast pin grabbed after the unmap, or a R/O pin, of a THP shared after fork whose swap entries are duplicated and faulted back in by both processes, and
 * of a THP mapped by PTEs only, which v6.1 reclaim splits first; MADV_PAGEOUT of a PTE-mapped THP
 * (impl/thp/pageout.ts, impl/thp-folio/pageout.ts) racing a pin and a write, and of a private copy (a slot of the
 * small-page pool) racing a pin, or a fork whose child reads the copy back through the shared swap entry.
 */
import type { OpChoice, Scenario } from '../../checker/types.js';
import type { ThpParams } from '../../impl/thp/page.js';
import { thpParams } from './params.js';

const op = (name: string, args: Record<string, number> = {}): OpChoice[] => [{ op: name, args }];

export const swapScenarios: Scenario<ThpParams>[] = [
  {
    name: 'swap-out-vs-pin-fast',
    description:
      "Reclaim of mm 0's exclusive PMD-mapped THP, just written, racing pin_user_pages_fast() of subpage 1 and its unpin: GUP-fast reads the writable huge PMD locklessly and grabs the folio from that value (gup_huge_pmd() @ v6.1, gup_fast_pmd_leaf() @ v6.12), possibly after reclaim split the PMD and unmapped every page to swap entries; its recheck then drops the pin and falls back. shrink_folio_list() checks folio_maybe_dma_pinned() after try_to_unmap() and activates the folio before pageout() (d824ec2a1546), else the freeze fails on the grab; the page stays in the swap cache either way and the read maps it back.",
    params: thpParams('anon', 'pmd'),
    threads: [
      [op('wp_fault', { mm: 0, sub: 1, val: 7 }), op('swap_out', { sub: 0 }), op('read', { mm: 0, sub: 1 })],
      [op('pin_fast', { mm: 0, sub: 1 }), op('unpin', { mm: 0, sub: 1 })],
    ],
  },
  {
    name: 'swap-out-vs-pin',
    description:
      "Reclaim of mm 0's exclusive PMD-mapped THP (add_to_swap, try_to_unmap with TTU_SPLIT_HUGE_PMD, __remove_mapping) racing a R/O pin of subpage 1 that mm 0 then reads and writes: try_to_unmap_one() refuses a maybe-pinned PageAnonExclusive page (v5.19+), so the pinned page stays mapped; without the refusal (6c287605fd56) the freeze fails on the pin, the read maps the swap-cache page read-only and the write copies it, leaving the pin behind. A second swap_out reclaims what is left; a scanner reference makes __remove_mapping keep the page in the swap cache.",
    params: thpParams('anon', 'pmd'),
    threads: [
      [op('swap_out', { sub: 0 }), op('swap_out', { sub: 0 })],
      [
        op('pin', { mm: 0, sub: 1, write: 0 }),
        op('read', { mm: 0, sub: 1 }),
        op('wp_fault', { mm: 0, sub: 1, val: 7 }),
        op('unpin', { mm: 0, sub: 1 }),
      ],
      [op('scan_get', { sub: 0 }), op('scan_put', { sub: 0 })],
    ],
  },
  {
    name: 'swap-out-forked',
    description:
      'The THP shared by PMD after fork is reclaimed while both processes read and write it and one unmaps part of it: the rmap walk splits both PMDs, every PTE becomes a (shared) swap entry; a fault reads the page back from the swap cache, or once it left memory a fresh small page that both processes share (the swap cache of a shared entry) until one writes.',
    params: thpParams('anon', 'forked', 3),
    threads: [
      [op('swap_out', { sub: 0 }), op('read', { mm: 1, sub: 2 })],
      [op('read', { mm: 0, sub: 2 }), op('wp_fault', { mm: 0, sub: 2, val: 3 }), op('read', { mm: 1, sub: 2 })],
      [op('madvise_dontneed', { mm: 1, from: 0, to: 1 }), op('fork', { src: 1, dst: 2 })],
    ],
  },
  {
    name: 'pageout-vs-pin',
    description:
      "MADV_PAGEOUT of the whole range of mm 0's THP after split_huge_pmd, racing a R/O pin of subpage 1 that mm 0 then writes. 6.1 (madvise_cold_or_pageout_pte_range @ v6.1) splits the THP mapped once at its first PTE and reclaims the small pages one by one; 6.12 (@ v6.12) takes the PTE-mapped folio wholly in the range as one batch (folio_pte_batch, folio_mapcount == folio_nr_pages) and reclaims it whole, 6.6 splits it. The pinned page never leaves memory (folio_maybe_dma_pinned before add_to_swap, the try_to_unmap_one refusal after it, the failed freeze), and the write after the pin copies or reuses as the spec says. (A scanner reference as a third thread triples the time: swap-out-vs-pin covers the failed freeze.)",
    params: thpParams('anon', 'pmd'),
    threads: [
      [op('split_huge_pmd', { mm: 0 }), op('madvise_pageout', { mm: 0, from: 0, to: 4 })],
      [
        op('pin', { mm: 0, sub: 1, write: 0 }),
        op('wp_fault', { mm: 0, sub: 1, val: 7 }),
        op('unpin', { mm: 0, sub: 1 }),
      ],
    ],
  },
  {
    name: 'swap-out-pte-mapped',
    description:
      "Reclaim of mm 0's THP after its PMD was split (mapped by PTEs only): v6.1 shrink_page_list() checks can_split_folio() (a pin or reference keeps the THP: activate_locked) and splits a THP no PMD maps before add_to_swap (split_folio_to_list: the head goes on to swap, the tails back to the LRU), racing a R/O pin of subpage 2 and a migrate whose move_pages() lookup may meet the split's migration entries.",
    params: thpParams('anon', 'pmd'),
    threads: [
      [op('split_huge_pmd', { mm: 0 }), op('swap_out', { sub: 1 })],
      [op('pin', { mm: 0, sub: 2, write: 0 }), op('unpin', { mm: 0, sub: 2 })],
      [op('migrate', { mm: 0 }), op('read', { mm: 0, sub: 0 })],
    ],
  },
  {
    name: 'pageout-copy-vs-pin',
    description:
      'MADV_PAGEOUT by mm 1 of the private copy its write made of subpage 1 of the THP shared after fork (page_mapcount 1: isolated; add_to_swap takes a slot of the small-page pool, try_to_unmap_one turns the PTE into an exclusive swap entry of it, the freeze frees it), racing a R/O pin of that subpage by mm 1 and its read and write: a pin taken first keeps the copy (page_maybe_dma_pinned before add_to_swap, the anon-exclusive refusal after it, the failed freeze), one taken after the copy left memory reads it back first; the data stays 7 until the write.',
    params: thpParams('anon', 'forked'),
    threads: [
      [op('wp_fault', { mm: 1, sub: 1, val: 7 }), op('madvise_pageout', { mm: 1, from: 1, to: 2 })],
      [
        op('pin', { mm: 1, sub: 1, write: 0 }),
        op('read', { mm: 1, sub: 1 }),
        op('wp_fault', { mm: 1, sub: 1, val: 9 }),
      ],
    ],
  },
  {
    name: 'pageout-copy-vs-fork',
    description:
      'MADV_PAGEOUT by mm 1 of the private copy its write made of subpage 2 of the THP shared after fork, racing a fork of mm 1 into mm 2 and reads by the child: the child gets the copy write-protected (both then map it twice: page_mapcount 2, skipped) or the swap entry of its pool slot (swap_duplicate, the exclusive bit cleared), and reading it back gives both the same data (one page through the swap cache).',
    params: thpParams('anon', 'forked', 3),
    threads: [
      [op('wp_fault', { mm: 1, sub: 2, val: 5 }), op('madvise_pageout', { mm: 1, from: 2, to: 3 })],
      [op('fork', { src: 1, dst: 2 }), op('read', { mm: 2, sub: 2 }), op('read', { mm: 1, sub: 2 })],
    ],
  },
  {
    name: 'swap-out-copy-forked',
    description:
      "Reclaim (swap_out with mm: the page mm 1 maps at subpage 1) of the private copy mm 1's write made and a fork then shared with mm 2 (page_mapcount 2: MADV_PAGEOUT skips it, reclaim does not), racing mm 2's read and write of it: the rmap walk turns both PTEs into swap entries of one pool slot (swap_duplicate twice, not exclusive), a read maps the copy back from the swap cache or, once it left memory, reads it into one page both share through the swap cache, and the write copies away from the shared page; every process keeps reading 7 until its own write.",
    params: thpParams('anon', 'forked', 3),
    threads: [
      [op('wp_fault', { mm: 1, sub: 1, val: 7 }), op('fork', { src: 1, dst: 2 }), op('swap_out', { sub: 1, mm: 1 })],
      [op('read', { mm: 2, sub: 1 }), op('wp_fault', { mm: 2, sub: 1, val: 9 })],
    ],
  },
];
