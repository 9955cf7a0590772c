/**
 * hugetlb scenarios of node-restricted allocation (issue 10 item 6): pages
 * that record their node, faults under the default policy (any node with a
 * free page) and under MPOL_BIND (params.membind: the bound node or SIGBUS),
 * and mmap's mempolicy check (8ca39e6874f8). spec/hugetlb/ops-numa.ts states
 * the promises, impl/hugetlb/node-pages.ts the kernel's code.
 */
import type { Scenario } from '../../checker/types.js';
import type { HugetlbParams } from './params.js';
import { nrNode } from './scenarios-migrate.js';
import { P, munmap, nr, one, op, pv, rd, sh, wr } from './scenario-helpers.js';

export const numaScenarios: Scenario<HugetlbParams>[] = [
  {
    name: 'node-bind-reserve',
    description:
      "every task bound to node 0 (set_mempolicy MPOL_BIND, as numactl --membind=0), node 1 given a page: a two-page mmap fails with ENOMEM although the pool holds two free pages, since node 0 has one (8ca39e6874f8, the commit's reproducer); two one-page mappings both pass the check, and the second fault finds node 0 empty and SIGBUSes although reserved (the check is a best attempt)",
    params: P({ pool: 1, overcommit: 0, fileSize: 2, vmas: 2, fileMount: [0, 0], nodePool: 2, membind: 0 }),
    threads: [
      [one(nrNode(1, 1)), one(sh(0, 0, 0, 2)), one(sh(0, 0, 0, 1)), one(wr(0, 0)), one(munmap(0))],
      [one(sh(1, 1, 0, 1)), one(wr(1, 0)), one(munmap(1))],
    ],
  },
  {
    name: 'node-default-fault',
    description:
      "two nodes, the default policy: faults take a page from any node with a free one (the task's local node is wherever it runs); node 1's nr_hugepages is grown to 1 and written back to 0 while its page may be in use (it stays, as a surplus page of node 1, and goes back to buddy when the truncate frees it, not to node 0's free list)",
    params: P({ pool: 1, overcommit: 0, fileSize: 2, vmas: 1, nodePool: 2 }),
    threads: [
      [one(sh(0, 0, 0, 2)), one(wr(0, 0)), one(wr(0, 1)), one(munmap(0)), one(op('truncate', { f: 0, size: 0 }))],
      [one(nrNode(1, 1)), one(nrNode(1, 0))],
    ],
  },
  {
    name: 'node-offline-surplus',
    description:
      "two nodes: node 1's only page is reserved by a shared mapping and node 1 is written 0 (the page stays, free, reserved and surplus on node 1), node 0 is grown to 1; memory offline of a block holding either free page passes the global available_huge_pages check, and node 1's page leaves as a surplus page (cb402bbdabca: before it node 1 kept counting a surplus page it no longer had)",
    params: P({ pool: 0, overcommit: 0, fileSize: 1, vmas: 1, nodePool: 2 }),
    threads: [
      [one(nrNode(1, 1)), one(sh(0, 0, 0, 1)), one(nrNode(1, 0)), one(nrNode(0, 1)), one(wr(0, 0)), one(munmap(0))],
      [one(op('dissolve'))],
    ],
  },
  {
    name: 'node-fallocate',
    description:
      "two nodes, the default policy: fallocate of two pages takes each from any node with a free page (the pseudo VMA falls back to the task policy, and the task may move between CPUs) while a fault of another file races it for the pool's two pages; the punch and the truncate free each page to its own node",
    params: P({ pool: 1, overcommit: 0, fileSize: 2, vmas: 1, nodePool: 2, fileMount: [0, 0] }),
    threads: [
      [one(nrNode(1, 1)), one(op('fallocate', { f: 0, from: 0, to: 2 })), one(op('punch', { f: 0, from: 0, to: 1 }))],
      [one(sh(0, 1, 0, 1)), one(wr(0, 0)), one(munmap(0)), one(op('truncate', { f: 1, size: 0 }))],
    ],
  },
  {
    name: 'node-pin',
    description:
      "two nodes, the default policy: a long-term pin's GUP fault takes a page from either node, a punch removes the pinned page from the page cache (it stays in use, on its node, until the unpin frees it to that node's free list) while a second mapping faults the other index; node 1 is grown to 1 meanwhile",
    params: P({ pool: 1, overcommit: 0, fileSize: 2, vmas: 2, nodePool: 2 }),
    threads: [
      [
        one(sh(0, 0, 0, 2)),
        one(op('pin', { k: 0, v: 0, i: 0 })),
        one(op('punch', { f: 0, from: 0, to: 1 })),
        one(op('unpin', { k: 0 })),
      ],
      [one(nrNode(1, 1)), one(sh(1, 0, 0, 2)), one(wr(1, 1)), one(munmap(1))],
    ],
  },
  {
    name: 'node-udmabuf',
    description:
      "two nodes, every task bound to node 0: a udmabuf of a reserved, unfaulted memfd page takes a free page of either node (memfd_alloc_folio passes numa_node_id() and no nodemask, the task's policy is not asked), while a read of the other index faults a page of node 0; the punch keeps the pinned page in use on its node until the unpin frees it there",
    params: P({
      pool: 2,
      overcommit: 0,
      fileSize: 2,
      vmas: 1,
      nodePool: 2,
      membind: 0,
      mounts: [{ size: -1, min: -1, mounted: true, internal: true }],
      fileMount: [0],
    }),
    threads: [
      [
        one(nrNode(1, 1)),
        one(op('memfd_create', { f: 0 })),
        one(sh(0, 0, 0, 2)),
        one(op('udmabuf', { k: 0, f: 0, i: 1 })),
        one(op('punch', { f: 0, from: 0, to: 2 })),
        one(op('unpin', { k: 0 })),
      ],
      [one(op('fault', { v: 0, i: 0, write: false }))],
    ],
  },
  {
    name: 'node-uffd-copy',
    description:
      'two nodes, the default policy: UFFDIO_COPY from an unpopulated source into a reserved shared page (the reserved folio from either node goes back, a temporary folio is taken from a free unreserved page of either node, or from buddy when a concurrent mapping reserved it, and the copy retries) while a fault of the other index takes a page; the copied page keeps its node until the truncate frees it there',
    params: P({ pool: 2, overcommit: 0, fileSize: 2, vmas: 2, nodePool: 2 }),
    threads: [
      [
        one(nrNode(1, 1)),
        one(sh(0, 0, 0, 2)),
        one(op('uffd_copy', { v: 0, i: 0, src: 'unpopulated' })),
        one(munmap(0)),
        one(op('truncate', { f: 0, size: 0 })),
      ],
      [one(sh(1, 0, 0, 2)), one(wr(1, 1)), one(munmap(1))],
    ],
  },
  {
    name: 'node-surplus-free',
    description:
      "two nodes, the default policy: a shared mapping's two pages on either node, node 1 written back to 0 (node 1's page, in use, becomes its surplus page), then a hole punch frees page 0: back to buddy if it sits on node 1, to node 0's free list if it sits on node 0, although node 1 holds a surplus page (free_huge_folio tests the page's own node)",
    params: P({ pool: 1, overcommit: 0, fileSize: 2, vmas: 1, nodePool: 2 }),
    threads: [
      [
        one(nrNode(1, 1)),
        one(sh(0, 0, 0, 2)),
        one(wr(0, 0)),
        one(wr(0, 1)),
        one(op('punch', { f: 0, from: 0, to: 1 })),
        one(munmap(0)),
      ],
      [one(nrNode(1, 0))],
    ],
  },
  {
    name: 'node-shrink-in-use',
    description:
      "two nodes (aabf58bfaace's reproducer, scaled down): node 0's only page is faulted in and node 0 is written 0 (the page stays, in use, as node 0's surplus page) while node 1 is grown to 1 and written back to 0: node 1's free page leaves the pool, it does not become a surplus page because a surplus page elsewhere is in use",
    params: P({ pool: 1, overcommit: 0, fileSize: 1, vmas: 1, nodePool: 2 }),
    threads: [
      [one(sh(0, 0, 0, 1)), one(wr(0, 0)), one(nrNode(0, 0)), one(munmap(0))],
      [one(nrNode(1, 1)), one(nrNode(1, 0))],
    ],
  },
  {
    name: 'node-set-nr',
    description:
      'two nodes: the global nr_hugepages write grows the pool to 3 (fresh pages on either node, as the next_nid_to_alloc cursor goes) and shrinks it to 1 (free pages of either node leave, a page in use or reserved stays, the rest becomes surplus on a node with persistent pages) while a shared mapping reserves, faults and releases a page; the truncate frees the page to its node, or to buddy when that node has surplus pages',
    params: P({ pool: 1, overcommit: 0, fileSize: 1, vmas: 1, nodePool: 2 }),
    threads: [
      [one(sh(0, 0, 0, 1)), one(wr(0, 0)), one(munmap(0)), one(op('truncate', { f: 0, size: 0 }))],
      [one(op('set_nr', { n: 3 })), one(op('set_nr', { n: 1 }))],
    ],
  },
  {
    name: 'node-private-cow',
    description:
      "two nodes, the default policy, a private mapping forked: the parent's page and the child's COW copy may sit on different nodes, the owner's COW when the pool is dry takes the page from the child; each unmap frees a page to its own node (node 1 grown to 1 meanwhile)",
    params: P({ pool: 1, overcommit: 0, fileSize: 1, vmas: 2, nodePool: 2 }),
    threads: [
      [
        one(pv(0, 0, 0, 1)),
        one(wr(0, 0)),
        one(op('fork', { v: 0, c: 1 })),
        one(wr(1, 0)),
        one(wr(0, 0)),
        one(munmap(0)),
      ],
      [one(nrNode(1, 1)), one(munmap(1))],
    ],
  },
  {
    name: 'node-overcommit-bind',
    description:
      "every task bound to node 0, nr_overcommit_hugepages 1: the first mapping reserves node 0's only page, the second's reservation gathers a surplus page, which comes from node 0 (003af997c8a9: before it from the node the task ran on, so node 1 could hold it while the mempolicy check passed on node 0's reserved page); faults, unmap, and the second file's release gives the surplus page back to buddy",
    params: P({ pool: 1, overcommit: 1, fileSize: 1, vmas: 2, fileMount: [0, 0], nodePool: 2, membind: 0 }),
    threads: [
      [one(sh(0, 0, 0, 1)), one(wr(0, 0)), one(munmap(0))],
      [one(sh(1, 1, 0, 1)), one(wr(1, 0)), one(munmap(1)), one(op('close', { f: 1 })), one(op('unlink', { f: 1 }))],
    ],
  },
  {
    name: 'node-overcommit-fault',
    description:
      "two nodes, the default policy, nr_overcommit_hugepages 1: a MAP_NORESERVE fault finds no free page and takes a surplus page from buddy on the local node (any node: alloc_buddy_hugetlb_folio_with_mpol), a private mapping's reservation races it for the pool (gathering a surplus page when the page is taken), and the truncate gives the noreserve page back to buddy from its own node; nr_overcommit_hugepages is lowered meanwhile",
    params: P({ pool: 1, overcommit: 1, fileSize: 1, vmas: 2, nodePool: 2 }),
    threads: [
      [one(nr(0, 0, 0, 1)), one(wr(0, 0)), one(munmap(0)), one(op('truncate', { f: 0, size: 0 }))],
      [one(pv(1, 0, 0, 1)), one(wr(1, 0)), one(op('set_overcommit', { n: 0 })), one(munmap(1))],
    ],
  },
  {
    name: 'shrink-surplus-in-use',
    description:
      "nr_hugepages lowered while fewer pages are in use than there are surplus pages: a three-page shared reservation gathers two surplus pages beside the persistent one, one page is faulted in, and nr_hugepages is written 0 (set_max_huge_pages keeps the reserved pages and one persistent page for the page in use: aabf58bfaace's persistent_free_count with free > persistent); then the mapping and the file go",
    params: P({ pool: 1, overcommit: 2, fileSize: 3, vmas: 1 }),
    threads: [
      [one(sh(0, 0, 0, 3)), one(wr(0, 0)), one(munmap(0)), one(op('truncate', { f: 0, size: 0 }))],
      [one(op('set_nr', { n: 0 }))],
    ],
  },
  {
    name: 'node-bind-min-size',
    description:
      "every task bound to node 0, node 1 given a page: mounting with min_size=2 fails with ENOMEM although the pool holds two free pages, since node 0 has one (hugepage_new_subpool's hugetlb_acct_memory runs the same mempolicy check as mmap, 8ca39e6874f8); min_size=1 mounts and reserves, while a mapping of the other mount faults node 0's page",
    params: P({
      pool: 1,
      overcommit: 0,
      fileSize: 1,
      vmas: 1,
      nodePool: 2,
      membind: 0,
      mounts: [
        { size: 4, min: -1, mounted: true },
        { size: -1, min: -1, mounted: false },
      ],
    }),
    threads: [
      [
        one(nrNode(1, 1)),
        one(op('mount', { m: 1, size: -1, min: 2 })),
        one(op('mount', { m: 1, size: -1, min: 1 })),
        one(op('umount', { m: 1 })),
      ],
      [one(sh(0, 0, 0, 1)), one(wr(0, 0)), one(munmap(0))],
    ],
  },
  {
    name: 'node-punch-split',
    description:
      "two nodes, the default policy: a hole punch in the middle of a three-page reservation while faults hold region_chg descriptors, so region_del must split without a cached descriptor and kmalloc fails; hugetlb_fix_reserve_counts makes the entry a reservation again, and when the pool's free pages are all reserved its hugetlb_acct_memory(1) gathers a surplus page on the node alloc_surplus_hugetlb_folio gives (the cpuset's first node) and counts it in that node's surplus",
    params: P({ pool: 1, overcommit: 2, fileSize: 3, vmas: 1, inject: true, nodePool: 2 }),
    threads: [
      [one(nrNode(1, 1)), one(sh(0, 0, 0, 3)), one(wr(0, 1)), one(op('punch', { f: 0, from: 1, to: 2 }))],
      [one(wr(0, 0)), one(rd(0, 2))],
    ],
    faults: { budget: 1, sites: ['region_del_split'] },
  },
];
