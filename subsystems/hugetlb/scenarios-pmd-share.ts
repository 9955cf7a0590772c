/**
 * hugetlb scenarios of PMD sharing (issue 10 item 8; impl/hugetlb/pmd-share.ts,
 * spec/hugetlb/ops-pmd-share.ts): two processes map one file MAP_SHARED over
 * a whole PUD block (params.pud: a 2-page block stands for 1 GiB) and share
 * its page table; one of them unmaps, mprotects, punches, zaps or registers
 * MINOR over part of it while the other faults. Model-only: real kernels
 * share over 1 GiB-aligned ranges, which the probe VM cannot back.
 */
import type { Scenario } from '../../checker/types.js';
import type { HugetlbParams } from './params.js';
import { P, dontneed, munmap, one, op, rd, sh, wr } from './scenario-helpers.js';

const register = (v: number, mode: 'minor' | 'missing', extra: Record<string, number> = {}) =>
  op('uffd_register', { v, mode, ...extra });

/** The kernel's internal hugetlbfs mount as mount 1; file 1 lives there (made by memfd_create). */
const INTERNAL = { size: -1, min: -1, mounted: true, internal: true };

export const memfdScenarios: Scenario<HugetlbParams>[] = [
  {
    name: 'memfd-hugetlb',
    description:
      'memfd_create(MFD_HUGETLB): an empty unnamed file on the internal mount (no size= or min_size=), sized with ftruncate, mapped shared by two tasks (reservations), one faulting while the other fallocates or punches, then closed and unmapped: its pages and promises go with the last reference; umount of the internal mount is EINVAL',
    params: P({
      pool: 2,
      overcommit: 0,
      fileSize: 2,
      vmas: 2,
      mounts: [{ size: 6, min: -1, mounted: true }, INTERNAL],
      fileMount: [0, 1],
    }),
    threads: [
      [
        one(op('memfd_create', { f: 1 })),
        [op('truncate', { f: 1, size: 2 }), op('umount', { m: 1 })],
        one(sh(0, 1, 0, 2)),
        one(wr(0, 0)),
        [op('close', { f: 1 }), op('memfd_create', { f: 1 })],
        one(munmap(0)),
      ],
      [
        [op('fallocate', { f: 1, from: 1, to: 2 }), op('punch', { f: 1, from: 0, to: 1 }), rd(1, 1)],
        [sh(1, 1, 0, 2), op('close', { f: 1 })],
      ],
    ],
  },
];

export const pmdShareScenarios: Scenario<HugetlbParams>[] = [
  {
    name: 'pmd-share-minor-split',
    description:
      "a process whose page table for the block is its own registers MINOR over the first page only (a split inside the block: hugetlb_split unshares it under i_mmap_rwsem), while another process maps the file, faults the second page (huge_pmd_share: it may take the first one's table) and writes the first: the registered page is present only through its own fault, never through a table it no longer shares (b30c14cd6102, 081056dc00a2)",
    params: P({ pool: 2, overcommit: 0, fileSize: 2, vmas: 3, pud: 2 }),
    threads: [
      [one(sh(0, 0, 0, 2)), one(rd(0, 1)), one(register(0, 'minor', { from: 0, to: 1, c: 2 })), one(rd(0, 0))],
      [one(sh(1, 0, 0, 2)), one(rd(1, 1)), one(wr(1, 0)), one(munmap(1))],
    ],
  },
  {
    name: 'pmd-share-unshare',
    description:
      "two processes share the page table of a file's block; one unmaps its mapping, mprotects half of it, punches a page or zaps it with MADV_DONTNEED (each unshares the table whole) while the other writes and then registers MINOR: the other process's mapping and data are unchanged, a punched page is unmapped from both, and after the registration only the pages it maps itself are present",
    params: P({ pool: 2, overcommit: 0, fileSize: 2, vmas: 3, pud: 2 }),
    threads: [
      [
        one(sh(0, 0, 0, 2)),
        one(wr(0, 0)),
        [
          munmap(0),
          op('mprotect', { v: 0, from: 0, to: 1, ro: true, c: 2 }),
          op('punch', { f: 0, from: 0, to: 1 }),
          dontneed(0, 0, 2),
        ],
      ],
      [one(sh(1, 0, 0, 2)), one(rd(1, 0)), one(wr(1, 1)), one(register(1, 'minor')), one(rd(1, 0))],
    ],
  },
];
