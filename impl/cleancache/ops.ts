/**
 * Cleancache operations as atomic steps. Steps split where the kernel takes or
 * drops a lock that is held across calls (page lock, poolid_mutex, i_rwsem,
 * mapping->invalidate_lock) or where a hook reads the pool id before calling
 * the backend; the backend lock is taken and dropped inside one step.
 */
import { done, type ImplDef, type OpDef, type StepDef, type ThreadCtx } from '../../checker/types.js';
import {
  cleancacheGetPage,
  cleancacheInitFs,
  cleancacheInvalidateFs,
  cleancacheInvalidateInode,
  cleancacheInvalidatePage,
  cleancachePutPage,
  hookPool,
  registerInitPools,
} from './frontend.js';
import {
  apiHandle,
  initState,
  stateSchema,
  type CleancacheParams,
  type CleancacheState,
} from './state.js';
import { tmemRepatriate } from './tmem.js';

type G = CleancacheState;
type P = CleancacheParams;
type T = ThreadCtx<P>;
type Step = StepDef<G, P>;

export const CC8_PRECONDITION =
  'callers of cleancache put_page/invalidate_page hold the page lock, so two of them never race on one handle (cleancache.rst L616-619, CC-8)';
export const UMOUNT_PRECONDITION =
  'a filesystem finishes its I/O before cleancache_invalidate_fs (mm/cleancache.c v3.14: "we depend on the filesystem calling __cleancache_invalidate_fs in the proper sequence")';
export const DIO_PRECONDITION =
  'no buffered read fills the page cache of a file while an O_DIRECT write to it is in flight (mm/filemap.c generic_file_direct_write: mixing them is "not supported 100%")';

const n = (a: unknown): number => a as number;

// ---------------------------------------------------------------------------
// backend registration (both layers)
// ---------------------------------------------------------------------------

const register: OpDef<G, P> = {
  doc: 'cleancache_register_ops(): under poolid_mutex, init a pool for every mounted-before-registration slot, then publish cleancache_ops',
  steps: [
    {
      name: 'cleancache_register_ops',
      enabled: (g) => g.poolid_mutex === 0,
      run(g, t) {
        if (g.cleancache_enabled) return done('ebusy');
        g.poolid_mutex = t.tid + 1;
        registerInitPools(g, t);
        return 'publish_cleancache_ops';
      },
    },
    {
      name: 'publish_cleancache_ops',
      run(g) {
        // barrier(); cleancache_ops = ops;  -- published after the pools exist
        g.cleancache_enabled = true;
        g.poolid_mutex = 0;
        return done(null);
      },
    },
  ],
};

// ---------------------------------------------------------------------------
// API layer: a filesystem calling the frontend directly on superblock `sb`
// ---------------------------------------------------------------------------

const mount: OpDef<G, P> = {
  doc: 'mount of an API-layer superblock: cleancache_init_fs(sb) (uuid 0) or cleancache_init_shared_fs(uuid, sb)',
  steps: [
    {
      name: 'cleancache_init_fs',
      enabled: (g) => g.poolid_mutex === 0,
      run(g, t) {
        const sb = n(t.args.sb);
        if (g.sb_mounted[sb]) return done('ebusy');
        g.sb_mounted[sb] = true;
        cleancacheInitFs(g, t, sb, n(t.args.uuid ?? 0));
        return done(null);
      },
    },
  ],
};

const umount: OpDef<G, P> = {
  doc: 'unmount of an API-layer superblock: cleancache_invalidate_fs(sb) surrenders the pool id',
  steps: [
    {
      name: 'cleancache_invalidate_fs',
      enabled: (g) => g.poolid_mutex === 0,
      run(g, t) {
        const sb = n(t.args.sb);
        if (!g.sb_mounted[sb]) return done(null);
        t.assume(g.sbIo[sb] === 0, UMOUNT_PRECONDITION);
        cleancacheInvalidateFs(g, t.params, t, sb);
        g.sb_mounted[sb] = false;
        return done(null);
      },
    },
  ],
};

