/**
 * Cleancache implementation state: the mm/cleancache.c frontend @ v5.10
 * (sb->cleancache_poolid, CLEANCACHE_NO_BACKEND[_SHARED] for filesystems
 * mounted before a backend registers), a tmem-like backend
 * (per-pool object trees, bounded capacity, LRU eviction, optional RAMster-like
 * remote tier) and, for the system layer, a small cleancache-enabled
 * filesystem: disk blocks, page cache, inodes and directory entries.
 *
 * Two layers share the frontend and the backend:
 *   - 'api' mode: threads call the frontend API directly (cleancache_init_fs,
 *     cleancache_put_page, ...) on superblocks 0..nsb-1; this checks the
 *     backend contract (Documentation/vm/cleancache.rst @ v5.10, "Implementation
 *     Overview");
 *   - 'fs' mode: threads do file I/O (read, write, writeback, eviction,
 *     O_DIRECT, truncate, unlink, mount) on one filesystem whose superblock is
 *     index nsb; this checks the system property "every read returns the
 *     latest written data" (Documentation/vm/cleancache.rst @ v5.10,
 *     "Implementation Overview": "The kernel is responsible for ensuring
 *     coherency between cleancache (shared or not), the page cache, and the
 *     filesystem").
 */
import { S, type Infer } from '../../checker/schema.js';
import type { ThreadPermutation } from '../../checker/types.js';

export interface CleancacheParams {
  /** Which layer the scenario drives. */
  readonly mode: 'api' | 'fs';
  /** API-layer superblocks (api mode). */
  readonly nsb: number;
  /** File keys per API superblock (api mode). */
  readonly keys: number;
  /** Page indices per file (both modes). */
  readonly pages: number;
  /** Backend pool slots (tmem pools). */
  readonly maxPools: number;
  /** Backend capacity in pages; beyond it the LRU page is evicted. */
  readonly capacity: number;
  /** Backend registered (cleancache_register_ops) in the initial state. */
  readonly registered: boolean;
  /** RAMster-like remote tier: LRU victims are remotified instead of dropped. */
  readonly remote: boolean;
  /** fs mode: file names (directory entries); files 0..files-1 exist initially. */
  readonly files: number;
  /** fs mode: inode slots (>= files). */
  readonly inodes: number;
  /** fs mode: 0 = cleancache_init_fs (private pool), >0 = init_shared_fs(uuid). */
  readonly fsUuid: number;
  /** fs mode: filesystem mounted in the initial state. */
  readonly mounted: boolean;
}

// include/linux/cleancache.h @ v5.10: sb->cleancache_poolid values besides a pool id
export const CLEANCACHE_NO_POOL = -1;
export const CLEANCACHE_NO_BACKEND = -2;
export const CLEANCACHE_NO_BACKEND_SHARED = -3;

/** Backend pool kinds. */
export const POOL_FREE = 0;
export const POOL_PRIVATE = 1;
export const POOL_SHARED = 2;

/** Initial contents of every page of the files that exist at start. */
export const INITIAL_DATA = 1;

