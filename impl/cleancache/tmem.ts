/**
 * A tmem-like cleancache backend (after Xen tmem / zcache, drivers/xen/tmem.c and
 * drivers/staging/zcache): pools of objects keyed by (file key, index), a
 * bounded number of resident pages with LRU eviction, exclusive gets on
 * private pools, and optionally a RAMster-like remote tier that LRU victims
 * are "remotified" to and a background worker repatriates from.
 *
 * Every function here runs inside one step: the backend lock (tmem's per-pool
 * spinlock) is held only within a step, so no lock field is needed.
 * Contract: Documentation/vm/cleancache.rst @ v5.10, "Implementation Overview"
 * (ephemeral pages, exclusive and shared gets, put-put-get and get-get
 * coherency).
 */
import type { ThreadCtx } from '../../checker/types.js';
import {
  code,
  decode,
  POOL_FREE,
  POOL_PRIVATE,
  POOL_SHARED,
  type CleancacheParams,
  type CleancacheState,
} from './state.js';

type T = ThreadCtx<CleancacheParams>;

/** Position of (key, idx) in a pool's sorted page list, or -(insertion point) - 1. */
function find(pages: readonly { key: number; idx: number }[], key: number, idx: number): number {
  let lo = 0;
  let hi = pages.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const m = pages[mid]!;
    const c = m.key - key || m.idx - idx;
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -lo - 1;
}

function lruRemove(g: CleancacheState, c: number): void {
  const i = g.lru.indexOf(c);
  if (i >= 0) g.lru.splice(i, 1);
}

function removeRemote(g: CleancacheState, pool: number, key: number, idx: number | null): void {
  g.remote = g.remote.filter((r) => !(r.pool === pool && r.key === key && (idx === null || r.idx === idx)));
}

/** tmem_flush_page: remove (pool, key, idx) from the resident tree and the remote tier. */
function flushPage(g: CleancacheState, p: CleancacheParams, pool: number, key: number, idx: number): void {
  const pages = g.pools[pool]!.pages;
  const i = find(pages, key, idx);
  if (i >= 0) {
    pages.splice(i, 1);
    lruRemove(g, code(p, pool, key, idx));
  }
  removeRemote(g, pool, key, idx);
}

/** Evict the least recently used resident page (tmem's shrinker / zcache eviction). */
function evictLru(g: CleancacheState, p: CleancacheParams, toRemote: boolean): void {
  const c = g.lru.pop();
  if (c === undefined) return;
  const { pool, key, idx } = decode(p, c);
  const pages = g.pools[pool]!.pages;
  const i = find(pages, key, idx);
  const data = i >= 0 ? pages[i]!.data : 0;
  if (i >= 0) pages.splice(i, 1);
  if (toRemote) {
    // ramster_remotify: the page moves to a peer; the remote tier is bounded too
    g.remote.unshift({ pool, key, idx, data });
    if (g.remote.length > p.capacity) g.remote.pop();
  }
}

/** ops->init_fs / ops->init_shared_fs: a pool id, or -1 (the backend refuses). */
export function tmemNewPool(g: CleancacheState, t: T, shared: boolean, uuid: number): number {
  if (shared) {
    // "calls to init_shared_fs that specify the same UUID will receive the same pool id"
    if (!t.bug('CC-5')) {
      const same = g.pools.findIndex((q) => q.kind === POOL_SHARED && q.uuid === uuid);
      if (same >= 0) {
        g.pools[same]!.users++;
        return same;
      }
    }
  }
  const free = g.pools.findIndex((q) => q.kind === POOL_FREE);
  if (free < 0) return -1; // "a negative return value indicates failure" ("Implementation Overview")
  const q = g.pools[free]!;
  q.kind = shared ? POOL_SHARED : POOL_PRIVATE;
  q.uuid = shared ? uuid : 0;
  q.users = 1;
  return free;
}

/**
 * ops->invalidate_fs: flush every page of the pool and surrender the id
 * ("Implementation Overview"); a shared pool lives until its last sharer leaves.
 */
export function tmemInvalidateFs(g: CleancacheState, p: CleancacheParams, t: T, pool: number): void {
  if (pool < 0 || pool >= g.pools.length) return;
  const q = g.pools[pool]!;
  if (q.kind === POOL_FREE) return;
  if (--q.users > 0) return;
  if (!t.bug('CC-6')) {
    for (const pg of q.pages) lruRemove(g, code(p, pool, pg.key, pg.idx));
    q.pages = [];
    g.remote = g.remote.filter((r) => r.pool !== pool);
  }
  // CC-6: the id is surrendered but the pages stay in the pool's tree, so a
  // later init_fs that reuses this id sees them.
  q.kind = POOL_FREE;
  q.uuid = 0;
  q.users = 0;
  const per = Math.max(p.keys, p.inodes) * p.pages;
  const other = (c: number) => decode(p, c).pool !== pool;
  g.exclHits = g.exclHits.filter(other);
  g.missed = g.missed.filter(other);
  if (!t.bug('CC-6')) for (let c = pool * per; c < (pool + 1) * per; c++) g.lastPut[c] = 0;
}

