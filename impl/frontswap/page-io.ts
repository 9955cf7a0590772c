/**
 * Swap-out of one page (mm/page_io.c @ v5.10): swap_writepage() tries
 * frontswap_store() before __swap_writepage() to the device, under the lock
 * of the slot's swap-cache page; frontswap_store does nothing until a backend
 * raised frontswap_enabled_key. Swap-in is in do-swap-page.ts.
 */
import { done } from '../../checker/types.js';
import { assertHeld } from '../lockdep.js';
import { arg, frontswapEnabled, frontswapStore, slotOf, type G, type Op, type T } from './frontend.js';

/** unlock_page() of the slot's swap-cache page. */
function unlockSlotPage(g: G, t: T): void {
  assertHeld(g.slotLock[slotOf(t)], t.tid, 'PG_locked (swap cache)');
  g.slotLock[slotOf(t)] = 0;
}

export const swapout: Op = {
  doc: 'swap out version v to (type, off): swap_writepage -> frontswap_store, else __swap_writepage to the device; returns where the page went',
  steps: [
    {
      name: 'swap_writepage',
      enabled: (g, t) => g.slotLock[slotOf(t)] === 0,
      run(g, t) {
        if (!g.si[arg(t, 'type')]!.on) return done('off');
        g.slotLock[slotOf(t)] = t.tid + 1; // the locked swap-cache page
        g.swap_map[slotOf(t)] = 1;
        return frontswapEnabled(g) ? '__frontswap_store' : '__swap_writepage';
      },
    },
    {
      name: '__frontswap_store',
      run(g, t) {
        const v = arg(t, 'v');
        const ret = frontswapStore(g, t.params, t, arg(t, 'type'), arg(t, 'off'), v);
        if (ret !== 0) return '__swap_writepage';
        g.last[slotOf(t)] = v;
        // frontswap_writethrough_enabled: "report failure so swap also writes to swap device"
        if (t.params.writethrough) return '__swap_writepage';
        unlockSlotPage(g, t);
        return done('frontswap');
      },
    },
    {
      name: '__swap_writepage',
      run(g, t) {
        g.disk[slotOf(t)] = arg(t, 'v');
        g.last[slotOf(t)] = arg(t, 'v');
        unlockSlotPage(g, t);
        return done('disk');
      },
    },
  ],
};
