/**
 * cleancache: the mapping between the spec (spec/cleancache) and the
 * kernel-faithful implementation (impl/cleancache): abstraction, invariants,
 * scenarios, variants, CLI shaping and the `run --script` observer.
 */
import { cleancacheOps } from './op-schemas.js';
import { knobsCustomize } from '../../checker/reshape.js';
import { knobs } from './knobs.js';
import { invariant, type OpChoice, type Scenario, type ScenarioOptions, type Subsystem, type Variant } from '../../checker/types.js';
import {
  cleancacheChoices,
  cleancacheInternal,
  cleancacheMachine,
  cleancacheView,
  SB_NO_BACKEND,
  SB_NO_POOL,
  SB_UNMOUNTED,
  type CleancacheView,
} from '../../spec/cleancache/machine.js';
import { getPoolidFromFake } from '../../impl/cleancache/frontend.js';
import { cleancacheImpl } from '../../impl/cleancache/ops.js';
import {
  code,
  decode,
  FAKE_FS_POOLID_OFFSET,
  FAKE_SHARED_FS_POOLID_OFFSET,
  POOL_FREE,
  POOL_PRIVATE,
  POOL_SHARED,
  type CleancacheParams,
  type CleancacheState,
} from '../../impl/cleancache/state.js';
import { poolContents } from '../../impl/cleancache/tmem.js';

type G = CleancacheState;
type P = CleancacheParams;

// ---------------------------------------------------------------------------
// Abstraction
// ---------------------------------------------------------------------------

/** The real backend pool of superblock sb, or a negative number. */
function realPool(g: Readonly<G>, sb: number): number {
  const fake = g.sb_poolid[sb]!;
  return fake < 0 ? -1 : getPoolidFromFake(g, fake);
}

export function abstraction(g: Readonly<G>, p: P): CleancacheView {
  if (p.mode === 'fs') {
    const files = g.dent.slice(0, p.files).map((ino) => {
      if (ino < 0) return null;
      const out: number[] = [];
      for (let i = 0; i < p.pages; i++) {
        const pg = g.pc[ino * p.pages + i]!;
        out.push(pg.present && pg.uptodate ? pg.data : g.disk[ino * p.pages + i]!);
      }
      return out;
    });
    return { mode: 'fs', registered: g.cleancache_enabled, mounted: g.mounted, files };
  }
  const real: number[] = [];
  const sbs: number[] = [];
  const uuid: number[] = [];
  for (let s = 0; s < p.nsb; s++) {
    const r = g.sb_mounted[s] ? realPool(g, s) : -1;
    real.push(r);
    const fake = g.sb_poolid[s]!;
    uuid.push(g.sb_mounted[s] && fake >= FAKE_SHARED_FS_POOLID_OFFSET ? g.uuids[fake - FAKE_SHARED_FS_POOLID_OFFSET]! : 0);
    if (!g.sb_mounted[s]) sbs.push(SB_UNMOUNTED);
    else if (r >= 0) sbs.push(real.indexOf(r)); // pools named by their lowest superblock
    else sbs.push(g.cleancache_enabled ? SB_NO_POOL : SB_NO_BACKEND);
  }
  const data = new Array<number>(p.nsb * p.keys * p.pages).fill(0);
  for (let s = 0; s < p.nsb; s++) {
    if (real[s]! < 0) continue;
    for (const pg of poolContents(g, real[s]!))
      if (pg.key < p.keys && pg.idx < p.pages) data[(s * p.keys + pg.key) * p.pages + pg.idx] = pg.data;
  }
  return {
    mode: 'api',
    registered: g.cleancache_enabled,
    sbs,
    uuid,
    data,
    succ_gets: g.succ_gets,
    failed_gets: g.failed_gets,
    puts: g.puts,
    invalidates: g.invalidates,
  };
}

// ---------------------------------------------------------------------------
// Invariants
// ---------------------------------------------------------------------------

