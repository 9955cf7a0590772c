/**
 * cleancache invariants: properties of every reachable implementation state,
 * each with the kernel source it comes from.
 */
import { invariant } from '../../checker/types.js';
import {
  code,
  decode,
  CLEANCACHE_NO_POOL,
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
    why: "The VFS invalidates a page's handle (cleancache_invalidate_page/inode under the page lock or i_rwsem) before the page cache copy can change, and a put replaces the backend copy, so no older copy outlives a write.",
    doc: "No cleancache handle maps to data older than the last put or write of that page: every page held has its handle's last put data, and on the filesystem a page absent from the page cache is held only with its on-disk contents (past EOF only while a truncation holds i_rwsem), never for a freed inode.",
    source:
      'Documentation/vm/cleancache.rst @ v5.10, "Implementation Overview" (put-put-get coherency; "The kernel is responsible for ensuring coherency between cleancache (shared or not), the page cache, and the filesystem"); mm/truncate.c truncate_inode_pages_range() @ v5.10',
    when: 'always',
    check(g, p) {
      let held = false;
      for (let pool = 0; pool < g.pools.length; pool++) {
        if (g.pools[pool]!.kind === POOL_FREE) continue;
        for (const pg of poolContents(g, pool)) {
          held = true;
          const last = g.lastPut[code(p, pool, pg.key, pg.idx)]!;
          if (pg.data !== last)
            return `pool ${pool} holds version ${pg.data} of (key ${pg.key}, index ${pg.idx}); the last put was ${last}`;
        }
      }
      const pool = p.mode === 'fs' ? realPool(g, p.nsb) : -1;
      if (pool >= 0 && g.pools[pool]!.kind !== POOL_FREE) {
        for (const pg of poolContents(g, pool)) {
          if (pg.key >= p.inodes || !g.inodes[pg.key]!.used)
            return `cleancache holds page ${pg.idx} of freed inode ${pg.key} (version ${pg.data})`;
          const pc = g.pc[pg.key * p.pages + pg.idx]!;
          if (pc.present) continue; // the page cache copy is the one reads see
          // a truncation in flight (under i_rwsem) puts the pages past the new
          // EOF into cleancache and invalidates the inode only at its out: label
          const inode = g.inodes[pg.key]!;
          if (pg.idx >= inode.isize && inode.rwsem !== 0) continue;
          const disk = g.disk[pg.key * p.pages + pg.idx]!;
          if (pg.data !== disk)
            return `cleancache holds version ${pg.data} of inode ${pg.key} page ${pg.idx}, the disk has ${disk}`;
        }
      }
      return held ? true : null;
    },
  }),
  invariant<G, P>({
    name: 'exclusive-get',
    why: "A private pool is exclusive: the backend's get_page removes the page it returns, since the page cache now holds the only copy and a later put will refresh it.",
    doc: 'A private (exclusive) pool never holds a page after a get hit on it, until the next put of that handle.',
    source:
      'Documentation/vm/cleancache.rst @ v5.10, "Implementation Overview" ("If a get_page is successful on a non-shared pool, the page is invalidated") and FAQ "Why is non-shared cleancache exclusive?"',
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
    why: 'A get that misses means the backend dropped or never had the page; the frontend never re-fills a handle except by put, so nothing can reappear until then.',
    doc: 'After a get of a handle misses, the backend holds no copy of it anywhere (resident or remote) until the next put of that handle.',
    source:
      'Documentation/vm/cleancache.rst @ v5.10, "Implementation Overview" (get-get coherency: "if a get for a given handle fails, subsequent gets for that handle will never succeed unless preceded by a successful put")',
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
    why: 'cleancache_puts/succ_gets are incremented in the frontend on the same calls that change the backend store (__cleancache_put_page, __cleancache_get_page), so the counters follow the store.',
    doc: 'The debugfs counters agree with the store: every page held came from a counted put, and on a filesystem with a private pool every hit consumed a put of its own.',
    source:
      'Documentation/vm/cleancache.rst @ v5.10, "Cleancache Performance Metrics" (puts: "number of puts attempted (all succeed)", succ_gets); mm/cleancache.c __cleancache_put_page() @ v5.10',
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
    name: 'sb-pools-consistent',
    why: "Pool ids are assigned once per superblock under the frontend's registration (cleancache_register_ops iterating supers, init_fs/init_shared_fs by s_uuid) and surrendered only by invalidate_fs at umount.",
    doc: 'Every mounted superblock with a pool id names a live backend pool of its kind (private, or shared with its s_uuid); no two mounted local filesystems share a pool; one UUID has at most one live shared pool; a surrendered pool id holds no pages; an unmounted superblock holds CLEANCACHE_NO_POOL.',
    source:
      'mm/cleancache.c __cleancache_init_fs(), __cleancache_init_shared_fs(), __cleancache_invalidate_fs() @ v5.10; 53d85c985665 "cleancache: forbid overriding cleancache_ops" (two filesystems using the same id)',
    when: 'always',
    check(g) {
      let used = false;
      const privateOwner = new Map<number, number>();
      for (let sb = 0; sb < g.sb_mounted.length; sb++) {
        const poolId = g.sb_poolid[sb]!;
        if (!g.sb_mounted[sb]) {
          if (poolId !== CLEANCACHE_NO_POOL) return `unmounted superblock ${sb} still holds pool id ${poolId}`;
          continue;
        }
        used = true;
        if (poolId < 0) continue;
        const q = g.pools[poolId];
        const uuid = g.sb_uuid[sb]!;
        if (uuid === 0) {
          if (q?.kind !== POOL_PRIVATE)
            return `superblock ${sb} holds pool id ${poolId}, which is not a live private pool`;
          const other = privateOwner.get(poolId);
          if (other !== undefined) return `superblocks ${other} and ${sb} both use private pool ${poolId}`;
          privateOwner.set(poolId, sb);
        } else if (q?.kind !== POOL_SHARED || q.uuid !== uuid)
          return `superblock ${sb} (s_uuid ${uuid}) holds pool id ${poolId}, which is not a live shared pool of that UUID`;
      }
      for (let i = 0; i < g.pools.length; i++) {
        const q = g.pools[i]!;
        if (q.kind === POOL_FREE && q.pages.length > 0)
          return `surrendered pool id ${i} still holds ${q.pages.length} page(s)`;
        if (q.kind === POOL_SHARED && g.pools.some((r, j) => j > i && r.kind === POOL_SHARED && r.uuid === q.uuid))
          return `two live shared pools have UUID ${q.uuid}`;
      }
      return used ? true : null;
    },
  }),
];
