/**
 * hugetlb scenarios of page movement (issue 10 item 6): migration of an
 * in-use huge page through madvise(MADV_SOFT_OFFLINE), with faults of other
 * mappings waiting at the migration entry; per-node pools (a node's
 * nr_hugepages write while another node holds surplus pages).
 */
import type { Scenario } from '../../checker/types.js';
import type { HugetlbParams } from './params.js';
import { P, munmap, one, op, pv, rd, sh, wr } from './scenario-helpers.js';

/** madvise(MADV_SOFT_OFFLINE) of page i of VMA v. */
export const softOffline = (v: number, i: number) => op('soft_offline', { v, i });
/** echo n > /sys/devices/system/node/node<nid>/hugepages/.../nr_hugepages. */
export const nrNode = (nid: number, n: number) => op('set_nr_node', { nid, n });

export const migrateScenarios: Scenario<HugetlbParams>[] = [
  {
    name: 'soft-offline-shared',
    description:
      'soft offline of a written page-cache page while a second shared mapping faults it (waiting at the migration entry or the locked folio) and soft-offlines a page nobody mapped yet (GUP faults it in, then migrates it): the data stays, the subpool goes with the new folio (hugetlbfs_migrate_folio), the old page leaves the pool or a temporary page replaces it (cb6acd01e2e4)',
    params: P({ pool: 2, overcommit: 1, fileSize: 2, vmas: 2, mounts: [{ size: 2, min: -1, mounted: true }] }),
    threads: [
      [
        one(sh(0, 0, 0, 2)),
        one(wr(0, 0)),
        one(softOffline(0, 0)),
        one(op('punch', { f: 0, from: 0, to: 2 })),
        one(munmap(0)),
      ],
      [one(sh(1, 0, 0, 2)), [rd(1, 0), wr(1, 0)], one(softOffline(1, 1)), one(munmap(1))],
    ],
  },
  {
    name: 'soft-offline-private',
    description:
      'soft offline of a private page shared with a fork child (both PTEs become migration entries; the child waits) on a mount without size=/min_size= (no subpool: an anonymous folio migrates), with the pool full so that the target is a temporary page from buddy, then the owner unmaps: data and promises stay, nothing leaks',
    params: P({ pool: 2, overcommit: 0, fileSize: 2, vmas: 2, mounts: [{ size: -1, min: -1, mounted: true }] }),
    threads: [
      [one(pv(0, 0, 0, 2)), one(wr(0, 0)), one(op('fork', { v: 0, c: 1 })), one(softOffline(0, 0)), one(munmap(0))],
      [one(rd(1, 0)), one(softOffline(1, 1)), one(wr(1, 0))],
    ],
  },
  {
    name: 'node-pool-surplus',
    description:
      "per-node pools (two nodes, the boot page on node 0): a reservation keeps node 0's only page while node 0's nr_hugepages is written 0, so it stays as a surplus page, while node 1's nr_hugepages grows to 2 and shrinks to 1; the file's release returns the surplus page (b72b3c9c34c8)",
    params: P({ pool: 1, overcommit: 0, fileSize: 1, vmas: 1, nodePool: 2 }),
    threads: [
      [one(sh(0, 0, 0, 1)), one(nrNode(0, 0)), one(munmap(0)), one(op('close', { f: 0 })), one(op('unlink', { f: 0 }))],
      [one(nrNode(1, 2)), one(nrNode(1, 1))],
    ],
  },
  {
    name: 'node-soft-offline',
    description:
      "soft offline with two nodes (alloc_migration_target -> alloc_hugetlb_folio_nodemask @ v6.12): node 1 given a page, a shared page faulted on either node and soft-offlined while a second mapping reserves and faults the file's other index: the copy lands on the page's own node when it has a free page, else on the other node, or on a temporary page of its own node when no free page is unreserved; the old page leaves its node's pool",
    params: P({
      pool: 1,
      overcommit: 0,
      fileSize: 2,
      vmas: 2,
      nodePool: 2,
      mounts: [{ size: -1, min: -1, mounted: true }],
    }),
    threads: [
      [one(nrNode(1, 1)), one(sh(0, 0, 0, 1)), one(wr(0, 0)), one(softOffline(0, 0)), one(munmap(0))],
      [one(sh(1, 0, 1, 2)), one(wr(1, 1)), one(munmap(1))],
    ],
  },
  {
    name: 'node-soft-offline-surplus',
    description:
      "soft offline of a page whose node holds only surplus pages: node 0's page reserved by a shared mapping and node 0 written 0 (the page stays, surplus), node 1 given a page; the page faulted and soft-offlined moves to node 1 and the old page goes back to buddy as node 0's surplus page (free_huge_folio: surplus_huge_pages_node), while a second mapping of the file faults the page (waiting at the locked folio or the migration entry) and unmaps. The node writes precede the migration: a write racing a temporary page is finding-temp-page-counted-persistent",
    params: P({
      pool: 1,
      overcommit: 0,
      fileSize: 1,
      vmas: 2,
      nodePool: 2,
      mounts: [{ size: -1, min: -1, mounted: true }],
    }),
    threads: [
      [
        one(sh(0, 0, 0, 1)),
        one(nrNode(0, 0)),
        one(nrNode(1, 1)),
        one(wr(0, 0)),
        one(softOffline(0, 0)),
        one(munmap(0)),
      ],
      [one(sh(1, 0, 0, 1)), one(rd(1, 0)), one(munmap(1))],
    ],
  },
  {
    name: 'node-soft-offline-private',
    description:
      "soft offline of a private page a fork child shares, with two nodes (no subpool): the copy moves to node 1 when node 0 has no free page, and both processes' PTEs map it there; the child's write fault waits at the migration entry and then copies it (COW) from whatever node has a free page",
    params: P({
      pool: 1,
      overcommit: 0,
      fileSize: 1,
      vmas: 2,
      nodePool: 2,
      mounts: [{ size: -1, min: -1, mounted: true }],
    }),
    threads: [
      [
        one(nrNode(1, 2)),
        one(pv(0, 0, 0, 1)),
        one(wr(0, 0)),
        one(op('fork', { v: 0, c: 1 })),
        one(softOffline(0, 0)),
        one(munmap(0)),
      ],
      [one(wr(1, 0)), one(softOffline(1, 0))],
    ],
  },
  {
    name: 'soft-offline-private-subpool',
    description:
      'soft offline of a private page on a size=1 mount: unmap_and_move_huge_page refuses an anonymous folio that has a subpool (EBUSY, nothing changed; Debian 6.1.192 and 6.12.118 agree), so the mount stays full and a second one-page mapping is ENOMEM',
    params: P({ pool: 3, overcommit: 0, fileSize: 1, vmas: 2, mounts: [{ size: 1, min: -1, mounted: true }] }),
    threads: [
      [one(pv(0, 0, 0, 1)), one(wr(0, 0)), one(softOffline(0, 0)), one(pv(1, 0, 0, 1)), one(munmap(0))],
      [one(softOffline(0, 0))],
    ],
  },
];
