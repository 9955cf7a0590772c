/**
 * frontswap_register_ops(), split where it takes and drops its locks.
 *
 * v5.10 as released (variant register-swapoff-race): collect the devices on
 * swap_active_head (bitmap a) under swap_lock, ops->init for each outside it,
 * publish the ops (cmpxchg onto frontswap_ops, static_branch_inc), then
 * re-check swap_active_head (bitmap b): ops->init for devices that appeared,
 * ops->invalidate_area for devices that left. A device whose swapoff started
 * after the publish loses the pages the new backend took meanwhile: its
 * entries are dropped while try_to_unuse still has to load them.
 *
 * The model applies the fix posted for it ("mm/frontswap: fix
 * frontswap_register_ops() race with swapon and swapoff", Fixes: d1dc6f1bcf1e):
 * hold swapon_mutex from the collection to the publish, include devices
 * under swapoff in bitmap a, and drop the re-check, so swapon and the
 * frontswap_invalidate_area at the end of swapoff see the new ops or none.
 */
import { done } from '../../checker/types.js';
import { assertHeld } from '../lockdep.js';
import { arg, type G, type Op, type T } from './frontend.js';
import { zswapInit, zswapInvalidateArea } from './zswap.js';

export const REGISTER_ONCE_PRECONDITION =
  'a backend calls frontswap_register_ops once (mm/frontswap.c @ v5.10: "implementations can never deregister")';

const RACY = 'register-swapoff-race';

/** Bitmap of devices on swap_active_head, plus (fixed code) those under swapoff. */
function activeMask(g: Readonly<G>, underSwapoff: boolean): number {
  let mask = 0;
  g.si.forEach((si, type) => {
    if (si.on || (underSwapoff && si.used)) mask |= 1 << type;
  });
  return mask;
}

const backendOf = (t: T) => arg(t, 'be');

export const register: Op = {
  doc: 'frontswap_register_ops(backend be): init every active swap device in the new backend and publish it on frontswap_ops',
  locals: ['a'],
  steps: [
    {
      name: 'frontswap_register_ops',
      enabled: (g, t) => t.bug(RACY) || g.swapon_mutex === 0,
      run(g, t) {
        t.assume(!g.frontswap_ops.includes(backendOf(t)), REGISTER_ONCE_PRECONDITION);
        if (!t.bug(RACY)) g.swapon_mutex = t.tid + 1;
        t.l.a = activeMask(g, !t.bug(RACY)); // bitmap a, under swap_lock
        return 'ops_init';
      },
    },
    {
      name: 'ops_init',
      run(g, t) {
        for (let type = 0; type < t.params.types; type++)
          if (t.l.a! & (1 << type)) zswapInit(g, t.params, backendOf(t), type);
        return 'frontswap_ops_publish';
      },
    },
    {
      name: 'frontswap_ops_publish',
      run(g, t) {
        g.frontswap_ops = [backendOf(t), ...g.frontswap_ops]; // cmpxchg onto the list head; static_branch_inc
        if (t.bug(RACY)) return 'swap_active_recheck';
        assertHeld(g.swapon_mutex, t.tid, 'swapon_mutex');
        g.swapon_mutex = 0;
        return done(null);
      },
    },
    {
      name: 'swap_active_recheck',
      run(g, t) {
        const b = activeMask(g, false); // bitmap b, under swap_lock
        for (let type = 0; type < t.params.types; type++) {
          const inA = (t.l.a! & (1 << type)) !== 0;
          const inB = (b & (1 << type)) !== 0;
          if (!inA && inB) zswapInit(g, t.params, backendOf(t), type);
          else if (inA && !inB) zswapInvalidateArea(g, t.params, backendOf(t), type);
        }
        return done(null);
      },
    },
  ],
};