const page = S.struct({ key: S.int(), idx: S.int(), data: S.int() });
const remotePage = S.struct({ pool: S.int(), key: S.int(), idx: S.int(), data: S.int() });
const pool = S.struct({
  /** POOL_FREE / POOL_PRIVATE / POOL_SHARED */
  kind: S.int(),
  /** shared pools: the 128-bit UUID, modelled as a small integer */
  uuid: S.int(),
  /** shared pools: sharers (init_shared_fs calls not yet matched by invalidate_fs) */
  users: S.int(),
  /** the pool's object tree, flattened: pages sorted by (key, index) */
  pages: S.list(page),
});
const pcPage = S.struct({
  present: S.bool(),
  data: S.int(),
  uptodate: S.bool(),
  /** PageMappedToDisk: false for a page readpage zero-filled as a hole past EOF */
  mapped: S.bool(),
  dirty: S.bool(),
  /** PageWriteback */
  wb: S.bool(),
  /** page lock: owner tid + 1, 0 when unlocked */
  lock: S.int(),
  /**
   * extra page references: readers between add_to_page_cache_lru and
   * page_ok, and get_user_pages pins (gup.ts); any of them
   * makes reclaim's refcount freeze fail); kept by the slot across a
   * truncation, which only over-approximates the pin
   */
  readers: S.int(),
});
const inode = S.struct({
  used: S.bool(),
  /** i_rwsem (exclusive): owner tid + 1 */
  rwsem: S.int(),
  /** ghost: an O_DIRECT write is in flight (tid + 1); used only by a precondition */
  dio: S.int(),
  /** references held by readers (an open file pins the inode: evict waits for iput) */
  refs: S.int(),
  /** inode->i_size in pages (i_size_write under i_rwsem; read locklessly by readers) */
  isize: S.int(),
  /**
   * mapping->invalidate_lock (730633f0b7f9, applied to the v5.10 model): -1
   * held exclusive by a hole punch, n > 0 held shared by n readers filling the
   * page cache, 0 free
   */
  invl: S.int(),
});

/** Backend handle codes: pool x file key (or inode) x page index. */
export const handles = (p: CleancacheParams) => p.maxPools * Math.max(p.keys, p.inodes) * p.pages;

/**
 * The state schema: per-superblock, per-pool, per-inode and per-page tables
 * are fixed arrays sized by the scenario parameters; the backend's trees, LRU
 * and remote tier are lists.
 */
export const stateSchema = (p: CleancacheParams) => {
  const nsbAll = p.nsb + 1;
  return S.struct({
    // ---- frontend: mm/cleancache.c ----
    /** cleancache_ops != NULL (set by the cmpxchg in cleancache_register_ops) */
    cleancache_enabled: S.bool(),
    /** sb->cleancache_poolid per superblock (0..nsb-1 API layer, nsb the filesystem) */
    sb_poolid: S.array(S.int(), nsbAll),
    /** sb->s_uuid, the key of a shared pool (0: a local filesystem) */
    sb_uuid: S.array(S.int(), nsbAll),
    sb_mounted: S.array(S.bool(), nsbAll),
    succ_gets: S.int(),
    failed_gets: S.int(),
    puts: S.int(),
    invalidates: S.int(),
    // ---- backend: tmem ----
    pools: S.array(pool, p.maxPools),
    /** LRU of resident pages, most recent first, as handle codes (see code()) */
    lru: S.list(S.int()),
    /** RAMster-like remote tier, oldest last */
    remote: S.list(remotePage),
    /** ghost: handles returned by a hit on a private pool and not put since (exclusive-get invariant) */
    exclHits: S.intSet(),
    /** ghost: handles whose last get missed and that were not put since (get-get invariant) */
    missed: S.intSet(),
    /** ghost: data of the last put per backend handle code, 0 after the pool is destroyed (invariant only) */
    lastPut: S.array(S.int(), handles(p)),
    // ---- API layer: page locks and precondition ghosts ----
    pageLock: S.array(S.int(), Math.max(1, p.nsb * p.keys * p.pages)),
    /** ghost: API handles with a put/invalidate in flight (CC-8 precondition) */
    ccBusy: S.intSet(),
    /** ghost: API data-path calls in flight per superblock (invalidate_fs precondition) */
    sbIo: S.array(S.int(), Math.max(1, p.nsb)),
    // ---- fs layer ----
    mounted: S.bool(),
    /** s_active-like count of file operations in flight (umount returns EBUSY) */
    users: S.int(),
    dent: S.array(S.int(), Math.max(1, p.files)),
    inodes: S.array(inode, Math.max(1, p.inodes)),
    disk: S.array(S.int(), Math.max(1, p.inodes * p.pages)),
    pc: S.array(pcPage, Math.max(1, p.inodes * p.pages)),
  });
};