/**
 * ops->put_page. Always "succeeds" for the caller ("Cleancache Performance Metrics": puts "all succeed"), but the backend may
 * reject the page (zcache: poorly compressible; Xen: no memory). A rejected put
 * must still make an older copy of the handle unreachable, or a later get
 * returns the stale data (put-put-get coherency).
 */
export function tmemPut(
  g: CleancacheState,
  p: CleancacheParams,
  t: T,
  pool: number,
  key: number,
  idx: number,
  data: number,
): void {
  const q = g.pools[pool];
  if (!q || q.kind === POOL_FREE) return;
  const c = code(p, pool, key, idx);
  g.exclHits = g.exclHits.filter((x) => x !== c);
  g.missed = g.missed.filter((x) => x !== c);
  g.lastPut[c] = data;
  const reject = t.choose(2) === 1;
  if (reject) {
    if (t.bug('CC-1')) return; // CC-1: the rejected put leaves the older copy in place
    flushPage(g, p, pool, key, idx);
    return;
  }
  flushPage(g, p, pool, key, idx);
  const pages = q.pages;
  const i = find(pages, key, idx);
  pages.splice(-i - 1, 0, { key, idx, data });
  g.lru.unshift(c);
  while (g.lru.length > p.capacity) evictLru(g, p, p.remote);
}

/**
 * ops->get_page: the data on a hit, or -1. A hit on a private pool removes the
 * page ("exclusive" cache; FAQ: "The invalidate is done by the cleancache
 * backend implementation"); a hit on a shared pool does not.
 */
export function tmemGet(g: CleancacheState, p: CleancacheParams, t: T, pool: number, key: number, idx: number): number {
  const q = g.pools[pool];
  if (!q || q.kind === POOL_FREE) return -1;
  const pages = q.pages;
  const i = find(pages, key, idx);
  const c = code(p, pool, key, idx);
  if (i < 0) {
    // A remotified copy cannot be returned synchronously. get-get coherency:
    // after this miss no later get may hit without a put, so the
    // remote copy must not be repatriated later. CC-2 leaves it there.
    if (!t.bug('CC-2')) removeRemote(g, pool, key, idx);
    if (!g.missed.includes(c)) g.missed = [...g.missed, c].sort((a, b) => a - b);
    return -1;
  }
  const data = pages[i]!.data;
  if (q.kind === POOL_PRIVATE) {
    if (!t.bug('CC-3')) {
      pages.splice(i, 1);
      lruRemove(g, c);
    }
    if (!g.exclHits.includes(c)) g.exclHits = [...g.exclHits, c].sort((a, b) => a - b);
  } else {
    lruRemove(g, c);
    g.lru.unshift(c);
  }
  return data;
}

/** ops->invalidate_page. */
export function tmemInvalidatePage(
  g: CleancacheState,
  p: CleancacheParams,
  pool: number,
  key: number,
  idx: number,
): void {
  const q = g.pools[pool];
  if (!q || q.kind === POOL_FREE) return;
  flushPage(g, p, pool, key, idx);
}

/** ops->invalidate_inode: every page of the file. */
export function tmemInvalidateInode(g: CleancacheState, p: CleancacheParams, pool: number, key: number): void {
  const q = g.pools[pool];
  if (!q || q.kind === POOL_FREE) return;
  for (const pg of q.pages) if (pg.key === key) lruRemove(g, code(p, pool, pg.key, pg.idx));
  q.pages = q.pages.filter((pg) => pg.key !== key);
  removeRemote(g, pool, key, null);
}

/**
 * RAMster-like repatriation worker: bring the oldest remote page back into the
 * local tree (cf. Documentation/vm/frontswap.rst @ v5.10 FAQ on asynchronous tmem threads). The
 * LRU victim made room for it is dropped, not remotified.
 */
export function tmemRepatriate(g: CleancacheState, p: CleancacheParams): void {
  const r = g.remote.pop();
  if (!r) return;
  const q = g.pools[r.pool]!;
  if (q.kind === POOL_FREE) return;
  const i = find(q.pages, r.key, r.idx);
  if (i >= 0) return; // a newer put is resident: the remote copy is stale, drop it
  q.pages.splice(-i - 1, 0, { key: r.key, idx: r.idx, data: r.data });
  g.lru.unshift(code(p, r.pool, r.key, r.idx));
  while (g.lru.length > p.capacity) evictLru(g, p, false);
}

/** Resident + remote pages of a pool, as (key, idx, data). */
export function poolContents(g: Readonly<CleancacheState>, pool: number): { key: number; idx: number; data: number }[] {
  const out = g.pools[pool]!.pages.map((pg) => ({ key: pg.key, idx: pg.idx, data: pg.data }));
  for (const r of g.remote) if (r.pool === pool) out.push({ key: r.key, idx: r.idx, data: r.data });
  return out;
}
