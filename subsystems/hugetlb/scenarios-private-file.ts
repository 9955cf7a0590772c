/**
 * MAP_PRIVATE of a file with page-cache pages (issue 10 item 2): reads map the page-cache page, writes copy
 * it (hugetlb_wp), the copy's error path, and MADV_DONTNEED / hole punch of the private copies.
 */
import type { Scenario } from '../../checker/types.js';
import type { HugetlbParams } from './params.js';
import { P, dontneed, munmap, one, op, pf, rd, sh, wr } from './scenario-helpers.js';

export const privateFileScenarios: Scenario<HugetlbParams>[] = [
  {
    name: 'private-file-cow',
    description:
      'MAP_PRIVATE of a file from offset 1 beside a MAP_SHARED writer of the same pages: a private read maps the page-cache page (and sees the shared writes), a private write copies it (hugetlb_no_page -> hugetlb_wp, outside_reserve = 0: the owner consumes its reservation); after fork the child (no reserve map) copies with an unreserved page or SIGBUSes; each side keeps its own copy, and a private read of an index the shared mapping writes sees that write (HR-14, private-writes-stay-private)',
    params: P({ pool: 4, overcommit: 0, fileSize: 3, vmas: 3 }),
    threads: [
      [one(sh(0, 0, 1, 3)), one(wr(0, 1)), [wr(0, 2), rd(0, 2)], one(munmap(0))],
      [one(pf(1, 0, 1, 3)), [rd(1, 1), wr(1, 1)], one(op('fork', { v: 1, c: 2 })), [wr(1, 1), rd(1, 2)]],
      [[rd(2, 1), wr(2, 1)], one(munmap(2))],
    ],
  },
  {
    name: 'private-file-cow-fails',
    description:
      "fault budget 1 at anon_vma_prepare, reached in hugetlb_wp: the first write through a MAP_PRIVATE mapping of a file to a page-cache page allocates the copy (consuming the owner's reservation), then the VMA's anon_vma cannot be prepared: OOM, restore_reserve_on_error, the copy freed, the page-cache page still mapped read-only, the reservation kept for the retried write; a fork child of the mapping (no anon_vma either if the parent had none) copies with an unreserved page. Overcommit 0: with surplus pages the same path is finding-cow-anon-vma-surplus-page (H13)",
    params: P({ pool: 4, overcommit: 0, fileSize: 2, vmas: 3, inject: true }),
    threads: [
      [one(sh(0, 0, 0, 1)), one(wr(0, 0)), one(pf(1, 0, 0, 2)), one(wr(1, 0)), one(wr(1, 0)), one(munmap(1))],
      [one(op('fork', { v: 1, c: 2 })), one(wr(2, 0))],
    ],
    faults: { budget: 1, sites: ['anon_vma_prepare'] },
  },
  {
    name: 'private-file-zap',
    description:
      'a private owner of a file whose reservations include a surplus page writes a page, then discards it with MADV_DONTNEED or a hole punch and writes it again, while another task grows nr_hugepages (surplus -> persistent): with no surplus page the zap restores the reservation (df7a6d1f6405), with one it does not and the refault must not use a reservation it no longer has (67961f9db8c4)',
    params: P({ pool: 1, overcommit: 1, fileSize: 2, vmas: 1 }),
    threads: [
      [
        one(pf(0, 0, 0, 2)),
        one(wr(0, 0)),
        [dontneed(0, 0, 1), op('punch', { f: 0, from: 0, to: 1 })],
        one(wr(0, 0)),
        one(wr(0, 1)),
        one(munmap(0)),
      ],
      [one(op('set_nr', { n: 2 }))],
    ],
  },
];