/** put/invalidate_page share this shape: [lock page, look up pool] -> [backend call, unlock]. */
function handleOp(kind: 'put' | 'invalidate'): OpDef<G, P> {
  const h = (t: T) => apiHandle(t.params, n(t.args.sb), n(t.args.key), n(t.args.idx));
  const locked = (t: T) => t.args.locked === undefined || t.args.locked === 1 || t.args.locked === true;
  const first: Step = {
    name: kind === 'put' ? '__cleancache_put_page' : '__cleancache_invalidate_page',
    enabled: (g, t) => !locked(t) || g.pageLock[h(t)] === 0,
    run(g, t) {
      const hh = h(t);
      if (locked(t)) g.pageLock[hh] = t.tid + 1;
      t.assume(!g.ccBusy.includes(hh), CC8_PRECONDITION);
      g.ccBusy = [...g.ccBusy, hh].sort((a, b) => a - b);
      g.sbIo[n(t.args.sb)]!++;
      // read sb->cleancache_poolid and get_poolid_from_fake() before calling the backend
      t.l.pool = hookPool(g, n(t.args.sb)) + 1;
      return kind === 'put' ? 'tmem_put' : 'tmem_invalidate_page';
    },
  };
  const second: Step = {
    name: kind === 'put' ? 'tmem_put' : 'tmem_invalidate_page',
    run(g, t) {
      const hh = h(t);
      const pool = t.l.pool! - 1;
      if (kind === 'put') cleancachePutPage(g, t.params, t, pool, n(t.args.key), n(t.args.idx), n(t.args.v));
      else cleancacheInvalidatePage(g, t.params, pool, n(t.args.key), n(t.args.idx));
      g.ccBusy = g.ccBusy.filter((x) => x !== hh);
      g.sbIo[n(t.args.sb)]!--;
      if (locked(t)) g.pageLock[hh] = 0;
      return done(null);
    },
  };
  return {
    doc:
      kind === 'put'
        ? 'lock_page; cleancache_put_page(page) of data v for (sb, key, idx); unlock_page (locked: 0 skips the page lock, CC-8)'
        : 'lock_page; cleancache_invalidate_page(mapping, page); unlock_page (locked: 0 skips the page lock, CC-8)',
    locals: ['pool'],
    steps: [first, second],
  };
}

const get: OpDef<G, P> = {
  doc: 'lock_page; cleancache_get_page(page) for (sb, key, idx): the data on a hit, "miss" otherwise; unlock_page',
  locals: ['locked'],
  steps: [
    {
      name: 'lock_page',
      enabled: (g, t) => g.pageLock[apiHandle(t.params, n(t.args.sb), n(t.args.key), n(t.args.idx))] === 0,
      run(g, t) {
        g.pageLock[apiHandle(t.params, n(t.args.sb), n(t.args.key), n(t.args.idx))] = t.tid + 1;
        g.sbIo[n(t.args.sb)]!++;
        return '__cleancache_get_page';
      },
    },
    {
      name: '__cleancache_get_page',
      run(g, t) {
        const sb = n(t.args.sb);
        const v = cleancacheGetPage(g, t.params, t, sb, n(t.args.key), n(t.args.idx));
        g.sbIo[sb]!--;
        g.pageLock[apiHandle(t.params, sb, n(t.args.key), n(t.args.idx))] = 0;
        return done(v >= 0 ? v : 'miss');
      },
    },
  ],
};

const invalInode: OpDef<G, P> = {
  doc: 'cleancache_invalidate_inode(mapping) for (sb, key): every page of the file',
  steps: [
    {
      name: '__cleancache_invalidate_inode',
      run(g, t) {
        cleancacheInvalidateInode(g, t.params, n(t.args.sb), n(t.args.key));
        return done(null);
      },
    },
  ],
};

const repatriate: OpDef<G, P> = {
  doc: 'RAMster-like background worker: repatriate the oldest remotified page into the local tree',
  steps: [
    {
      name: 'ramster_repatriate',
      run(g, t) {
        tmemRepatriate(g, t.params);
        return done(null);
      },
    },
  ],
};

// ---------------------------------------------------------------------------
// fs layer: one cleancache-enabled filesystem (superblock index nsb)
// ---------------------------------------------------------------------------

const fsSb = (t: T) => t.params.nsb;
const pix = (t: T, ino: number, idx: number) => ino * t.params.pages + idx;

/** Look up the file's inode; returns a done() result when the op cannot start. */
function lookup(g: G, t: T): number | { ret: string } {
  if (!g.mounted) return done('unmounted') as { ret: string };
  const ino = g.dent[n(t.args.f)]!;
  if (ino < 0) return done('enoent') as { ret: string };
  return ino;
}

