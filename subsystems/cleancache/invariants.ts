/**
 * cleancache invariants: properties of every reachable implementation state,
 * each with the kernel source it comes from.
 */
import { invariant } from '../../checker/types.js';
import { getPoolidFromFake } from '../../impl/cleancache/frontend.js';
import {
  code,
  decode,
  FAKE_FS_POOLID_OFFSET,
  POOL_FREE,
  POOL_PRIVATE,
  POOL_SHARED,
  type CleancacheParams,
  type CleancacheState,
} from '../../impl/cleancache/state.js';
import { poolContents } from '../../impl/cleancache/tmem.js';
import { realPool } from './abstraction.js';

type G = CleancacheState;
type P = CleancacheParams;

export const invariants = [
  invariant<G, P>({
    name: 'cc-no-stale-data',
    doc: 'No cleancache handle maps to data older than the last put or write of that page: every page held has its handle\'s last put data, and on the filesystem a page absent from the page cache is held only with its on-disk contents, never for a freed inode.',
    source: 'cleancache.rst L605-607, L609-612, L692-695, L771-776; kernel-semantics.md 3.1 (coherency obligation); known-bugs F4',
    when: 'always',
    check(g, p) {
      let held = false;
      for (let pool = 0; pool < g.pools.length; pool++) {
        if (g.pools[pool]!.kind === POOL_FREE) continue;
        for (const pg of poolContents(g, pool)) {
          held = true;
          const last = g.lastPut[code(p, pool, pg.key, pg.idx)]!;
          if (pg.data !== last) return `pool ${pool} holds version ${pg.data} of (key ${pg.key}, index ${pg.idx}); the last put was ${last}`;
        }
      }
      const pool = p.mode === 'fs' ? realPool(g, p.nsb) : -1;
      if (pool >= 0 && g.pools[pool]!.kind !== POOL_FREE) {
        for (const pg of poolContents(g, pool)) {
          if (pg.key >= p.inodes || !g.inodes[pg.key]!.used)
            return `cleancache holds page ${pg.idx} of freed inode ${pg.key} (version ${pg.data})`;
          const pc = g.pc[pg.key * p.pages + pg.idx]!;
          if (pc.present) continue; // the page cache copy is the one reads see
          const disk = g.disk[pg.key * p.pages + pg.idx]!;
          if (pg.data !== disk) return `cleancache holds version ${pg.data} of inode ${pg.key} page ${pg.idx}, the disk has ${disk}`;
        }
      }
      return held ? true : null;
    },
  }),
  invariant<G, P>({
    name: 'exclusive-get',
    doc: 'A private (exclusive) pool never holds a page after a get hit on it, until the next put of that handle.',
    source: 'cleancache.rst L602-603, L743',
    when: 'always',
    check(g, p) {
      if (g.exclHits.length === 0) return null;
      for (const c of g.exclHits) {
        const { pool, key, idx } = decode(p, c);
        const q = g.pools[pool];
        if (q && q.kind === POOL_PRIVATE && q.pages.some((pg) => pg.key === key && pg.idx === idx))
          return `private pool ${pool} still holds (key ${key}, index ${idx}) after a get hit`;
      }
      return true;
    },
  }),
  invariant<G, P>({
    name: 'get-get-coherency',
    doc: 'After a get of a handle misses, the backend holds no copy of it anywhere (resident or remote) until the next put of that handle.',
    source: 'cleancache.rst L612-614; seeds-digest 1A.4 item 4 (no resurrection from an asynchronous tier)',
    when: 'always',
    check(g, p) {
      if (g.missed.length === 0) return null;
      for (const c of g.missed) {
        const { pool, key, idx } = decode(p, c);
        if (g.pools[pool]?.kind === POOL_FREE) continue;
        if (poolContents(g, pool).some((pg) => pg.key === key && pg.idx === idx))
          return `pool ${pool} holds (key ${key}, index ${idx}) after a get of it missed, with no put since`;
      }
      return true;
    },
  }),
  invariant<G, P>({
    name: 'counters-match-store',
    doc: 'The debugfs counters agree with the store: every page held came from a counted put, and on a filesystem with a private pool every hit consumed a put of its own.',
    source: 'cleancache.rst L628-638 (puts "all succeed", succ_gets), L602-603',
    when: 'always',
    check(g, p) {
      let held = g.remote.length;
      for (const q of g.pools) held += q.pages.length;
      if (held === 0 && g.succ_gets === 0) return null;
      if (held > g.puts) return `${held} pages held but only ${g.puts} puts counted`;
      if (p.mode === 'fs' && p.fsUuid === 0 && g.succ_gets + held > g.puts)
        return `succ_gets ${g.succ_gets} + ${held} pages held exceed puts ${g.puts} on an exclusive pool`;
      return true;
    },
  }),
  invariant<G, P>({
    name: 'pool-tables-consistent',
    doc: 'Every real pool id in fs_poolid_map / shared_fs_poolid_map names a live backend pool of the right kind (and UUID), one UUID has at most one shared pool, a surrendered pool id holds no pages, and every mounted superblock holds a fake id whose slot is in use.',
    source: 'mm/cleancache.c v3.14 (fake pool ids, cleancache_register_ops); cleancache.rst L587-589, L594-597; kernel-semantics.md 3.1',
    when: 'always',
    check(g) {
      let used = false;
      for (let i = 0; i < g.fs_poolid_map.length; i++) {
        const r = g.fs_poolid_map[i]!;
        if (r >= 0) {
          used = true;
          if (g.pools[r]?.kind !== POOL_PRIVATE) return `fs_poolid_map[${i}] = ${r} is not a live private pool`;
        }
        const s = g.shared_fs_poolid_map[i]!;
        if (s >= 0) {
          used = true;
          const q = g.pools[s];
          if (q?.kind !== POOL_SHARED || q.uuid !== g.uuids[i])
            return `shared_fs_poolid_map[${i}] = ${s} is not a live shared pool with uuid ${g.uuids[i]}`;
        }
      }
      for (let i = 0; i < g.pools.length; i++) {
        const q = g.pools[i]!;
        if (q.kind === POOL_FREE && q.pages.length > 0) return `surrendered pool id ${i} still holds ${q.pages.length} page(s)`;
        if (q.kind === POOL_SHARED && g.pools.some((r, j) => j > i && r.kind === POOL_SHARED && r.uuid === q.uuid))
          return `two live shared pools have UUID ${q.uuid}`;
      }
      for (let sb = 0; sb < g.sb_mounted.length; sb++) {
        if (!g.sb_mounted[sb]) continue;
        const fake = g.sb_poolid[sb]!;
        used = true;
        if (fake < FAKE_FS_POOLID_OFFSET) return `mounted superblock ${sb} has no fake pool id (${fake})`;
        if (getPoolidFromFake(g, fake) === -2) return `superblock ${sb}'s fake id ${fake} names a free slot`;
      }
      return used ? true : null;
    },
  }),
];

