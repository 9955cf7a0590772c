/**
 * Swap device lifetime and swap entry freeing (mm/swapfile.c @ v5.10):
 * swapon (enable_swap_info -> frontswap_init), swapoff (try_to_unuse, then
 * frontswap_invalidate_area) and swap_entry_free (-> frontswap_invalidate_page).
 */
import { done, type OpDef } from '../../checker/types.js';
import { arg, frontswapInvalidatePage, slotOf, type G, type P } from './frontend.js';
import { slotIndex } from './state.js';
import { zswapInit, zswapInvalidateArea } from './zswap.js';

export const swapon: OpDef<G, P> = {
  doc: 'swapon(type): the device accepts pages; frontswap_init(type) readies the backend (mm/swapfile.c enable_swap_info() @ v5.10)',
  steps: [
    {
      name: 'frontswap_init',
      run(g, t) {
        const type = arg(t, 'type');
        const si = g.si[type]!;
        if (si.on) return done('ebusy');
        si.on = true;
        si.frontswap_map = [];
        si.frontswap_pages = 0;
        zswapInit(g, type);
        return done(null);
      },
    },
  ],
};

export const swapoff: OpDef<G, P> = {
  doc: 'swapoff(type): try_to_unuse() brings every page back (swap_free of each slot), then frontswap_invalidate_area(type)',
  steps: [
    {
      name: 'try_to_unuse',
      // every swap-cache page of the device must be unlocked to be brought in
      enabled: (g, t) => {
        const type = arg(t, 'type');
        for (let o = 0; o < t.params.slots; o++) if (g.slotLock[slotIndex(t.params, type, o)] !== 0) return false;
        return true;
      },
      run(g, t) {
        const type = arg(t, 'type');
        const si = g.si[type]!;
        if (!si.on) return done('off');
        for (let o = 0; o < t.params.slots; o++) {
          const s = slotIndex(t.params, type, o);
          if (g.swap_map[s] === 0) continue;
          frontswapInvalidatePage(g, type, o);
          g.swap_map[s] = 0;
          g.last[s] = 0;
        }
        // __frontswap_invalidate_area
        zswapInvalidateArea(g, type);
        si.frontswap_map = [];
        si.frontswap_pages = 0;
        si.on = false;
        return done(null);
      },
    },
  ],
};

export const swapFree: OpDef<G, P> = {
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