function finish(g: G, ret: number | string | null) {
  g.users--;
  return done(ret);
}

/** End of a read: drop the inode reference (iput) and the s_active-like count. */
function finishRead(g: G, t: T, ret: number) {
  g.inodes[t.l.ino!]!.refs--;
  return finish(g, ret);
}

function pagesOf(g: Readonly<G>, t: T, ino: number) {
  const out = [];
  for (let i = 0; i < t.params.pages; i++) out.push(g.pc[pix(t, ino, i)]!);
  return out;
}

/** No page of the inode is locked or under writeback (lock_page / wait_on_page_writeback would sleep). */
function inodePagesIdle(g: Readonly<G>, t: T, ino: number): boolean {
  return pagesOf(g, t, ino).every((pg) => pg.lock === 0 && !pg.wb);
}

/**
 * Remove every page of the inode in [from, to] from the page cache the way
 * truncate_inode_pages_range() / invalidate_inode_pages2_range() do: each
 * uptodate page goes through __delete_from_page_cache(), which puts it into
 * cleancache ("if we're uptodate, flush out into the cleancache", mm/filemap.c);
 * the callers invalidate the inode in cleancache before and after.
 */
function deletePages(g: G, t: T, ino: number, from: number, to: number): void {
  const pool = hookPool(g, fsSb(t));
  for (let i = from; i <= to; i++) {
    const pg = g.pc[pix(t, ino, i)]!;
    if (!pg.present) continue;
    if (pg.uptodate) cleancachePutPage(g, t.params, t, pool, ino, i, pg.data);
    else cleancacheInvalidatePage(g, t.params, pool, ino, i);
    pg.present = false;
    pg.data = 0;
    pg.uptodate = false;
    pg.dirty = false;
  }
}

const nrpages = (g: Readonly<G>, t: T, ino: number) => pagesOf(g, t, ino).filter((pg) => pg.present).length;

const read: OpDef<G, P> = {
  doc: 'buffered read of page idx of file f: page-cache hit, else add a locked page, cleancache_get_page(), else read the disk (filemap_read)',
  locals: ['ino', 'in'],
  steps: [
    {
      name: 'filemap_get_pages',
      run(g, t) {
        if (!t.l.in) {
          const ino = lookup(g, t);
          if (typeof ino !== 'number') return ino;
          t.l.ino = ino;
          t.l.in = 1;
          g.users++;
          g.inodes[ino]!.refs++; // the open file's reference (igrab)
        }
        const pg = g.pc[pix(t, t.l.ino!, n(t.args.idx))]!;
        if (pg.present && pg.uptodate) return finishRead(g, t, pg.data);
        if (pg.present) return 'wait_on_page_locked';
        return 'filemap_create_folio';
      },
    },
    {
      name: 'wait_on_page_locked',
      enabled: (g, t) => g.pc[pix(t, t.l.ino!, n(t.args.idx))]!.lock === 0,
      run: () => 'filemap_get_pages',
    },
    {
      name: 'filemap_create_folio',
      // filemap_invalidate_lock_shared(): sleeps while truncate holds it exclusively
      enabled: (g, t) => g.inodes[t.l.ino!]!.invlock >= 0,
      run(g, t) {
        const ino = t.l.ino!;
        t.assume(g.inodes[ino]!.dio === 0, DIO_PRECONDITION);
        const pg = g.pc[pix(t, ino, n(t.args.idx))]!;
        if (pg.present) return 'filemap_get_pages'; // lost the race to another reader
        g.inodes[ino]!.invlock++;
        // add_to_page_cache_lru(): a new locked, !uptodate page
        pg.present = true;
        pg.uptodate = false;
        pg.data = 0;
        pg.lock = t.tid + 1;
        return 'cleancache_get_page';
      },
    },
    {
      name: 'cleancache_get_page',
      run(g, t) {
        const ino = t.l.ino!;
        const idx = n(t.args.idx);
        // mpage_readpage() -> cleancache_get_page(page) before any bio is built
        const v = cleancacheGetPage(g, t.params, t, fsSb(t), ino, idx);
        if (v < 0) return 'mpage_end_io';
        const pg = g.pc[pix(t, ino, idx)]!;
        pg.data = v;
        pg.uptodate = true;
        pg.lock = 0;
        g.inodes[ino]!.invlock--;
        return finishRead(g, t, v);
      },
    },
    {
      name: 'mpage_end_io',
      run(g, t) {
        const ino = t.l.ino!;
        const idx = n(t.args.idx);
        const pg = g.pc[pix(t, ino, idx)]!;
        pg.data = g.disk[pix(t, ino, idx)]!;
        pg.uptodate = true;
        pg.lock = 0;
        g.inodes[ino]!.invlock--;
        return finishRead(g, t, pg.data);
      },
    },
  ],
};

