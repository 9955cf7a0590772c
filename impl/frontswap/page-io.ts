/**
 * Swap-out and swap-in of one page (mm/page_io.c @ v5.10): swap_writepage()
 * tries frontswap_store() before __swap_writepage() to the device, and
 * swap_readpage() tries frontswap_load() before the device. Both run under the
 * lock of the slot's swap-cache page.
 */
import { done, type OpDef } from '../../checker/types.js';
import { assertHeld } from '../lockdep.js';
import {
  arg,
  frontswapMapClear,
  frontswapMapSet,
  frontswapTest,
  slotOf,
  type G,
  type P,
  type T,
} from './frontend.js';
import { zswapInvalidatePage, zswapLoad, zswapStore } from './zswap.js';

/** unlock_page() of the slot's swap-cache page. */
function unlockSlotPage(g: G, t: T): void {
  assertHeld(g.slotLock[slotOf(t)], t.tid, 'PG_locked (swap cache)');
  g.slotLock[slotOf(t)] = 0;
}

export const swapout: OpDef<G, P> = {
  doc: 'swap out version v to (type, off): swap_writepage -> frontswap_store, else __swap_writepage to the device; returns where the page went',
  steps: [
    {
      name: 'swap_writepage',
      enabled: (g, t) => g.slotLock[slotOf(t)] === 0,
      run(g, t) {
        if (!g.si[arg(t, 'type')]!.on) return done('off');
        g.slotLock[slotOf(t)] = t.tid + 1; // the locked swap-cache page
        g.swap_map[slotOf(t)] = 1;
        return '__frontswap_store';
      },
    },
    {
      name: '__frontswap_store',
      run(g, t) {
        const type = arg(t, 'type');
        const off = arg(t, 'off');
        const v = arg(t, 'v');
        const dup = frontswapTest(g, type, off);
        const ret = zswapStore(g, t.params, t, type, off, v);
        if (ret === 0) {
          frontswapMapSet(g, type, off);
          g.succ_stores++;
          if (!dup) g.si[type]!.frontswap_pages++;
          g.last[slotOf(t)] = v;
          // frontswap_writethrough_enabled: "report failure so swap also writes to swap device"
          if (t.params.writethrough) return '__swap_writepage';
          unlockSlotPage(g, t);
          return done('frontswap');
        }
        g.failed_stores++;
        if (dup) {
          // "failed dup always results in automatic invalidate of the (older)
          // page from frontswap" -- the bit and, since F2's fix, the backend copy
          if (!t.bug('FS-1')) {
            frontswapMapClear(g, type, off);
            g.si[type]!.frontswap_pages--;
            if (!t.bug('F2')) zswapInvalidatePage(g, type, off);
          }
        }
        return '__swap_writepage';
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

export const swapin: OpDef<G, P> = {
  doc: 'swap in (type, off): swap_readpage -> frontswap_load if the frontswap_map bit is set, else (or on a miss) the device; "free" for an unused slot',
  steps: [
    {
      name: 'swap_readpage',
      enabled: (g, t) => g.slotLock[slotOf(t)] === 0,
      run(g, t) {
        const type = arg(t, 'type');
        const off = arg(t, 'off');
        if (!g.si[type]!.on) return done('off');
        if (g.swap_map[slotOf(t)] === 0) return done('free');
        // __frontswap_load: -1 at once if the bit is clear; a load does not remove the page
        if (frontswapTest(g, type, off)) {
          const v = zswapLoad(g, type, off);
          if (v >= 0) {
            g.loads++;
            return done(v);
          }
        }
        return done(g.disk[slotOf(t)]!);
      },
    },
  ],
};
