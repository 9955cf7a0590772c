/**
 * The cleancache frontend, mm/cleancache.c @ v5.10. A superblock's
 * sb->cleancache_poolid is a backend pool id, or CLEANCACHE_NO_POOL (no
 * cleancache, or the backend refused the pool), or CLEANCACHE_NO_BACKEND /
 * CLEANCACHE_NO_BACKEND_SHARED when the filesystem was mounted before any
 * backend registered: cleancache_register_ops() resolves those later through
 * iterate_supers() (see register.ts). The data-path hooks are lockless: they
 * read cleancache_ops, then sb->cleancache_poolid, and call the backend.
 */
import type { ThreadCtx } from '../../checker/types.js';
import {
  CLEANCACHE_NO_BACKEND,
  CLEANCACHE_NO_BACKEND_SHARED,
  CLEANCACHE_NO_POOL,
  type CleancacheParams,
  type CleancacheState,
} from './state.js';
import { tmemGet, tmemInvalidateFs, tmemInvalidateInode, tmemInvalidatePage, tmemNewPool, tmemPut } from './tmem.js';

type T = ThreadCtx<CleancacheParams>;
type G = CleancacheState;
type P = CleancacheParams;

/** What a data-path hook sees: no cleancache_ops at all. */
export const HOOK_NO_OPS = -4; // below every CLEANCACHE_* value

/**
 * The lockless head of every data-path hook: HOOK_NO_OPS when cleancache_ops
 * is NULL, else sb->cleancache_poolid (negative: the hook returns early).
 */
export function hookPool(g: Readonly<G>, sb: number): number {
  if (!g.cleancache_enabled) return HOOK_NO_OPS;
  return g.sb_poolid[sb]!;
}

/** __cleancache_init_fs (uuid 0) / __cleancache_init_shared_fs (sb->s_uuid = uuid), from ->mount. */
export function cleancacheInitFs(g: G, t: T, sb: number, uuid: number): void {
  const shared = uuid > 0;
  g.sb_uuid[sb] = uuid;
  if (!g.cleancache_enabled) {
    g.sb_poolid[sb] = shared ? CLEANCACHE_NO_BACKEND_SHARED : CLEANCACHE_NO_BACKEND;
    return;
  }
  const poolId = tmemNewPool(g, t, shared, uuid);
  g.sb_poolid[sb] = poolId < 0 ? CLEANCACHE_NO_POOL : poolId;
}

/**
 * cleancache_register_ops_sb(): called by iterate_supers() for each live
 * superblock after cleancache_ops is set; initialises the ones mounted before.
 */
export function cleancacheRegisterOpsSb(g: G, t: T, sb: number): void {
  const poolId = g.sb_poolid[sb]!;
  if (poolId === CLEANCACHE_NO_BACKEND || poolId === CLEANCACHE_NO_BACKEND_SHARED)
    cleancacheInitFs(g, t, sb, g.sb_uuid[sb]!);
}

/** __cleancache_invalidate_fs (from ->kill_sb): surrender the pool id. */
export function cleancacheInvalidateFs(g: G, p: P, t: T, sb: number): void {
  const poolId = g.sb_poolid[sb]!;
  g.sb_poolid[sb] = CLEANCACHE_NO_POOL;
  g.sb_uuid[sb] = 0;
  if (g.cleancache_enabled && poolId >= 0) tmemInvalidateFs(g, p, t, poolId);
}

/** __cleancache_get_page(): the data, or -1. Only a hook with no backend at all counts a failed get early. */
export function cleancacheGetPage(g: G, p: P, t: T, sb: number, key: number, idx: number): number {
  const poolId = hookPool(g, sb);
  if (poolId === HOOK_NO_OPS) {
    g.failed_gets++;
    return -1;
  }
  if (poolId < 0) return -1;
  const ret = tmemGet(g, p, t, poolId, key, idx);
  if (ret >= 0) g.succ_gets++;
  else g.failed_gets++;
  return ret;
}

/**
 * __cleancache_put_page() with `poolId` = hookPool() read earlier: with no
 * backend the put is only counted ("puts attempted"); with a pool it goes to
 * the backend; otherwise nothing happens.
 */
export function cleancachePutPage(g: G, p: P, t: T, poolId: number, key: number, idx: number, data: number): void {
  if (poolId === HOOK_NO_OPS) {
    g.puts++;
    return;
  }
  if (poolId < 0) return;
  tmemPut(g, p, t, poolId, key, idx, data);
  g.puts++;
}

/** __cleancache_invalidate_page() with `poolId` = hookPool() read earlier; counted in `invalidates`. */
export function cleancacheInvalidatePage(g: G, p: P, poolId: number, key: number, idx: number): void {
  if (poolId < 0) return;
  tmemInvalidatePage(g, p, poolId, key, idx);
  g.invalidates++;
}

/** __cleancache_invalidate_inode(): every page of the file (key = inode number); not counted. */
export function cleancacheInvalidateInode(g: G, p: P, sb: number, ino: number): void {
  const poolId = hookPool(g, sb);
  if (poolId >= 0) tmemInvalidateInode(g, p, poolId, ino);
}
