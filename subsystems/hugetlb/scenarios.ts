/** The default hugetlb scenarios: what `npm run check` explores exhaustively; each names the paths and variants it reaches. */
import type { Scenario } from '../../checker/types.js';
import type { HugetlbParams } from './params.js';
import { privateFileScenarios } from './scenarios-private-file.js';
import { windowScenarios } from './scenarios-windows.js';
import { P, SITES_ALL, munmap, nr, one, op, pv, rd, sh, wr } from './scenario-helpers.js';

export const scenarios: Scenario<HugetlbParams>[] = [
  {
    name: 'reserve-vs-fault',
    description:
      'mmap(SHARED) reserving [0,2) races faults through a NORESERVE mapping of the same file: region_chg/region_add and vma_needs/commit_reservation refunds (H11, HR-4, HR-11), then munmap or truncate, UFFDIO_COPY and a hole punch',
    params: P({ pool: 3, overcommit: 1, fileSize: 3, vmas: 2 }),
    threads: [
      [
        [sh(0, 0, 0, 2), sh(0, 0, 1, 3)],
        one(wr(0, 1)),
        [munmap(0), op('truncate', { f: 0, size: 1 })],
        [wr(0, 0), sh(0, 0, 0, 3)],
      ],
      [
        one(nr(1, 0, 0, 3)),
        [wr(1, 0), wr(1, 2)],
        [rd(1, 1), op('uffd_copy', { v: 1, i: 0 })],
        one(op('punch', { f: 0, from: 0, to: 2 })),
      ],
    ],
  },
  {
    name: 'reserve-vs-reserve',
    description:
      'two mmap(SHARED) of overlapping ranges of one file: inode_lock serializes hugetlb_reserve_pages, so region_chg/region_add of one never interleave with the other (HR-5 removes that)',
    params: P({ pool: 4, overcommit: 0, fileSize: 3, vmas: 2 }),
    threads: [
      [one(sh(0, 0, 0, 2)), one(wr(0, 1))],
      [one(sh(1, 0, 1, 3)), one(munmap(1))],
    ],
  },
  {
    name: 'reserve-fault-3',
    description:
      'three threads: shared reservations and faults, NORESERVE faults, and UFFDIO_COPY + hole punch / truncate on the same file race (needs/commit and chg/add refunds with a third party, fault mutex vs punch, i_mmap_rwsem vs truncate)',
    params: P({ pool: 3, overcommit: 1, fileSize: 3, vmas: 2 }),
    threads: [
      [[sh(0, 0, 0, 3), sh(0, 0, 1, 3)], [wr(0, 1), rd(0, 2)], one(wr(0, 2)), one(munmap(0)), one(sh(0, 0, 0, 2))],
      [one(nr(1, 0, 0, 3)), one(wr(1, 0)), [rd(1, 1), wr(1, 2)], one(munmap(1))],
      [
        one(op('uffd_copy', { v: 1, i: 2 })),
        [op('punch', { f: 0, from: 0, to: 2 }), op('truncate', { f: 0, size: 1 })],
        one(wr(1, 0)),
        one(op('truncate', { f: 0, size: 0 })),
      ],
    ],
  },
  {
    name: 'private-cow-fork',
    description:
      'MAP_PRIVATE owner faults, forks, and write-faults with no unreserved page: owner COW outside its reserves, unmap_ref_private marks the child HPAGE_RESV_UNMAPPED; the child faults and unmaps; owner munmap returns unconsumed reserves (HR-8, HR-10)',
    params: P({ pool: 3, overcommit: 0, fileSize: 2, vmas: 4 }),
    threads: [
      [
        one(pv(0, 0, 0, 2)),
        [wr(0, 0), op('uffd_copy', { v: 0, i: 0 })],
        one(op('fork', { v: 0, c: 1 })),
        one(wr(0, 0)),
        [wr(0, 1), rd(0, 1)],
        one(munmap(0)),
      ],
      [[wr(1, 0), rd(1, 0)], [wr(1, 0), rd(1, 0)], one(munmap(1)), one(pv(3, 0, 0, 1)), one(wr(3, 0))],
      [
        [pv(2, 0, 0, 1), op('mmap', { v: 2, kind: 'private_noreserve', f: 0, from: 0, to: 1 })],
        [wr(2, 0), op('uffd_copy', { v: 2, i: 0 })],
        one(munmap(2)),
        one(op('set_nr', { n: 2 })),
        one(op('set_nr', { n: 3 })),
      ],
    ],
  },
  {
    name: 'truncate-vs-fault',
    description:
      'ftruncate below an instantiated, reserved index while another thread faults it (SIGBUS beyond i_size; region_del to LONG_MAX and the unconsumed refund), then a hole punch; a third task faults through a NORESERVE mapping (H1, HR-12; UFFDIO_COPY racing truncate is finding-uffd-copy-vs-truncate)',
    params: P({ pool: 3, overcommit: 0, fileSize: 2, vmas: 2 }),
    threads: [
      [
        one(sh(0, 0, 0, 2)),
        one(wr(0, 1)),
        [op('truncate', { f: 0, size: 1 }), op('truncate', { f: 0, size: 0 })],
        one(op('truncate', { f: 0, size: 2 })),
        one(wr(0, 1)),
      ],
      [[rd(0, 1), wr(0, 0)], one(op('punch', { f: 0, from: 0, to: 1 })), one(rd(0, 1))],
      [one(nr(1, 0, 0, 2)), [wr(1, 1), rd(1, 0)], one(munmap(1))],
    ],
  },
  {
    name: 'surplus-pool',
    description:
      'pool 0 with overcommit 2: a private mmap gathers surplus pages (gather_surplus_pages drops hugetlb_lock to allocate) and munmap returns them page by page while another task mmaps and faults; nr_hugepages grows and shrinks; overcommit is lowered (H14, HR-11)',
    params: P({ pool: 0, overcommit: 2, fileSize: 2, vmas: 2 }),
    threads: [
      [one(pv(0, 0, 0, 2)), one(munmap(0)), one(pv(0, 0, 0, 1)), one(wr(0, 0))],
      [
        [pv(1, 0, 0, 1), sh(1, 0, 0, 1), op('mmap', { v: 1, kind: 'private_noreserve', f: 0, from: 0, to: 1 })],
        one(wr(1, 0)),
        one(munmap(1)),
      ],
      [
        [op('set_nr', { n: 1 }), op('set_overcommit', { n: 0 })],
        [op('set_nr', { n: 0 }), op('set_nr', { n: 2 })],
        one(op('set_overcommit', { n: 3 })),
      ],
    ],
  },
  {
    name: 'uffd-copy-retry',
    description:
      'UFFDIO_COPY from a source that is not resident: the copy under the fault mutex fails, restore_reserve_on_error gives the reservation back, a temporary folio is taken, the locks are dropped for the copy and the copy retried, while another task faults the same index through a NORESERVE mapping (EEXIST after the fault won) or copies into an unreserved index whose retry finds no page (ENOMEM, temporary folio freed); a bad source is EFAULT (8cc5fcbb5be8, da9a298f5fad)',
    params: P({ pool: 2, overcommit: 0, fileSize: 2, vmas: 2 }),
    threads: [
      [
        one(sh(0, 0, 0, 1)),
        [op('uffd_copy', { v: 0, i: 0, src: 'unpopulated' }), op('uffd_copy', { v: 0, i: 0, src: 'bad' })],
        one(munmap(0)),
      ],
      [one(nr(1, 0, 0, 2)), [rd(1, 0), op('uffd_copy', { v: 1, i: 1, src: 'unpopulated' })], one(munmap(1))],
    ],
  },
  {
    name: 'uffd-minor',
    description:
      'two shared mappings of one file, one registered MINOR and one MISSING (UFFD_FEATURE_SIGBUS): a fault through the MINOR one on a page the other mapping brought into the page cache is a minor fault (SIGBUS), UFFDIO_CONTINUE maps that page (EFAULT without one, EEXIST once mapped); a fault through the MISSING one on an index without a page is SIGBUS, UFFDIO_COPY fills it; then a hole punch unmaps the page from both (cc30042df6fc)',
    params: P({ pool: 2, overcommit: 0, fileSize: 2, vmas: 2 }),
    threads: [
      [
        one(sh(0, 0, 0, 2)),
        one(op('uffd_register', { v: 0, mode: 'minor' })),
        [rd(0, 0), op('uffd_continue', { v: 0, i: 0 })],
        one(op('uffd_continue', { v: 0, i: 0 })),
        one(op('punch', { f: 0, from: 0, to: 1 })),
        one(munmap(0)),
      ],
      [
        one(sh(1, 0, 0, 2)),
        one(wr(1, 0)),
        one(op('uffd_register', { v: 1, mode: 'missing' })),
        [rd(1, 1), op('uffd_copy', { v: 1, i: 1 })],
        one(munmap(1)),
      ],
    ],
  },
  {
    name: 'buddy-failure',
    description:
      'pool 1, overcommit 2, fault budget 1 at alloc_buddy: surplus allocation fails inside gather_surplus_pages (mmap ENOMEM, pages gathered so far freed), inside alloc_huge_page (fault SIGBUS) or while growing nr_hugepages',
    params: P({ pool: 1, overcommit: 2, fileSize: 2, vmas: 2 }),
    threads: [
      [one(pv(0, 0, 0, 2)), one(wr(0, 1)), one(munmap(0))],
      [one(nr(1, 0, 0, 2)), one(wr(1, 0)), one(op('set_nr', { n: 2 }))],
    ],
    faults: { budget: 1, sites: ['alloc_buddy'] },
  },
  {
    name: 'error-paths',
    description:
      'fault budget 1 over every kmalloc/page-cache/anon_vma/copy_from_user site (overcommit 0, see NOTES.md): restore_reserve_on_error, the uffd PagePrivate fix-up, free_huge_page of a restore-reserve page on a size= mount, and an mmap that fails after region_chg (H13, H19, HR-1, HR-3, HR-6)',
    params: P({
      pool: 2,
      overcommit: 0,
      fileSize: 2,
      vmas: 3,
      mounts: [{ size: 2, min: -1, mounted: true }],
      inject: true,
    }),
    threads: [
      [one(pv(0, 0, 0, 2)), [wr(0, 0), rd(0, 0)], one(op('uffd_copy', { v: 0, i: 1 })), one(munmap(0))],
      [
        one(nr(1, 0, 0, 2)),
        [wr(1, 0), op('uffd_copy', { v: 1, i: 0 })],
        one(sh(2, 0, 0, 2)),
        one(op('punch', { f: 0, from: 0, to: 2 })),
      ],
      [one(rd(0, 1)), [op('truncate', { f: 0, size: 1 }), wr(2, 1)]],
    ],
    // Sites these ops reach: no buddy allocation (overcommit 0), no region split, no pin (buddy-failure, punch-split, pin-imu-fail)
    faults: {
      budget: 1,
      sites: SITES_ALL.filter((s) => !['alloc_buddy', 'region_del_split', 'io_alloc_imu'].includes(s)),
    },
  },
  {
    name: 'restore-fails',
    description:
      'fault budget 2 on a private owner: anon_vma_prepare fails after the reservation was consumed, and restore_reserve_on_error cannot kmalloc for its own region_chg, so it must clear PagePrivate (HR-2); a second task faults the same mapping. At --kernel-version 6.1: since 37641efaa3fa (v6.9) the anon_vma is prepared before the allocation',
    kernelVersion: '6.1',
    params: P({ pool: 2, overcommit: 0, fileSize: 2, vmas: 1, inject: true }),
    threads: [
      [one(pv(0, 0, 0, 2)), one(wr(0, 0)), one(wr(0, 0)), one(munmap(0))],
      [one(wr(0, 1)), one(rd(0, 0))],
    ],
    faults: { budget: 2, sites: ['anon_vma_prepare', 'region_chg_kmalloc'] },
  },
  {
    name: 'punch-split',
    description:
      'hole punch in the middle of a reserved region while faults hold region_chg descriptors: region_del must split without a cached descriptor, kmalloc fails, hugetlb_fix_reserve_counts (HR-7)',
    params: P({ pool: 4, overcommit: 0, fileSize: 3, vmas: 1, inject: true }),
    threads: [
      [one(sh(0, 0, 0, 3)), one(wr(0, 1)), one(op('punch', { f: 0, from: 1, to: 2 }))],
      [one(wr(0, 0)), one(rd(0, 2))],
    ],
    faults: { budget: 1, sites: ['region_del_split', 'region_chg_kmalloc'] },
  },
  {
    name: 'mount-min',
    description:
      'mount a size=3,min_size=2 hugetlbfs while another task maps the default mount; a file on the new mount is reserved, faulted and truncated: subpool reserves taken at mount, consumed and restored by free_huge_page; a third task grows the pool and punches the file (HR-9)',
    params: P({
      pool: 3,
      overcommit: 0,
      fileSize: 1,
      vmas: 2,
      mounts: [
        { size: -1, min: -1, mounted: true },
        { size: 3, min: 2, mounted: false },
      ],
      fileMount: [0, 1],
    }),
    threads: [
      [
        one(op('mount', { m: 1, size: 3, min: 2 })),
        one(sh(0, 1, 0, 1)),
        one(wr(0, 0)),
        one(op('truncate', { f: 1, size: 0 })),
        one(wr(0, 0)),
      ],
      [one(pv(1, 0, 0, 1)), one(wr(1, 0)), one(munmap(1)), [nr(1, 1, 0, 1), pv(1, 1, 0, 1)], one(wr(1, 0))],
      [one(op('set_nr', { n: 4 })), one(op('punch', { f: 1, from: 0, to: 1 }))],
    ],
  },
  {
    name: 'mixed-3',
    description:
      'three tasks on one file and the pool at once: shared reservation + faults + hole punch, a private owner with fork, NORESERVE faults and UFFDIO_COPY, an nr_hugepages grow',
    params: P({ pool: 3, overcommit: 1, fileSize: 2, vmas: 4 }),
    threads: [
      [
        one(sh(0, 0, 0, 2)),
        [wr(0, 0), rd(0, 1)],
        one(op('punch', { f: 0, from: 0, to: 1 })),
        one(wr(0, 0)),
        one(munmap(0)),
      ],
      [one(pv(1, 0, 0, 2)), one(wr(1, 1)), one(op('fork', { v: 1, c: 2 })), one(wr(1, 1)), one(munmap(1))],
      [
        one(nr(3, 0, 0, 2)),
        [wr(3, 1), op('uffd_copy', { v: 3, i: 0 })],
        one(op('set_nr', { n: 4 })),
        one(wr(2, 1)),
        one(munmap(2)),
      ],
    ],
  },
  {
    name: 'out-put-pages-min-only',
    description:
      'a shared mmap on a min_size= mount (no size=) fails in hugetlb_acct_memory after taking the last subpool reserve (a private mapping on a size= mount holds the other free page): out_put_pages must put back only the subpool share chg - gbl_reserve (a833a693a490); putting back chg refills rsv_hpages with pages the global pool never reserved',
    params: P({
      pool: 3,
      fileSize: 3,
      vmas: 3,
      mounts: [
        { size: -1, min: 2, mounted: true },
        { size: 4, min: -1, mounted: true },
      ],
      fileMount: [0],
    }),
    threads: [[one(sh(0, 0, 0, 1)), one(wr(0, 0)), one(pv(1, 1, 0, 1)), one(sh(2, 0, 1, 3))]],
  },
  {
    name: 'numa-no-guarantee',
    description:
      'HR-13 negative test: with cpusets/mempolicy a reserved fault may still SIGBUS (free pages on disallowed nodes); the spec allows it, so the correct implementation must not be reported',
    params: P({ pool: 2, overcommit: 0, fileSize: 2, vmas: 2, numa: true }),
    threads: [
      [one(sh(0, 0, 0, 2)), one(wr(0, 0)), one(wr(0, 1)), one(munmap(0))],
      [one(pv(1, 0, 0, 1)), one(wr(1, 0)), one(munmap(1))],
    ],
  },
  {
    name: 'lifetimes',
    description:
      'a min_size mount whose file is reserved, faulted, closed, unlinked and unmapped in any order (hugetlbfs_evict_inode on the last reference, from close, unlink or munmap) while a private mapping on the same mount faults and goes; then umount: EBUSY while anything is open or mapped, else kill_sb evicts and hugepage_put_subpool gives back min_size (no-leak)',
    params: P({ pool: 3, overcommit: 0, fileSize: 2, vmas: 2, mounts: [{ size: 4, min: 2, mounted: true }] }),
    threads: [
      [
        one(sh(0, 0, 0, 2)),
        one(wr(0, 1)),
        [op('close', { f: 0 }), op('truncate', { f: 0, size: 1 })],
        one(munmap(0)),
        one(op('umount', { m: 0 })),
      ],
      [
        one(op('unlink', { f: 0 })),
        one(pv(1, 0, 0, 1)),
        one(wr(1, 0)),
        one(munmap(1)),
        [op('umount', { m: 0 }), op('close', { f: 0 })],
      ],
    ],
  },
  {
    name: 'vma-surgery',
    description:
      'partial munmap of a private owner mapping (a hole in the middle splits it into two VMAs sharing the resv_map; a head trim) and of a shared one, while the other task faults the remaining pieces: hugetlb_vm_op_close of each removed piece gives back only its own unconsumed reservations; a zero-length munmap is EINVAL',
    params: P({ pool: 4, overcommit: 0, fileSize: 3, vmas: 3 }),
    threads: [
      [
        one(pv(0, 0, 0, 3)),
        one(wr(0, 0)),
        [op('munmap', { v: 0, from: 1, to: 2, c: 2 }), op('munmap', { v: 0, from: 0, to: 1 })],
        [wr(0, 2), wr(2, 2)],
        one(munmap(0)),
        one(munmap(2)),
      ],
      [
        one(sh(1, 0, 0, 3)),
        one(wr(1, 1)),
        [op('munmap', { v: 1, from: 2, to: 3 }), op('munmap', { v: 1, from: 1, to: 1 })],
        one(rd(1, 0)),
        one(munmap(1)),
      ],
    ],
  },
  {
    name: 'fallocate-vs-fault',
    description:
      'fallocate mode 0 preallocates [0,3) of a file (per index under the fault mutex, consuming the shared reservation of a reserved index, charging the subpool for an unreserved one) while another task maps [1,3) MAP_SHARED and faults, and a third maps privately and faults: ENOSPC when the pool runs dry, the pages added so far kept; then close, or a second fallocate over present pages',
    params: P({ pool: 3, overcommit: 1, fileSize: 3, vmas: 2, mounts: [{ size: 4, min: -1, mounted: true }] }),
    threads: [
      [
        one(op('fallocate', { f: 0, from: 0, to: 3 })),
        [op('close', { f: 0 }), op('fallocate', { f: 0, from: 1, to: 2 })],
      ],
      [one(sh(0, 0, 1, 3)), [wr(0, 2), rd(0, 1)], one(munmap(0))],
      [one(pv(1, 0, 0, 1)), one(wr(1, 0)), one(munmap(1))],
    ],
  },
  {
    name: 'offsets-and-bad-ranges',
    description:
      'a private mapping from file offset 1 (its reservations and faults keyed by offset, not by address) beside a shared mapping of [1,3); bad ranges (from >= to) for mmap, munmap, hole punch and fallocate fail with EINVAL and change nothing',
    params: P({ pool: 3, overcommit: 0, fileSize: 3, vmas: 2 }),
    threads: [
      [
        [sh(0, 0, 2, 1), pv(0, 0, 2, 2)],
        one(pv(0, 0, 1, 3)),
        one(wr(0, 2)),
        one(op('munmap', { v: 0, from: 2, to: 2 })),
        one(munmap(0)),
      ],
      [
        one(sh(1, 0, 1, 3)),
        one(wr(1, 1)),
        [op('punch', { f: 0, from: 2, to: 1 }), op('fallocate', { f: 0, from: 2, to: 2 })],
        one(munmap(1)),
      ],
    ],
  },
  ...privateFileScenarios,
  ...windowScenarios,
];
