/**
 * Buffered I/O and reclaim of the filesystem layer: filemap_read() with the
 * cleancache_get_page() hook in ->readpage (fs/mpage.c mpage_readpage),
 * generic_perform_write(), flusher writeback and shrink_page_list(), whose
 * __remove_mapping() puts the clean page into cleancache.
 */
import { done, type OpDef } from '../../checker/types.js';
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
  type P,
} from './fs-common.js';
import { deleteFromPageCache } from './page-cache.js';

export const DIO_PRECONDITION =
  'no buffered read fills the page cache of a file while an O_DIRECT write to it is in flight (mm/filemap.c generic_file_direct_write() @ v5.10: mixing them is "not supported 100%")';

export const read: OpDef<G, P> = {
  doc: 'buffered read of page idx of file f: page-cache hit, else add a locked page, cleancache_get_page(), else read the disk (filemap_read)',
  locals: ['ino', 'in'],
  steps: [
    {
      name: 'filemap_get_pages',
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
        if (page.present && page.uptodate) return finishRead(g, t, page.data);
        if (page.present) return 'wait_on_page_locked';
        return 'filemap_create_folio';
      },
    },
    {
      name: 'wait_on_page_locked',
      enabled: (g, t) => pageOf(g, t, t.l.ino!, arg(t, 'idx')).lock === 0,
      run: () => 'filemap_get_pages',
    },
    {
      name: 'filemap_create_folio',
      // filemap_invalidate_lock_shared(): sleeps while truncate holds it exclusively
      enabled: (g, t) => g.inodes[t.l.ino!]!.invlock >= 0,
      run(g, t) {
        const ino = t.l.ino!;
        t.assume(g.inodes[ino]!.dio === 0, DIO_PRECONDITION);
        const page = pageOf(g, t, ino, arg(t, 'idx'));
        if (page.present) return 'filemap_get_pages'; // lost the race to another reader
        g.inodes[ino]!.invlock++;
        // add_to_page_cache_lru(): a new locked, !uptodate page
        page.present = true;
        page.uptodate = false;
        page.data = 0;
        page.lock = t.tid + 1;
        return 'cleancache_get_page';
      },
    },
    {
      name: 'cleancache_get_page',
      run(g, t) {
        const ino = t.l.ino!;
        const index = arg(t, 'idx');
        // mpage_readpage() -> cleancache_get_page(page) before any bio is built
        const v = cleancacheGetPage(g, t.params, t, fsSuperBlock(t), ino, index);
        if (v < 0) return 'mpage_end_io';
        const page = pageOf(g, t, ino, index);
        page.data = v;
        page.uptodate = true;
        unlockPage(g, t, ino, index);
        g.inodes[ino]!.invlock--;
        return finishRead(g, t, v);
      },
    },
    {
      name: 'mpage_end_io',
      run(g, t) {
        const ino = t.l.ino!;
        const index = arg(t, 'idx');
        const page = pageOf(g, t, ino, index);
        page.data = g.disk[pageSlot(t, ino, index)]!;
        page.uptodate = true;
        unlockPage(g, t, ino, index);
        g.inodes[ino]!.invlock--;
        return finishRead(g, t, page.data);
      },
    },
  ],
};

export const write: OpDef<G, P> = {
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
        page.dirty = true; // set_page_dirty in ->write_end
        inodeUnlock(g, t, ino);
        return finishFileOp(g, null);
      },
    },
  ],
};

export const writeback: OpDef<G, P> = {
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

export const evict: OpDef<G, P> = {
  doc: 'reclaim of page idx of file f (shrink_page_list -> __remove_mapping -> __delete_from_page_cache): a clean unlocked page is put into cleancache',
  steps: [
    {
      name: 'shrink_page_list',
      run(g, t) {
        const ino = lookupInode(g, t);
        if (typeof ino !== 'number') return done(null);
        const index = arg(t, 'idx');
        const page = pageOf(g, t, ino, index);
        // trylock_page fails, dirty or under writeback: reclaim skips the page
        if (!page.present || page.lock !== 0 || page.dirty || page.wb) return done(null);
        deleteFromPageCache(g, t, ino, index, index);
        return done(null);
      },
    },
  ],
};
