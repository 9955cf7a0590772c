/**
 * hugetlb scenarios where a min_size subpool's reserve pays for an allocation
 * that no reserve-map entry covers.
 */
import type { Scenario } from '../../checker/types.js';
import type { HugetlbParams } from './params.js';
import { P, munmap, one, op, pv, wr } from './scenario-helpers.js';

export const subpoolScenarios: Scenario<HugetlbParams>[] = [
  {
    name: 'owner-cow-min-size',
    description:
      "a MAP_PRIVATE owner on a min_size=2 mount writes, forks and writes again while the child unmaps: the owner's COW avoids its own (consumed) reservation, hugepage_subpool_get_pages pays it from the mount's min_size reserve, so the page takes a global reservation and HugePages_Rsvd drops with it (58db7c5fbe7d)",
    params: P({ pool: 3, overcommit: 0, fileSize: 1, vmas: 2, mounts: [{ size: -1, min: 2, mounted: true }] }),
    threads: [
      [one(pv(0, 0, 0, 1)), one(wr(0, 0)), one(op('fork', { v: 0, c: 1 })), one(wr(0, 0)), one(munmap(0))],
      // (a write by the child would consume the min_size reserve without lowering Rsvd: the
      // finding finding-child-subpool-reserve, checked in its own scenario)
      [one(munmap(1))],
    ],
  },
];
