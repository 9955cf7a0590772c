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
 *
 * Files: view.ts (input and views), context.ts (the state), backend-contract.ts
 * and system-contract.ts (one reducer per layer); this file dispatches events,
 * and gives the choices and the internal steps.
 */
import { assign, setup } from 'xstate';
import { applyApi, API_OPS } from './backend-contract.js';
import { initial, reject, type Ctx, type Ev } from './context.js';
import { applyFs, FS_OPS } from './system-contract.js';
import { SB_NO_BACKEND, type CleancacheSpecInput, type CleancacheView } from './view.js';

export {
  INITIAL_FILE_DATA,
  SB_NO_BACKEND,
  SB_NO_POOL,
  SB_UNMOUNTED,
  type CleancacheApiView,
  type CleancacheFsView,
  type CleancacheSpecInput,
  type CleancacheView,
} from './view.js';

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

const OPS = ['register', ...API_OPS, ...FS_OPS];

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
    case 'gup_write':
      return ['ok', 'nopage'];
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
