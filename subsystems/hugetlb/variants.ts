/**
 * Buggy variants: each re-introduces one historical bug (named after the
 * commit that fixed it) next to the correct code, as a `t.bug(NAME)` check in
 * impl/hugetlb. The default check must catch every one in the scenarios listed.
 */
import type { Variant } from '../../checker/types.js';

export const variants: Variant[] = [
  {
    name: 'H1',
    description: 'fault checks i_size only after alloc_huge_page, no back-out (absurd HugePages_Rsvd)',
    source: 'commit ebed4bfc8da8 "hugetlb: fix absurd HugePages_Rsvd"; mm/hugetlb.c hugetlb_no_page() @ v6.1',
    scenarios: ['truncate-vs-fault'],
  },
  {
    name: 'H11',
    description: 'hugetlb_reserve_pages ignores region_add < region_chg (no chg - add refund)',
    source:
      'commit cf3ad20bfead "mm/hugetlb: compute/return the number of regions added by region_add()"; mm/hugetlb.c hugetlb_reserve_pages() @ v6.1',
    scenarios: ['reserve-vs-fault'],
  },
  {
    name: 'H13',
    description:
      'the private no_page and COW (hugetlb_wp out_release_all) error paths free the new page without restore_reserve_on_error',
    source:
      'commit 96b96a96ddee "mm/hugetlb: fix huge page reservation leak in private mapping error paths"; mm/hugetlb.c hugetlb_no_page() and hugetlb_wp() @ v6.1',
    scenarios: ['error-paths', 'private-file-cow-fails'],
  },
  {
    name: 'H14',
    description: 'return_unused_surplus_pages uncommits resv before a loop that drops hugetlb_lock',
    source:
      'commit e5bbc8a6c992 "mm/hugetlb.c: fix reservation race when freeing surplus pages"; mm/hugetlb.c return_unused_surplus_pages() @ v6.1',
    scenarios: ['surplus-pool'],
  },
  {
    name: 'H19',
    description: 'free_huge_page puts a restore-reserve page back to the subpool too',
    source:
      'commit 0919e1b69ab4; mm/hugetlb.c free_huge_page() @ v6.1 (the `if (!restore_reserve)` guard before hugepage_subpool_put_pages)',
    scenarios: ['error-paths'],
  },
  {
    name: 'HR-1',
    description: 'shared fault error path (add_to_page_cache) skips restore_reserve_on_error',
    source:
      'mm/hugetlb.c hugetlb_no_page() @ v6.1 (restore_reserve_on_error on the hugetlb_add_to_page_cache error path); Documentation/vm/hugetlbfs_reserv.rst @ v5.10 "Reservation cleanup in error paths"',
    scenarios: ['error-paths'],
  },
  {
    name: 'HR-2',
    description: 'restore_reserve_on_error keeps PagePrivate when its own map update fails',
    source:
      'commit 96b96a96ddee "mm/hugetlb: fix huge page reservation leak in private mapping error paths"; mm/hugetlb.c restore_reserve_on_error() @ v6.1 (rc < 0: ClearHPageRestoreReserve)',
    scenarios: ['restore-fails'],
  },
  {
    name: 'HR-3',
    description:
      'UFFDIO_COPY whose copy under the locks fails frees the folio that consumed the reservation without restore_reserve_on_error (the leak 21205bf8f77b fixed with its PagePrivate fix-up, today restore_reserve_on_error before folio_put)',
    source:
      'commit 21205bf8f77b "userfaultfd: hugetlbfs: fix __mcopy_atomic_hugetlb retry/error processing"; mm/hugetlb.c hugetlb_mfill_atomic_pte() @ v6.12',
    scenarios: ['error-paths'],
  },
  {
    name: '8cc5fcbb5be8',
    description:
      'UFFDIO_COPY carries the folio that consumed the reservation across the unlocked copy_from_user: a fault in that window consumes the same reservation again (resv_huge_pages underflows)',
    source:
      'commit 8cc5fcbb5be8 "mm, hugetlb: fix racy resv_huge_pages underflow on UFFDIO_COPY"; mm/hugetlb.c hugetlb_mfill_atomic_pte() and mm/userfaultfd.c mfill_atomic_hugetlb() @ v6.12',
    scenarios: ['uffd-copy-retry'],
  },
  {
    name: 'da9a298f5fad',
    description:
      'UFFDIO_COPY retry: alloc_hugetlb_folio fails and *foliop is dropped without folio_put: the temporary folio leaks',
    source:
      'commit da9a298f5fad "hugetlb: fix memoryleak in hugetlb_mcopy_atomic_pte"; mm/hugetlb.c hugetlb_mfill_atomic_pte() @ v6.12 (folio_put(*foliop) when alloc_hugetlb_folio fails)',
    scenarios: ['uffd-copy-retry'],
  },
  {
    name: 'cc30042df6fc',
    description:
      'UFFDIO_CONTINUE whose page is mapped already (-EEXIST) runs restore_reserve_on_error on the page-cache folio as if it were newly allocated: the reserve-map entry of a cached page is deleted, and removing the page later gives back a reservation nobody holds',
    source:
      'commit cc30042df6fc "hugetlb, userfaultfd: fix reservation restore on userfaultfd error"; mm/hugetlb.c hugetlb_mfill_atomic_pte() @ v6.12 (out_release_unlock: restore_reserve_on_error only when !folio_in_pagecache)',
    scenarios: ['uffd-minor'],
  },
  {
    name: 'HR-4',
    description: 'alloc_huge_page ignores vma_commit_reservation < vma_needs_reservation (no refund)',
    source:
      'commit 33039678c8da "mm/hugetlb: handle races in alloc_huge_page and hugetlb_reserve_pages"; mm/hugetlb.c alloc_huge_page() @ v6.1 (map_chg > map_commit)',
    scenarios: ['reserve-vs-fault'],
  },
  {
    name: 'HR-5',
    description: 'mmap without inode_lock and trusting region_chg: overlapping reservations double-charge',
    source:
      'fs/hugetlbfs/inode.c hugetlbfs_file_mmap() @ v6.1 (inode_lock around hugetlb_reserve_pages); Documentation/vm/hugetlbfs_reserv.rst @ v5.10 "Reservation Map Modifications"',
    scenarios: ['reserve-vs-reserve'],
  },
  {
    name: 'HR-6',
    description: 'hugetlb_reserve_pages error path forgets region_abort after region_chg',
    source:
      'mm/hugetlb.c hugetlb_reserve_pages() @ v6.1 (out_err: region_abort when region_chg succeeded and region_add did not)',
    scenarios: ['error-paths'],
  },
  {
    name: 'HR-7',
    description: 'hole punch ignores region_del -ENOMEM (no hugetlb_fix_reserve_counts)',
    source:
      'fs/hugetlbfs/inode.c remove_inode_hugepages() @ v6.1 and mm/hugetlb.c hugetlb_fix_reserve_counts() @ v6.1 (region_del -ENOMEM)',
    scenarios: ['punch-split'],
  },
  {
    name: 'HR-8',
    description: 'private munmap returns (end - start) instead of the unconsumed reserves',
    source: 'mm/hugetlb.c hugetlb_vm_op_close() @ v6.1 (reserve = (end - start) - region_count(resv, start, end))',
    scenarios: ['private-cow-fork'],
  },
  {
    name: 'HR-9',
    description: 'free_huge_page ignores a 0 from hugepage_subpool_put_pages (subpool min not refilled)',
    source:
      'commit 1c5ecae3a93f "hugetlbfs: add minimum size accounting to subpools"; mm/hugetlb.c free_huge_page() @ v6.1 (hugepage_subpool_put_pages() == 0 keeps the reservation)',
    scenarios: ['mount-min'],
  },
  {
    name: 'HR-10',
    description: 'owner COW with no page SIGBUSes instead of unmap_ref_private',
    source:
      'mm/hugetlb.c hugetlb_wp() / unmap_ref_private() @ v6.1; Documentation/vm/hugetlbfs_reserv.rst @ v5.10 "Reservations and Page Faults" (owner COW with no page)',
    scenarios: ['private-cow-fork'],
  },
  {
    name: 'HR-11',
    description: 'hugetlb_acct_memory uses the doc pseudo-code test delta <= resv - free',
    source:
      'mm/hugetlb.c gather_surplus_pages() @ v6.1 vs the pseudo-code of Documentation/vm/hugetlbfs_reserv.rst @ v5.10 "Reservation Map Modifications"',
    scenarios: ['reserve-vs-fault'],
  },
  {
    name: 'HR-12',
    description: 'truncate region_del starts one past the new end of file',
    source:
      'mm/hugetlb.c hugetlb_unreserve_pages() @ v6.1 called from fs/hugetlbfs/inode.c hugetlb_vmtruncate() @ v6.1 (region_del from the new end of file)',
    scenarios: ['truncate-vs-fault'],
  },
  {
    name: '1c5ecae3a93f-umount',
    description:
      'unlock_or_release_subpool frees the subpool without hugetlb_acct_memory(-min_hpages): the min_size reservation leaks at umount (the release added by 1c5ecae3a93f "hugetlbfs: add minimum size accounting to subpools")',
    source:
      'commit 1c5ecae3a93f "hugetlbfs: add minimum size accounting to subpools"; mm/hugetlb.c unlock_or_release_subpool() @ v6.1',
    scenarios: ['lifetimes'],
  },
  {
    name: '84afd99b8398',
    description:
      'a partial munmap of a private owner mapping gives back the unconsumed reservations of the whole original VMA, not of the removed piece (the per-VMA reserve count copied to both halves of a split)',
    source:
      'commit 84afd99b8398 "hugetlb reservations: fix hugetlb MAP_PRIVATE reservations across vma splits"; mm/hugetlb.c hugetlb_vm_op_close() @ v6.1',
    scenarios: ['vma-surgery'],
  },
  {
    name: 'a833a693a490',
    description:
      'hugetlb_reserve_pages out_put_pages puts back chg, not chg - gbl_reserve (before a833a693a490; Debian 6.1.y/6.12.y)',
    source:
      'a833a693a490 "mm: hugetlb: fix incorrect fallback for subpool"; mm/hugetlb.c hugetlb_reserve_pages() @ v6.12',
    scenarios: ['out-put-pages-min-only'],
  },
  {
    name: '67961f9db8c4',
    description:
      'alloc_huge_page trusts that a private owner always has a reservation: after a hole punch or MADV_DONTNEED threw away a page whose reservation was consumed (and not restored: surplus pages exist), the refault takes a reservation that is not there (HugePages_Rsvd too low, then negative)',
    source:
      'commit 67961f9db8c4 "mm/hugetlb: fix huge page reserve accounting for private mappings"; mm/hugetlb.c __vma_reservation_common() @ v6.12 (private maps: an entry means the reservation was consumed)',
    scenarios: ['private-file-zap'],
  },
  {
    name: 'df7a6d1f6405',
    description:
      "MADV_DONTNEED (and a hole punch) of an owner's private page does not restore its reservation: the promise made at mmap is lost and another task can take the page, so the refault may SIGBUS",
    source:
      'commit df7a6d1f6405 "mm/hugetlb: restore the reservation if needed"; mm/hugetlb.c __unmap_hugepage_range() @ v6.12',
    scenarios: ['private-file-zap'],
  },
  {
    name: 'HR-14',
    description:
      'hugetlb_wp reuses a page-cache page that only this private mapping maps instead of copying it: the private write lands in the file (the pre-v3.12 cow optimization; Joonsoo Kim, "mm, hugetlb: do not use a page in page cache for cow optimization", 2013, libhugetlbfs corrupt-by-cow-opt)',
    source:
      "mm/hugetlb.c hugetlb_wp() @ v6.12 (folio_mapcount(old_folio) == 1 && folio_test_anon(old_folio)); the fixing commit's id could not be resolved from the sources available here",
    scenarios: ['private-file-cow'],
  },
  {
    name: 'HR-16',
    description:
      'dequeue_hugetlb_folio_vma refuses an allocation without a reservation while one free unreserved page is left: a MAP_NORESERVE fault SIGBUSes with a free page (the spec allowed any unreserved refusal before it was scoped to a concurrent mmap or a page held by a concurrent call, spec/hugetlb/ops-window.ts)',
    source:
      'mm/hugetlb.c dequeue_hugetlb_folio_vma() @ v6.1 and v6.12 (if (!vma_has_reserves(vma, chg) && !available_huge_pages(h)) goto err); a hazard, no fixing commit',
    scenarios: ['buddy-failure'],
  },
  {
    name: '4aae8d1c051e',
    description:
      'remove_inode_hugepages skips a folio that a fault mapped again after hugetlb_vmdelete_list ("Do nothing in this race case"): the page a refault raced in stays in the punched hole, mapped',
    source:
      'commit 4aae8d1c051e "mm/hugetlbfs: unmap pages if page fault raced with hole punch"; fs/hugetlbfs/inode.c remove_inode_single_folio() @ v6.12 (hugetlb_unmap_file_folio of a folio_mapped folio under the fault mutex)',
    scenarios: ['punch-vs-refault'],
  },
  {
    name: '131a79b474e9',
    description:
      'a split or copied shared VMA keeps the hugetlb vma_lock pointer vm_area_dup copied (hugetlb_vm_op_open allocates no lock of its own): closing one VMA frees the lock the other still uses (use-after-free, double free)',
    source:
      'commit 131a79b474e9 "hugetlb: fix vma lock handling during split vma and range unmapping"; mm/hugetlb.c hugetlb_vm_op_open() @ v6.12',
    scenarios: ['mremap-shared'],
  },
  {
    name: '7ffddd499ba6',
    description:
      'dissolve_free_hugetlb_folio dissolves a page whose last reference a batch release just dropped, before free_huge_folio put it on the free list: the page goes to buddy and is then enqueued anyway, so the hugetlb free list hands out memory the page allocator owns',
    source:
      'commit 7ffddd499ba6 "mm: hugetlb: fix a race between freeing and dissolving the page"; mm/hugetlb.c dissolve_free_hugetlb_folio() @ v6.12 (folio_test_hugetlb_freed: cond_resched, goto retry)',
    scenarios: ['offline-vs-free'],
  },
  {
    name: 'c3114a84f7f9',
    description:
      'after a successful soft offline the old page is not dissolved: dequeue_hwpoisoned_huge_page takes it off the free list (HugePages_Free drops, also below the reserved count) but it stays in HugePages_Total, a page nobody uses and nobody frees',
    source:
      'commit c3114a84f7f9 "mm: hugetlb: soft-offline: dissolve source hugepage after successful migration" (v4.13); mm/memory-failure.c soft_offline_in_use_page() -> page_handle_poison() and mm/hugetlb.c dissolve_free_hugetlb_folio() @ v6.12',
    scenarios: ['soft-offline-shared', 'node-soft-offline'],
  },
  {
    name: 'cb6acd01e2e4',
    description:
      "migrating a page-cache huge page loses its subpool: hugetlbfs_migrate_page does not transfer page_private and migrate_page_copy clears the old page's, so neither page puts the mount's page back when freed and the mount stays charged for a page it no longer has (statfs Used never drops; later faults fail against size=)",
    source:
      'commit cb6acd01e2e4 "hugetlbfs: fix races and page leaks during migration"; fs/hugetlbfs/inode.c hugetlbfs_migrate_folio() @ v6.12 (hugetlb_set_folio_subpool(dst, ...))',
    scenarios: ['soft-offline-shared'],
  },
  {
    name: 'b30c14cd6102',
    description:
      "a split of a shared hugetlb VMA inside a PUD block does not unshare the block: a piece keeps a page table shared with another process although it no longer covers the block, and a MINOR registration of that piece (hugetlb_unshare_all_pmds: PUD-aligned part only) leaves it shared, so another process's fault makes a page present in the registered range without a minor fault",
    source:
      'commit b30c14cd6102 "hugetlb: unshare some PMDs when splitting VMAs"; mm/hugetlb.c hugetlb_vm_op_split() / hugetlb_split() @ v6.12',
    scenarios: ['pmd-share-minor-split'],
  },
  {
    name: '081056dc00a2',
    description:
      "the split's unshare runs from vm_ops->may_split (hugetlb_vm_op_split) before __split_vma takes i_mmap_rwsem: another process's fault shares the splitting VMA's own table in between (huge_pmd_share), so the piece registered MINOR ends up sharing it and sees that process's faults without a minor fault",
    source:
      'commit 081056dc00a2 "mm/hugetlb: unshare page tables during VMA split, not before"; mm/hugetlb.c hugetlb_split() and mm/vma.c __split_vma() @ v6.12 with it (v6.12 as released lacks it; Debian 6.1.192 and 6.12.118 have both backports)',
    scenarios: ['pmd-share-minor-split'],
  },
  {
    name: 'c56b6f3d801d',
    description:
      'memfd_pin_folios drops only one of the two references memfd_alloc_folio returns a new hugetlb folio with: a page a udmabuf instantiated is never freed, after the udmabuf is closed and the page left the memfd (HugePages_Free never rises again)',
    source:
      'commit c56b6f3d801d "mm/hugetlb: fix memfd_pin_folios free_huge_pages leak"; mm/gup.c memfd_pin_folios() @ v6.12 (folio_put twice for hugetlb)',
    scenarios: ['udmabuf-memfd'],
  },
  {
    name: '58db7c5fbe7d',
    description:
      "alloc_huge_page with avoid_reserve (the owner's COW of a page its child shares) forces gbl_chg = 1 after hugepage_subpool_get_pages paid from the mount's min_size reserve: the page takes no global reservation, so HugePages_Rsvd keeps one the subpool no longer holds (and the COW is refused when only reserved pages are free)",
    source:
      'commit 58db7c5fbe7d "mm/hugetlb: fix avoid_reserve to allow taking folio from subpool" (v6.14, in Debian 6.1.191 and 6.12.14); mm/hugetlb.c alloc_huge_page() and dequeue_huge_page_vma() @ v6.1',
    scenarios: ['owner-cow-min-size'],
  },
  {
    name: 'e1c75831f682',
    description:
      'io_sqe_buffer_register jumps to its error path when the io_mapped_ubuf allocation fails, after io_pin_pages pinned the buffer, without unpinning it: the registration fails with ENOMEM but the page stays pinned by nobody, so truncate never gives it back to the pool (HugePages_Free never rises again)',
    source:
      'commit e1c75831f682 "io_uring: fix potential page leak in io_sqe_buffer_register()" (Fixes d8c2237d0aa9 "io_uring: add io_pin_pages() helper"); io_uring/rsrc.c io_sqe_buffer_register() @ v6.12',
    scenarios: ['pin-imu-fail'],
  },
  {
    name: '26a8ea80929c',
    description:
      "memfd_alloc_folio allocates with alloc_hugetlb_folio_nodemask: it takes only an unreserved free page (ENOMEM when every free page is reserved) and consumes no reservation, so the memfd index's reservation stays counted after its page exists (HugePages_Rsvd too high for good)",
    source:
      'commit 26a8ea80929c "mm/hugetlb: fix memfd_pin_folios resv_huge_pages leak"; mm/memfd.c memfd_alloc_folio() and mm/hugetlb.c alloc_hugetlb_folio_reserve() @ v6.12',
    scenarios: ['udmabuf-memfd'],
  },
  {
    name: 'b72b3c9c34c8',
    description:
      "a per-node nr_hugepages write converts the node's count to a global one with nr_huge_pages - nr_huge_pages_node[nid], which counts other nodes' surplus pages as persistent: with surplus pages on node 0, writing n to node 1 gives node 1 n + that surplus (the commit's log: 100 written, 200 allocated)",
    source:
      'commit b72b3c9c34c8 "mm/hugetlb: fix nodes huge page allocation when there are surplus pages" (v6.7-rc1; Fixes: 9a30523066cd "hugetlb: add per node hstate attributes"); mm/hugetlb.c set_max_huge_pages() @ v6.7',
    scenarios: ['node-pool-surplus'],
  },
  {
    name: '8ca39e6874f8',
    description:
      "hugetlb_acct_memory checks a reservation only against the free pages of the task's cpuset nodes (cpuset_mems_nr), not its MPOL_BIND nodemask: a task bound to node 0 maps two pages while node 0 has one free (node 1 the other), and its second fault SIGBUSes",
    source:
      'commit 8ca39e6874f8 "mm/hugetlb: add mempolicy check in the reservation routine" (v5.9; Reported-by Jianchao Guo, Suggested-by Michal Hocko); mm/hugetlb.c allowed_mems_nr() and hugetlb_acct_memory() @ v6.1',
    scenarios: ['node-bind-reserve', 'node-bind-min-size'],
  },
  {
    name: '003af997c8a9',
    description:
      "gather_surplus_pages allocates with NUMA_NO_NODE: a reservation's surplus page comes from the node the task runs on, not its MPOL_BIND node, so a task bound to node 0 leaves its reserved surplus page on node 1 (the mempolicy check passed on node 0's other free page)",
    source:
      'commit 003af997c8a9 "hugetlb: force allocating surplus hugepages on mempolicy allowed nodes" (v6.11-rc1, Aristeu Rozanski; Cc stable, in 6.6.44); mm/hugetlb.c gather_surplus_pages() @ v6.12 with it, alloc_surplus_huge_page(h, htlb_alloc_mask(h), NUMA_NO_NODE, NULL) @ v6.1',
    scenarios: ['node-overcommit-bind'],
  },
  {
    name: 'cb402bbdabca',
    description:
      "dissolve_free_hugetlb_folio removes a free page without adjusting surplus (remove_hugetlb_folio(h, folio, false)) although its node counts surplus pages: memory offline of a free, reserved surplus page of node 1 (the global check passes on node 0's free page) leaves node 1 with a surplus page and no page, and HugePages_Surp one too high",
    source:
      'commit cb402bbdabca "mm/hugetlb: fix surplus pages in dissolve_free_huge_page()" (v6.14, Jinjiang Tu); mm/hugetlb.c dissolve_free_hugetlb_folio() @ v6.14 (Debian 6.12.118 has the backport; 6.1.192 dissolve_free_huge_page() does not)',
    scenarios: ['node-offline-surplus'],
  },
  {
    name: 'aabf58bfaace',
    description:
      "set_max_huge_pages' min_count is resv + nr_huge_pages - free_huge_pages, which counts surplus pages in use as persistent pages in use: with node 0's page in use as a surplus page, writing 0 to node 1's nr_hugepages keeps node 1's free page as a surplus page instead of freeing it (the commit's log: HugePages_Total 10, Surp 10 where 5 were expected)",
    source:
      'commit aabf58bfaace "mm/hugetlb: fix set_max_huge_pages() when there are surplus pages" (v6.15-rc3, Jinjiang Tu; Fixes: 9a30523066cd "hugetlb: add per node hstate attributes"); mm/hugetlb.c set_max_huge_pages() @ v6.12 (the old min_count)',
    scenarios: ['node-shrink-in-use'],
  },
  {
    name: 'free-surplus-any-node',
    description:
      "free_huge_folio gives a freed page back to buddy whenever the pool has surplus pages (h->surplus_huge_pages) instead of when the page's own node has (surplus_huge_pages_node[nid]): a page of node 0 freed while only node 1 holds a surplus page leaves the pool, and node 0 counts a surplus page below zero (the spec stated it this way until session 12)",
    source:
      'mm/hugetlb.c free_huge_folio() @ v6.12 and free_huge_page() @ v6.1 (surplus_huge_pages_node[nid]); no kernel had the global test: a hazard of per-node accounting',
    scenarios: ['node-surplus-free'],
  },
  {
    name: '2273dea6b1e1',
    description:
      'alloc_surplus_hugetlb_folio() counts the fresh page in nr_huge_pages in a lock cycle of its own (prep_new_hugetlb_folio) and only then, with the lock taken again, surplus_huge_pages: a concurrent nr_hugepages write counts the page as persistent and marks it surplus, and the recheck keeps it as a second surplus page (Surp > Total) or frees it as temporary (nr drops, surplus does not)',
    source:
      'commit 2273dea6b1e1 "mm/hugetlb: update nr_huge_pages and surplus_huge_pages together" (Liu Shixin, March 2025; Fixes: 0c397daea1d4 "mm, hugetlb: further simplify hugetlb allocation API"; the id of Andrew Morton\'s "Fixes:" for the folio_nid() follow-up, mm tree); mm/hugetlb.c alloc_surplus_hugetlb_folio() @ v6.12, alloc_surplus_huge_page() @ v6.1',
    // each fails at --kernel-version 6.12 and 6.1 too (NOTES.md "The surplus-allocation window")
    scenarios: ['surplus-pool', 'shrink-surplus-in-use', 'private-file-zap', 'mixed-3'],
  },
];
