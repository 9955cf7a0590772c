/**
 * Default scenarios of file THPs: khugepaged's file collapse (collapse_file +
 * retract_page_tables: a file THP is split into small page-cache pages, then
 * collapsed again while faults, GUP-fast, munmap, mremap, eviction and
 * collapse_pte_mapped_thp race it) and file THP migration.
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
];
