/**
 * Buffered I/O and reclaim of the filesystem layer @ v5.10:
 * generic_file_buffered_read() with the cleancache_get_page() hook in
 * ->readpage (fs/mpage.c mpage_readpage()); a read races truncation through
 * the page lock and i_size (a page past EOF is a hole), and a hole punch
 * through mapping->invalidate_lock, which v5.10 lacks and the model takes
 * from 730633f0b7f9 (variant of that name);
 * generic_perform_write(), flusher writeback and shrink_page_list(), whose
 * __remove_mapping() puts the clean page into cleancache.
 */
import { done } from '../../checker/types.js';
import { cleancacheGetPage } from './frontend.js';
import {
  arg,
  finishFileOp,
  finishRead,
  fsSuperBlock,
  inodeLockStep,
  inodeUnlock,
  lookupInode,
  pageOf,
  pageSlot,
  unlockPage,
  type G,
  type Op,
  type T,
} from './fs-common.js';
import { deleteFromPageCache } from './page-cache.js';

export const DIO_PRECONDITION =
  'no buffered read fills the page cache of a file while an O_DIRECT write to it is in flight (mm/filemap.c generic_file_direct_write() @ v5.10: mixing them is "not supported 100%")';

/** What a read past i_size returns: no bytes (a short read). */
export const EOF = 'eof';

/**
 * page_ok of generic_file_buffered_read() @ v5.10: i_size_read() after the
 * page is uptodate; a page at or past EOF ends the read with no data.
 */
const pageOk = (g: G, t: T, data: number) => finishRead(g, t, arg(t, 'idx') >= g.inodes[t.l.ino!]!.isize ? EOF : data);

/** Variant 730633f0b7f9: v5.10 as released, no mapping->invalidate_lock. */
export const NO_INVALIDATE_LOCK = '730633f0b7f9';

/** filemap_invalidate_unlock_shared() once the read of the new page completed. */
function invalidateUnlockShared(g: G, t: T): void {
  if (!t.l.invl) return;
  g.inodes[t.l.ino!]!.invl--;
  t.l.invl = 0;
}

/**
 * The read of the new page completed: page_endio(page, READ, 0) of
 * mpage_end_io() (SetPageUptodate + unlock_page), which do_mpage_readpage()
 * does inline for a hole or a cleancache hit; then the shared invalidate lock
 * goes. The page holds `data`, mapped to disk blocks when `mapped`.
 */
function readCompleted(g: G, t: T, ino: number, index: number, data: number, mapped: boolean): 'page_ok' {
  const page = pageOf(g, t, ino, index);
  page.data = t.l.data = data;
  page.uptodate = true;
  page.mapped = mapped;
  unlockPage(g, t, ino, index);
  invalidateUnlockShared(g, t);
  return 'page_ok';
}

export const read: Op = {
  doc: 'buffered read of page idx of file f: page-cache hit, else add a locked page and readpage (a page past i_size is a hole and zero-filled, else cleancache_get_page(), else the disk); no data at or past EOF (generic_file_buffered_read)',
  locals: ['ino', 'in', 'data', 'invl'],
  steps: [
    {
      name: 'generic_file_buffered_read',
      run(g, t) {
        if (!t.l.in) {
          const ino = lookupInode(g, t);
          if (typeof ino !== 'number') return ino;
          t.l.ino = ino;
          t.l.in = 1;
          g.users++;
          g.inodes[ino]!.refs++; // the open file's reference (igrab)
        }
        const page = pageOf(g, t, t.l.ino!, arg(t, 'idx'));
        // find_get_page() hit on an uptodate page, then page_ok (lockless)
        if (page.present && page.uptodate) return pageOk(g, t, page.data);
        if (page.present) return 'wait_on_page_locked';
        return 'add_to_page_cache_lru';
      },
    },
    {
      name: 'wait_on_page_locked',
      enabled: (g, t) => pageOf(g, t, t.l.ino!, arg(t, 'idx')).lock === 0,
      run: () => 'generic_file_buffered_read',
    },
    {
      // filemap_invalidate_lock_shared() around add_to_page_cache_lru() and
      // ->readpage (730633f0b7f9; v5.10 as released takes no lock here)
      name: 'add_to_page_cache_lru',
      enabled: (g, t) => t.bug(NO_INVALIDATE_LOCK) || g.inodes[t.l.ino!]!.invl >= 0,
      run(g, t) {
        const ino = t.l.ino!;
        t.assume(g.inodes[ino]!.dio === 0, DIO_PRECONDITION);
        const page = pageOf(g, t, ino, arg(t, 'idx'));
        if (page.present) return 'generic_file_buffered_read'; // lost the race to another reader
        if (!t.bug(NO_INVALIDATE_LOCK)) {
          g.inodes[ino]!.invl++;
          t.l.invl = 1;
        }
        // add_to_page_cache_lru(): a new locked, !uptodate page (v5.10 checks
        // no i_size before ->readpage on this path)
        page.present = true;
        page.uptodate = false;
        page.mapped = false;
        page.data = 0;
        page.lock = t.tid + 1;
        page.readers++; // the reference page_cache_alloc() gave the reader
        return 'do_mpage_readpage';
      },
    },
    {
      name: 'do_mpage_readpage',
      run(g, t) {
        const ino = t.l.ino!;
        const index = arg(t, 'idx');
        // fs/mpage.c do_mpage_readpage() @ v5.10: last_block_in_file from
        // i_size_read(); a block past it is a hole, so the page is zeroed and
        // uptodate without cleancache (first_hole == 0) ...
        const hole = index >= g.inodes[ino]!.isize;
        if (hole) t.l.data = 0;
        else {
          // ... else cleancache_get_page(page) before any bio is built
          const v = cleancacheGetPage(g, t.params, t, fsSuperBlock(t), ino, index);
          if (v < 0) return 'mpage_end_io';
          t.l.data = v;
        }
        return readCompleted(g, t, ino, index, t.l.data, !hole); // SetPageMappedToDisk when fully mapped
      },
    },
    {
      name: 'mpage_end_io',
      run(g, t) {
        const ino = t.l.ino!;
        const index = arg(t, 'idx');
        return readCompleted(g, t, ino, index, g.disk[pageSlot(t, ino, index)]!, true);
      },
    },
    {
      // the page is unlocked: truncation or a write may run before i_size is
      // read here; the copy reads the page the reader holds a reference on,
      // which a write may have changed and a truncation removed from the cache
      name: 'page_ok',
      run(g, t) {
        const page = pageOf(g, t, t.l.ino!, arg(t, 'idx'));
        page.readers--; // put_page() after the copy
        return pageOk(g, t, page.present && page.uptodate ? page.data : t.l.data!);
      },
    },
  ],
};

