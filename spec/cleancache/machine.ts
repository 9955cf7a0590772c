/**
 * Cleancache spec (xstate v5): what a filesystem may rely on, in two layers.
 *
 * Backend contract (Documentation/vm/cleancache.rst @ v5.10, "Implementation Overview"), driven by the 'api'
 * operations on superblocks 0..nsb-1:
 *   - register: a backend claims the ops; filesystems mounted before it get
 *     their pools now (the init may fail per superblock: negative id);
 *   - mount(sb, uuid): init_fs gives a private pool; init_shared_fs(uuid) gives
 *     the same pool as every other mounted superblock with that UUID;
 *   - put(sb, key, idx, v) always "succeeds" but the page may be dropped
 *     at any time (internal step `drop`), so a later get may miss;
 *   - get: hit(v) or "miss"; a hit on a private pool removes the page
 *     (exclusive), on a shared pool it does not; since a
 *     get only ever returns what the store holds and the store only changes by
 *     put, invalidate and drop, put-put-get and get-get coherency
 *     hold by construction;
 *   - inval_page, inval_inode, umount = invalidate_fs, which
 *     surrenders the pool;
 *   - the debugfs counters succ_gets, failed_gets, puts, invalidates.
 * The state is kept up to renaming of pool ids: a superblock's pool is named by
 * the lowest superblock index sharing it.
 *
 * System contract (why cleancache exists: Documentation/vm/cleancache.rst @ v5.10, "Motivation"), driven by the
 * 'fs' operations on one filesystem: files are arrays of small version numbers;
 * every read returns the latest data written (buffered or O_DIRECT), zeros after
 * truncate or for a new file, whatever page-cache eviction, writeback and
 * cleancache did meanwhile. Cleancache itself is invisible at this layer.
 */
import { assign, setup } from 'xstate';

export interface CleancacheSpecInput {
  readonly mode: 'api' | 'fs';
  readonly nsb: number;
  readonly keys: number;
  readonly pages: number;
  readonly files: number;
  readonly registered: boolean;
  readonly mounted: boolean;
}

/** Superblock states in `sbs` besides a pool name (>= 0). */
export const SB_UNMOUNTED = -2;
export const SB_NO_BACKEND = -1;
export const SB_NO_POOL = -3;

export const INITIAL_FILE_DATA = 1;

export interface CleancacheApiView {
  readonly mode: 'api';
  readonly registered: boolean;
  readonly sbs: readonly number[];
  readonly uuid: readonly number[];
  /** version stored for (sb, key, idx) in sb's pool, 0 when absent; flat [sb][key][idx] */
  readonly data: readonly number[];
  readonly succ_gets: number;
  readonly failed_gets: number;
  readonly puts: number;
  readonly invalidates: number;
}
export interface CleancacheFsView {
  readonly mode: 'fs';
  readonly registered: boolean;
  readonly mounted: boolean;
  /** per file name: page versions, or null when the name does not exist */
  readonly files: readonly (readonly number[] | null)[];
}
export type CleancacheView = CleancacheApiView | CleancacheFsView;

interface Ctx {
  cfg: CleancacheSpecInput;
  registered: boolean;
  sbs: number[];
  uuid: number[];
  data: number[];
  succ_gets: number;
  failed_gets: number;
  puts: number;
  invalidates: number;
  mounted: boolean;
  files: (number[] | null)[];
  ret?: number | string | null;
}

type Ev = { type: string; [k: string]: unknown };

const num = (x: unknown) => (typeof x === 'number' ? x : x === true ? 1 : 0);

function initial(input: CleancacheSpecInput): Ctx {
  return {
    cfg: input,
    registered: input.registered,
    sbs: Array.from({ length: input.nsb }, () => SB_UNMOUNTED),
    uuid: Array.from({ length: input.nsb }, () => 0),
    data: Array.from({ length: input.nsb * input.keys * input.pages }, () => 0),
    succ_gets: 0,
    failed_gets: 0,
    puts: 0,
    invalidates: 0,
    mounted: input.mode === 'fs' && input.mounted,
    files: Array.from({ length: input.files }, () => Array.from({ length: input.pages }, () => INITIAL_FILE_DATA)),
    ret: undefined,
  };
}

