/**
 * Swap device lifetime and swap entry freeing (mm/swapfile.c @ v5.10):
 * swapon (enable_swap_info: frontswap_init, then _enable_swap_info puts the
 * device on swap_active_head under swap_lock), swapoff (del_from_avail_list
 * and SWP_WRITEOK cleared under swap_lock, try_to_unuse one slot at a time,
 * SWP_VALID cleared and synchronize_rcu(), then frontswap_invalidate_area
 * under swapon_mutex) and swap_entry_free
 * (-> frontswap_invalidate_page).
 */
import { done } from '../../checker/types.js';
import {
  arg,
  frontswapInit,
  frontswapInvalidateArea,
  frontswapInvalidatePage,
  slotOf,
  type G,
  type Op,
  type T,
} from './frontend.js';
import { slotIndex } from './state.js';
import { assertHeld } from '../lockdep.js';

export const swapon: Op = {
  doc: 'swapon(type): enable_swap_info() -> frontswap_init(type) inits the device in every registered backend, then the device joins swap_active_head',
  steps: [
    {
      name: 'frontswap_init',
      enabled: (g) => g.swapon_mutex === 0,
      run(g, t) {
        const type = arg(t, 'type');
        const si = g.si[type]!;
        if (si.used) return done('ebusy');
        g.swapon_mutex = t.tid + 1; // sys_swapon: mutex_lock(&swapon_mutex) around enable_swap_info
        si.used = true;
        frontswapInit(g, t.params, type);
        return '_enable_swap_info';
      },
    },
    {
      name: '_enable_swap_info',
      run(g, t) {
        const si = g.si[arg(t, 'type')]!;
        si.on = true; // SWP_WRITEOK, on swap_active_head (swap_lock)
        si.valid = true; // SWP_VALID, set with SWP_WRITEOK
        assertHeld(g.swapon_mutex, t.tid, 'swapon_mutex');
        g.swapon_mutex = 0;
        return done(null);
      },
    },
  ],
};

/**
 * After try_to_unuse(): "p->flags &= ~SWP_VALID" under swap_lock, so no new
 * get_swap_device() succeeds; synchronize_rcu() then waits for the references
 * taken before (the enabled condition of frontswap_invalidate_area).
 */
function clearSwpValid(g: G, type: number): 'frontswap_invalidate_area' {
  g.si[type]!.valid = false;
  return 'frontswap_invalidate_area';
}

/** The first in-use slot of `type` at offset >= from, or -1. */
function nextInUse(g: Readonly<G>, t: T, type: number, from: number): number {
  for (let o = from; o < t.params.slots; o++) if (g.swap_map[slotIndex(t.params, type, o)] !== 0) return o;
  return -1;
}

export const swapoff: Op = {
  doc: 'swapoff(type): the device leaves swap_active_head, try_to_unuse() brings each in-use slot back and frees it, then frontswap_invalidate_area(type)',
  locals: ['off'],
  steps: [
    {
      name: 'del_from_avail_list',
      run(g, t) {
        const type = arg(t, 'type');
        const si = g.si[type]!;
        if (!si.on) return done('off');
        si.on = false; // SWP_WRITEOK cleared under swap_lock: no new swap-out or swap-in of the type
        const off = nextInUse(g, t, type, 0);
        t.l.off = off;
        return off < 0 ? clearSwpValid(g, type) : 'try_to_unuse';
      },
    },
    {
      name: 'try_to_unuse',
      // unuse_pte_range() locks the slot's swap-cache page
      enabled: (g, t) => g.slotLock[slotIndex(t.params, arg(t, 'type'), t.l.off!)] === 0,
      run(g, t) {
        const type = arg(t, 'type');
        const off = t.l.off!;
        const s = slotIndex(t.params, type, off);
        if (g.swap_map[s] !== 0) {
          // the page is back in memory; the last swap_free -> swap_entry_free
          frontswapInvalidatePage(g, type, off);
          g.swap_map[s] = 0;
          g.last[s] = 0;
        }
        const next = nextInUse(g, t, type, off + 1);
        t.l.off = next;
        return next < 0 ? clearSwpValid(g, type) : 'try_to_unuse';
      },
    },
    {
      name: 'frontswap_invalidate_area',
      // synchronize_rcu() waits for get_swap_device() holders; then under
      // swapon_mutex (taken and dropped within the step)
      enabled: (g, t) => g.swapon_mutex === 0 && g.si[arg(t, 'type')]!.users === 0,
      run(g, t) {
        const type = arg(t, 'type');
        frontswapInvalidateArea(g, t.params, type);
        g.si[type]!.used = false;
        return done(null);
      },
    },
  ],
};

export const swapFree: Op = {
  doc: 'the last reference to (type, off) goes: swap_entry_free -> frontswap_invalidate_page',
  steps: [
    {
      name: 'swap_entry_free',
      enabled: (g, t) => g.slotLock[slotOf(t)] === 0,
      run(g, t) {
        const type = arg(t, 'type');
        if (!g.si[type]!.on) return done('off');
        if (g.swap_map[slotOf(t)] === 0) return done(null);
        frontswapInvalidatePage(g, type, arg(t, 'off'));
        g.swap_map[slotOf(t)] = 0;
        g.last[slotOf(t)] = 0;
        return done(null);
      },
    },
  ],
};