export const write: Op = {
  doc: 'buffered full-page write of version v to page idx of file f (generic_perform_write under i_rwsem); leaves the page dirty',
  locals: ['ino'],
  steps: [
    inodeLockStep('generic_perform_write'),
    {
      name: 'generic_perform_write',
      // grab_cache_page_write_begin() locks the page
      enabled: (g, t) => pageOf(g, t, t.l.ino!, arg(t, 'idx')).lock === 0,
      run(g, t) {
        const ino = t.l.ino!;
        const page = pageOf(g, t, ino, arg(t, 'idx'));
        page.present = true;
        page.data = arg(t, 'v');
        page.uptodate = true;
        page.mapped = true; // the write maps the page's blocks
        page.dirty = true; // set_page_dirty in ->write_end
        // generic_write_end(): i_size_write() past the old EOF, page still locked
        const inode = g.inodes[ino]!;
        inode.isize = Math.max(inode.isize, arg(t, 'idx') + 1);
        inodeUnlock(g, t, ino);
        return finishFileOp(g, null);
      },
    },
  ],
};

export const writeback: Op = {
  doc: 'flusher writeback of page idx of file f: lock_page, clear_page_dirty_for_io, ->writepage, end_page_writeback',
  locals: ['ino', 'data'],
  steps: [
    {
      name: 'write_cache_pages',
      enabled: (g, t) => {
        const ino = g.mounted ? g.dent[arg(t, 'f')]! : -1;
        return ino < 0 || pageOf(g, t, ino, arg(t, 'idx')).lock === 0;
      },
      run(g, t) {
        const ino = lookupInode(g, t);
        if (typeof ino !== 'number') return done(null);
        const page = pageOf(g, t, ino, arg(t, 'idx'));
        if (!page.present || !page.dirty || page.wb) return done(null);
        page.dirty = false;
        page.wb = true; // set_page_writeback, then unlock_page and submit the bio
        t.l.ino = ino;
        t.l.data = page.data;
        g.users++;
        return 'end_page_writeback';
      },
    },
    {
      name: 'end_page_writeback',
      run(g, t) {
        const ino = t.l.ino!;
        const index = arg(t, 'idx');
        g.disk[pageSlot(t, ino, index)] = t.l.data!;
        pageOf(g, t, ino, index).wb = false;
        return finishFileOp(g, null);
      },
    },
  ],
};

/** Variant: __remove_mapping() tests PageDirty before it freezes the page's references. */
export const DIRTY_BEFORE_FREEZE = 'remove-mapping-dirty-first';

export const evict: Op = {
  doc: 'reclaim of page idx of file f (shrink_page_list -> __remove_mapping -> __delete_from_page_cache): a clean unlocked page is put into cleancache',
  locals: ['ino'],
  steps: [
    {
      // trylock_page(), then the PageDirty / PageWriteback tests of
      // shrink_page_list() under the page lock. With no extra page reference
      // nothing can dirty the page before __remove_mapping() without the page
      // lock reclaim holds, so the freeze below cannot fail and both run in
      // this one step; a reference (a reader between add_to_page_cache_lru
      // and page_ok, a get_user_pages pin) may be dropped in between, so then
      // __remove_mapping() is a step of its own.
      name: 'shrink_page_list',
      run(g, t) {
        const ino = lookupInode(g, t);
        if (typeof ino !== 'number') return done(null);
        const index = arg(t, 'idx');
        const page = pageOf(g, t, ino, index);
        if (!page.present || page.lock !== 0 || page.dirty || page.wb) return done(null);
        if (page.readers === 0) {
          deleteFromPageCache(g, t, ino, index, index);
          return done(null);
        }
        page.lock = t.tid + 1;
        t.l.ino = ino;
        g.users++; // umount's evict_inodes would wait for the page lock: EBUSY here
        return '__remove_mapping';
      },
    },
    {
      // mm/vmscan.c __remove_mapping() @ v5.10, under the i_pages lock:
      // page_ref_freeze() fails while anyone else holds a reference, and only
      // then is PageDirty tested again ("The non racy check for a busy page":
      // a holder may dirty the page and drop its reference in between)
      name: '__remove_mapping',
      run(g, t) {
        const ino = t.l.ino!;
        const index = arg(t, 'idx');
        const page = pageOf(g, t, ino, index);
        const freed = page.readers === 0 && (t.bug(DIRTY_BEFORE_FREEZE) || !page.dirty);
        if (freed) deleteFromPageCache(g, t, ino, index, index);
        else unlockPage(g, t, ino, index);
        if (freed) page.lock = 0; // the freed page's lock goes with it
        return finishFileOp(g, null);
      },
    },
  ],
};