const at = (c: Ctx, sb: number, key: number, idx: number) => (sb * c.cfg.keys + key) * c.cfg.pages + idx;

/** Superblocks sharing sb's pool (sb included). */
function group(c: Ctx, sb: number): number[] {
  const rep = c.sbs[sb]!;
  if (rep < 0) return [sb];
  return c.sbs.flatMap((r, j) => (r === rep ? [j] : []));
}

/** Rename every pool to the lowest superblock index that uses it. */
function normalize(sbs: number[]): number[] {
  const rename = new Map<number, number>();
  sbs.forEach((r, j) => {
    if (r >= 0 && !rename.has(r)) rename.set(r, j);
  });
  return sbs.map((r) => (r >= 0 ? rename.get(r)! : r));
}

/** A fresh pool for sb, or the pool of a mounted superblock with the same UUID. */
function attach(c: Ctx, sbs: number[], data: number[], sb: number, uuid: number): void {
  const peer = uuid > 0 ? sbs.findIndex((r, j) => j !== sb && r >= 0 && c.uuid[j] === uuid) : -1;
  sbs[sb] = peer >= 0 ? sbs[peer]! : 1000 + sb; // a fresh name, normalized below
  const per = c.cfg.keys * c.cfg.pages;
  for (let i = 0; i < per; i++) data[sb * per + i] = peer >= 0 ? data[peer * per + i]! : 0;
}

/** Set (v > 0) or remove (v = 0) a page in every superblock of sb's pool. */
function store(c: Ctx, sb: number, key: number, idx: number, v: number): number[] {
  const data = c.data.slice();
  for (const j of group(c, sb)) data[at(c, j, key, idx)] = v;
  return data;
}

const reject = { ret: undefined };

const API_OPS = new Set(['attach', 'mount', 'umount', 'put', 'get', 'inval_page', 'inval_inode', 'repatriate', 'drop']);
const FS_OPS = new Set([
  'read',
  'write',
  'dio_write',
  'truncate',
  'unlink',
  'writeback',
  'evict',
  'create',
  'fs_mount',
  'fs_umount',
]);

/**
 * internal: after registration, a superblock mounted before it gets its pool
 * (ok = 1) or is refused one (ok = 0), one superblock at a time
 */
function attachPending(c: Ctx, e: Ev): Partial<Ctx> {
  const sb = num(e.sb);
  if (!c.registered || c.sbs[sb] !== SB_NO_BACKEND) return reject;
  const sbs = c.sbs.slice();
  const data = c.data.slice();
  if (num(e.ok)) attach(c, sbs, data, sb, c.uuid[sb]!);
  else sbs[sb] = SB_NO_POOL;
  return { sbs: normalize(sbs), data, ret: null };
}

