/**
 * Sequential tests of the tmem-like backend and of the v3.14 frontend's
 * pool-id tables, calling the implementation functions directly.
 */
import { describe, expect, test } from 'vitest';
import { cleancacheInitFs, cleancacheInvalidateFs, cleancacheRegisterOpsSb } from '../../impl/cleancache/frontend.js';
import {
  stateSchema,
  CLEANCACHE_NO_BACKEND,
  CLEANCACHE_NO_BACKEND_SHARED,
  CLEANCACHE_NO_POOL,
  initState,
  POOL_FREE,
  POOL_PRIVATE,
  POOL_SHARED,
  type CleancacheParams,
} from '../../impl/cleancache/state.js';
import {
  poolContents,
  tmemGet,
  tmemInvalidateFs,
  tmemInvalidateInode,
  tmemInvalidatePage,
  tmemNewPool,
  tmemPut,
  tmemRepatriate,
} from '../../impl/cleancache/tmem.js';
import { ArrayReader, IntBuffer } from '../../checker/schema.js';
import { tctx } from './helpers.js';

const P: CleancacheParams = {
  mode: 'api',
  nsb: 2,
  keys: 2,
  pages: 2,
  maxPools: 2,
  capacity: 2,
  registered: true,
  remote: false,
  files: 0,
  inodes: 1,
  fsUuid: 0,
  mounted: false,
};

function fresh(p: CleancacheParams = P) {
  return initState(p);
}

describe('tmem backend', () => {
  test('a private pool is exclusive: a hit removes the page, the next get misses', () => {
    const g = fresh();
    const t = tctx(P);
    const pool = tmemNewPool(g, t, false, 0);
    expect(pool).toBe(0);
    tmemPut(g, P, t, pool, 1, 0, 5);
    expect(tmemGet(g, P, t, pool, 1, 0)).toBe(5);
    expect(tmemGet(g, P, t, pool, 1, 0)).toBe(-1);
    expect(g.lru).toEqual([]);
  });

  test('CC-3 keeps the page after a private hit', () => {
    const g = fresh();
    const t = tctx(P, { variant: 'CC-3' });
    const pool = tmemNewPool(g, t, false, 0);
    tmemPut(g, P, t, pool, 0, 0, 5);
    expect(tmemGet(g, P, t, pool, 0, 0)).toBe(5);
    expect(tmemGet(g, P, t, pool, 0, 0)).toBe(5);
  });

  test('a shared pool is not exclusive, and the same UUID gives the same pool', () => {
    const g = fresh();
    const t = tctx(P);
    const a = tmemNewPool(g, t, true, 9);
    const b = tmemNewPool(g, t, true, 9);
    const c = tmemNewPool(g, t, false, 0);
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    expect(g.pools[a]!.users).toBe(2);
    tmemPut(g, P, t, a, 0, 1, 3);
    expect(tmemGet(g, P, t, b, 0, 1)).toBe(3);
    expect(tmemGet(g, P, t, a, 0, 1)).toBe(3);
    // one sharer leaving keeps the pool and its pages
    tmemInvalidateFs(g, P, t, a);
    expect(g.pools[a]!.kind).toBe(POOL_SHARED);
    expect(tmemGet(g, P, t, a, 0, 1)).toBe(3);
  });

  test('CC-5 gives a second pool to the same UUID', () => {
    const g = fresh();
    const t = tctx(P, { variant: 'CC-5' });
    expect(tmemNewPool(g, t, true, 9)).not.toBe(tmemNewPool(g, t, true, 9));
  });

  test('init fails with a negative id when every pool slot is taken', () => {
    const g = fresh();
    const t = tctx(P);
    tmemNewPool(g, t, false, 0);
    tmemNewPool(g, t, false, 0);
    expect(tmemNewPool(g, t, false, 0)).toBeLessThan(0);
  });

  test('put-put-get: a rejected put also removes the older copy (CC-1 keeps it)', () => {
    for (const variant of [null, 'CC-1']) {
      const g = fresh();
      const pool = tmemNewPool(g, tctx(P), false, 0);
      tmemPut(g, P, tctx(P, { choices: [0] }), pool, 0, 0, 1); // accepted
      tmemPut(g, P, tctx(P, { choices: [1], variant }), pool, 0, 0, 2); // rejected
      expect(tmemGet(g, P, tctx(P), pool, 0, 0)).toBe(variant === null ? -1 : 1);
    }
  });

  test('a second put of a handle replaces the data', () => {
    const g = fresh();
    const t = tctx(P);
    const pool = tmemNewPool(g, t, false, 0);
    tmemPut(g, P, t, pool, 0, 0, 1);
    tmemPut(g, P, t, pool, 0, 0, 2);
    expect(g.pools[pool]!.pages).toEqual([{ key: 0, idx: 0, data: 2 }]);
    expect(tmemGet(g, P, t, pool, 0, 0)).toBe(2);
  });

  test('capacity: the least recently used page is evicted; the tree stays sorted', () => {
    const g = fresh();
    const t = tctx(P);
    const pool = tmemNewPool(g, t, false, 0);
    tmemPut(g, P, t, pool, 1, 1, 1);
    tmemPut(g, P, t, pool, 0, 1, 2);
    tmemPut(g, P, t, pool, 1, 0, 3); // evicts (1, 1)
    expect(g.pools[pool]!.pages).toEqual([
      { key: 0, idx: 1, data: 2 },
      { key: 1, idx: 0, data: 3 },
    ]);
    expect(g.lru.length).toBe(2);
  });

  test('invalidate_page, invalidate_inode and invalidate_fs remove what they name', () => {
    const g = fresh();
    const t = tctx(P);
    const p4 = { ...P, capacity: 4 };
    const pool = tmemNewPool(g, t, false, 0);
    tmemPut(g, p4, t, pool, 0, 0, 1);
    tmemPut(g, p4, t, pool, 0, 1, 2);
    tmemPut(g, p4, t, pool, 1, 0, 3);
    tmemInvalidatePage(g, p4, pool, 0, 0);
    expect(poolContents(g, pool).map((x) => x.data)).toEqual([2, 3]);
    tmemInvalidateInode(g, p4, pool, 0);
    expect(poolContents(g, pool).map((x) => x.data)).toEqual([3]);
    tmemInvalidateFs(g, p4, t, pool);
    expect(g.pools[pool]!.kind).toBe(POOL_FREE);
    expect(g.lru).toEqual([]);
    // the id is reused, empty
    expect(tmemNewPool(g, t, false, 0)).toBe(pool);
    expect(tmemGet(g, p4, t, pool, 1, 0)).toBe(-1);
  });

  test("CC-6: a reused pool id still holds the surrendered pool's pages", () => {
    const g = fresh();
    const t = tctx(P, { variant: 'CC-6' });
    const pool = tmemNewPool(g, t, false, 0);
    tmemPut(g, P, t, pool, 0, 0, 7);
    tmemInvalidateFs(g, P, t, pool);
    expect(tmemNewPool(g, t, false, 0)).toBe(pool);
    expect(tmemGet(g, P, t, pool, 0, 0)).toBe(7);
  });

  test('remote tier: LRU victims are remotified; a miss flushes the remote copy (CC-2 leaves it to be repatriated)', () => {
    const R = { ...P, capacity: 1, remote: true };
    for (const variant of [null, 'CC-2']) {
      const g = fresh(R);
      const t = tctx(R, { variant });
      const pool = tmemNewPool(g, t, false, 0);
      tmemPut(g, R, t, pool, 0, 0, 1);
      tmemPut(g, R, t, pool, 0, 1, 2); // (0,0) goes remote
      expect(g.remote).toEqual([{ pool, key: 0, idx: 0, data: 1 }]);
      expect(tmemGet(g, R, t, pool, 0, 0)).toBe(-1);
      tmemRepatriate(g, R);
      expect(tmemGet(g, R, t, pool, 0, 0)).toBe(variant === null ? -1 : 1);
    }
  });
});

