/**
 * Every hugetlb step label, by the file whose steps carry it. A step's `name`
 * and every label a step (or a continuation) returns is a StepLabel, so a
 * misspelt label does not compile; test/contract/step-labels.test.ts checks
 * that each label here names a step of some op and each step's name is here.
 *
 * A label is the kernel function the step stands for; `caller:callee` where
 * one function is split into several steps, or the same callee is a step of
 * several callers in one op (region_chg:allocate_file_region_entries).
 */
import type { LabelResult } from '../step-types.js';

export const STEP_LABELS = [
  // pool.ts: /proc/sys/vm/nr_hugepages, nr_overcommit_hugepages, mount
  'set_max_huge_pages',
  'alloc_pool_huge_page',
  'adjust_pool_surplus',
  'hugetlb_overcommit_handler',
  'hugepage_new_subpool',
  // accounting.ts: gather_surplus_pages / return_unused_surplus_pages
  'alloc_surplus_huge_page',
  'gather_surplus_pages:prep_new_hugetlb_folio',
  'gather_surplus_pages:alloc_surplus_hugetlb_folio',
  'alloc_buddy_huge_page:prep_new_hugetlb_folio',
  'alloc_buddy_huge_page:alloc_surplus_hugetlb_folio',
  'return_unused_surplus_pages',
  // mmap.ts: hugetlbfs_file_mmap -> hugetlb_reserve_pages
  'hugetlbfs_file_mmap',
  'region_chg:allocate_file_region_entries',
  'hugepage_subpool_get_pages',
  'hugetlb_acct_memory',
  'region_add',
  'region_add:allocate_file_region_entries',
  // fault.ts and alloc.ts: hugetlb_fault -> alloc_huge_page, hugetlb_wp
  'hugetlb_fault',
  'allocate_file_region_entries',
  'dequeue_huge_page_vma',
  'alloc_buddy_huge_page',
  'vma_commit_reservation',
  'unmap_ref_private',
  'hugetlb_wp:retry',
  'hugetlb_wp:__vmf_anon_prepare',
  // restore.ts: restore_reserve_on_error
  'restore:allocate_file_region_entries',
  'restore:region_del_kmalloc',
  // uffd.ts: UFFDIO_COPY, UFFDIO_CONTINUE
  'mfill_atomic_hugetlb',
  'alloc_hugetlb_folio_vma',
  'mfill_atomic_hugetlb:retry',
  'mfill_atomic_hugetlb:continue',
  // uffd-register.ts: UFFDIO_REGISTER (its split step when 081056dc00a2 is absent)
  'userfaultfd_register',
  'userfaultfd_register:split',
  // munmap.ts
  'unmap_vmas',
  'hugetlb_vm_op_close',
  // truncate.ts: truncate and hole punch
  'hugetlbfs_setattr',
  'hugetlb_vmdelete_list',
  'remove_inode_hugepages',
  'free_huge_folio',
  'hugetlb_unreserve_pages',
  'hugetlbfs_punch_hole',
  'region_del:kmalloc',
  // fork.ts, lifetime.ts
  'dup_mmap',
  'fput',
  'simple_unlink',
  'kill_sb',
  // fallocate.ts
  'hugetlbfs_fallocate',
  'hugetlbfs_fallocate:next_index',
  // madvise.ts, surgery.ts
  'zap_page_range_single',
  'mprotect_fixup',
  'mremap',
  'move_vma',
  // dissolve.ts: memory offline
  'offline_pages',
  'dissolve_free_hugetlb_folio',
  'dissolve_free_hugetlb_folio:retry',
  // memfd.ts: memfd_create(MFD_HUGETLB)
  'hugetlb_file_setup',
  // migrate.ts: MADV_SOFT_OFFLINE (its GUP fault runs fault.ts's steps)
  'madvise_inject_error',
  'soft_offline_page',
  'alloc_migrate_hugetlb_folio',
  'move_to_new_folio',
  'page_handle_poison',
  // pin.ts: io_uring buffer registration (its GUP fault runs fault.ts's steps) and unregistration
  'io_sqe_buffer_register',
  'try_grab_folio',
  'unpin_user_page',
  // udmabuf.ts: UDMABUF_CREATE of a memfd page (memfd_pin_folios)
  'udmabuf_create',
  'alloc_hugetlb_folio_reserve',
  'hugetlb_add_to_page_cache',
] as const;

/** A hugetlb step label: a step's name, or the next step a step returns. */
export type StepLabel = (typeof STEP_LABELS)[number];

/** What a hugetlb step returns: the label of the next step, or `done(value)` to finish the op. */
export type StepResult = LabelResult<StepLabel>;
