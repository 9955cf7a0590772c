/**
 * Default scenarios of file THPs: khugepaged's file collapse (collapse_file +
 * retract_page_tables: a file THP is split into small page-cache pages, then
 * collapsed again while faults, GUP-fast, munmap, mremap, eviction and
 * collapse_pte_mapped_thp race it), file THP migration, and MADV_PAGEOUT of a
 * file THP (the page cache's reclaim: no swap, the file PMD zapped, the
 * page evicted when its refcount freezes).
 */
import type { OpChoice, Scenario } from '../../checker/types.js';
import type { ThpParams } from '../../impl/thp/page.js';
import { thpParams } from './params.js';

const op = (name: string, args: Record<string, number> = {}): OpChoice[] => [{ op: name, args }];

export const fileThpScenarios: Scenario<ThpParams>[] = [
  {
    name: 'file-collapse-vs-gup-fast',
    description:
      'A split file THP is collapsed again (collapse_file: lock, try_to_unmap, refcount freeze/check, replace) while the process PTE-faults a page and GUP-fast pins it: a pin taken after the scan must make the collapse refuse, or the pin holds a page the file no longer has.',
    params: thpParams('file', 'pmd', 1),
    threads: [
      [op('split', { sub: 0 }), op('collapse_file', { mm: 0 })],
      [op('fault_pte', { mm: 0, sub: 1 }), op('pin_fast', { mm: 0, sub: 1 }), op('unpin', { mm: 0, sub: 1 })],
    ],
  },
  {
    name: 'file-collapse-retract',
    description:
      "collapse_file of a split file THP PTE-mapped by two processes: retract_page_tables drops each emptied page table, or keeps it when khugepaged cannot take that process's mmap_lock (collapse_pte_mapped_thp holds it); a PTE fault, munmap and eviction race it.",
    params: thpParams('file', 'forked'),
    threads: [
      [op('split', { sub: 0 }), op('collapse_file', { mm: 0 }), op('fault', { mm: 1 })],
      [op('fault_pte', { mm: 1, sub: 2 }), op('collapse', { mm: 1 })],
      [op('fault_pte', { mm: 0, sub: 0 }), op('munmap', { mm: 0, from: 0, to: 4 }), op('evict')],
    ],
  },
  {
    name: 'file-collapse-vs-mremap',
    description:
      "collapse_file's retract_page_tables empties the process's page table while the process mremaps the range: v6.12 retracts without mmap_lock, so move_normal_pmd must recheck under its locks the PMD get_old_pmd read (6fa1066fc5d0); v6.1 retracts only under mmap_write_trylock and keeps the table.",
    params: thpParams('file', 'pmd', 1),
    threads: [
      [op('split', { sub: 0 }), op('collapse_file', { mm: 0 })],
      [op('fault_pte', { mm: 0, sub: 1 }), op('mremap', { mm: 0, aligned: 1 }), op('fault', { mm: 0 })],
    ],
  },
  {
    name: 'file-migrate-vs-split-pmd',
    description:
      "move_pages of a file THP mapped by PMD in two processes (PMD migration entries, the page cache's references expected, newpage into the page cache) while the other process mprotects part of it: the file PMD split meets a migration entry and must only zap it (99fa8a48203d); a PTE refault and a mapcount reader after.",
    params: thpParams('file', 'forked'),
    threads: [
      [op('migrate', { mm: 0 }), op('page_mapcount', { sub: 1 })],
      [op('mprotect', { mm: 1, from: 0, to: 1 }), op('fault_pte', { mm: 1, sub: 2 })],
    ],
  },
  {
    name: 'file-pageout-vs-pin',
    description:
      "MADV_PAGEOUT of the whole file THP mm 0 maps by PMD while mm 1 PTE-maps one subpage and reads it, and a GUP pin comes and goes: shrink_folio_list() gives a file folio no swap slot; try_to_unmap(TTU_SPLIT_HUGE_PMD) over the i_mmap walk zaps mm 0's PMD (__split_huge_pmd_locked() of a file PMD makes no PTEs) and mm 1's PTE; a maybe-pinned folio is activated after the unmap, a refault behind the walk keeps it mapped (activate_locked), else __remove_mapping() freezes it at 1 + nr and it leaves the page cache. 6.1 isolates it (page_mapcount of the head is 1 while mm 1 maps subpage 2), 6.12 skips it once mm 1 maps it too (folio_likely_mapped_shared).",
    params: thpParams('file', 'pmd'),
    threads: [
      [op('madvise_pageout', { mm: 0, from: 0, to: 4 }), op('fault', { mm: 0 })],
      [op('pin', { mm: 0, sub: 1 }), op('unpin', { mm: 0, sub: 1 })],
      [op('fault_pte', { mm: 1, sub: 2 }), op('read', { mm: 1, sub: 2 })],
    ],
  },
  {
    name: 'file-pageout-split',
    description:
      'MADV_PAGEOUT of part of a PMD-mapped file THP splits it (split_huge_page of a file THP unmaps every mapping; the walk then finds no page table), then a PTE refault of subpage 1 and a second MADV_PAGEOUT evict that small page alone, while a pfn scanner holds a reference on the head (the split fails, before or after its unmap, or the freeze of the small page) and mm 1 PTE-maps subpage 1 and reads it.',
    params: thpParams('file', 'pmd'),
    threads: [
      [
        op('madvise_pageout', { mm: 0, from: 0, to: 2 }),
        op('fault_pte', { mm: 0, sub: 1 }),
        op('madvise_pageout', { mm: 0, from: 1, to: 2 }),
      ],
      [op('scan_get', { sub: 0 }), op('scan_put', { sub: 0 })],
      [op('fault_pte', { mm: 1, sub: 1 }), op('read', { mm: 1, sub: 1 })],
    ],
  },
];
