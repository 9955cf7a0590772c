/**
 * Paths that take pages out of a file for good, each under inode->i_rwsem:
 * truncate (notify_change -> truncate_setsize -> truncate_inode_pages),
 * unlink's inode eviction (evict -> ->evict_inode -> truncate_inode_pages_final)
 * and the O_DIRECT write's invalidation (generic_file_direct_write ->
 * invalidate_inode_pages2_range), all in mm/truncate.c and mm/filemap.c.
 */
import type { OpDef } from '../../checker/types.js';
import {
  arg,
  finishFileOp,
  inodeLockStep,
  inodePagesIdle,
  inodeUnlock,
  nrpages,
  pageOf,
  pageSlot,
  type G,
  type P,
  type T,
} from './fs-common.js';
import { truncateInodePages } from './page-cache.js';

/** The blocks of the inode are freed: the disk reads back zeroes. */
function freeBlocks(g: G, t: T, ino: number): void {
  for (let i = 0; i < t.params.pages; i++) g.disk[pageSlot(t, ino, i)] = 0;
}

export const truncate: OpDef<G, P> = {
  doc: 'truncate file f to 0 (notify_change -> truncate_setsize -> truncate_inode_pages_range under i_rwsem), then free its blocks',
  locals: ['ino'],
  steps: [
    inodeLockStep('truncate_inode_pages_range'),
    {
      name: 'truncate_inode_pages_range',
      // lock_page + wait_on_page_writeback of every page (truncate_inode_pages_range)
      enabled: (g, t) => inodePagesIdle(g, t, t.l.ino!),
      run(g, t) {
        const ino = t.l.ino!;
        truncateInodePages(g, t, ino);
        freeBlocks(g, t, ino);
        inodeUnlock(g, t, ino);
        return finishFileOp(g, null);
      },
    },
  ],
};

export const unlink: OpDef<G, P> = {
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

export const dioWrite: OpDef<G, P> = {
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