const write: OpDef<G, P> = {
  doc: 'buffered full-page write of version v to page idx of file f (generic_perform_write under i_rwsem); leaves the page dirty',
  locals: ['ino'],
  steps: [
    {
      name: 'inode_lock',
      enabled: (g, t) => !g.mounted || g.dent[n(t.args.f)]! < 0 || g.inodes[g.dent[n(t.args.f)]!]!.rwsem === 0,
      run(g, t) {
        const ino = lookup(g, t);
        if (typeof ino !== 'number') return ino;
        t.l.ino = ino;
        g.users++;
        g.inodes[ino]!.rwsem = t.tid + 1;
        return 'generic_perform_write';
      },
    },
    {
      name: 'generic_perform_write',
      // grab_cache_page_write_begin() locks the page
      enabled: (g, t) => g.pc[pix(t, t.l.ino!, n(t.args.idx))]!.lock === 0,
      run(g, t) {
        const ino = t.l.ino!;
        const pg = g.pc[pix(t, ino, n(t.args.idx))]!;
        pg.present = true;
        pg.data = n(t.args.v);
        pg.uptodate = true;
        pg.dirty = true; // set_page_dirty in ->write_end
        g.inodes[ino]!.rwsem = 0;
        return finish(g, null);
      },
    },
  ],
};

const writeback: OpDef<G, P> = {
  doc: 'flusher writeback of page idx of file f: lock_page, clear_page_dirty_for_io, ->writepage, end_page_writeback',
  locals: ['ino', 'data'],
  steps: [
    {
      name: 'write_cache_pages',
      enabled: (g, t) => {
        const ino = g.mounted ? g.dent[n(t.args.f)]! : -1;
        return ino < 0 || g.pc[pix(t, ino, n(t.args.idx))]!.lock === 0;
      },
      run(g, t) {
        const ino = lookup(g, t);
        if (typeof ino !== 'number') return done(null);
        const pg = g.pc[pix(t, ino, n(t.args.idx))]!;
        if (!pg.present || !pg.dirty || pg.wb) return done(null);
        pg.dirty = false;
        pg.wb = true; // set_page_writeback, then unlock_page and submit the bio
        t.l.ino = ino;
        t.l.data = pg.data;
        g.users++;
        return 'end_page_writeback';
      },
    },
    {
      name: 'end_page_writeback',
      run(g, t) {
        const ino = t.l.ino!;
        const idx = n(t.args.idx);
        g.disk[pix(t, ino, idx)] = t.l.data!;
        g.pc[pix(t, ino, idx)]!.wb = false;
        return finish(g, null);
      },
    },
  ],
};

const evict: OpDef<G, P> = {
  doc: 'reclaim of page idx of file f (shrink_page_list -> __remove_mapping -> __delete_from_page_cache): a clean unlocked page is put into cleancache',
  steps: [
    {
      name: 'shrink_page_list',
      run(g, t) {
        const ino = lookup(g, t);
        if (typeof ino !== 'number') return done(null);
        const idx = n(t.args.idx);
        const pg = g.pc[pix(t, ino, idx)]!;
        // trylock_page fails, dirty or under writeback: reclaim skips the page
        if (!pg.present || pg.lock !== 0 || pg.dirty || pg.wb) return done(null);
        deletePages(g, t, ino, idx, idx);
        return done(null);
      },
    },
  ],
};