/** The backend contract: the 'api' operations on superblocks 0..nsb-1. */
function applyApi(c: Ctx, e: Ev, okOnly: boolean): Partial<Ctx> {
  switch (e.type) {
    case 'attach':
      return attachPending(c, e);
    case 'mount': {
      const sb = num(e.sb);
      const uuid = num(e.uuid);
      if (c.sbs[sb] !== SB_UNMOUNTED) return okOnly ? { ret: 'ebusy' } : reject;
      const sbs = c.sbs.slice();
      const uuids = c.uuid.slice();
      uuids[sb] = uuid;
      if (!c.registered) {
        if (!okOnly) return reject;
        sbs[sb] = SB_NO_BACKEND;
        return { sbs, uuid: uuids, ret: null };
      }
      if (!okOnly) {
        sbs[sb] = SB_NO_POOL;
        return { sbs, uuid: uuids, ret: null };
      }
      const data = c.data.slice();
      attach({ ...c, uuid: uuids }, sbs, data, sb, uuid);
      return { sbs: normalize(sbs), uuid: uuids, data, ret: null };
    }
    case 'umount': {
      const sb = num(e.sb);
      if (c.sbs[sb] === SB_UNMOUNTED) return { ret: null };
      const sbs = c.sbs.slice();
      sbs[sb] = SB_UNMOUNTED;
      const uuids = c.uuid.slice();
      uuids[sb] = 0;
      const data = c.data.slice();
      const per = c.cfg.keys * c.cfg.pages;
      for (let i = 0; i < per; i++) data[sb * per + i] = 0;
      return { sbs: normalize(sbs), uuid: uuids, data, ret: null };
    }
    case 'put': {
      const sb = num(e.sb);
      if (!c.registered) return { puts: c.puts + 1, ret: null }; // "puts attempted", even with no backend
      if (c.sbs[sb]! < 0) return { ret: null };
      return { data: store(c, sb, num(e.key), num(e.idx), num(e.v)), puts: c.puts + 1, ret: null };
    }
    case 'get': {
      const sb = num(e.sb);
      const st = c.sbs[sb]!;
      if (!c.registered) return { failed_gets: c.failed_gets + 1, ret: 'miss' };
      if (st < 0) return { ret: 'miss' }; // no pool: the hook returns before counting
      const v = c.data[at(c, sb, num(e.key), num(e.idx))]!;
      if (v === 0) return { failed_gets: c.failed_gets + 1, ret: 'miss' };
      const exclusive = c.uuid[sb] === 0;
      return {
        succ_gets: c.succ_gets + 1,
        ...(exclusive ? { data: store(c, sb, num(e.key), num(e.idx), 0) } : {}),
        ret: v,
      };
    }
    case 'inval_page': {
      const sb = num(e.sb);
      if (c.sbs[sb]! < 0) return { ret: null };
      return { data: store(c, sb, num(e.key), num(e.idx), 0), invalidates: c.invalidates + 1, ret: null };
    }
    case 'inval_inode': {
      const sb = num(e.sb);
      if (c.sbs[sb]! < 0) return { ret: null };
      let data = c.data;
      for (let i = 0; i < c.cfg.pages; i++) data = store({ ...c, data }, sb, num(e.key), i, 0);
      return { data, ret: null };
    }
    case 'repatriate':
      return { ret: null };
    case 'drop': {
      // internal: the backend discards a page (L571-576); `off` = key * pages + idx
      const off = num(e.off);
      return { data: store(c, num(e.sb), Math.floor(off / c.cfg.pages), off % c.cfg.pages, 0), ret: null };
    }
  }
  return reject;
}

/** The system contract: file operations on one filesystem. */
function applyFs(c: Ctx, e: Ev, okOnly: boolean): Partial<Ctx> {
  switch (e.type) {
    case 'read':
    case 'write':
    case 'dio_write':
    case 'truncate':
    case 'unlink': {
      if (!c.mounted) return { ret: 'unmounted' };
      const f = num(e.f);
      const file = c.files[f];
      if (!file) return { ret: 'enoent' };
      const files = c.files.slice();
      if (e.type === 'read') return { ret: file[num(e.idx)]! };
      if (e.type === 'write' || e.type === 'dio_write') {
        const nf = file.slice();
        nf[num(e.idx)] = num(e.v);
        files[f] = nf;
      } else if (e.type === 'truncate') files[f] = file.map(() => 0);
      else files[f] = null;
      return { files, ret: null };
    }
    case 'writeback':
    case 'evict':
      return { ret: null }; // invisible: the data does not change
    case 'create': {
      if (!c.mounted) return okOnly ? { ret: 'unmounted' } : reject;
      const f = num(e.f);
      if (c.files[f]) return okOnly ? { ret: 'eexist' } : reject;
      if (!okOnly) return { ret: 'enospc' };
      const files = c.files.slice();
      files[f] = Array.from({ length: c.cfg.pages }, () => 0);
      return { files, ret: null };
    }
    case 'fs_mount':
      if (c.mounted) return { ret: 'ebusy' };
      return { mounted: true, ret: null };
    case 'fs_umount':
      if (!c.mounted) return okOnly ? { ret: 'unmounted' } : reject;
      if (!okOnly) return { ret: 'ebusy' }; // file operations in flight
      return { mounted: false, ret: null };
  }
  return reject;
}

