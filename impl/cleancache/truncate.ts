/**
 * Paths that take pages out of a file for good, each under inode->i_rwsem:
 * truncate (notify_change -> truncate_setsize -> truncate_inode_pages),
 * unlink's inode eviction (evict -> ->evict_inode -> truncate_inode_pages_final)
 * and the O_DIRECT write's invalidation (generic_file_direct_write ->
 * invalidate_inode_pages2_range), all in mm/truncate.c and mm/filemap.c.
 */
import {
  arg,
  finishFileOp,
  fsSuperBlock,
  inodeLockStep,
  inodePagesIdle,
  inodeUnlock,
  nrpages,
  pageOf,
  pageSlot,
  optArg,
  type G,
  type Op,
  type T,
} from './fs-common.js';
import { NO_INVALIDATE_LOCK } from './filemap.js';
import { cleancacheInvalidateInode } from './frontend.js';
import { deleteFromPageCache, truncateInodePages } from './page-cache.js';

/** The blocks of the inode from page `from` on are freed: the disk reads back zeroes. */
function freeBlocks(g: G, t: T, ino: number, from = 0): void {
  for (let i = from; i < t.params.pages; i++) g.disk[pageSlot(t, ino, i)] = 0;
}

/**
 * Variant CC-9: a filesystem whose ->setattr calls truncate_pagecache() before
 * it writes the new i_size (against truncate_pagecache()'s rule, mm/truncate.c
 * @ v5.10: "inode's new i_size must already be written before
 * truncate_pagecache is called").
 */
const LATE_ISIZE = 'CC-9';

/** The next page-cache page of the inode at index >= from, or -1 (find_lock_entries). */
function nextPresent(g: Readonly<G>, t: T, ino: number, from: number): number {
  for (let i = from; i < t.params.pages; i++) if (pageOf(g, t, ino, i).present) return i;
  return -1;
}

export const truncate: Op = {
  doc: 'truncate file f to size pages (default 0) under i_rwsem: notify_change -> truncate_setsize (i_size_write, then truncate_inode_pages_range page by page, cleancache_invalidate_inode at out:), then the filesystem frees the blocks past the new EOF',
  locals: ['ino', 'size', 'idx'],
  steps: [
    inodeLockStep('truncate_setsize', (g, t) => {
      t.l.size = optArg(t, 'size', 0);
      t.l.idx = t.l.size;
    }),
    {
      name: 'truncate_setsize',
      run(g, t) {
        if (!t.bug(LATE_ISIZE)) g.inodes[t.l.ino!]!.isize = t.l.size!; // i_size_write()
        return nextPresent(g, t, t.l.ino!, t.l.idx!) < 0 ? 'out' : 'truncate_inode_pages_range';
      },
    },
    {
      // one page per step: lock_page() and wait_on_page_writeback(), then
      // truncate_inode_page() -> __delete_from_page_cache(), which puts an
      // uptodate page into cleancache; the page lock is dropped before the next
      name: 'truncate_inode_pages_range',
      enabled: (g, t) => {
        const index = nextPresent(g, t, t.l.ino!, t.l.idx!);
        if (index < 0) return true; // reclaim took the page meanwhile
        const pg = pageOf(g, t, t.l.ino!, index);
        return pg.lock === 0 && !pg.wb;
      },
      run(g, t) {
        const ino = t.l.ino!;
        const index = nextPresent(g, t, ino, t.l.idx!);
        if (index < 0) return 'out';
        deleteFromPageCache(g, t, ino, index, index);
        t.l.idx = index + 1;
        return nextPresent(g, t, ino, t.l.idx) < 0 ? 'out' : 'truncate_inode_pages_range';
      },
    },
    {
      // out: cleancache_invalidate_inode(); then the filesystem frees the
      // blocks past EOF and notify_change returns to inode_unlock()
      name: 'out',
      run(g, t) {
        const ino = t.l.ino!;
        cleancacheInvalidateInode(g, t.params, fsSuperBlock(t), ino);
        if (t.bug(LATE_ISIZE)) g.inodes[ino]!.isize = t.l.size!;
        freeBlocks(g, t, ino, t.l.size!);
        inodeUnlock(g, t, ino);
        return finishFileOp(g, null);
      },
    },
  ],
};

/**
 * fallocate(FALLOC_FL_PUNCH_HOLE) of one page, as ext4_punch_hole() @ v5.10
 * does it under i_rwsem: truncate_pagecache_range() (the page put into
 * cleancache, cleancache_invalidate_inode() at out:), then
 * ext4_ext_remove_space() frees the block. v5.10 holds nothing a reader
 * filling the page cache takes, so a read between the two instantiates the
 * old data again (from cleancache or the not yet freed block); the model
 * applies 730633f0b7f9 (mapping->invalidate_lock held exclusive across both).
 */
