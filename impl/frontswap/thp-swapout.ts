/**
 * Swap-out of a transparent huge page of two subpages (mm/vmscan.c
 * shrink_page_list() @ v5.10): add_to_swap() either gets a swap cluster for
 * the whole THP (THP_SWAP) and pageout() calls swap_writepage() once for the
 * compound page -- frontswap_store() is tried and zswap refuses a THP, so the
 * whole THP goes to the device -- or fails to and splits the THP
 * (split_huge_page_to_list), each subpage then going through swap_writepage()
 * and frontswap on its own. Subpage i of version v holds version v + i and
 * goes to slot off + i. The compound page lock covers both slots.
 */
import { done } from '../../checker/types.js';
import { assertHeld } from '../lockdep.js';
import { arg, frontswapEnabled, frontswapStore, type G, type Op, type T } from './frontend.js';
import { slotIndex } from './state.js';

const slotAt = (t: T, i: number) => slotIndex(t.params, arg(t, 'type'), arg(t, 'off') + i);

/** unlock_page() of the (compound or split) page covering both slots. */
function unlockBoth(g: G, t: T): void {
  for (let i = 0; i < 2; i++) {
    assertHeld(g.slotLock[slotAt(t, i)], t.tid, 'PG_locked (swap cache)');
    g.slotLock[slotAt(t, i)] = 0;
  }
}

/** __swap_writepage() of subpages [from, 2). */
function writeToDevice(g: G, t: T, from: number): void {
  for (let i = from; i < 2; i++) {
    g.disk[slotAt(t, i)] = arg(t, 'v') + i;
    g.last[slotAt(t, i)] = arg(t, 'v') + i;
  }
}

export const swapoutThp: Op = {
  doc: 'swap out a THP of two subpages (versions v, v+1) to slots off, off+1: whole (frontswap refuses a THP, the device gets it) or split into two 4K swap-outs; returns "disk" or "split"',
  locals: ['i'],
  steps: [
    {
      name: 'add_to_swap',
      enabled: (g, t) => g.slotLock[slotAt(t, 0)] === 0 && g.slotLock[slotAt(t, 1)] === 0,
      run(g, t) {
        if (!g.si[arg(t, 'type')]!.on) return done('off');
        for (let i = 0; i < 2; i++) {
          g.slotLock[slotAt(t, i)] = t.tid + 1;
          g.swap_map[slotAt(t, i)] = 1;
        }
        // get_swap_pages() finds a free cluster (0) or not, and the THP is split (1)
        if (t.choose(2) === 1) return 'split_huge_page';
        return frontswapEnabled(g) ? '__frontswap_store' : '__swap_writepage';
      },
    },
    {
      name: '__frontswap_store',
      run(g, t) {
        const v = arg(t, 'v');
        if (frontswapStore(g, t.params, t, arg(t, 'type'), arg(t, 'off'), v, true) !== 0) return '__swap_writepage';
        // only a backend that ignores PageTransHuge gets here: it kept one page for the THP
        g.last[slotAt(t, 0)] = v;
        g.last[slotAt(t, 1)] = v + 1;
        unlockBoth(g, t);
        return done('frontswap');
      },
    },
    {
      name: '__swap_writepage',
      run(g, t) {
        writeToDevice(g, t, 0);
        unlockBoth(g, t);
        return done('disk');
      },
    },
    {
      name: 'split_huge_page',
      run(g, t) {
        // each subpage now goes through swap_writepage on its own, under its own lock
        const i = t.l.i!;
        const v = arg(t, 'v') + i;
        const stored =
          frontswapEnabled(g) && frontswapStore(g, t.params, t, arg(t, 'type'), arg(t, 'off') + i, v) === 0;
        if (!stored || t.params.writethrough) g.disk[slotAt(t, i)] = v;
        g.last[slotAt(t, i)] = v;
        assertHeld(g.slotLock[slotAt(t, i)], t.tid, 'PG_locked (swap cache)');
        g.slotLock[slotAt(t, i)] = 0;
        if (i === 1) return done('split');
        t.l.i = 1;
        return 'split_huge_page';
      },
    },
  ],
};