function apply(c: Ctx, e: Ev): Partial<Ctx> {
  // each layer's view hides the other layer's state, so its operations are not enabled
  if ((c.cfg.mode === 'fs' && API_OPS.has(e.type)) || (c.cfg.mode === 'api' && FS_OPS.has(e.type))) return reject;
  const okOnly = e.choice === undefined || e.choice === 'ok';
  if (e.type === 'register') {
    // cmpxchg(&cleancache_ops, NULL, ops): a second backend is refused
    return c.registered ? { ret: 'ebusy' } : { registered: true, ret: null };
  }
  return API_OPS.has(e.type) ? applyApi(c, e, okOnly) : applyFs(c, e, okOnly);
}

const OPS = [
  'register',
  'attach',
  'mount',
  'umount',
  'put',
  'get',
  'inval_page',
  'inval_inode',
  'repatriate',
  'drop',
  'read',
  'write',
  'dio_write',
  'truncate',
  'unlink',
  'writeback',
  'evict',
  'create',
  'fs_mount',
  'fs_umount',
] as const;

export const cleancacheMachine = setup({
  types: {} as { context: Ctx; events: Ev; input: CleancacheSpecInput },
  actions: {
    apply: assign(({ context, event }) => apply(context, event)),
  },
}).createMachine({
  id: 'cleancache',
  context: ({ input }) => initial(input),
  on: Object.fromEntries(OPS.map((op) => [op, { actions: 'apply' }])),
});

/** Outcomes of the nondeterministic operations, given the current view. */
export function cleancacheChoices(
  op: string,
  _args: unknown,
  _view: CleancacheView,
): readonly (string | number)[] | undefined {
  switch (op) {
    case 'mount':
      return ['ok', 'fail'];
    case 'create':
      return ['ok', 'enospc'];
    case 'fs_umount':
      return ['ok', 'ebusy'];
  }
  return undefined;
}

/** The comparable part of a spec state. */
export function cleancacheView(snapshot: { context: Ctx }): CleancacheView {
  const c = snapshot.context;
  if (c.cfg.mode === 'api')
    return {
      mode: 'api',
      registered: c.registered,
      sbs: c.sbs,
      uuid: c.uuid,
      data: c.data,
      succ_gets: c.succ_gets,
      failed_gets: c.failed_gets,
      puts: c.puts,
      invalidates: c.invalidates,
    };
  return { mode: 'fs', registered: c.registered, mounted: c.mounted, files: c.files };
}

/**
 * Internal steps: the backend may drop any stored page at any time, and once
 * a backend is registered each superblock mounted before it is attached.
 */
export function cleancacheInternal(view: CleancacheView): { type: string; [k: string]: unknown }[] {
  if (view.mode !== 'api' || view.sbs.length === 0) return [];
  const per = view.data.length / view.sbs.length;
  const out: { type: string; [k: string]: unknown }[] = [];
  if (view.registered)
    view.sbs.forEach((st, sb) => {
      if (st === SB_NO_BACKEND) out.push({ type: 'attach', sb, ok: 1 }, { type: 'attach', sb, ok: 0 });
    });
  view.sbs.forEach((rep, sb) => {
    if (rep !== sb) return; // one drop per pool: through its lowest superblock
    for (let off = 0; off < per; off++) if (view.data[sb * per + off]! > 0) out.push({ type: 'drop', sb, off });
  });
  return out;
}