const dioWrite: OpDef<G, P> = {
  doc: 'O_DIRECT write of version v to page idx of file f (generic_file_direct_write under i_rwsem)',
  locals: ['ino'],
  steps: [
    {
      name: 'inode_lock',
      enabled: (g, t) => !g.mounted || g.dent[n(t.args.f)]! < 0 || g.inodes[g.dent[n(t.args.f)]!]!.rwsem === 0,
      run(g, t) {
        const ino = lookup(g, t);
        if (typeof ino !== 'number') return ino;
        t.l.ino = ino;
        g.users++;
        g.inodes[ino]!.rwsem = t.tid + 1;
        g.inodes[ino]!.dio = t.tid + 1;
        return 'invalidate_inode_pages2_range';
      },
    },
    {
      name: 'invalidate_inode_pages2_range',
      // filemap_write_and_wait_range + invalidate_inode_pages2_range lock each page
      enabled: (g, t) => inodePagesIdle(g, t, t.l.ino!),
      run(g, t) {
        const ino = t.l.ino!;
        const idx = n(t.args.idx);
        const pg = g.pc[pix(t, ino, idx)]!;
        if (pg.present && pg.dirty) {
          g.disk[pix(t, ino, idx)] = pg.data; // filemap_write_and_wait_range
          pg.dirty = false;
        }
        // F4 (55635ba76ef9): before the fix the whole invalidation, including
        // the cleancache_invalidate_inode() in it, ran only if mapping->nrpages.
        if (!t.bug('F4') || nrpages(g, t, ino) > 0) {
          cleancacheInvalidateInode(g, t.params, fsSb(t), ino);
          deletePages(g, t, ino, idx, idx);
          cleancacheInvalidateInode(g, t.params, fsSb(t), ino);
        }
        return 'direct_IO';
      },
    },
    {
      name: 'direct_IO',
      enabled: (g, t) => inodePagesIdle(g, t, t.l.ino!),
      run(g, t) {
        const ino = t.l.ino!;
        const idx = n(t.args.idx);
        g.disk[pix(t, ino, idx)] = n(t.args.v);
        // "try again to invalidate clean pages which might have been cached by
        // non-direct readahead" -- still guarded by nrpages after the fix
        if (nrpages(g, t, ino) > 0) {
          cleancacheInvalidateInode(g, t.params, fsSb(t), ino);
          deletePages(g, t, ino, idx, idx);
          cleancacheInvalidateInode(g, t.params, fsSb(t), ino);
        }
        g.inodes[ino]!.dio = 0;
        g.inodes[ino]!.rwsem = 0;
        return finish(g, null);
      },
    },
  ],
};

/** truncate_inode_pages_range() on the whole file, then free the blocks. */
function truncateInode(g: G, t: T, ino: number, skipInvalidate: boolean): void {
  if (!skipInvalidate) cleancacheInvalidateInode(g, t.params, fsSb(t), ino);
  deletePages(g, t, ino, 0, t.params.pages - 1);
  if (!skipInvalidate) cleancacheInvalidateInode(g, t.params, fsSb(t), ino);
}

const truncate: OpDef<G, P> = {
  doc: 'truncate file f to 0 (notify_change -> truncate_setsize -> truncate_inode_pages_range under i_rwsem and invalidate_lock), then free its blocks',
  locals: ['ino'],
  steps: [
    {
      name: 'inode_lock',
      enabled: (g, t) => !g.mounted || g.dent[n(t.args.f)]! < 0 || g.inodes[g.dent[n(t.args.f)]!]!.rwsem === 0,
      run(g, t) {
        const ino = lookup(g, t);
        if (typeof ino !== 'number') return ino;
        t.l.ino = ino;
        g.users++;
        g.inodes[ino]!.rwsem = t.tid + 1;
        return 'truncate_inode_pages_range';
      },
    },
    {
      name: 'truncate_inode_pages_range',
      enabled: (g, t) => g.inodes[t.l.ino!]!.invlock === 0 && inodePagesIdle(g, t, t.l.ino!),
      run(g, t) {
        const ino = t.l.ino!;
        truncateInode(g, t, ino, false);
        for (let i = 0; i < t.params.pages; i++) g.disk[pix(t, ino, i)] = 0;
        g.inodes[ino]!.rwsem = 0;
        return finish(g, null);
      },
    },
  ],
};