export type CleancacheState = Infer<ReturnType<typeof stateSchema>>;
export type Page = Infer<typeof page>;
export type RemotePage = Infer<typeof remotePage>;

/** Backend handle code (pool, key, index) used by the LRU list and ghosts. */
export function code(p: CleancacheParams, pool: number, key: number, idx: number): number {
  const K = Math.max(p.keys, p.inodes);
  return (pool * K + key) * p.pages + idx;
}
export function decode(p: CleancacheParams, c: number): { pool: number; key: number; idx: number } {
  const K = Math.max(p.keys, p.inodes);
  const idx = c % p.pages;
  const r = (c - idx) / p.pages;
  const key = r % K;
  return { pool: (r - key) / K, key, idx };
}

/** API-layer page handle index (sb, key, idx). */
export function apiHandle(p: CleancacheParams, sb: number, key: number, idx: number): number {
  return (sb * p.keys + key) * p.pages + idx;
}

export function initState(p: CleancacheParams): CleancacheState {
  const nsbAll = p.nsb + 1;
  const fill = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
  const fsSb = p.nsb;
  const g: CleancacheState = {
    cleancache_enabled: p.registered,
    sb_poolid: fill(nsbAll, () => CLEANCACHE_NO_POOL),
    sb_uuid: fill(nsbAll, () => 0),
    sb_mounted: fill(nsbAll, () => false),
    succ_gets: 0,
    failed_gets: 0,
    puts: 0,
    invalidates: 0,
    pools: fill(p.maxPools, () => ({ kind: POOL_FREE, uuid: 0, users: 0, pages: [] })),
    lru: [],
    remote: [],
    exclHits: [],
    missed: [],
    lastPut: fill(handles(p), () => 0),
    pageLock: fill(Math.max(1, p.nsb * p.keys * p.pages), () => 0),
    ccBusy: [],
    sbIo: fill(Math.max(1, p.nsb), () => 0),
    mounted: false,
    users: 0,
    dent: fill(Math.max(1, p.files), (f) => (p.mode === 'fs' && f < p.files ? f : -1)),
    inodes: fill(Math.max(1, p.inodes), (i) => ({
      used: p.mode === 'fs' && i < p.files,
      rwsem: 0,
      dio: 0,
      refs: 0,
      isize: p.mode === 'fs' && i < p.files ? p.pages : 0,
      invl: 0,
    })),
    disk: fill(Math.max(1, p.inodes * p.pages), (i) =>
      p.mode === 'fs' && Math.floor(i / p.pages) < p.files ? INITIAL_DATA : 0,
    ),
    pc: fill(Math.max(1, p.inodes * p.pages), () => ({
      present: false,
      data: 0,
      uptodate: false,
      mapped: false,
      dirty: false,
      wb: false,
      lock: 0,
      readers: 0,
    })),
  };
  if (p.mode === 'fs' && p.mounted) {
    g.mounted = true;
    g.sb_mounted[fsSb] = true;
  }
  return g;
}

/**
 * Symmetry reduction (ImplDef.permuteThreads): the fields holding a thread id, all `tid + 1`: the page
 * locks (pc[].lock, and pageLock of the API layer), i_rwsem (inodes[].rwsem) and the O_DIRECT ghost
 * (inodes[].dio). invalidate_lock (inodes[].invl) is -1 or a reader count, users and sbIo counts.
 */
export function permuteThreads(g: CleancacheState, p: ThreadPermutation): void {
  for (const pg of g.pc) pg.lock = p.owner(pg.lock);
  for (let i = 0; i < g.pageLock.length; i++) g.pageLock[i] = p.owner(g.pageLock[i]!);
  for (const ino of g.inodes) {
    ino.rwsem = p.owner(ino.rwsem);
    ino.dio = p.owner(ino.dio);
  }
}
