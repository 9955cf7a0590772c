/**
 * hugetlb scenarios beyond the default run's time budget, run by
 * `mmcheck check hugetlb --profile deep` (README "Profiles"): menus over the
 * private-file and MADV_DONTNEED ops, where every program up to the bound is
 * explored instead of a few hand-written ones.
 */
import { menu, type Scenario } from '../../checker/types.js';
import type { HugetlbParams } from './params.js';
import { P, dontneed, munmap, op, pf, rd, sh, wr } from './scenario-helpers.js';

export const deepScenarios: Scenario<HugetlbParams>[] = [
  {
    name: 'deep-private-file-menu',
    description:
      'truncate and hole punch are left out: their windows (i_size published before the pages go; a fault between the unmapping and the removal) are open work (NOTES.md). Every program of up to 3 ops of a MAP_SHARED writer (writes, reads, munmap) racing every program of up to 4 ops of a MAP_PRIVATE owner of the same file from offset 1 (reads, writes, fork, MADV_DONTNEED, munmap) and up to 2 ops of its fork child: page-cache reads, copies under the reservation or without, zaps, data in every mapping (overcommit 0: an MADV_DONTNEED freeing a page while a shared mmap gathers surplus pages is a window left open, NOTES.md)',
    params: P({ pool: 4, overcommit: 0, fileSize: 3, vmas: 3 }),
    threads: [
      menu([sh(0, 0, 0, 3), wr(0, 1), wr(0, 2), rd(0, 2), munmap(0)], 3),
      menu([pf(1, 0, 1, 3), rd(1, 1), wr(1, 1), wr(1, 2), op('fork', { v: 1, c: 2 }), dontneed(1, 1, 3), munmap(1)], 4),
      menu([rd(2, 1), wr(2, 2), munmap(2)], 2),
    ],
    minOps: [0, 0, 0],
  },
  {
    name: 'deep-private-file-zap-menu',
    description:
      'every program of up to 5 ops of a private owner of a preallocated file (writes, MADV_DONTNEED, hole punch, munmap) racing every program of up to 2 pool changes (nr_hugepages up and down, overcommit off, fallocate): the zap restores the reservation exactly when no surplus page exists, and a refault never uses one it does not have',
    params: P({ pool: 2, overcommit: 1, fileSize: 2, vmas: 1 }),
    threads: [
      menu(
        [
          pf(0, 0, 0, 2),
          wr(0, 0),
          wr(0, 1),
          rd(0, 1),
          dontneed(0, 0, 2),
          op('punch', { f: 0, from: 0, to: 1 }),
          munmap(0),
        ],
        5,
      ),
      menu(
        [
          op('set_nr', { n: 3 }),
          op('set_nr', { n: 1 }),
          op('set_overcommit', { n: 0 }),
          op('fallocate', { f: 0, from: 1, to: 2 }),
        ],
        2,
      ),
    ],
    minOps: [0, 0],
  },
];