describe('frontend sb->cleancache_poolid (mm/cleancache.c @ v5.10)', () => {
  const U = { ...P, registered: false };

  test('mounts before registration get CLEANCACHE_NO_BACKEND[_SHARED]; registration resolves them per superblock', () => {
    const g = initState(U);
    const t = tctx(U);
    cleancacheInitFs(g, t, 0, 0);
    cleancacheInitFs(g, t, 1, 4);
    expect(g.sb_poolid).toEqual([CLEANCACHE_NO_BACKEND, CLEANCACHE_NO_BACKEND_SHARED, CLEANCACHE_NO_POOL]);
    expect(g.sb_uuid).toEqual([0, 4, 0]);
    g.cleancache_enabled = true; // the cmpxchg in cleancache_register_ops
    g.sb_mounted[0] = g.sb_mounted[1] = true;
    cleancacheRegisterOpsSb(g, t, 0);
    expect(g.sb_poolid).toEqual([0, CLEANCACHE_NO_BACKEND_SHARED, CLEANCACHE_NO_POOL]);
    cleancacheRegisterOpsSb(g, t, 1);
    expect(g.sb_poolid).toEqual([0, 1, CLEANCACHE_NO_POOL]);
    expect(g.pools.map((q) => q.kind)).toEqual([POOL_PRIVATE, POOL_SHARED]);
    cleancacheRegisterOpsSb(g, t, 1); // already initialised: nothing happens
    expect(g.pools[1]!.users).toBe(1);
  });

  test('a pool the backend refuses leaves CLEANCACHE_NO_POOL', () => {
    const one = { ...P, maxPools: 1 };
    const g = initState(one);
    const t = tctx(one);
    cleancacheInitFs(g, t, 0, 0);
    cleancacheInitFs(g, t, 1, 0);
    expect(g.sb_poolid.slice(0, 2)).toEqual([0, CLEANCACHE_NO_POOL]);
  });

  test('invalidate_fs sets sb->cleancache_poolid to CLEANCACHE_NO_POOL and frees the pool', () => {
    const g = initState(P);
    const t = tctx(P);
    cleancacheInitFs(g, t, 0, 0);
    expect(g.sb_poolid[0]).toBe(0);
    cleancacheInvalidateFs(g, P, t, 0);
    expect(g.sb_poolid[0]).toBe(CLEANCACHE_NO_POOL);
    expect(g.pools[0]!.kind).toBe(POOL_FREE);
  });

  test('the state schema round-trips', () => {
    const g = initState(P);
    const t = tctx(P);
    cleancacheInitFs(g, t, 0, 3);
    tmemPut(g, P, t, 0, 1, 1, 9);
    const w = new IntBuffer();
    stateSchema(P).encode(g, w);
    const back = stateSchema(P).decode(new ArrayReader(w.toArray()));
    expect(back).toEqual(g);
  });
});
