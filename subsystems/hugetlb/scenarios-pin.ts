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
/** UDMABUF_CREATE of page i of memfd f into pin slot k. */
export const udmabuf = (k: number, f: number, i: number) => op('udmabuf', { k, f, i });
/** IORING_UNREGISTER_BUFFERS of ring k (or close of the udmabuf in slot k). */
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
  {
    name: 'pin-imu-fail',
    description:
      'two io_uring registrations of the same page-cache page race truncate, with one kernel allocation failure allowed where the registration allocates its io_mapped_ubuf after pinning (io_sqe_buffer_register): the failed one is ENOMEM and pins nothing, so once the other is unregistered truncate gives the page back to the pool (e1c75831f682)',
    params: P({
      pool: 1,
      overcommit: 0,
      fileSize: 1,
      vmas: 2,
      mounts: [{ size: 1, min: -1, mounted: true }],
      inject: true,
    }),
    threads: [
      [one(sh(0, 0, 0, 1)), one(rd(0, 0)), one(pin(0, 0, 0)), one(unpin(0)), one(munmap(0))],
      [one(sh(1, 0, 0, 1)), one(rd(1, 0)), one(pin(1, 1, 0)), one(unpin(1)), one(munmap(1))],
      [one(op('truncate', { f: 0, size: 0 }))],
    ],
    faults: { budget: 1, sites: ['io_alloc_imu'] },
  },
  {
    name: 'udmabuf-memfd',
    description:
      'a udmabuf of a reserved, not yet faulted page of a hugetlb memfd (memfd_pin_folios -> memfd_alloc_folio: alloc_hugetlb_folio_reserve consumes its reservation, hugetlb_add_to_page_cache) while reads fault the other index, seals the memfd (ftruncate to 0: EPERM); a hole punch takes the pinned page out of the file but it stays in use until the udmabuf is closed, then it goes back to the pool (26a8ea80929c, c56b6f3d801d)',
    params: P({
      pool: 2,
      overcommit: 0,
      fileSize: 2,
      vmas: 1,
      mounts: [{ size: -1, min: -1, mounted: true, internal: true }],
      fileMount: [0],
    }),
    threads: [
      [
        one(op('memfd_create', { f: 0 })),
        one(sh(0, 0, 0, 2)),
        one(udmabuf(0, 0, 1)),
        one(op('truncate', { f: 0, size: 0 })),
        one(op('punch', { f: 0, from: 0, to: 2 })),
        one(unpin(0)),
        one(munmap(0)),
        one(op('close', { f: 0 })),
      ],
      // a read of index 1 racing the udmabuf's allocation double-consumes its reservation (NOTES.md): not raced here
      [one(rd(0, 0)), one(rd(0, 0))],
    ],
  },
];
