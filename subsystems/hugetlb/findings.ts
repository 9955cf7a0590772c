import type { Scenario } from '../../checker/types.js';
import type { RaceStress } from '../../kernel/race-stress.js';
import type { HugetlbParams } from './params.js';
import { P, munmap, nr, one, op, pf, pv, rd, sh, wr } from './scenario-helpers.js';
import { nrNode } from './scenarios-migrate.js';

/**
 * Not default scenarios: behaviours of the kernel-faithful (correct)
 * implementation that the checker reports, found while building this model.
 * Each is a window or error path of mm/hugetlb.c as modelled here, not a
 * mutant. Each is run on real kernels by `mmcheck reproduce` (the verdicts are
 * in docs/findings.json; .ci/kernel-findings.sh requires them); a description
 * says which kernels it was REPRODUCED on. test/hugetlb/check.test.ts asserts
 * they are still found.
 */
export const findings: (Scenario<HugetlbParams> & { readonly expect: string; readonly race?: RaceStress })[] = [
  {
    name: 'finding-restore-deletes-new-reservation',
    description:
      "a NORESERVE fault commits a reserve-map entry, then add_to_page_cache fails; before restore_reserve_on_error deletes that entry, a concurrent mmap(SHARED) counts it as an existing reservation (region_chg chg 0) and succeeds; the deletion then removes the mmap's reservation. mm/hugetlb.c hugetlb_no_page() and restore_reserve_on_error() @ v6.1 and v6.12. REPRODUCED on Debian 6.12.118 and 6.1.192 (session 17) by the race loop docs/reproducers/hugetlb-finding-restore-deletes-new-reservation.race.c with kernel/inject/mmcheck_inject.ko holding the faulting thread inside hugetlb_add_to_page_cache() and then failing it (-ENOMEM) while another process mmaps the file MAP_SHARED (from the same process the mmap would wait for the fault's mmap_lock): HugePages_Rsvd 1 for a 2-page mapping with no page yet, and once another task takes the unreserved page, that mapping's write to index 1 gets SIGBUS although its mmap succeeded without MAP_NORESERVE; controls (the mmap wholly before or after the failed fault) keep Rsvd 2 and never SIGBUS",
    expect: 'refinement',
    params: P({ pool: 2, fileSize: 2, vmas: 3, inject: true }),
    threads: [[one(nr(1, 0, 0, 2)), one(sh(2, 0, 0, 2))], [one(wr(1, 1))]],
    faults: { budget: 1, sites: ['add_to_page_cache'] },
    // the window (vma_commit_reservation .. restore_reserve_on_error's deletion) is held open by the inject module:
    // the faulting thread waits inside the failing hugetlb_add_to_page_cache() while another process mmaps
    race: {
      c: 'docs/reproducers/hugetlb-finding-restore-deletes-new-reservation.race.c',
      iterations: 5,
      timeoutSec: 120,
      controlIterations: 4,
      // promised: the pages of the mapping made without MAP_NORESERVE that have no page yet (2); backed: at=race
      // HugePages_Rsvd, at=bite the pages its writes got after another task took the one unreserved page
      shows: {
        greater: 'promised',
        than: 'backed',
        says: 'a mapping made without MAP_NORESERVE lost a reservation (fewer reserved or delivered pages than it maps)',
        at: ['race', 'bite'],
      },
      opens: 'opened',
      inject: ['add_to_page_cache'],
    },
  },
  {
    name: 'finding-child-subpool-reserve',
    description:
      'fork child (no reserve map) faults on a min_size mount: hugepage_subpool_get_pages returns 0 (a subpool reserve is used) but vma_has_reserves() is false for a non-owner, so resv_huge_pages is not decremented: Rsvd stays one too high',
    expect: 'resv-conservation / refinement',
    params: P({ pool: 2, fileSize: 2, vmas: 2, mounts: [{ size: 4, min: 1, mounted: true }] }),
    threads: [[one(pv(0, 0, 0, 1)), one(op('fork', { v: 0, c: 1 })), one(munmap(0)), one(wr(1, 0))]],
  },
  {
    name: 'finding-restore-on-surplus-page',
    description:
      '--kernel-version 6.1: a page that consumed a reservation is freed on an error path (PagePrivate set) while surplus pages exist: free_huge_page increments resv_huge_pages and hands the page back to buddy, so HugePages_Rsvd > HugePages_Free. The error path: hugetlb_no_page() @ v6.1 calls anon_vma_prepare() after alloc_huge_page() and backs out through restore_reserve_on_error(); REPRODUCED on Debian 6.1.192 with __anon_vma_prepare failed once by kernel/inject/mmcheck_inject.c (Total=1 Free=1 Rsvd=2 Surp=1). Since 37641efaa3fa ("hugetlb: check for anon_vma prior to folio allocation", v6.9) the anon_vma is prepared before the allocation: on 6.12.118 the same injected failure leaves every counter as it was (the model\'s 6.12 and mainline agree and pass this scenario). The free path itself stays reachable without injection: finding-surplus-free-subpool-refill',
    expect: 'counters-ordered',
    kernelVersion: '6.1',
    params: P({ pool: 0, overcommit: 2, fileSize: 2, vmas: 1, inject: true }),
    threads: [[one(pv(0, 0, 0, 2)), one(wr(0, 1))]],
    faults: { budget: 1, sites: ['anon_vma_prepare'] },
  },
  {
    name: 'finding-cow-anon-vma-surplus-page',
    description:
      "the first write through a MAP_PRIVATE mapping of a file to a page-cache page (the mapping's first anonymous page: vma->anon_vma is NULL): hugetlb_wp() @ v6.1 and v6.12 allocates the copy with alloc_hugetlb_folio(), which consumes the owner's reservation (restore flag set), and only then calls anon_vma_prepare() / __vmf_anon_prepare(); when __anon_vma_prepare() fails (-ENOMEM) the copy goes back through restore_reserve_on_error() and folio_put(): free_huge_folio() increments resv_huge_pages and, surplus pages existing on the node, hands the page to buddy, so HugePages_Rsvd > HugePages_Free (Total=1 Free=0 Rsvd=1 Surp=1 after the write). 37641efaa3fa (\"hugetlb: check for anon_vma prior to folio allocation\", v6.9) moved only hugetlb_no_page()'s call before the allocation, so 6.12 keeps this path of finding-restore-on-surplus-page",
    expect: 'counters-ordered',
    params: P({ pool: 0, overcommit: 2, fileSize: 1, vmas: 2, inject: true }),
    threads: [[one(sh(0, 0, 0, 1)), one(wr(0, 0)), one(pf(1, 0, 0, 1)), one(wr(1, 0))]],
    faults: { budget: 1, sites: ['anon_vma_prepare'] },
  },
  {
    name: 'finding-unmapped-child-survives',
    description:
      "the child's fault passes the HPAGE_RESV_UNMAPPED check in hugetlb_no_page, then the owner's unmap_ref_private (another index, no common fault mutex) marks it; the child still gets a page the spec says it cannot have (it allocates after the owner's munmap freed one). REPRODUCED on Debian 6.12.118 and 6.1.192 (session 16) by the race loop docs/reproducers/hugetlb-finding-unmapped-child-survives.race.c: no page available to the child before the owner's COW, the child reads index 1 without SIGBUS and then SIGBUSes at index 0 (marked), its pagemap shows the index 1 page; booted preempt=full with a SCHED_FIFO thread holding the child inside the window; controls (the child's read wholly before or after the COW) always SIGBUS",
    expect: 'linearizability',
    params: P({ pool: 2, fileSize: 2, vmas: 2 }),
    threads: [
      [one(pv(0, 0, 0, 2)), one(wr(0, 0)), one(op('fork', { v: 0, c: 1 })), one(wr(0, 0)), one(munmap(0))],
      [one(rd(1, 1))],
    ],
    // the window (the HPAGE_RESV_UNMAPPED test .. the allocation) must outlast the owner's COW and munmap: the C loop
    // forks per iteration and preempts the child with a SCHED_FIFO thread on a preempt=full kernel
    race: {
      c: 'docs/reproducers/hugetlb-finding-unmapped-child-survives.race.c',
      iterations: 20000,
      timeoutSec: 170,
      controlIterations: 200,
      // kept: the child read index 1 and then got SIGBUS at index 0 (marked); avail: pages it could get before the
      // COW (0: a read before the COW SIGBUSes, one after it too)
      shows: {
        greater: 'kept',
        than: 'avail',
        says: "the child marked by the owner's COW kept a page no interleaving lets it have",
        at: ['child'],
      },
      opens: 'overlaps',
      forms: [
        {
          name: 'preempt',
          env: { MMCHECK_HOG: 'rt' },
          kernelArgs: ['preempt=full'],
          says: "a fully preemptible kernel; the parent wakes a SCHED_FIFO thread on the child's CPU during the child's fault (a delay swept over 0..60 us), which holds the child off until the parent's COW and munmap are done",
        },
        {
          name: 'plain',
          env: { MMCHECK_HOG: 'none' },
          says: "the kernel's own preemption model (voluntary) and no preempting thread",
        },
      ],
    },
  },
  {
    name: 'finding-shared-restore-double-failure',
    description:
      "shared fault without a reservation: add_to_page_cache fails and restore_reserve_on_error's own region_chg cannot kmalloc (the commit used the cached descriptor); its comment assumes that only happens for private maps, so the new entry stays as a reservation nobody counted (UFFDIO_COPY beyond EOF reaches the same restore_reserve_on_error without a first failure: one injected kmalloc failure suffices there). REPRODUCED on Debian 6.1.192 and 6.12.118 with both failures injected by kernel/inject/mmcheck_inject.c (hugetlb_add_to_page_cache, then the kmalloc of allocate_file_region_entries): the fault SIGBUSes with every counter unchanged, and after munmap, close, umount and nr_hugepages 0 the kernel shows HugePages_Rsvd -1 (the entry given back at eviction)",
    expect: 'resv-conservation / refinement',
    params: P({ pool: 2, fileSize: 2, vmas: 1, inject: true }),
    threads: [[one(nr(0, 0, 0, 2)), one(wr(0, 0))]],
    faults: { budget: 2, sites: ['add_to_page_cache', 'region_chg_kmalloc'] },
  },
  {
    name: 'finding-fix-reserve-counts-membind',
    description:
      "every task bound to node 0 (MPOL_BIND), node 1 given a page; a three-page shared reservation passes the mempolicy check (node 0 has four free pages) and is faulted in, fallocate adds index 3 (its region_add coalesces with the reservation's region, so no file_region descriptor is left in the resv_map's cache), then a hole punch of index 1 must split the region and region_del's kmalloc fails: hugetlb_fix_reserve_counts() gets the subpool page and calls hugetlb_acct_memory(h, 1), whose gather finds a free page (node 1's) but whose mempolicy check `delta > allowed_mems_nr(h)` fails (node 0 has none): the reservation is given back and not made (\"Huge Page Reserved count may go negative\"), so the file keeps a reserve-map entry at index 1 that no HugePages_Rsvd count backs (a later fault there consumes a reservation nobody counted). Sequential, one injected failure; the allowed_mems_nr side of finding-fix-reserve-counts-full-pool. mm/hugetlb.c hugetlb_fix_reserve_counts(), hugetlb_acct_memory() and allowed_mems_nr() @ v6.1 and v6.12. REPRODUCED on Debian 6.12.118 and 6.1.192 (session 17, two NUMA nodes, region_del's kmalloc failed once by kernel/inject/mmcheck_inject.c): every step's counters as predicted, and after the processes exited, the mount was unmounted and the pool emptied the kernel shows Total=5 Free=5 Rsvd=-1 Surp=5",
    expect: 'refinement',
    params: P({ pool: 4, overcommit: 0, fileSize: 4, vmas: 1, inject: true, nodePool: 2, membind: 0 }),
    threads: [
      [
        one(nrNode(1, 1)),
        one(sh(0, 0, 0, 3)),
        one(wr(0, 0)),
        one(wr(0, 1)),
        one(wr(0, 2)),
        one(op('fallocate', { f: 0, from: 3, to: 4 })),
        one(op('punch', { f: 0, from: 1, to: 2 })),
      ],
    ],
    faults: { budget: 1, sites: ['region_del_split'] },
  },
  {
    name: 'finding-fix-reserve-counts-full-pool',
    description:
      'hole punch: region_del cannot split (a concurrent fault holds the cached descriptor, kmalloc fails) while every page is reserved; hugetlb_fix_reserve_counts calls hugetlb_acct_memory(1) before the punched page is freed, which fails ("Huge Page Reserved count may go negative"): the file keeps a reserve-map entry for the punched index that no HugePages_Rsvd count backs. mm/hugetlb.c region_del(), hugetlb_fix_reserve_counts() and fs/hugetlbfs/inode.c remove_inode_single_folio() @ v6.1 and v6.12. REPRODUCED on Debian 6.12.118 and 6.1.192 (session 17) by the race loop docs/reproducers/hugetlb-finding-fix-reserve-counts-full-pool.race.c with kernel/inject/mmcheck_inject.ko: the punch held at filemap_get_folios (after the unmap), the fault held at hugetlb_cgroup_charge_cgroup (between vma_needs_reservation and vma_commit_reservation), the kmalloc of region_del failed; writing the punched index and the last reserved one then underflows HugePages_Rsvd (18446744073709551615), for good after the file is gone; controls (the fault wholly before or after the punch: region_del takes the cached descriptor and never calls kmalloc) clean',
    expect: 'resv-conservation / refinement',
    params: P({ pool: 3, fileSize: 3, vmas: 1, inject: true }),
    threads: [[one(sh(0, 0, 0, 3)), one(wr(0, 1)), one(op('punch', { f: 0, from: 1, to: 2 }))], [one(wr(0, 0))]],
    faults: { budget: 1, sites: ['region_del_split'] },
    // the window (the fault's region_chg .. its commit, while the punch's region_del runs) is held open by the
    // inject module: the punch waits at filemap_get_folios, the fault at hugetlb_cgroup_charge_cgroup
    race: {
      c: 'docs/reproducers/hugetlb-finding-fix-reserve-counts-full-pool.race.c',
      iterations: 5,
      timeoutSec: 120,
      controlIterations: 4,
      shows: {
        greater: 'Rsvd',
        than: 'Free',
        says: 'HugePages_Rsvd > HugePages_Free (resv_huge_pages underflowed)',
        at: ['race', 'fault1', 'fault2', 'close'],
      },
      opens: 'opened',
      inject: ['region_del_split'],
    },
  },
  {
    name: 'finding-uffd-copy-vs-truncate',
    description:
      'UFFDIO_COPY into a reserved index of a shared mapping while ftruncate shrinks the file below it: mfill_atomic_hugetlb / hugetlb_mfill_atomic_pte @ v6.12 check i_size only after alloc_hugetlb_folio, and truncate waits for no fault mutex of an index without a page, so the copy counts the reservation (region_chg 0), hugetlb_unreserve_pages deletes it and gives it back, and the copy then consumes it: resv_huge_pages underflows; the copy fails EFAULT but leaves a reserve-map entry beyond EOF that no count backs (restore_reserve_on_error finds no entry and adds one back). The window on a kernel is the whole 2 MiB copy_folio_from_user between the allocation and the i_size check. REPRODUCED on Debian 6.12.118 and 6.1.192 (session 16) by the race loop docs/reproducers/hugetlb-finding-uffd-copy-vs-truncate.race.c (ftruncate during UFFDIO_COPY, /proc/meminfo read meanwhile): HugePages_Rsvd 18446744073709551615 during the copy; the file extended and mapped again reserves nothing, its fault and eviction leave Rsvd 18446744073709551615 for good; controls (truncate before or after the copy) clean',
    expect: 'counters-ordered',
    params: P({ pool: 2, fileSize: 2, vmas: 1 }),
    threads: [[one(sh(0, 0, 0, 1)), one(op('uffd_copy', { v: 0, i: 0 }))], [one(op('truncate', { f: 0, size: 0 }))]],
    // a race run of the counterexample ends like truncate-then-copy (the underflow is transient): the C loop truncates
    // during the copy's 2 MiB copy_folio_from_user, reads /proc/meminfo meanwhile, then shows the entry left beyond
    // EOF (the file extended and mapped again reserves nothing; its fault and eviction leave Rsvd 2^64-1)
    race: {
      c: 'docs/reproducers/hugetlb-finding-uffd-copy-vs-truncate.race.c',
      iterations: 2000,
      timeoutSec: 170,
      controlIterations: 300,
      shows: {
        greater: 'Rsvd',
        than: 'Free',
        says: 'HugePages_Rsvd > HugePages_Free (resv_huge_pages underflowed)',
        at: ['truncate', 'copy', 'remap', 'fault', 'close'],
      },
      opens: 'inside',
    },
  },
  {
    name: 'finding-uffd-efault-min-size-entry',
    description:
      'UFFDIO_COPY through a NORESERVE shared mapping into an index beyond EOF on a min_size mount: hugetlb_mfill_atomic_pte @ v6.12 allocates before its i_size check; the subpool reserve makes gbl_chg 0, so the folio is taken as reserved (HPageRestoreReserve) and vma_commit_reservation adds an entry; on -EFAULT restore_reserve_on_error sees the entry (rc 0) with the flag set and keeps it: the failed copy leaves a reservation beyond EOF, the mount reserve moved into it (statfs shows one more page used) until the file is truncated or evicted',
    expect: 'refinement',
    params: P({ pool: 2, overcommit: 0, fileSize: 3, vmas: 1, mounts: [{ size: 3, min: 1, mounted: true }] }),
    threads: [[one(nr(0, 0, 1, 3)), one(op('truncate', { f: 0, size: 1 })), one(op('uffd_copy', { v: 0, i: 1 }))]],
  },
  {
    name: 'finding-noreserve-subpool-reserve',
    description:
      'a MAP_PRIVATE|MAP_NORESERVE read fault on a min_size mount: alloc_hugetlb_folio (alloc_huge_page in v6.1) takes the page against the subpool reserve (hugepage_subpool_get_pages returns 0) but vma_has_reserves() is false for VM_NORESERVE without VM_MAYSHARE, so resv_huge_pages is not decremented (Rsvd one too high while the page lives); when it is freed, free_huge_folio refills the subpool reserve and restores a global reservation on top: after munmap, close and umount HugePages_Rsvd stays 1 for good. The root cause of finding-child-subpool-reserve, without fork. Found by mmcheck conform (seed 20261205) on Debian 6.1.192 and 6.12.118. UFFDIO_COPY into such a mapping reaches the same alloc_hugetlb_folio path (hugetlb_mfill_atomic_pte): mmap private_noreserve then uffd_copy on a min_size mount, Rsvd one too high, REPRODUCED on both kernels as a script (conform seed 20261206)',
    expect: 'resv-conservation / refinement',
    params: P({ pool: 2, fileSize: 1, vmas: 1, mounts: [{ size: -1, min: 1, mounted: true }] }),
    threads: [
      [
        one(op('mmap', { v: 0, kind: 'private_noreserve', f: 0, from: 0, to: 1 })),
        one(rd(0, 0)),
        one(munmap(0)),
        one(op('close', { f: 0 })),
        one(op('umount', { m: 0 })),
      ],
    ],
  },
  {
    name: 'finding-alloc-fail-subpool-refill',
    description:
      "an allocation that fails on a min_size mount (fallocate mode 0 beyond the pool, overcommit 0): alloc_hugetlb_folio's out_subpool_put calls hugepage_subpool_put_pages(spool, 1) whether or not its get drew on the subpool reserve and ignores the result; with the reserve used up (gbl_chg 1) the put refills rsv_hpages with a page no global reservation backs, so the subpool holds one reservation more than HugePages_Rsvd counts; at umount hugepage_put_subpool gives back min_size and HugePages_Rsvd underflows. Found by mmcheck conform (seed 20261205) on Debian 6.1.192 and 6.12.118",
    // the model sees the extra subpool reservation at once (refinement, 7 steps), before the underflow
    expect: 'refinement',
    params: P({ pool: 1, fileSize: 2, vmas: 1, mounts: [{ size: -1, min: 1, mounted: true }] }),
    threads: [
      [one(op('fallocate', { f: 0, from: 0, to: 2 })), one(op('close', { f: 0 })), one(op('umount', { m: 0 }))],
    ],
  },
  {
    name: 'finding-surplus-free-subpool-refill',
    description:
      "a page charged to a min_size mount is freed while it is a surplus page (the pool was shrunk under it): free_huge_folio (mm/hugetlb.c @ v6.12) sees hugepage_subpool_put_pages() return 0 (the put refills the subpool's min_size reserve), forces restore_reserve and increments resv_huge_pages, then hands the page to buddy because surplus_huge_pages_node is set: HugePages_Rsvd 1 with HugePages_Total 0, a reservation no page backs (the mount's min_size promise cannot be kept) until umount gives it back. The same free path as finding-restore-on-surplus-page, reached without an injected failure: private mmap, write fault, nr_hugepages 0, munmap. Found by mmcheck conform (seed 7) on Debian 6.1.192; REPRODUCED on 6.1.192 and 6.12.118",
    expect: 'counters-ordered',
    params: P({ pool: 1, fileSize: 1, vmas: 1, mounts: [{ size: -1, min: 1, mounted: true }] }),
    threads: [
      [
        one(pv(0, 0, 0, 1)),
        one(wr(0, 0)),
        one(op('set_nr', { n: 0 })),
        one(munmap(0)),
        one(op('close', { f: 0 })),
        one(op('umount', { m: 0 })),
      ],
    ],
  },
  {
    name: 'finding-out-put-pages-min',
    description:
      'hugetlb_reserve_pages out_put_pages after hugetlb_acct_memory failed on a size=,min_size= mount. --kernel-version 6.1/6.12 (before a833a693a490): the put of chg refills rsv_hpages with pages the global pool never reserved (Rsvd later underflows). mainline (a833a693a490 + its follow-up restoring failed global reservations to the subpool): the put of chg - gbl_reserve still sees used_hpages inflated by gbl_reserve, so the subpool reserve the mmap took goes to the global pool instead of back to rsv_hpages (min_size guarantee lost; a model prediction, not yet run on a mainline kernel)',
    expect: 'resv-conservation / refinement',
    params: P({ pool: 2, fileSize: 3, vmas: 2, mounts: [{ size: 4, min: 2, mounted: true }] }),
    threads: [[one(sh(0, 0, 0, 1)), one(wr(0, 0)), one(sh(1, 0, 1, 3))]],
  },
  {
    name: 'finding-mremap-partial-private',
    description:
      'mremap (MREMAP_MAYMOVE|MREMAP_FIXED) of part of a MAP_PRIVATE hugetlb mapping: move_vma calls clear_vma_resv_huge_pages on the whole old VMA (mm/mremap.c move_vma, mm/hugetlb.c @ v6.12; since 550a7d60bd5e "mm, hugepages: add mremap() support for hugepage backed vma"), so the pieces left behind lose the owner flag and the reserve map: their reservations are never used (a write there SIGBUSes although mmap reserved the page and the pool holds it) and never given back (HugePages_Rsvd stays 2 after every mapping, mount and the pool are gone). Found building issue 10 item 3; REPRODUCED on Debian 6.1.192 and 6.12.118',
    expect: 'refinement',
    params: P({ pool: 3, fileSize: 3, vmas: 2, mounts: [{ size: -1, min: -1, mounted: true }] }),
    threads: [
      [
        one(pv(0, 0, 0, 3)),
        one(wr(0, 0)),
        one(op('mremap', { v: 0, from: 0, to: 1, len: 1, c: 1 })),
        one(wr(0, 1)),
        one(rd(1, 0)),
        one(munmap(1)),
        one(munmap(0)),
      ],
    ],
  },
  {
    name: 'finding-node-remove-surplus-page',
    description:
      "two nodes: node 1's only page is free, reserved by a shared mapping and surplus (node 1 written 0 while the reservation keeps it), node 0 holds two free persistent pages; the global nr_hugepages write 0 removes one free page (min_count keeps the reserved one) with remove_pool_huge_page(h, N_MEMORY, 0), whose round robin takes node 1's page (next_nid_to_free = 1 after step 9) with no surplus accounting (remove_hugetlb_page(..., adjust_surplus=false) lowers nr_huge_pages_node and free_huge_pages_node, not surplus_huge_pages_node): node 1 then counts a surplus page and has no page, and node 0's remaining pages are all persistent on node 0 while the pool counts one as surplus. Checked at --kernel-version 6.12 and mainline (surplus-bounded, 14 steps): mainline after aabf58bfaace still calls remove_pool_hugetlb_folio(h, nodes_allowed, 0) (mm/hugetlb.c set_max_huge_pages()), so it is affected too. v6.1 rests on code reading (mm/hugetlb.c set_max_huge_pages() @ v6.1: min_count = resv + nr - free, remove_pool_huge_page(h, nodes_allowed, 0)): at --kernel-version 6.1 the scenario fails by refinement at step 14 instead, because without b72b3c9c34c8 step 10 allocates 3 pages on node 0. REPRODUCED on Debian 6.1.192 and 6.12.118 on a two-node VM (session 13: every step's return value, HugePages_* and both nodes' nr/free/surplus_hugepages as predicted; node 1 ends with nr_hugepages 0 and surplus_hugepages 1, and the pool stays damaged after the global write 0: Total=1 Free=1 Surp=1)",
    expect: 'surplus-bounded',
    params: P({ pool: 0, overcommit: 0, fileSize: 1, vmas: 1, nodePool: 2 }),
    threads: [
      [
        one(op('set_nr_node', { nid: 1, n: 1 })),
        one(sh(0, 0, 0, 1)),
        one(op('set_nr_node', { nid: 1, n: 0 })),
        one(op('set_nr_node', { nid: 0, n: 2 })),
        one(op('set_nr', { n: 0 })),
      ],
    ],
  },
  {
    name: 'finding-temp-page-counted-persistent',
    description:
      'a soft offline with no free unreserved page migrates to a temporary page from buddy (alloc_migrate_hugetlb_folio: prep_new_hugetlb_folio counts it in nr_huge_pages, HPageTemporary, not surplus); while it exists, a concurrent nr_hugepages write 0 counts it as a persistent page in use (persistent_huge_pages(h) = nr - surplus, mm/hugetlb.c set_max_huge_pages() @ v6.12), so adjust_pool_surplus marks it surplus too; move_hugetlb_state then hands the temporary flag to the old folio, whose free (free_huge_folio -> remove_hugetlb_folio(h, folio, false)) lowers nr_huge_pages but not surplus_huge_pages: HugePages_Surp 2 > HugePages_Total 1, and after the page is freed Total 0 with Surp 1 for good. v6.1 reads the same (alloc_migrate_huge_page, free_huge_page). REPRODUCED on Debian 6.1.192 and 6.12.118 (session 14) by the race loop docs/reproducers/hugetlb-finding-temp-page-counted-persistent.race.c on 2 vCPUs (a surplus page in use soft-offlined while another thread writes 0 to nr_hugepages): at the first iteration Total=1 Surp=2 after the soft offline, Total=0 Surp=1 after munmap and for good, /proc/sys/vm/nr_hugepages then reads 18446744073709551615 (h->max_huge_pages = persistent_huge_pages(h) = 0 - 1); the same loop without the writer: 300 iterations, counters right. The temporary page dates from ab5ac90aecf5 ("mm, hugetlb: do not rely on overcommit limit during migration", v4.16). Before the race loop, the counterexample run 50 times with real threads (kernel/race.ts) ended Total=1 Surp=2 in 19 of 50 runs on 6.12.118 (14 of 50 in a first run) and 4 of 50 on 6.1.192 (5 of 50). Session 15: the loop runs the pool of this counterexample by default (nr_hugepages 1, no overcommit; --race-form surplus for the session 14 pool), its writer only inside madvise(MADV_SOFT_OFFLINE), the counters read after every step: REPRODUCED 3/3 on 6.12.118 and 3/3 on 6.1.192 (HIT at iteration 1 or 2). A free-running writer can also hit the surplus allocation of mmap (alloc_surplus_hugetlb_folio counts the fresh page in nr_huge_pages before surplus_huge_pages++): the same damage from another window, which CI saw as offlined=0 mmap_failed=51: finding-surplus-alloc-counted-persistent. No upstream fix found in the newest mm/hugetlb.c texts read (subsystems/hugetlb/NOTES.md)',
    expect: 'surplus-bounded',
    params: P({ pool: 1, overcommit: 0, fileSize: 1, vmas: 1, mounts: [{ size: -1, min: -1, mounted: true }] }),
    threads: [
      [one(sh(0, 0, 0, 1)), one(wr(0, 0)), one(op('soft_offline', { v: 0, i: 0 }))],
      [one(op('set_nr', { n: 0 }))],
    ],
    // the window (temporary page allocated .. move_hugetlb_state) cannot be forced step by step: reproduce runs this
    // loop on two vCPUs (soft offline of a surplus page in use vs nr_hugepages writes of 0), then without the writer
    race: {
      c: 'docs/reproducers/hugetlb-finding-temp-page-counted-persistent.race.c',
      iterations: 2000,
      timeoutSec: 170,
      controlIterations: 300,
      // the damage counts after the soft offline or the munmap that follows it (mmap, fault: another window)
      shows: {
        greater: 'Surp',
        than: 'Total',
        says: 'HugePages_Surp > HugePages_Total',
        at: ['offline', 'munmap'],
      },
      opens: 'offlined',
      forms: [
        {
          name: 'persistent',
          env: { MMCHECK_POOL: 'persistent' },
          says: "the counterexample's pool: nr_hugepages 1, no overcommit, the one persistent page in use",
        },
        {
          name: 'surplus',
          env: { MMCHECK_POOL: 'surplus' },
          says: 'nr_hugepages 0, nr_overcommit_hugepages 1: the page in use is a surplus page (session 14)',
        },
      ],
    },
  },
  {
    name: 'finding-surplus-alloc-counted-persistent',
    description:
      '--kernel-version 6.12 (and 6.1): mmap of a MAP_PRIVATE page with an empty pool and nr_overcommit_hugepages 1 gathers a surplus page (hugetlb_reserve_pages -> gather_surplus_pages -> alloc_surplus_hugetlb_folio). alloc_fresh_hugetlb_folio\'s prep_new_hugetlb_folio() counts it in nr_huge_pages under hugetlb_lock and drops the lock; a concurrent nr_hugepages write of 0 then counts it as a persistent page (persistent_huge_pages = nr - surplus) and adjust_pool_surplus() marks it surplus; the recheck under the lock finds surplus >= overcommit and frees the page as temporary (remove_hugetlb_folio(h, folio, false): nr drops, surplus does not): mmap fails with ENOMEM, HugePages_Total 0 with Surp 1 for good, nr_hugepages reads ULONG_MAX, every later surplus allocation fails. mm/hugetlb.c alloc_surplus_hugetlb_folio() @ v6.12, alloc_surplus_huge_page() @ v6.1. Fixed upstream by 2273dea6b1e1 ("mm/hugetlb: update nr_huge_pages and surplus_huge_pages together", Liu Shixin, in mainline since v6.15-rc1; variant 2273dea6b1e1): mainline passes this scenario. Same root as finding-temp-page-counted-persistent, another window; the race loop of CI with a free writer hit it (offlined=0 mmap_failed=51, subsystems/hugetlb/NOTES.md). REPRODUCED on Debian 6.12.118 (HIT at iteration 174, at=mmap, Total=0 Surp=1) and 6.1.192 (iteration 136), nr_hugepages then 18446744073709551615; controls without the writer 2000 iterations clean (session 15, race form mmap)',
    expect: 'refinement / surplus-bounded',
    kernelVersion: '6.12',
    params: P({ pool: 0, overcommit: 1, fileSize: 1, vmas: 1, mounts: [{ size: -1, min: -1, mounted: true }] }),
    threads: [[one(pv(0, 0, 0, 1)), one(wr(0, 0)), one(munmap(0))], [one(op('set_nr', { n: 0 }))]],
    // the window (prep_new_hugetlb_folio .. the recheck) is a few instructions: the race loop, its writer only inside mmap
    race: {
      c: 'docs/reproducers/hugetlb-finding-temp-page-counted-persistent.race.c',
      iterations: 20000,
      timeoutSec: 170,
      controlIterations: 2000,
      shows: {
        greater: 'Surp',
        than: 'Total',
        says: 'HugePages_Surp > HugePages_Total',
        at: ['mmap', 'fault', 'munmap'],
      },
      opens: 'mmaps',
      forms: [
        {
          name: 'mmap',
          env: { MMCHECK_POOL: 'surplus', MMCHECK_WRITER: 'mmap' },
          says: 'nr_hugepages 0, nr_overcommit_hugepages 1, the writer only inside mmap (its surplus page allocation), no soft offline',
        },
      ],
    },
  },
];
