/**
 * Default scenarios for the windows where a hugetlbfs call is not atomic to a
 * concurrent one (issue 10 item 9, NOTES.md "The NOTES windows").
 */
import type { Scenario } from '../../checker/types.js';
import type { HugetlbParams } from './params.js';
import { P, munmap, one, op, pv, rd, sh, wr } from './scenario-helpers.js';

export const windowScenarios: Scenario<HugetlbParams>[] = [
  {
    name: 'punch-vs-refault',
    description:
      'a hole punch of [0,2) races a second shared mapping faulting both pages: a fault behind the punch cursor faults a new page in (from a surplus page while the punched pages are held), one ahead of it maps the old page again, which the punch unmaps under the fault mutex (NOTES.md windows; 4aae8d1c051e)',
    params: P({ pool: 2, overcommit: 1, fileSize: 2, vmas: 2 }),
    threads: [
      [one(sh(0, 0, 0, 2)), one(wr(0, 0)), one(wr(0, 1)), one(op('punch', { f: 0, from: 0, to: 2 }))],
      [one(sh(1, 0, 0, 2)), [wr(1, 0), rd(1, 0)], one(wr(1, 1))],
    ],
  },
  {
    name: 'truncate-window',
    description:
      'ftruncate to 0 of a file whose 2 pages fill the pool: a second task sees i_size published (its read fault SIGBUSes), then maps one page MAP_PRIVATE and faults it while the truncated pages may not be freed yet (ENOMEM, or ok once they are): hugetlb_vmtruncate is not atomic (NOTES.md windows)',
    params: P({ pool: 2, overcommit: 0, fileSize: 2, vmas: 3 }),
    threads: [
      [one(sh(0, 0, 0, 2)), one(wr(0, 0)), one(wr(0, 1)), one(munmap(0)), one(op('truncate', { f: 0, size: 0 }))],
      [one(sh(1, 0, 1, 2)), one(rd(1, 1)), one(pv(2, 0, 0, 1)), one(wr(2, 0))],
    ],
  },
  {
    name: 'offline-vs-free',
    description:
      'memory offline (dissolve_free_hugetlb_folio) of pool pages while a truncate releases its batch: a page on the free list leaves the pool, a reserved or in-use one is EBUSY, and a page put to refcount 0 but not yet on the free list is waited for (7ffddd499ba6)',
    params: P({ pool: 2, overcommit: 1, fileSize: 2, vmas: 2 }),
    threads: [
      [one(sh(0, 0, 0, 2)), one(wr(0, 0)), one(munmap(0)), one(op('truncate', { f: 0, size: 0 }))],
      [one(op('dissolve')), one(pv(1, 0, 0, 1)), [op('dissolve'), wr(1, 0)]],
    ],
  },
  {
    name: 'offline-vs-fault',
    description:
      "memory offline of a block holding the pool's two free pages (dissolve_free_hugetlb_folios: one page at a time under hugetlb_lock, the lock dropped between pages) while a shared mapping reserves a page and faults it: the reservation between the two dissolves leaves no free unreserved page (EBUSY, the first page stays dissolved), or the fault takes the block's second page (in use: EBUSY), or the offline takes both first (the mmap is ENOMEM)",
    params: P({ pool: 2, overcommit: 0, fileSize: 1, vmas: 1 }),
    threads: [[one(op('dissolve'))], [one(sh(0, 0, 0, 1)), one(wr(0, 0)), one(munmap(0))]],
  },
];