export const punch: Op = {
  doc: 'punch a hole over page idx of file f (fallocate PUNCH_HOLE: truncate_pagecache_range, then the block is freed), under i_rwsem and invalidate_lock',
  locals: ['ino'],
  steps: [
    inodeLockStep('filemap_invalidate_lock'),
    {
      name: 'filemap_invalidate_lock',
      enabled: (g, t) => t.bug(NO_INVALIDATE_LOCK) || g.inodes[t.l.ino!]!.invl === 0,
      run(g, t) {
        const ino = t.l.ino!;
        if (arg(t, 'idx') >= g.inodes[ino]!.isize) {
          inodeUnlock(g, t, ino); // offset >= i_size: nothing to punch
          return finishFileOp(g, null);
        }
        if (!t.bug(NO_INVALIDATE_LOCK)) g.inodes[ino]!.invl = -1;
        return 'truncate_pagecache_range';
      },
    },
    {
      name: 'truncate_pagecache_range',
      enabled: (g, t) => {
        const pg = pageOf(g, t, t.l.ino!, arg(t, 'idx'));
        return !pg.present || (pg.lock === 0 && !pg.wb);
      },
      run(g, t) {
        deleteFromPageCache(g, t, t.l.ino!, arg(t, 'idx'), arg(t, 'idx'));
        return 'out';
      },
    },
    {
      // truncate_inode_pages_range()'s out: label
      name: 'out',
      run(g, t) {
        cleancacheInvalidateInode(g, t.params, fsSuperBlock(t), t.l.ino!);
        return 'ext4_ext_remove_space';
      },
    },
    {
      name: 'ext4_ext_remove_space',
      run(g, t) {
        const ino = t.l.ino!;
        g.disk[pageSlot(t, ino, arg(t, 'idx'))] = 0;
        if (!t.bug(NO_INVALIDATE_LOCK)) g.inodes[ino]!.invl = 0; // filemap_invalidate_unlock()
        inodeUnlock(g, t, ino);
        return finishFileOp(g, null);
      },
    },
  ],
};

export const unlink: Op = {
  doc: 'unlink file f (last link, no opener): evict_inode -> truncate_inode_pages_final, free blocks and the inode number',
  locals: ['ino'],
  steps: [
    inodeLockStep('evict_inode', (g, t) => {
      g.dent[arg(t, 'f')] = -1; // d_delete: the name is gone
    }),
    {
      name: 'evict_inode',
      // iput of the last reference: readers that opened the file keep the inode
      enabled: (g, t) => g.inodes[t.l.ino!]!.refs === 0 && inodePagesIdle(g, t, t.l.ino!),
      run(g, t) {
        const ino = t.l.ino!;
        // truncate_inode_pages_final(): "Cleancache needs notification even
        // if there are no pages or shadow entries". Before that fix
        // (6ff38bd40230) the truncate ran only if nrpages, so
        // pages reclaim had put stayed in cleancache under an inode number
        // that create() hands out again.
        if (!t.bug('6ff38bd40230') || nrpages(g, t, ino) > 0) truncateInodePages(g, t, ino);
        freeBlocks(g, t, ino);
        inodeUnlock(g, t, ino);
        g.inodes[ino]!.used = false;
        return finishFileOp(g, null);
      },
    },
  ],
};

/** invalidate_inode_pages2_range() on page idx: same removal and cleancache_invalidate_inode() as truncation. */
const invalidatePages2 = (g: G, t: T, ino: number, index: number) => truncateInodePages(g, t, ino, index, index);

export const dioWrite: Op = {
  doc: 'O_DIRECT write of version v to page idx of file f (generic_file_direct_write under i_rwsem)',
  locals: ['ino'],
  steps: [
    inodeLockStep('invalidate_inode_pages2_range', (g, t, ino) => {
      g.inodes[ino]!.dio = t.tid + 1;
    }),
    {
      name: 'invalidate_inode_pages2_range',
      // filemap_write_and_wait_range + invalidate_inode_pages2_range lock each page
      enabled: (g, t) => inodePagesIdle(g, t, t.l.ino!),
      run(g, t) {
        const ino = t.l.ino!;
        const index = arg(t, 'idx');
        const page = pageOf(g, t, ino, index);
        if (page.present && page.dirty) {
          g.disk[pageSlot(t, ino, index)] = page.data; // filemap_write_and_wait_range
          page.dirty = false;
        }
        // Before 55635ba76ef9 the whole invalidation, including the
        // cleancache_invalidate_inode() in it, ran only if mapping->nrpages.
        if (!t.bug('55635ba76ef9') || nrpages(g, t, ino) > 0) invalidatePages2(g, t, ino, index);
        return 'direct_IO';
      },
    },
    {
      name: 'direct_IO',
      enabled: (g, t) => inodePagesIdle(g, t, t.l.ino!),
      run(g, t) {
        const ino = t.l.ino!;
        const index = arg(t, 'idx');
        g.disk[pageSlot(t, ino, index)] = arg(t, 'v');
        // generic_file_direct_write(): i_size_write() when the write ends past EOF
        g.inodes[ino]!.isize = Math.max(g.inodes[ino]!.isize, index + 1);
        // "try again to invalidate clean pages which might have been cached by
        // non-direct readahead" -- still guarded by nrpages after the fix
        if (nrpages(g, t, ino) > 0) invalidatePages2(g, t, ino, index);
        g.inodes[ino]!.dio = 0;
        inodeUnlock(g, t, ino);
        return finishFileOp(g, null);
      },
    },
  ],
};