const unlink: OpDef<G, P> = {
  doc: 'unlink file f (last link, no opener): evict_inode -> truncate_inode_pages_final, free blocks and the inode number',
  locals: ['ino'],
  steps: [
    {
      name: 'inode_lock',
      enabled: (g, t) => !g.mounted || g.dent[n(t.args.f)]! < 0 || g.inodes[g.dent[n(t.args.f)]!]!.rwsem === 0,
      run(g, t) {
        const ino = lookup(g, t);
        if (typeof ino !== 'number') return ino;
        t.l.ino = ino;
        g.users++;
        g.inodes[ino]!.rwsem = t.tid + 1;
        g.dent[n(t.args.f)] = -1; // d_delete: the name is gone
        return 'evict_inode';
      },
    },
    {
      name: 'evict_inode',
      // iput of the last reference: readers that opened the file keep the inode
      enabled: (g, t) => g.inodes[t.l.ino!]!.refs === 0 && g.inodes[t.l.ino!]!.invlock === 0 && inodePagesIdle(g, t, t.l.ino!),
      run(g, t) {
        const ino = t.l.ino!;
        // CC-7: a removal path that bypasses the VFS invalidate hooks
        // (cleancache.rst L771-776): pages stay in cleancache under an inode
        // number that create() will hand out again.
        truncateInode(g, t, ino, t.bug('CC-7'));
        for (let i = 0; i < t.params.pages; i++) g.disk[pix(t, ino, i)] = 0;
        g.inodes[ino]!.rwsem = 0;
        g.inodes[ino]!.used = false;
        return finish(g, null);
      },
    },
  ],
};

const create: OpDef<G, P> = {
  doc: 'create an empty file f; the lowest free inode number is reused',
  steps: [
    {
      name: 'ialloc',
      run(g, t) {
        if (!g.mounted) return done('unmounted');
        const f = n(t.args.f);
        if (g.dent[f]! >= 0) return done('eexist');
        const ino = g.inodes.findIndex((i) => !i.used);
        if (ino < 0) return done('enospc');
        g.inodes[ino]!.used = true;
        g.dent[f] = ino;
        return done(null);
      },
    },
  ],
};

const fsMount: OpDef<G, P> = {
  doc: 'mount the filesystem: cleancache_init_fs(sb), or cleancache_init_shared_fs(uuid, sb) when fsUuid > 0',
  steps: [
    {
      name: 'cleancache_init_fs',
      enabled: (g) => g.poolid_mutex === 0,
      run(g, t) {
        if (g.mounted) return done('ebusy');
        g.mounted = true;
        g.sb_mounted[fsSb(t)] = true;
        cleancacheInitFs(g, t, fsSb(t), t.params.fsUuid);
        return done(null);
      },
    },
  ],
};

const fsUmount: OpDef<G, P> = {
  doc: 'unmount the filesystem: EBUSY while file operations are in flight; else sync, evict every inode (truncate_inode_pages_final) and cleancache_invalidate_fs',
  steps: [
    {
      name: 'generic_shutdown_super',
      enabled: (g) => g.poolid_mutex === 0,
      run(g, t) {
        if (!g.mounted) return done('unmounted');
        if (g.users > 0) return done('ebusy');
        for (let ino = 0; ino < t.params.inodes; ino++) {
          if (!g.inodes[ino]!.used) continue;
          for (let i = 0; i < t.params.pages; i++) {
            const pg = g.pc[pix(t, ino, i)]!;
            if (pg.present && pg.dirty) {
              g.disk[pix(t, ino, i)] = pg.data; // sync_filesystem
              pg.dirty = false;
            }
          }
          truncateInode(g, t, ino, false); // evict_inodes
        }
        cleancacheInvalidateFs(g, t.params, t, fsSb(t));
        g.sb_mounted[fsSb(t)] = false;
        g.mounted = false;
        return done(null);
      },
    },
  ],
};

export const cleancacheImpl: ImplDef<G, P> = {
  state: stateSchema,
  init(params) {
    const g = initState(params);
    if (params.mode === 'fs' && params.mounted) {
      // the filesystem was mounted (cleancache_init_fs) before the scenario starts
      const t0 = { tid: 0, args: {}, l: {}, params, variant: null, bug: () => false, choose: () => 0, inject: () => false, assume: () => {} };
      cleancacheInitFs(g, t0, params.nsb, params.fsUuid);
    }
    return g;
  },
  ops: {
    register,
    mount,
    umount,
    put: handleOp('put'),
    get,
    inval_page: handleOp('invalidate'),
    inval_inode: invalInode,
    repatriate,
    read,
    write,
    writeback,
    evict,
    dio_write: dioWrite,
    truncate,
    unlink,
    create,
    fs_mount: fsMount,
    fs_umount: fsUmount,
  },
};
