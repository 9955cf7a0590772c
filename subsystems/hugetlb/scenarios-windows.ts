/**
 * Default scenarios for the windows where a hugetlbfs call is not atomic to a
 * concurrent one (issue 10 item 9, NOTES.md "The NOTES windows").
 */
import type { Scenario } from '../../checker/types.js';
import type { HugetlbParams } from './params.js';
import { P, one, op, rd, sh, wr } from './scenario-helpers.js';

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
];
