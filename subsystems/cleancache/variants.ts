/**
 * cleancache buggy variants: each names the default scenarios that catch it.
 * Kernel-history variants are named after the commit that fixed them (or,
 * where the id could not be verified here, after the fix's title); CC-n are
 * backends breaking the contract of Documentation/vm/cleancache.rst.
 */
import type { Variant } from '../../checker/types.js';

const DOC = 'Documentation/vm/cleancache.rst @ v5.10';

export const variants: Variant[] = [
  {
    name: '53d85c985665',
    description:
      'cleancache_register_ops() lets a second backend replace the first (no -EBUSY): superblocks keep pool ids of the old backend, which the new one hands out again, so two filesystems share a pool. In api-reregister the superblock mounted before any backend (CLEANCACHE_NO_BACKEND, the fake pool id) gets its id when iterate_supers() resolves it at the first registration, and that id is the one left dangling by the second; in fs-remount the same happens to a shared-pool filesystem (init_shared_fs by UUID) mounted before the backend',
    source:
      '53d85c985665 "cleancache: forbid overriding cleancache_ops" (v4.0; full id 53d85c98566535d7bc69470f008d7dcb09a0fec9, "Suppose, a new cleancache driver is registered after the previous one assigned an id to a super block"); it followed the fake pool ids of 49a9ab815acb "mm: cleancache: lazy initialization to allow tmem backends to build/run as modules" (v3.11), which v5.10 resolves through iterate_supers() instead; mm/cleancache.c cleancache_register_ops() @ v5.10',
    scenarios: ['api-reregister', 'fs-remount'],
  },
  {
    name: '6ff38bd40230',
    description:
      'truncate_inode_pages_final() truncates only if the mapping has pages: after reclaim put the last page into cleancache, the evicted inode is never invalidated there and a new file that reuses the inode number reads the old data',
    source:
      '6ff38bd40230 "mm: cleancache: fix corruption on missed inode invalidation" (CVE-2018-16862, v4.20-rc5; the bug came with 91b0abe36a7b "mm + fs: store shadow entries in page cache", v3.15); mm/truncate.c truncate_inode_pages_final() @ v5.10 ("Cleancache needs notification even if there are no pages or shadow entries"). Caught by cc-no-stale-data, soundly: the flagged state (a copy of a freed inode kept after evict_inode) is the one the fix exists to prevent; fs-evict-inflight reaches it with a page written back and reclaimed while the inode is evicted. The read by the new file is no longer wrong in the model: the new file is empty, a read stops at EOF before cleancache, and the file grows only by truncate, whose out: label invalidates the inode, or by writes that fill the page cache',
    scenarios: ['fs-unlink', 'fs-evict-inflight'],
  },
  {
    name: '55635ba76ef9',
    description:
      'an O_DIRECT write invalidates the page cache (and so cleancache) only if mapping->nrpages != 0: a page reclaim put into cleancache is read back after the write',
    source:
      '55635ba76ef9 "fs: fix data invalidation in the cleancache during direct IO" (v4.12; full id 55635ba76ef91f26b418702ace5e6287eb727f6a); mm/filemap.c generic_file_direct_write() @ v5.10',
    scenarios: ['fs-odirect'],
  },
  {
    name: '730633f0b7f9',
    description:
      'v5.10 as released: nothing serialises a hole punch with a read filling the page cache; between truncate_pagecache_range() and the freeing of the block a read instantiates the page again, from the copy the truncation just put into cleancache or from the block, and the punched range reads old data. This is the history variant of truncate_inode_pages_range() racing readpage: a truncate(2) that lowers i_size first is safe without the lock (do_mpage_readpage() sees the new i_size, CC-9 breaks that order)',
    source:
      '730633f0b7f9 "mm: Protect operations adding pages to page cache with invalidate_lock" (v5.15-rc1; "read / page fault / readahead can instantiate pages in page cache with potentially stale data"); fs/ext4/inode.c ext4_punch_hole(), mm/truncate.c truncate_inode_pages_range() @ v5.10. The model applies the fix: invalidate_lock exclusive across the punch, shared around add_to_page_cache_lru() and ->readpage',
    scenarios: ['fs-punch-read'],
  },
  {
    name: 'remove-mapping-dirty-first',
    description:
      "__remove_mapping() tests PageDirty before it freezes the page's references: a get_user_pages() holder stores new data, dirties the page and drops its reference in between, reclaim then removes the dirty page and __delete_from_page_cache() puts the new data into cleancache while the disk keeps the old, so the write is lost once the backend drops the copy",
    source:
      'mm/vmscan.c __remove_mapping() @ v5.10 ("The non racy check for a busy page ... if PageDirty is tested before page_count here, then the following race may occur ... [oops, our write_to data is lost]. Reversing the order of the tests ensures such a situation cannot escape unnoticed"), mm/filemap.c unaccount_page_cache_page() @ v5.10 (the put). The test order predates cleancache and the git history: mm/vmscan.c shrink_list() @ 1da177e4c3f4 (Linux-2.6.12-rc2, the first git commit) already tests page_count(page) != 2 before PageDirty ("It is critical to check PageDirty _after_ making sure that the page is freeable and not in use by anybody"), so no git commit fixed it and the variant keeps a descriptive name',
    scenarios: ['fs-gup-reclaim'],
  },
  {
    name: 'CC-9',
    description:
      'a filesystem calls truncate_pagecache() before it writes the new i_size: a readpage racing the truncation still sees the old i_size and takes back from cleancache the page truncate_inode_pages_range() just put there, so the old data stays in the page cache past EOF and reappears when a write extends the file',
    source:
      'mm/truncate.c truncate_pagecache() @ v5.10 ("inode\'s new i_size must already be written before truncate_pagecache is called"), truncate_setsize() @ v5.10 (i_size_write first); fs/mpage.c do_mpage_readpage() @ v5.10 (blocks past i_size are holes, never read from cleancache). A contract variant: no upstream fix of this order in cleancache history was found to name it after',
    scenarios: ['fs-truncate-read'],
  },
  {
    name: 'CC-1',
    description:
      'a put the backend rejects leaves the older copy of the handle in place (breaks put-put-get coherency)',
    source: `${DOC}, "Implementation Overview" (put-put-get coherency)`,
    scenarios: ['api-register'],
  },
  {
    name: 'CC-2',
    description:
      'a get that misses leaves a remotified copy that the repatriation worker brings back (breaks get-get coherency)',
    source: `${DOC}, "Implementation Overview" (get-get coherency)`,
    scenarios: ['api-remote'],
  },
  {
    name: 'CC-3',
    description: 'a hit on a private pool does not remove the page (the cache is not exclusive)',
    source: `${DOC}, "Implementation Overview" ("If a get_page is successful on a non-shared pool, the page is invalidated")`,
    scenarios: ['api-register'],
  },
  {
    name: 'CC-5',
    description: 'init_shared_fs with a UUID already in use creates a new pool instead of returning the same id',
    source: `${DOC}, "Implementation Overview" ("calls to init_shared_fs that specify the same UUID will receive the same pool id")`,
    scenarios: ['api-shared'],
  },
  {
    name: 'CC-6',
    description: 'invalidate_fs surrenders the pool id without flushing its pages; a later init_fs reuses the id',
    source: `${DOC}, "Implementation Overview" (invalidate_fs); mm/cleancache.c __cleancache_invalidate_fs() @ v5.10 ("pool_id is surrendered and may be returned by a subsequent cleancache_init_fs")`,
    scenarios: ['api-pools'],
  },
];
