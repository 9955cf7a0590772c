/**
 * Buggy variants: each re-introduces one historical bug (named after the
 * commit that fixed it) next to the correct code, as a `t.bug(NAME)` check in
 * impl/hugetlb. The default check must catch every one in the scenarios listed.
 */
import type { Variant } from '../../checker/types.js';

export const variants: Variant[] = [
  { name: 'H1', description: 'fault checks i_size only after alloc_huge_page, no back-out (absurd HugePages_Rsvd)', source: 'known-bugs.md H1, ebed4bfc8da8', scenarios: ['truncate-vs-fault'] },
  { name: 'H11', description: 'hugetlb_reserve_pages ignores region_add < region_chg (no chg - add refund)', source: 'known-bugs.md H11, cf3ad20bfead', scenarios: ['reserve-vs-fault'] },
  { name: 'H13', description: 'private no_page error path frees the page without restore_reserve_on_error', source: 'known-bugs.md H13, 96b96a96ddee', scenarios: ['error-paths'] },
  { name: 'H14', description: 'return_unused_surplus_pages uncommits resv before a loop that drops hugetlb_lock', source: 'known-bugs.md H14, e5bbc8a6c992', scenarios: ['surplus-pool'] },
  { name: 'H19', description: 'free_huge_page puts a restore-reserve page back to the subpool too', source: 'known-bugs.md H19, 0919e1b69ab4', scenarios: ['error-paths'] },
  { name: 'HR-1', description: 'shared fault error path (add_to_page_cache) skips restore_reserve_on_error', source: 'seeds-digest §4.1 HR-1 (seed L2296-2304)', scenarios: ['error-paths'] },
  { name: 'HR-2', description: 'restore_reserve_on_error keeps PagePrivate when its own map update fails', source: 'seeds-digest §4.1 HR-2 (seed L2312-2318)', scenarios: ['restore-fails'] },
  { name: 'HR-3', description: 'UFFDIO_COPY error path frees the page without the PagePrivate fix-up', source: 'seeds-digest §4.1 HR-3 (seed L2320-2322)', scenarios: ['error-paths'] },
  { name: 'HR-4', description: 'alloc_huge_page ignores vma_commit_reservation < vma_needs_reservation (no refund)', source: 'seeds-digest §4.1 HR-4 (seed L2019-2029)', scenarios: ['reserve-vs-fault'] },
  { name: 'HR-5', description: 'mmap without inode_lock and trusting region_chg: overlapping reservations double-charge', source: 'seeds-digest §4.1 HR-5 (seed L2179-2185); unreachable with inode_lock', scenarios: ['reserve-vs-reserve'] },
  { name: 'HR-6', description: 'hugetlb_reserve_pages error path forgets region_abort after region_chg', source: 'seeds-digest §4.1 HR-6 (seed L2146-2173)', scenarios: ['error-paths'] },
  { name: 'HR-7', description: 'hole punch ignores region_del -ENOMEM (no hugetlb_fix_reserve_counts)', source: 'seeds-digest §4.1 HR-7 (seed L2204-2213)', scenarios: ['punch-split'] },
  { name: 'HR-8', description: 'private munmap returns (end - start) instead of the unconsumed reserves', source: 'seeds-digest §4.1 HR-8 (seed L2215-2221)', scenarios: ['private-cow-fork'] },
  { name: 'HR-9', description: 'free_huge_page ignores a 0 from hugepage_subpool_put_pages (subpool min not refilled)', source: 'seeds-digest §4.1 HR-9 (seed L2059-2063)', scenarios: ['mount-min'] },
  { name: 'HR-10', description: 'owner COW with no page SIGBUSes instead of unmap_ref_private', source: 'seeds-digest §4.1 HR-10 (seed L2114-2135)', scenarios: ['private-cow-fork'] },
  { name: 'HR-11', description: 'hugetlb_acct_memory uses the doc pseudo-code test delta <= resv - free', source: 'seeds-digest §4.1 HR-11 (seed L1931 vs L1809)', scenarios: ['reserve-vs-fault'] },
  { name: 'HR-12', description: 'truncate region_del starts one past the new end of file', source: 'seeds-digest §4.1 HR-12 (seed L2194-2197)', scenarios: ['truncate-vs-fault'] },
  {
    name: '1c5ecae3a93f-umount',
    description:
      'unlock_or_release_subpool frees the subpool without hugetlb_acct_memory(-min_hpages): the min_size reservation leaks at umount (the release added by 1c5ecae3a93f "hugetlbfs: add minimum size accounting to subpools")',
    source: 'commit 1c5ecae3a93f "hugetlbfs: add minimum size accounting to subpools"; mm/hugetlb.c unlock_or_release_subpool() @ v6.1',
    scenarios: ['lifetimes'],
  },
  {
    name: '84afd99b8398',
    description:
      'a partial munmap of a private owner mapping gives back the unconsumed reservations of the whole original VMA, not of the removed piece (the per-VMA reserve count copied to both halves of a split)',
    source: 'commit 84afd99b8398 "hugetlb reservations: fix hugetlb MAP_PRIVATE reservations across vma splits"; mm/hugetlb.c hugetlb_vm_op_close() @ v6.1',
    scenarios: ['vma-surgery'],
  },
];
