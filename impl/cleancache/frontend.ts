/**
 * The cleancache frontend, mm/cleancache.c as of v3.14 (the version with fake
 * pool ids): filesystems may mount before a backend registers; each mount then
 * gets a fake id (slot + FAKE_FS_POOLID_OFFSET or + FAKE_SHARED_FS_POOLID_OFFSET)
 * whose slot in fs_poolid_map / shared_fs_poolid_map holds FS_NO_BACKEND until
 * cleancache_register_ops() calls the backend's init_fs / init_shared_fs for it.
 * Data-path hooks check the cleancache_enabled fast path (cleancache.rst
 * L805-811), then sb->cleancache_poolid, then get_poolid_from_fake().
 */
import type { ThreadCtx } from '../../checker/types.js';
import {
  FAKE_FS_POOLID_OFFSET,
  FAKE_SHARED_FS_POOLID_OFFSET,
  FS_NO_BACKEND,
  FS_UNKNOWN,
  type CleancacheParams,
  type CleancacheState,
} from './state.js';
import { tmemGet, tmemInvalidateFs, tmemInvalidateInode, tmemInvalidatePage, tmemNewPool, tmemPut } from './tmem.js';

type T = ThreadCtx<CleancacheParams>;
type G = CleancacheState;
type P = CleancacheParams;

/** get_poolid_from_fake(): the real pool id behind a fake one, or FS_NO_BACKEND. */
export function getPoolidFromFake(g: Readonly<CleancacheState>, fake: number): number {
  if (fake >= FAKE_SHARED_FS_POOLID_OFFSET) return g.shared_fs_poolid_map[fake - FAKE_SHARED_FS_POOLID_OFFSET]!;
  if (fake >= FAKE_FS_POOLID_OFFSET) return g.fs_poolid_map[fake - FAKE_FS_POOLID_OFFSET]!;
  return FS_NO_BACKEND;
}

/**
 * The pool a data-path hook would use for superblock `sb`, or -1 when the hook
 * returns early: !cleancache_enabled, sb->cleancache_poolid < 0, or no real id.
 */
export function hookPool(g: Readonly<CleancacheState>, sb: number): number {
  if (!g.cleancache_enabled) return -1;
  const fake = g.sb_poolid[sb]!;
  if (fake < 0) return -1;
  return getPoolidFromFake(g, fake);
}

/** __cleancache_init_fs / __cleancache_init_shared_fs (under poolid_mutex). */
export function cleancacheInitFs(g: CleancacheState, t: T, sb: number, uuid: number): void {
  const shared = uuid > 0;
  const map = shared ? g.shared_fs_poolid_map : g.fs_poolid_map;
  for (let i = 0; i < map.length; i++) {
    if (map[i] !== FS_UNKNOWN) continue;
    g.sb_poolid[sb] = i + (shared ? FAKE_SHARED_FS_POOLID_OFFSET : FAKE_FS_POOLID_OFFSET);
    if (shared) g.uuids[i] = uuid;
    map[i] = g.cleancache_enabled ? tmemNewPool(g, t, shared, uuid) : FS_NO_BACKEND;
    return;
  }
}

/** cleancache_register_ops, first half: init a pool for every FS_NO_BACKEND slot. */
export function registerInitPools(g: CleancacheState, t: T): void {
  for (let i = 0; i < g.fs_poolid_map.length; i++) {
    if (g.fs_poolid_map[i] === FS_NO_BACKEND) g.fs_poolid_map[i] = tmemNewPool(g, t, false, 0);
    if (g.shared_fs_poolid_map[i] === FS_NO_BACKEND) g.shared_fs_poolid_map[i] = tmemNewPool(g, t, true, g.uuids[i]!);
  }
}

/** __cleancache_invalidate_fs (under poolid_mutex): reset the slot, surrender the pool id. */
export function cleancacheInvalidateFs(g: CleancacheState, p: CleancacheParams, t: T, sb: number): void {
  const fake = g.sb_poolid[sb]!;
  let old = fake;
  if (fake >= FAKE_SHARED_FS_POOLID_OFFSET) {
    const i = fake - FAKE_SHARED_FS_POOLID_OFFSET;
    old = g.shared_fs_poolid_map[i]!;
    g.shared_fs_poolid_map[i] = FS_UNKNOWN;
    g.uuids[i] = 0;
  } else if (fake >= FAKE_FS_POOLID_OFFSET) {
    const i = fake - FAKE_FS_POOLID_OFFSET;
    old = g.fs_poolid_map[i]!;
    g.fs_poolid_map[i] = FS_UNKNOWN;
  }
  g.sb_poolid[sb] = -1;
  if (g.cleancache_enabled) tmemInvalidateFs(g, p, t, old);
}

// data-path hooks (include/linux/cleancache.h wrappers + __cleancache_* functions)

/** cleancache_get_page(): the data, or -1 (include/linux/cleancache.h + __cleancache_get_page). */
export function cleancacheGetPage(g: G, p: P, t: T, sb: number, key: number, idx: number): number {
  if (!g.cleancache_enabled) return -1; // fast path: no backend
  const fake = g.sb_poolid[sb]!;
  if (fake < 0) return -1; // the filesystem is not cleancache-enabled
  const pool = getPoolidFromFake(g, fake);
  const ret = pool >= 0 ? tmemGet(g, p, t, pool, key, idx) : -1;
  if (ret >= 0) g.succ_gets++;
  else g.failed_gets++;
  return ret;
}

/** cleancache_put_page() with the pool already looked up (pool < 0: the hook returned early). */
export function cleancachePutPage(g: G, p: P, t: T, pool: number, key: number, idx: number, data: number): void {
  if (pool < 0) return;
  tmemPut(g, p, t, pool, key, idx, data);
  g.puts++;
}

/** cleancache_invalidate_page() with the pool already looked up; counted in `invalidates`. */
export function cleancacheInvalidatePage(g: G, p: P, pool: number, key: number, idx: number): void {
  if (pool < 0) return;
  tmemInvalidatePage(g, p, pool, key, idx);
  g.invalidates++;
}

/** cleancache_invalidate_inode(): every page of the file (key = inode number); not counted. */
export function cleancacheInvalidateInode(g: G, p: P, sb: number, ino: number): void {
  const pool = hookPool(g, sb);
  if (pool >= 0) tmemInvalidateInode(g, p, pool, ino);
}
