/**
 * Default scenarios of two tracked THPs (params.thps 2; impl/thp-common/kthps.ts): the interleavings of one
 * process's two THPs that a single THP cannot give. fork copies both ranges under one mmap_write_lock and one
 * write_protect_seq window while split_huge_page of one and GUP-fast of the other run; a migration of one THP
 * races the COW of the other, PMD-mapped in one process and PTE-mapped in the other, and a split of it (both
 * rmap walks take the one anon_vma lock); reclaim of one THP races fork copying it and the other, pinned.
 */
import type { OpChoice, Scenario } from '../../checker/types.js';
import type { ThpParams } from '../../impl/thp/page.js';
import { thpParams } from './params.js';

const op = (name: string, args: Record<string, number> = {}): OpChoice[] => [{ op: name, args }];

export const kthpScenarios: Scenario<ThpParams>[] = [
  {
    name: 'two-thps-fork-vs-split-pin',
    description:
      'A process maps two anon THPs by PMD and forks: dup_mmap() copies both under one mmap_write_lock and one write_protect_seq window while split_huge_page of THP 0 walks the rmap (parent, then the child once copied) and GUP-fast pins THP 1 (before, between or after the two copies) and the parent writes it; the child then COWs THP 1 and reads THP 0 (57efa1fe5957, d042035eaf5f, 70e806e4e645 across the two copies).',
    params: { ...thpParams('anon', 'pmd'), thps: 2 },
    threads: [
      [op('fork', { src: 0, dst: 1 }), op('wp_fault', { mm: 1, sub: 1, thp: 1 })],
      [op('split', { sub: 0, thp: 0 }), op('read', { mm: 1, sub: 2, thp: 0 })],
      [op('pin_fast', { mm: 0, sub: 1, thp: 1 }), op('wp_fault', { mm: 0, sub: 1, thp: 1, val: 2 })],
    ],
  },
  {
    name: 'two-thps-migrate-vs-cow',
    description:
      'Parent and child share two anon THPs by PMD: move_pages() migrates THP 0 from the parent (migration entries in both processes) while the child splits its PMD of THP 1 (mprotect of one subpage) and COWs a subpage of it, and split_huge_page of THP 1 contends with the migration for the anon_vma lock; the child reads THP 0 and a reader counts its references.',
    params: { ...thpParams('anon', 'forked'), thps: 2 },
    threads: [
      [op('migrate', { mm: 0, thp: 0 }), op('read', { mm: 1, sub: 1, thp: 0 })],
      [op('mprotect', { mm: 1, from: 0, to: 1, thp: 1 }), op('wp_fault', { mm: 1, sub: 2, thp: 1, val: 3 })],
      [op('split', { sub: 0, thp: 1 }), op('page_count', { sub: 0, thp: 0 })],
    ],
  },
  {
    name: 'two-thps-swap-vs-fork',
    description:
      'A process maps two anon THPs by PMD: reclaim of THP 0 (add_to_swap, try_to_unmap splitting the PMD into swap entries) races fork, which copies THP 0 as whatever reclaim left (a huge PMD, PTEs or swap entries: swap_duplicate) and THP 1 under the same mmap_write_lock, while THP 1 is pinned (the pinned exclusive THP is split and copied for the child, d042035eaf5f / 70e806e4e645); the child writes THP 0 back from swap and reads THP 1, the parent reads THP 0.',
    params: { ...thpParams('anon', 'pmd'), thps: 2 },
    threads: [
      [op('swap_out', { sub: 1, thp: 0 }), op('read', { mm: 0, sub: 1, thp: 0 })],
      [op('fork', { src: 0, dst: 1 }), op('wp_fault', { mm: 1, sub: 1, thp: 0, val: 4 })],
      [op('pin', { mm: 0, sub: 2, thp: 1 }), op('read', { mm: 1, sub: 2, thp: 1 })],
    ],
  },
];
