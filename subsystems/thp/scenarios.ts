/**
 * THP default scenarios: each names the kernel race it drives and the
 * variants it must catch (subsystems/thp/variants.ts).
 */
import type { OpChoice, Scenario } from '../../checker/types.js';
import type { ThpParams } from '../../impl/thp/page.js';
import { thpParams } from './params.js';
import { exclusiveScenarios } from './scenarios-exclusive.js';
import { swapScenarios } from './scenarios-swap.js';
import { fileThpScenarios } from './scenarios-file-thp.js';
import { vmaScenarios } from './scenarios-vma.js';
import { kthpScenarios } from './scenarios-kthps.js';
import { deferredScenarios } from './scenarios-deferred.js';
const op = (name: string, args: Record<string, number> = {}): OpChoice[] => [{ op: name, args }];
/** A slot whose operation is chosen nondeterministically among the alternatives. */
const alt = (...slots: OpChoice[][]): OpChoice[] => slots.flat();

export const scenarios: Scenario<ThpParams>[] = [
  {
    name: 'cow-vs-pmd-split',
    description:
      'Parent and child share an anon THP by PMD; the parent write-faults while the child mprotects part of it (PMD split), COWs and unmaps; readers and the shrinker run alongside.',
    params: thpParams('anon', 'forked'),
    threads: [
      [op('wp_fault', { mm: 0, sub: 0 }), op('page_mapped', { sub: 3 })],
      [
        op('mprotect', { mm: 1, from: 0, to: 1 }),
        op('wp_fault', { mm: 1, sub: 0 }),
        op('munmap', { mm: 1, from: 2, to: 4 }),
      ],
      [op('total_mapcount'), op('deferred_split_scan')],
    ],
  },
  {
    name: 'cow-reuse-race',
    description:
      'CVE-2020-29368 shape: the child splits its PMD of a shared anon THP while the parent write-faults; only the COW decision observes the transfer.',
    params: thpParams('anon', 'forked'),
    threads: [[op('wp_fault', { mm: 0, sub: 1 })], [op('split_huge_pmd', { mm: 1 })]],
  },
  {
    name: 'fork-vs-split',
    description:
      'fork copies a PMD-mapped anon THP while split_huge_page freezes it (rmap walk order: parent before child), the parent unmaps part of it and the child COWs and forks again.',
    params: thpParams('anon', 'pmd', 3),
    threads: [
      [op('fork', { src: 0, dst: 1 }), op('wp_fault', { mm: 1, sub: 2 }), op('fork', { src: 1, dst: 2 })],
      [op('split', { sub: 0 }), op('page_mapcount', { sub: 2 })],
      [op('munmap', { mm: 0, from: 1, to: 3 }), op('page_count', { sub: 0 })],
    ],
  },
  {
    name: 'fork-tree-double-map',
    description:
      'A fork tree of depth 2 over one anon THP mapped by PMD in the root and by PTEs below it: the child forks, zaps one subpage (MADV_DONTNEED splits only its PMD) and forks a grandchild from its PTE table; the grandchild COWs a subpage while split_huge_page walks all three and the root reads.',
    params: thpParams('anon', 'pmd', 3),
    threads: [
      [
        op('fork', { src: 0, dst: 1 }),
        op('madvise_dontneed', { mm: 1, from: 0, to: 1 }),
        op('fork', { src: 1, dst: 2 }),
      ],
      [op('wp_fault', { mm: 2, sub: 2, val: 3 }), op('read', { mm: 0, sub: 2 })],
      [op('split', { sub: 1 }), op('page_mapcount', { sub: 3 })],
    ],
  },
  {
    name: 'split-vs-pin',
    description:
      'split_huge_page of a PMD-mapped anon THP races GUP pin/unpin of a subpage, a partial mprotect and page_count readers.',
    params: thpParams('anon', 'pmd'),
    threads: [
      [op('pin', { mm: 0, sub: 1 }), op('unpin', { mm: 0, sub: 1 }), op('page_count', { sub: 1 })],
      [op('split', { sub: 0 }), op('page_count', { sub: 1 })],
      [op('mprotect', { mm: 0, from: 2, to: 4 }), op('page_count', { sub: 0 })],
    ],
  },
  {
    name: 'partial-unmap-shrinker',
    description:
      'Partial then full munmap of a PMD-mapped anon THP (queues it for deferred split, then frees it) against the deferred split shrinker and a physical scanner.',
    params: thpParams('anon', 'pmd'),
    threads: [
      [op('munmap', { mm: 0, from: 0, to: 2 }), op('munmap', { mm: 0, from: 2, to: 4 })],
      [op('deferred_split_scan'), op('page_mapcount', { sub: 3 })],
      [op('scan_get', { sub: 0 }), op('scan_put', { sub: 0 })],
    ],
  },
  {
    name: 'shared-split-unmap',
    description:
      'Child splits its PMD of a shared anon THP (PageDoubleMap), the parent unmaps its PMD (last compound mapping), a reader and the shrinker run alongside.',
    params: thpParams('anon', 'forked'),
    threads: [
      [op('split_huge_pmd', { mm: 1 }), op('munmap', { mm: 1, from: 0, to: 1 })],
      [op('munmap', { mm: 0, from: 0, to: 4 }), op('deferred_split_scan')],
      [op('page_mapcount', { sub: 0 }), op('page_mapcount', { sub: 2 })],
    ],
  },
  {
    name: 'scanner-vs-split',
    description:
      'A physical scanner takes get_page_unless_zero on a tail and on the head while split_huge_page runs and the mapping goes away.',
    params: thpParams('anon', 'pmd'),
    threads: [
      [op('split', { sub: 2 }), op('munmap', { mm: 0, from: 0, to: 4 })],
      [op('scan_get', { sub: 1 }), op('scan_put', { sub: 1 })],
      [op('scan_get', { sub: 0 }), op('scan_put', { sub: 0 })],
    ],
  },
  {
    name: 'file-split-vs-munmap',
    description:
      'split_huge_page of a file THP mapped by PMD in two mms while one of them munmaps it (the T10 race), PTE faults refault it, and a GUP pin comes and goes.',
    params: thpParams('file', 'forked'),
    threads: [
      [op('split', { sub: 0 }), op('evict')],
      [op('munmap', { mm: 1, from: 0, to: 4 }), op('fault_pte', { mm: 1, sub: 1 })],
      [op('pin', { mm: 0, sub: 2 }), op('unpin', { mm: 0, sub: 2 })],
    ],
  },
  {
    name: 'file-map-evict',
    description:
      'File THP: PMD fault, PTE fault (PageDoubleMap), khugepaged collapse back to a PMD and eviction race with a page_mapcount reader.',
    params: thpParams('file', 'pmd'),
    threads: [
      [op('fault_pte', { mm: 1, sub: 2 }), op('collapse', { mm: 1 }), op('munmap', { mm: 1, from: 0, to: 4 })],
      [op('munmap', { mm: 0, from: 0, to: 4 }), op('evict')],
      [op('page_mapcount', { sub: 2 }), op('total_mapcount')],
    ],
  },
  {
    name: 'anon-mix',
    description:
      'Three threads, each slot one of several anon operations: fork/COW/munmap/mprotect against split, shrinker, khugepaged, GUP, scanner and readers.',
    params: thpParams('anon', 'forked', 3),
    threads: [
      [
        alt(op('wp_fault', { mm: 0, sub: 1 }), op('munmap', { mm: 0, from: 1, to: 4 }), op('fork', { src: 0, dst: 2 })),
        alt(op('mprotect', { mm: 0, from: 0, to: 2 }), op('collapse', { mm: 0 })),
        alt(op('read', { mm: 0, sub: 1 }), op('scan_put', { sub: 0 })),
      ],
      [
        alt(op('split_huge_pmd', { mm: 1 }), op('munmap', { mm: 1, from: 0, to: 4 })),
        alt(op('wp_fault', { mm: 1, sub: 3 }), op('pin', { mm: 1, sub: 2 })),
        alt(op('munmap', { mm: 1, from: 2, to: 3 }), op('deferred_split_scan'), op('unpin', { mm: 1, sub: 2 })),
      ],
      [
        alt(op('split', { sub: 0 }), op('deferred_split_scan'), op('scan_get', { sub: 0 })),
        alt(op('total_mapcount'), op('page_mapcount', { sub: 1 }), op('page_count', { sub: 2 })),
      ],
    ],
  },
  {
    name: 'file-mix',
    description:
      'Three threads, each slot one of several file-THP operations: PMD/PTE faults, munmap, mprotect, khugepaged, split, eviction, GUP and readers.',
    params: thpParams('file', 'pmd', 3),
    threads: [
      [
        alt(op('fault', { mm: 1 }), op('fault_pte', { mm: 1, sub: 1 })),
        alt(
          op('collapse', { mm: 1 }),
          op('mprotect', { mm: 1, from: 1, to: 2 }),
          op('munmap', { mm: 1, from: 0, to: 4 }),
        ),
        alt(op('fault_pte', { mm: 1, sub: 3 }), op('unpin', { mm: 0, sub: 0 }), op('evict')),
      ],
      [
        alt(op('split', { sub: 2 }), op('evict')),
        alt(op('fault_pte', { mm: 2, sub: 2 }), op('pin', { mm: 0, sub: 0 })),
      ],
      [
        alt(op('munmap', { mm: 0, from: 0, to: 4 }), op('split_huge_pmd', { mm: 0 })),
        alt(op('page_mapcount', { sub: 1 }), op('total_mapcount'), op('page_count', { sub: 2 })),
      ],
    ],
  },
  {
    name: 'collapse-vs-pin',
    description:
      'An anon THP is PTE-mapped by split_huge_pmd (a page-table walker; the VMA stays whole, so khugepaged may collapse it: an mprotect of part of it would cut the VMA, and hugepage_vma_revalidate() refuses such a range), then khugepaged collapses it while GUP pins and unpins a subpage and split_huge_page runs.',
    params: thpParams('anon', 'pmd'),
    threads: [
      [op('split_huge_pmd', { mm: 0 }), op('collapse', { mm: 0 })],
      [op('pin', { mm: 0, sub: 3 }), op('unpin', { mm: 0, sub: 3 })],
      [op('split', { sub: 1 }), op('page_count', { sub: 3 })],
    ],
  },
  {
    name: 'pin-fork-cow',
    description:
      "Writable-pin case: the parent pins a subpage of its PMD-mapped THP (FOLL_PIN | FOLL_WRITE) and forks; it then writes through its mapping while the child reads: the pinned page must stay the parent's (d042035eaf5f, 70e806e4e645) and the child must not see the write.",
    params: thpParams('anon', 'pmd'),
    threads: [
      [
        op('pin', { mm: 0, sub: 1, write: 1 }),
        op('fork', { src: 0, dst: 1 }),
        op('wp_fault', { mm: 0, sub: 1, val: 2 }),
      ],
      [op('read', { mm: 1, sub: 1 }), op('wp_fault', { mm: 1, sub: 2, val: 3 })],
    ],
  },
  {
    name: 'ro-pin-shared',
    description:
      'Read-only-pin case: parent and child share an anon THP after fork; the parent pins a subpage R/O (FOLL_PIN without FOLL_WRITE) and then writes it: GUP must unshare first so COW does not leave the pin behind (a7f226604170); the child reads and unmaps.',
    params: thpParams('anon', 'forked'),
    threads: [
      [
        op('pin', { mm: 0, sub: 1, write: 0 }),
        op('wp_fault', { mm: 0, sub: 1, val: 2 }),
        op('unpin', { mm: 0, sub: 1 }),
      ],
      [op('read', { mm: 1, sub: 1 }), op('munmap', { mm: 1, from: 0, to: 4 })],
    ],
  },
  {
    name: 'cow-either-way',
    description:
      'CVE-2020-29374 shape ("COW can break either way"): the child R/O-pins a subpage of the THP it shares with the parent and unmaps it; the parent then writes: the child\'s pin must not see the parent\'s write (17839856fd58).',
    params: thpParams('anon', 'forked'),
    threads: [
      [op('pin', { mm: 1, sub: 1, write: 0 }), op('munmap', { mm: 1, from: 0, to: 4 })],
      [op('wp_fault', { mm: 0, sub: 1, val: 2 }), op('read', { mm: 0, sub: 1 })],
    ],
  },
  {
    name: 'gup-fast-vs-fork',
    description:
      "GUP-fast pins a subpage of the parent's writable THP, locklessly, while fork() checks for pinned pages and write-protects: the grab-then-recheck of the entry and mm->write_protect_seq must back off (57efa1fe5957); then the parent writes and the child reads.",
    params: thpParams('anon', 'pmd'),
    threads: [
      [op('pin_fast', { mm: 0, sub: 1 }), op('wp_fault', { mm: 0, sub: 1, val: 2 })],
      [op('fork', { src: 0, dst: 1 }), op('read', { mm: 1, sub: 1 })],
    ],
  },
  {
    name: 'gup-fast-vs-split',
    description:
      'GUP-fast against a PMD split (mprotect of part of the range), split_huge_page freezing the refcount and munmap: a lockless grab on a frozen or changed entry backs off, and a pin makes the split fail.',
    params: thpParams('anon', 'pmd'),
    threads: [
      [op('pin_fast', { mm: 0, sub: 2 }), op('unpin', { mm: 0, sub: 2 }), op('pin_fast', { mm: 0, sub: 3 })],
      [op('mprotect', { mm: 0, from: 0, to: 2 }), op('split', { sub: 0 })],
      [op('page_count', { sub: 2 }), op('munmap', { mm: 0, from: 2, to: 4 })],
    ],
  },
  {
    name: 'zero-page-force-write',
    description:
      'Huge Dirty COW shape (CVE-2017-1000405): a FOLL_FORCE write to a read-only private range faults in a THP and gets FOLL_COW, while MADV_DONTNEED zaps it, a read fault maps the huge zero page and a /proc/pid/mem read touches it; another process reads its own zero page: the zero page must stay zero and the write private (a8f97366452e).',
    params: thpParams('anon', 'none'),
    threads: [
      [op('mprotect_ro', { mm: 0 }), op('force_write', { mm: 0, sub: 1, val: 5 })],
      [
        op('madvise_dontneed', { mm: 0, from: 0, to: 4 }),
        op('populate_read', { mm: 0 }),
        op('force_read', { mm: 0, sub: 1 }),
      ],
      [op('populate_read', { mm: 1 }), op('read', { mm: 1, sub: 1 })],
    ],
  },
  {
    name: 'zero-page-ro-pin',
    description:
      'A read-only FOLL_PIN of the huge zero page (v6.12: the zero page itself; v5.8, until a308c71bf1e6 in v5.9: a private copy) while the pinner writes the same page (COW away from the zero page), forks, and the child reads: the pin never sees a write it must not, nobody reads anything but their own data.',
    params: thpParams('anon', 'none'),
    threads: [
      [op('populate_read', { mm: 0 }), op('pin', { mm: 0, sub: 1 }), op('unpin', { mm: 0, sub: 1 })],
      [op('wp_fault', { mm: 0, sub: 1, val: 3 }), op('fork', { src: 0, dst: 1 }), op('read', { mm: 1, sub: 1 })],
    ],
  },
  {
    name: 'zero-page-longterm-pin',
    description:
      'A read-only FOLL_LONGTERM pin of the huge zero page unshares it first (84209e87c696: a fresh exclusive page, v6.2+; v5.8 broke COW for every pin, until a308c71bf1e6 in v5.9) while the pinner writes the same page and forks: the pin keeps seeing what the pinner maps and reads.',
    params: thpParams('anon', 'none'),
    threads: [
      [
        op('populate_read', { mm: 0 }),
        op('pin', { mm: 0, sub: 1, longterm: 1 }),
        op('wp_fault', { mm: 0, sub: 1, val: 3 }),
      ],
      [op('read', { mm: 0, sub: 1 }), op('fork', { src: 0, dst: 1 }), op('read', { mm: 1, sub: 1 })],
    ],
  },
  {
    name: 'zero-page-cow',
    description:
      'The huge zero page shared after fork: a write fault splits the zero PMD and COWs one small zero page, a FOLL_FORCE write COWs through a read-only mapping, the child reads, partly unmaps and drops part of its range.',
    params: thpParams('anon', 'none'),
    threads: [
      [op('populate_read', { mm: 0 }), op('fork', { src: 0, dst: 1 }), op('wp_fault', { mm: 0, sub: 1, val: 3 })],
      [
        op('read', { mm: 1, sub: 1 }),
        op('force_write', { mm: 1, sub: 2, val: 4 }),
        op('munmap', { mm: 1, from: 0, to: 2 }),
      ],
      [op('force_read', { mm: 0, sub: 2 }), op('madvise_dontneed', { mm: 0, from: 2, to: 4 })],
    ],
  },
  {
    name: 'dontneed-vs-numa',
    description:
      "MADV_DONTNEED (mmap_lock for read, lockless pmd check) of all and of part of a PMD-mapped anon THP while NUMA balancing changes the PMD's protection under the same read lock: the zap must not miss the THP (ced108037c2a); readers after each.",
    params: thpParams('anon', 'pmd'),
    threads: [
      [op('numa_hint', { mm: 0 }), op('read', { mm: 0, sub: 1 })],
      [op('madvise_dontneed', { mm: 0, from: 0, to: 4 }), op('read', { mm: 0, sub: 2 })],
      [op('madvise_dontneed', { mm: 0, from: 1, to: 2 }), op('numa_hint', { mm: 0 })],
    ],
  },
  {
    name: 'mremap-vs-gup-split',
    description:
      'mremap moves a PMD-mapped anon THP shared after fork away and back (aligned: move_huge_pmd moves the PMD; not aligned: split_huge_pmd, then move_ptes) while GUP-fast pins a subpage locklessly and split_huge_page walks the rmap: data, page identity and the pin move with the range.',
    params: thpParams('anon', 'forked'),
    threads: [
      [alt(op('mremap', { mm: 0, aligned: 0 }), op('mremap', { mm: 0, aligned: 1 })), op('read', { mm: 0, sub: 1 })],
      [op('pin_fast', { mm: 0, sub: 1 }), op('wp_fault', { mm: 1, sub: 1, val: 2 })],
      [op('split', { sub: 0 }), op('page_mapcount', { sub: 1 })],
    ],
  },
  {
    name: 'gup-fast-vs-collapse',
    description:
      'GUP-fast walks the PTE table of a PTE-mapped anon THP while khugepaged collapses the range (pmdp_collapse_flush, isolate, copy): a pin taken from the detached table must be dropped, or the process pins a page it no longer maps (70cbc3cc78a9).',
    params: thpParams('anon', 'pmd'),
    threads: [
      [op('split_huge_pmd', { mm: 0 }), op('collapse', { mm: 0 })],
      [op('pin_fast', { mm: 0, sub: 2 }), op('unpin', { mm: 0, sub: 2 })],
    ],
  },
  {
    name: 'migrate-vs-gup',
    description:
      'move_pages of a PMD-mapped anon THP (PMD migration entry, refcount check, remove_migration_pmd) while GUP pins a subpage (slow path: lockless pmd read, then the locked follow; a pinned THP must not move) and GUP-fast pins another; loads after.',
    params: thpParams('anon', 'pmd'),
    threads: [
      [op('migrate', { mm: 0 }), op('read', { mm: 0, sub: 1 })],
      [op('pin', { mm: 0, sub: 1 }), op('unpin', { mm: 0, sub: 1 })],
      [op('pin_fast', { mm: 0, sub: 2 }), op('page_count', { sub: 0 })],
    ],
  },
  {
    name: 'migrate-vs-fork',
    description:
      'move_pages of a PMD-mapped anon THP while the process forks (copy_huge_pmd of a PMD migration entry: readable on both sides) and the child writes, and the parent zaps its whole range (zap_huge_pmd of a migration entry); the shrinker runs after.',
    params: thpParams('anon', 'pmd'),
    threads: [
      [op('migrate', { mm: 0 }), op('deferred_split_scan')],
      [op('fork', { src: 0, dst: 1 }), op('wp_fault', { mm: 1, sub: 3 })],
      [op('madvise_dontneed', { mm: 0, from: 0, to: 4 }), op('read', { mm: 0, sub: 2 })],
    ],
  },
  {
    name: 'migrate-vs-deferred-split',
    description:
      "Parent and child share an anon THP; the parent splits its PMD and khugepaged collapses its range into another THP, which it then migrates (a PMD migration entry in the shared anon_vma) while the child's partial unmap queues the first THP and the shrinker splits it: the split's rmap walk meets the other THP's migration entry (be6e843fc51a).",
    params: thpParams('anon', 'forked'),
    threads: [
      [op('split_huge_pmd', { mm: 0 }), op('collapse', { mm: 0 }), op('migrate', { mm: 0 })],
      [op('munmap', { mm: 1, from: 0, to: 1 }), op('deferred_split_scan')],
    ],
  },
  {
    name: 'migrate-vs-partial-unmap',
    description:
      'move_pages of a PMD-mapped anon THP while the process unmaps part of it (__split_huge_pmd of a PMD migration entry into PTE migration entries, restored as PTEs of the new THP) and writes; mapcount readers after.',
    params: thpParams('anon', 'pmd', 1),
    threads: [
      [op('migrate', { mm: 0 }), op('page_mapcount', { sub: 2 })],
      [op('munmap', { mm: 0, from: 0, to: 1 }), op('wp_fault', { mm: 0, sub: 2, val: 5 })],
    ],
  },
  {
    name: 'migrate-vs-split',
    description:
      "move_pages of a forked anon THP while split_huge_page runs: the split's freeze turns every mapping into a migration entry, and move_pages' follow_page (no FOLL_MIGRATION) then finds no page (-ENOENT, 'none'); the load after waits for the remap and reads the same data.",
    params: thpParams('anon', 'forked'),
    threads: [[op('split', { sub: 0 })], [op('migrate', { mm: 0 }), op('read', { mm: 0, sub: 1 })]],
  },
  ...deferredScenarios,
  ...exclusiveScenarios,
  ...swapScenarios,
  ...fileThpScenarios,
  ...vmaScenarios,
  ...kthpScenarios,
];
