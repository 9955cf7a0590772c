/**
 * Frontswap spec (xstate v5), after Documentation/vm/frontswap.rst @ v5.10: a
 * swap device shadowed by a persistent transcendent-memory store. The promise:
 * swapped-out data comes back unchanged until the entry is freed or swapoff
 * completes, whichever backend kept it and whether or not it was written back.
 *
 * Per slot (type, offset) the spec keeps the data last swapped out (a version
 * number) and where it lives:
 *   free  -- no data (slot unused);
 *   fs    -- in frontswap: a store succeeded; "the backend guarantees the
 *            persistence of the data" and a load does not remove it, so
 *            swap-in hits frontswap until invalidated or written back;
 *   disk  -- the store failed, or no backend is registered yet (then the
 *            store is not even attempted nor counted); the kernel wrote the
 *            page to the swap device. A failed duplicate store leaves no older
 *            copy behind ("stale data may never be obtained from frontswap");
 *   wb    -- the backend wrote its copy back to the device (zswap writeback,
 *            frontswap_shrink); the frontswap_map bit stays set.
 * Swap-in returns the data last swapped out, whatever the location.
 * In writethrough mode (frontswap_writethrough()) every store also goes to
 * the device and the backend may drop a page at any time (internal step
 * `drop`: fs -> wb), so persistence only holds in the default mode.
 * register: a backend registers (frontswap_register_ops); from then on a
 * swap-out may go to frontswap. swapoff drops every page of the type
 * (frontswap_invalidate_area). Counters: succ_stores, failed_stores, loads,
 * invalidates (debugfs).
 */
import { assign, setup } from 'xstate';

export interface FrontswapSpecInput {
  readonly types: number;
  readonly slots: number;
  readonly swapon: boolean;
  readonly writethrough: boolean;
  /** a backend is registered in the initial state */
  readonly enabled: boolean;
}

export type SlotState = 'free' | 'fs' | 'disk' | 'wb';

export interface FrontswapView {
  /** frontswap_writethrough(): stores also go to the device; the backend may drop entries */
  readonly writethrough: boolean;
  /** some backend is registered (frontswap_register_ops): before that every swap-out goes to the device, uncounted */
  readonly enabled: boolean;
  readonly on: readonly boolean[];
  /** per (type, offset), flat */
  readonly st: readonly SlotState[];
  readonly data: readonly number[];
  readonly succ_stores: number;
  readonly failed_stores: number;
  readonly loads: number;
  readonly invalidates: number;
}

interface Ctx extends FrontswapView {
  readonly slots: number;
  ret?: number | string | null;
}
type Ev = { type: string; [k: string]: unknown };

const num = (x: unknown) => (typeof x === 'number' ? x : 0);
const reject = { ret: undefined };

/** swapout: where the page went is the choice ('fs', 'disk', or 'nofs' with no backend). */
function swapout(c: Ctx, e: Ev, ty: number, s: number, okOnly: boolean): Partial<Ctx> {
  if (!c.on[ty]) return okOnly ? { ret: 'off' } : reject;
  const st = c.st.slice();
  const data = c.data.slice();
  data[s] = num(e.v);
  if (e.choice === 'nofs') {
    if (c.enabled) return reject;
    st[s] = 'disk';
    return { st, data, ret: 'disk' };
  }
  if (!c.enabled) return reject;
  if (e.choice === 'disk') {
    st[s] = 'disk';
    return { st, data, failed_stores: c.failed_stores + 1, ret: 'disk' };
  }
  st[s] = 'fs';
  // in writethrough mode the store "fails" to the caller so the device is written too
  return { st, data, succ_stores: c.succ_stores + 1, ret: c.writethrough ? 'disk' : 'frontswap' };
}

/**
 * swapout_thp: a THP of two subpages (versions v, v+1) to slots s, s+1: whole
 * to the device ('thp'), or split and each subpage stored on its own ('fd' =
 * subpage 0 in frontswap, subpage 1 on the device, ...).
 */
function swapoutThp(c: Ctx, e: Ev, ty: number, s: number): Partial<Ctx> {
  const whole = e.choice === 'thp' || e.choice === 'thp-nofs';
  if (!c.on[ty]) return whole ? { ret: 'off' } : reject;
  const choice = String(e.choice);
  if (c.enabled === choice.endsWith('nofs')) return reject;
  const st = c.st.slice();
  const data = c.data.slice();
  data[s] = num(e.v);
  data[s + 1] = num(e.v) + 1;
  if (!c.enabled || e.choice === 'thp') {
    st[s] = st[s + 1] = 'disk';
    return { st, data, failed_stores: c.failed_stores + (c.enabled ? 1 : 0), ret: whole ? 'disk' : 'split' };
  }
  let succ = 0;
  for (let i = 0; i < 2; i++) {
    st[s + i] = choice[i] === 'f' ? 'fs' : 'disk';
    if (choice[i] === 'f') succ++;
  }
  return { st, data, succ_stores: c.succ_stores + succ, failed_stores: c.failed_stores + 2 - succ, ret: 'split' };
}

