/**
 * The API layer: a filesystem calling the cleancache frontend directly on
 * superblock `sb` (include/linux/cleancache.h wrappers), each data-path call
 * under the page lock of its (sb, key, index) handle as the callers in
 * mm/filemap.c and mm/truncate.c hold it. Checks the backend contract.
 */
import { done } from '../../checker/types.js';
import { assertHeld } from '../lockdep.js';
import {
  cleancacheGetPage,
  cleancacheInitFs,
  cleancacheInvalidateFs,
  cleancacheInvalidateInode,
  cleancacheInvalidatePage,
  cleancachePutPage,
  hookPool,
  HOOK_NO_OPS,
} from './frontend.js';
import { arg, flagArg, optArg, type Op, type Step, type T } from './fs-common.js';
import { apiHandle } from './state.js';
import { tmemRepatriate } from './tmem.js';

export const CC8_PRECONDITION =
  'callers of cleancache put_page/invalidate_page hold the page lock, so two of them never race on one handle (Documentation/vm/cleancache.rst @ v5.10, "cleancache provides no SMP serialization guarantees")';
export const UMOUNT_PRECONDITION =
  'a filesystem finishes its I/O before cleancache_invalidate_fs (called from ->kill_sb, after the last file operation: mm/cleancache.c cleancache_register_ops() @ v5.10, comment c)';

/** The page-lock table index of the op's (sb, key, idx) handle. */
const handleOf = (t: T) => apiHandle(t.params, arg(t, 'sb'), arg(t, 'key'), arg(t, 'idx'));

export const mount: Op = {
  doc: 'mount of an API-layer superblock: cleancache_init_fs(sb) (uuid 0) or cleancache_init_shared_fs(uuid, sb)',
  steps: [
    {
      name: 'cleancache_init_fs',
      run(g, t) {
        const sb = arg(t, 'sb');
        if (g.sb_mounted[sb]) return done('ebusy');
        g.sb_mounted[sb] = true;
        cleancacheInitFs(g, t, sb, optArg(t, 'uuid', 0));
        return done(null);
      },
    },
  ],
};

export const umount: Op = {
  doc: 'unmount of an API-layer superblock: cleancache_invalidate_fs(sb) surrenders the pool id',
  steps: [
    {
      name: 'cleancache_invalidate_fs',
      run(g, t) {
        const sb = arg(t, 'sb');
        if (!g.sb_mounted[sb]) return done(null);
        t.assume(g.sbIo[sb] === 0, UMOUNT_PRECONDITION);
        cleancacheInvalidateFs(g, t.params, t, sb);
        g.sb_mounted[sb] = false;
        return done(null);
      },
    },
  ],
};

/**
 * put_page and invalidate_page share this shape: [lock_page, read the pool id]
 * then [backend call, unlock_page]. `locked: 0` drops the page lock (the
 * caller contract broken on purpose, scenario api-unserialized).
 */
function pageHookOp(kind: 'put' | 'invalidate'): Op {
  const locked = (t: T) => flagArg(t, 'locked', true);
  const backendStep = kind === 'put' ? 'tmem_put' : 'tmem_invalidate_page';
  const lookup: Step = {
    name: kind === 'put' ? '__cleancache_put_page' : '__cleancache_invalidate_page',
    enabled: (g, t) => !locked(t) || g.pageLock[handleOf(t)] === 0,
    run(g, t) {
      const handle = handleOf(t);
      if (locked(t)) g.pageLock[handle] = t.tid + 1;
      t.assume(!g.ccBusy.includes(handle), CC8_PRECONDITION);
      g.ccBusy = [...g.ccBusy, handle].sort((a, b) => a - b);
      g.sbIo[arg(t, 'sb')]!++;
      // read cleancache_ops and sb->cleancache_poolid before calling the backend
      t.l.pool = hookPool(g, arg(t, 'sb')) - HOOK_NO_OPS;
      return backendStep;
    },
  };
  const backend: Step = {
    name: backendStep,
    run(g, t) {
      const handle = handleOf(t);
      const pool = t.l.pool! + HOOK_NO_OPS;
      if (kind === 'put') cleancachePutPage(g, t.params, t, pool, arg(t, 'key'), arg(t, 'idx'), arg(t, 'v'));
      else cleancacheInvalidatePage(g, t.params, pool, arg(t, 'key'), arg(t, 'idx'));
      g.ccBusy = g.ccBusy.filter((x) => x !== handle);
      g.sbIo[arg(t, 'sb')]!--;
      if (locked(t)) {
        assertHeld(g.pageLock[handle], t.tid, 'PG_locked');
        g.pageLock[handle] = 0;
      }
      return done(null);
    },
  };
  return {
    doc:
      kind === 'put'
        ? 'lock_page; cleancache_put_page(page) of data v for (sb, key, idx); unlock_page (locked: 0 skips the page lock, CC-8)'
        : 'lock_page; cleancache_invalidate_page(mapping, page); unlock_page (locked: 0 skips the page lock, CC-8)',
    locals: ['pool'],
    steps: [lookup, backend],
  };
}

export const put = pageHookOp('put');
export const invalidatePage = pageHookOp('invalidate');

export const get: Op = {
  doc: 'lock_page; cleancache_get_page(page) for (sb, key, idx): the data on a hit, "miss" otherwise; unlock_page',
  steps: [
    {
      name: 'lock_page',
      enabled: (g, t) => g.pageLock[handleOf(t)] === 0,
      run(g, t) {
        g.pageLock[handleOf(t)] = t.tid + 1;
        g.sbIo[arg(t, 'sb')]!++;
        return '__cleancache_get_page';
      },
    },
    {
      name: '__cleancache_get_page',
      run(g, t) {
        const sb = arg(t, 'sb');
        const v = cleancacheGetPage(g, t.params, t, sb, arg(t, 'key'), arg(t, 'idx'));
        g.sbIo[sb]!--;
        assertHeld(g.pageLock[handleOf(t)], t.tid, 'PG_locked');
        g.pageLock[handleOf(t)] = 0;
        return done(v >= 0 ? v : 'miss');
      },
    },
  ],
};

export const invalidateInode: Op = {
  doc: 'cleancache_invalidate_inode(mapping) for (sb, key): every page of the file',
  steps: [
    {
      name: '__cleancache_invalidate_inode',
      run(g, t) {
        cleancacheInvalidateInode(g, t.params, arg(t, 'sb'), arg(t, 'key'));
        return done(null);
      },
    },
  ],
};

export const repatriate: Op = {
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