const invariants = [
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

// ---------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------

const base: P = {
  mode: 'api',
  nsb: 2,
  keys: 1,
  pages: 1,
  maxPools: 2,
  capacity: 1,
  registered: true,
  remote: false,
  files: 1,
  inodes: 1,
  fsUuid: 0,
  mounted: true,
};

const op = (o: string, args: Record<string, number> = {}): OpChoice[] => [{ op: o, args }];
const put = (sb: number, v: number, extra: Record<string, number> = {}) => op('put', { sb, key: 0, idx: 0, v, ...extra });
const getp = (sb: number, idx = 0) => op('get', { sb, key: 0, idx });

const scenarios: Scenario<P>[] = [
  {
    name: 'api-register',
    description: 'mounts before the backend registers (fake pool ids) race registration; two puts and two gets of one handle; a shared mount puts and unmounts',
    params: { ...base, registered: false },
    threads: [
      [op('mount', { sb: 0, uuid: 0 }), put(0, 1), getp(0)],
      [op('register'), put(0, 2), getp(0)],
      [op('mount', { sb: 1, uuid: 5 }), put(1, 3), op('umount', { sb: 1 })],
    ],
  },
  {
    name: 'api-pools',
    description: 'one pool slot: a superblock puts and unmounts (invalidate_fs) while another mounts (init_fs fails or reuses the id), gets and puts',
    params: { ...base, maxPools: 1 },
    threads: [
      [op('mount', { sb: 0, uuid: 0 }), put(0, 1), op('umount', { sb: 0 })],
      [op('mount', { sb: 1, uuid: 0 }), getp(1), put(1, 2)],
    ],
  },
  {
    name: 'api-shared',
    description: 'three superblocks mount with the same UUID (init_shared_fs): puts, non-exclusive gets, invalidate and unmount',
    params: { ...base, nsb: 3, maxPools: 2 },
    threads: [
      [op('mount', { sb: 0, uuid: 7 }), put(0, 1), op('umount', { sb: 0 })],
      [op('mount', { sb: 1, uuid: 7 }), getp(1), getp(1)],
      [op('mount', { sb: 2, uuid: 7 }), op('inval_page', { sb: 2, key: 0, idx: 0 })],
    ],
  },
  {
    name: 'api-remote',
    description: 'RAMster-like remote tier: a put evicts a page to the remote tier, a get misses it, the repatriation worker runs, the handle is got again',
    params: { ...base, nsb: 1, pages: 2, maxPools: 1, remote: true },
    threads: [
      [op('mount', { sb: 0, uuid: 0 }), put(0, 1), op('put', { sb: 0, key: 0, idx: 1, v: 2 }), getp(0), getp(0)],
      [op('repatriate'), getp(0, 1)],
    ],
  },
  {
    name: 'api-unserialized',
    description: 'CC-8: put and invalidate_page of one handle without the page lock; the checker must report the broken precondition, not a bug',
    params: { ...base, nsb: 1, maxPools: 1 },
    threads: [
      [op('mount', { sb: 0, uuid: 0 }), put(0, 1, { locked: 0 }), getp(0)],
      [op('inval_page', { sb: 0, key: 0, idx: 0, locked: 0 }), put(0, 2, { locked: 0 })],
    ],
  },
  {
    name: 'fs-readwrite',
    description: 'buffered read, write and writeback of one page race reclaim (cleancache put), re-reads, truncate and backend registration',
    params: { ...base, mode: 'fs', nsb: 0, registered: false },
    threads: [
      [op('read', { f: 0, idx: 0 }), op('write', { f: 0, idx: 0, v: 2 }), op('writeback', { f: 0, idx: 0 })],
      [op('register'), op('evict', { f: 0, idx: 0 }), op('read', { f: 0, idx: 0 })],
      [op('evict', { f: 0, idx: 0 }), op('read', { f: 0, idx: 0 }), op('truncate', { f: 0 })],
    ],
  },
  {
    name: 'fs-odirect',
    description: 'read, evict (cleancache put), O_DIRECT write and re-read of one page, racing reclaim, writeback and a buffered write',
    params: { ...base, mode: 'fs', nsb: 0 },
    threads: [
      [op('read', { f: 0, idx: 0 }), op('evict', { f: 0, idx: 0 }), op('dio_write', { f: 0, idx: 0, v: 2 }), op('read', { f: 0, idx: 0 })],
      [op('evict', { f: 0, idx: 0 }), op('write', { f: 0, idx: 0, v: 3 }), op('writeback', { f: 0, idx: 0 }), op('evict', { f: 0, idx: 0 })],
    ],
  },
  {
    name: 'fs-unlink',
    description: 'a page reaches cleancache, the file is unlinked and a new file reuses the inode number and reads the page; racing reclaim, truncate and a reader holding the old inode open',
    params: { ...base, mode: 'fs', nsb: 0, inodes: 2 },
    threads: [
      [op('read', { f: 0, idx: 0 }), op('unlink', { f: 0 }), op('create', { f: 0 }), op('read', { f: 0, idx: 0 })],
      [op('evict', { f: 0, idx: 0 }), op('truncate', { f: 0 }), op('read', { f: 0, idx: 0 })],
      [op('read', { f: 0, idx: 0 }), op('evict', { f: 0, idx: 0 })],
    ],
  },
  {
    name: 'fs-remount',
    description: 'shared-pool filesystem (init_shared_fs) mounted before the backend: read, evict, unmount and mount again racing a writer and (twice) backend registration',
    params: { ...base, mode: 'fs', nsb: 0, fsUuid: 3, registered: false },
    threads: [
      [op('read', { f: 0, idx: 0 }), op('evict', { f: 0, idx: 0 }), op('fs_umount'), op('fs_mount'), op('read', { f: 0, idx: 0 })],
      [op('write', { f: 0, idx: 0, v: 2 }), op('writeback', { f: 0, idx: 0 }), op('evict', { f: 0, idx: 0 })],
      [op('register'), op('register')],
    ],
  },
  {
    name: 'api-stress',
    description: 'four threads on one handle around registration: mounts, puts, exclusive gets, invalidate_page and a shared mount',
    params: { ...base, registered: false },
    threads: [
      [op('mount', { sb: 0, uuid: 0 }), put(0, 1), getp(0)],
      [op('register'), put(0, 2), getp(0)],
      [op('mount', { sb: 1, uuid: 5 }), put(1, 3), op('umount', { sb: 1 })],
      [getp(0), op('inval_page', { sb: 0, key: 0, idx: 0 }), put(0, 4)],
    ],
  },
  {
    name: 'fs-stress',
    description: 'four threads on one page: reads, writes, writeback, reclaim, truncate and backend registration',
    params: { ...base, mode: 'fs', nsb: 0, registered: false },
    threads: [
      [op('read', { f: 0, idx: 0 }), op('write', { f: 0, idx: 0, v: 2 }), op('writeback', { f: 0, idx: 0 })],
      [op('register'), op('evict', { f: 0, idx: 0 }), op('read', { f: 0, idx: 0 })],
      [op('evict', { f: 0, idx: 0 }), op('read', { f: 0, idx: 0 }), op('truncate', { f: 0 })],
      [op('write', { f: 0, idx: 0, v: 3 }), op('evict', { f: 0, idx: 0 }), op('read', { f: 0, idx: 0 })],
    ],
  },
  {
    name: 'fs-twopages',
    description: 'two pages of one file and a backend of one page: reads, reclaim (LRU eviction in the backend), a write and a truncate',
    params: { ...base, mode: 'fs', nsb: 0, pages: 2 },
    threads: [
      [op('read', { f: 0, idx: 0 }), op('evict', { f: 0, idx: 0 }), op('read', { f: 0, idx: 0 })],
      [op('read', { f: 0, idx: 1 }), op('evict', { f: 0, idx: 1 }), op('write', { f: 0, idx: 0, v: 2 })],
      [op('evict', { f: 0, idx: 0 }), op('read', { f: 0, idx: 1 }), op('truncate', { f: 0 })],
    ],
  },
];

const variants: Variant[] = [
  {
    name: 'CC-1',
    description: 'a put the backend rejects leaves the older copy of the handle in place (put-put-get)',
    source: 'seeds-digest 4.2 CC-1; cleancache.rst L609-612',
    scenarios: ['api-register'],
  },
  {
    name: 'CC-2',
    description: 'a get that misses leaves a remotified copy that the repatriation worker brings back (get-get)',
    source: 'seeds-digest 4.2 CC-2; cleancache.rst L612-614, frontswap.rst L1112-1115',
    scenarios: ['api-remote'],
  },
  {
    name: 'CC-3',
    description: 'a hit on a private pool does not remove the page (not exclusive)',
    source: 'seeds-digest 4.2 CC-3; cleancache.rst L602-603, L743',
    scenarios: ['api-register'],
  },
  {
    name: 'CC-5',
    description: 'init_shared_fs with a UUID already in use creates a new pool instead of returning the same id',
    source: 'seeds-digest 4.2 CC-5; cleancache.rst L594-597',
    scenarios: ['api-shared'],
  },
  {
    name: 'CC-6',
    description: 'invalidate_fs surrenders the pool id without flushing its pages; a later init_fs reuses the id',
    source: 'seeds-digest 4.2 CC-6; cleancache.rst L587-589',
    scenarios: ['api-pools'],
  },
  {
    name: 'CC-7',
    description: 'unlink frees the inode without the cleancache invalidate hooks; the inode number is reused',
    source: 'seeds-digest 4.2 CC-7; cleancache.rst L771-776, L788-801',
    scenarios: ['fs-unlink'],
  },
  {
    name: 'F4',
    description: 'O_DIRECT write invalidates (and so calls cleancache_invalidate_inode) only if mapping->nrpages != 0',
    source: 'known-bugs F4 (55635ba76ef9 "fs: fix data invalidation in the cleancache during direct IO")',
    scenarios: ['fs-odirect'],
  },
];

// ---------------------------------------------------------------------------
// Params, shaping, observer
// ---------------------------------------------------------------------------

const KEYS = ['mode', 'nsb', 'keys', 'pages', 'maxPools', 'capacity', 'registered', 'remote', 'files', 'inodes', 'fsUuid', 'mounted'] as const;

export function parseParams(raw: unknown): P {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('expected an object of cleancache parameters');
  const r = raw as Record<string, unknown>;
  for (const k of Object.keys(r))
    if (!(KEYS as readonly string[]).includes(k)) throw new Error(`unknown parameter '${k}' (known: ${KEYS.join(', ')})`);
  const mode = r.mode ?? base.mode;
  if (mode !== 'api' && mode !== 'fs') throw new Error(`mode: expected "api" or "fs", got ${JSON.stringify(mode)}`);
  const int = (k: (typeof KEYS)[number], lo: number, hi: number, dflt: number): number => {
    const v = r[k] ?? dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw new Error(`${k}: expected an integer in [${lo}, ${hi}], got ${JSON.stringify(v)}`);
    return v;
  };
  const bool = (k: (typeof KEYS)[number], dflt: boolean): boolean => {
    const v = r[k] ?? dflt;
    if (typeof v !== 'boolean') throw new Error(`${k}: expected true or false, got ${JSON.stringify(v)}`);
    return v;
  };
  const p: P = {
    mode,
    nsb: int('nsb', 0, 4, mode === 'fs' ? 0 : base.nsb),
    keys: int('keys', 1, 4, base.keys),
    pages: int('pages', 1, 4, base.pages),
    maxPools: int('maxPools', 1, 4, base.maxPools),
    capacity: int('capacity', 1, 8, base.capacity),
    registered: bool('registered', base.registered),
    remote: bool('remote', base.remote),
    files: int('files', 0, 4, base.files),
    inodes: int('inodes', 1, 4, base.inodes),
    fsUuid: int('fsUuid', 0, 99, base.fsUuid),
    mounted: bool('mounted', base.mounted),
  };
  if (p.mode === 'api' && p.nsb < 1) throw new Error('nsb: api mode needs at least one superblock');
  if (p.inodes < p.files) throw new Error(`inodes: need at least one inode per file (${p.files})`);
  const handles = p.maxPools * Math.max(p.keys, p.inodes) * p.pages;
  if (handles > 31) throw new Error(`maxPools * max(keys, inodes) * pages = ${handles}: at most 31 backend handles`);
  if (p.nsb * p.keys * p.pages > 31) throw new Error(`nsb * keys * pages = ${p.nsb * p.keys * p.pages}: at most 31 API handles`);
  return p;
}

/**
 * --threads N: repeat the scenario's threads round-robin up to N threads;
 * --ops N: keep the first N slots of each thread; --pool N: backend capacity
 * in pages; --file-size N: pages per file.
 */
/** The knobs (knobs.ts) in the older `customize(base, {threads: 3})` form. */
export const customize = (base: Scenario<P>, opts: ScenarioOptions): Scenario<P> => knobsCustomize(knobs)(base, opts);

export const cleancache: Subsystem<G, CleancacheView, P> = {
  name: 'cleancache',
  title: 'Cleancache coherency (frontend pool-id tables, tmem backend, VFS hooks)',
  description:
    'Backend contract (pools, put/get/invalidate, exclusive and shared gets, put-put-get and get-get coherency, counters) and the system property that every read returns the latest written data through page cache, cleancache and disk.',
  impl: cleancacheImpl,
  opSchemas: cleancacheOps,
  spec: {
    machine: cleancacheMachine,
    input: (p: P) => ({ mode: p.mode, nsb: p.nsb, keys: p.keys, pages: p.pages, files: p.files, registered: p.registered, mounted: p.mounted }),
    choices: cleancacheChoices,
    internal: cleancacheInternal,
    view: cleancacheView as (s: { value: unknown; context: any }) => CleancacheView,
  },
  abstraction,
  invariants,
  scenarios,
  variants,
  knobs,
  customize,
  parseParams,
  observer: {
    impl: (g) => ({
      succ_gets: g.succ_gets,
      failed_gets: g.failed_gets,
      puts: g.puts,
      invalidates: g.invalidates,
      enabled: g.cleancache_enabled,
      held: g.pools.reduce((a, q) => a + q.pages.length, 0) + g.remote.length,
    }),
    spec: (v) =>
      v.mode === 'api'
        ? { succ_gets: v.succ_gets, failed_gets: v.failed_gets, puts: v.puts, invalidates: v.invalidates }
        : { mounted: v.mounted, files: JSON.stringify(v.files) },
  },
};
