/**
 * hugetlb scenarios of long-term pins (issue 10 item 7): io_uring registered
 * buffers of hugetlbfs pages racing truncate, hole punch, eviction, umount and
 * soft offline. A pinned page is neither freed nor migrated while pinned.
 */
import type { Scenario } from '../../checker/types.js';
import type { HugetlbParams } from './params.js';
import { P, munmap, one, op, rd, sh, wr } from './scenario-helpers.js';
import { softOffline } from './scenarios-migrate.js';

/** io_uring IORING_REGISTER_BUFFERS of page i of VMA v in ring k. */
export const pin = (k: number, v: number, i: number) => op('pin', { k, v, i });
/** IORING_UNREGISTER_BUFFERS of ring k. */
export const unpin = (k: number) => op('unpin', { k });

export const pinScenarios: Scenario<HugetlbParams>[] = [
  {
    name: 'pin-punch',
    description:
      'a pinned page-cache page is punched out while a second mapping reads and soft-offlines it: the punch takes it out of the file but it stays in use (HugePages_Free does not rise; it still counts against size=2, so the refault of the hole finds the mount full: SIGBUS) until unpin frees it; soft offline of the pinned page is EBUSY (migrate_huge_page_move_mapping cannot freeze its references)',
    params: P({ pool: 3, overcommit: 0, fileSize: 2, vmas: 2, mounts: [{ size: 2, min: -1, mounted: true }] }),
    threads: [
      [
        one(sh(0, 0, 0, 2)),
        one(pin(0, 0, 0)),
        one(op('punch', { f: 0, from: 0, to: 1 })),
        one(wr(0, 0)),
        one(unpin(0)),
        one(munmap(0)),
      ],
      [one(sh(1, 0, 0, 2)), one(rd(1, 0)), one(softOffline(1, 0)), one(munmap(1))],
    ],
  },
  {
    name: 'pin-evict',
    description:
      'a pinned page outlives its file and its mount: munmap, close and unlink evict the inode (the page leaves the page cache, the pin keeps it), umount succeeds (the subpool outlives it while the page is charged to it), a remount and a one-page mmap find the pool (one page) empty: ENOMEM until a concurrent unpin gives the page back',
    params: P({ pool: 1, overcommit: 0, fileSize: 1, vmas: 2, mounts: [{ size: 1, min: -1, mounted: true }] }),
    threads: [
      [
        one(sh(0, 0, 0, 1)),
        one(pin(0, 0, 0)),
        one(munmap(0)),
        one(op('close', { f: 0 })),
        one(op('unlink', { f: 0 })),
        one(op('umount', { m: 0 })),
        one(op('mount', { m: 0, size: 1, min: -1 })),
        one(sh(1, 0, 0, 1)),
        one(munmap(1)),
      ],
      [one(unpin(0))],
    ],
  },
];
