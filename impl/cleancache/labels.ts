/**
 * Every cleancache step label, by the file whose steps carry it. A step's
 * `name` and every label a step returns is a StepLabel (fs-common.ts `Step`),
 * so a misspelt label does not compile; test/contract/step-labels.test.ts
 * checks that each label here names a step of some op and each step's name is
 * here. The same shape as impl/hugetlb/labels.ts, deliberately: each
 * implementation lists its own labels. A label is the kernel function (or
 * the kernel label, `out`) the step stands for.
 */
import type { LabelResult } from '../step-types.js';

export const STEP_LABELS = [
  // register.ts: cleancache_register_ops
  'cleancache_register_ops',
  'iterate_supers',
  // api.ts: the frontend API called directly; super.ts: the filesystem's mount, umount, inode allocation
  'cleancache_init_fs',
  'cleancache_invalidate_fs',
  '__cleancache_put_page',
  'tmem_put',
  'lock_page',
  '__cleancache_get_page',
  '__cleancache_invalidate_page',
  'tmem_invalidate_page',
  '__cleancache_invalidate_inode',
  'ramster_repatriate',
  'ialloc',
  'generic_shutdown_super',
  // filemap.ts: read, write, writeback, reclaim
  'generic_file_buffered_read',
  'wait_on_page_locked',
  'add_to_page_cache_lru',
  'do_mpage_readpage',
  'mpage_end_io',
  'page_ok',
  'inode_lock',
  'generic_perform_write',
  'write_cache_pages',
  'end_page_writeback',
  'shrink_page_list',
  '__remove_mapping',
  // gup.ts: a store through a get_user_pages() reference
  'get_user_pages',
  'write_to',
  'put_page',
  // truncate.ts: O_DIRECT, truncate, punch, unlink
  'invalidate_inode_pages2_range',
  'direct_IO',
  'truncate_setsize',
  'truncate_inode_pages_range',
  'out',
  'filemap_invalidate_lock',
  'truncate_pagecache_range',
  'ext4_ext_remove_space',
  'evict_inode',
] as const;

/** A cleancache step label: a step's name, or the next step a step returns. */
export type StepLabel = (typeof STEP_LABELS)[number];

/** What a cleancache step returns: the label of the next step, or `done(value)` to finish the op. */
export type StepResult = LabelResult<StepLabel>;