function apply(c: Ctx, e: Ev): Partial<Ctx> {
  const ty = num(e.dev);
  const s = ty * c.slots + num(e.off);
  const okOnly = e.choice === undefined || e.choice === 'fs' || e.choice === 'nofs';
  switch (e.type) {
    case 'register':
      return { enabled: true, ret: null };
    case 'swapon': {
      if (c.on[ty]) return { ret: 'ebusy' };
      const on = c.on.slice();
      on[ty] = true;
      return { on, ret: null };
    }
    case 'swapoff': {
      if (!c.on[ty]) return { ret: 'off' };
      const on = c.on.slice();
      on[ty] = false;
      const st = c.st.slice();
      const data = c.data.slice();
      let inv = 0;
      for (let o = 0; o < c.slots; o++) {
        const i = ty * c.slots + o;
        if (st[i] === 'fs' || st[i] === 'wb') inv++;
        st[i] = 'free';
        data[i] = 0;
      }
      return { on, st, data, invalidates: c.invalidates + inv, ret: null };
    }
    case 'swapout':
      return swapout(c, e, ty, s, okOnly);
    case 'swapout_thp':
      return swapoutThp(c, e, ty, s);
    case 'swapin': {
      if (!c.on[ty]) return { ret: 'off' };
      if (c.st[s] === 'free') return { ret: 'free' };
      return { ...(c.st[s] === 'fs' ? { loads: c.loads + 1 } : {}), ret: c.data[s]! };
    }
    case 'swap_free': {
      if (!c.on[ty]) return { ret: 'off' };
      if (c.st[s] === 'free') return { ret: null };
      const st = c.st.slice();
      const data = c.data.slice();
      const counted = st[s] === 'fs' || st[s] === 'wb';
      st[s] = 'free';
      data[s] = 0;
      return { st, data, ...(counted ? { invalidates: c.invalidates + 1 } : {}), ret: null };
    }
    case 'drop': {
      // internal, writethrough mode only: the backend reclaims a page whose data is also on the device
      const i = num(e.slot);
      if (!c.writethrough || c.st[i] !== 'fs') return reject;
      const st = c.st.slice();
      st[i] = 'wb';
      return { st, ret: null };
    }
    case 'writeback': {
      // choice: the slot whose frontswap copy is written back, or -1 for none
      const i = num(e.choice);
      if (e.choice === undefined || i === -1) return { ret: null };
      if (c.st[i] !== 'fs') return reject;
      const st = c.st.slice();
      st[i] = 'wb';
      return { st, ret: null };
    }
  }
  return reject;
}

/** The scenario's `type` argument is renamed `dev` in events (`type` is the event name). */
export function frontswapEvent(op: string, args: Readonly<Record<string, unknown>>, choice: unknown): Ev {
  const { type, ...rest } = args as Record<string, unknown>;
  return {
    ...rest,
    ...(type !== undefined ? { dev: type } : {}),
    ...(choice !== undefined ? { choice } : {}),
    type: op,
  };
}

export const frontswapMachine = setup({
  types: {} as { context: Ctx; events: Ev; input: FrontswapSpecInput },
  actions: { apply: assign(({ context, event }) => apply(context, event)) },
}).createMachine({
  id: 'frontswap',
  context: ({ input }) => {
    const n = input.types * input.slots;
    return {
      slots: input.slots,
      writethrough: input.writethrough,
      enabled: input.enabled,
      on: Array.from({ length: input.types }, () => input.swapon),
      st: Array.from({ length: n }, (): SlotState => 'free'),
      data: Array.from({ length: n }, () => 0),
      succ_stores: 0,
      failed_stores: 0,
      loads: 0,
      invalidates: 0,
      ret: undefined,
    };
  },
  on: Object.fromEntries(
    ['register', 'swapon', 'swapoff', 'swapout', 'swapout_thp', 'swapin', 'swap_free', 'writeback', 'drop'].map(
      (op) => [op, { actions: 'apply' }],
    ),
  ),
});

/** Outcomes: where a swap-out goes; which frontswap copy writeback moves to the device (-1: none). */
export function frontswapChoices(
  op: string,
  _args: unknown,
  view: FrontswapView,
): readonly (string | number)[] | undefined {
  if (op === 'swapout') return view.enabled ? ['fs', 'disk'] : ['nofs'];
  if (op === 'swapout_thp') return view.enabled ? ['thp', 'ff', 'fd', 'df', 'dd'] : ['thp-nofs', 'split-nofs'];
  if (op === 'writeback') return [-1, ...view.st.flatMap((st, i) => (st === 'fs' ? [i] : []))];
  return undefined;
}

export function frontswapView(snapshot: { context: Ctx }): FrontswapView {
  const c = snapshot.context;
  return {
    writethrough: c.writethrough,
    enabled: c.enabled,
    on: c.on,
    st: c.st,
    data: c.data,
    succ_stores: c.succ_stores,
    failed_stores: c.failed_stores,
    loads: c.loads,
    invalidates: c.invalidates,
  };
}

/** Internal steps: in writethrough mode the backend may drop any frontswap-resident page. */
export function frontswapInternal(view: FrontswapView): { type: string; [k: string]: unknown }[] {
  if (!view.writethrough) return [];
  return view.st.flatMap((st, slot) => (st === 'fs' ? [{ type: 'drop', slot }] : []));
}
