/**
 * zswap writeback (mm/zswap.c zswap_writeback_entry() @ v5.10): the shrinker
 * decompresses its oldest entry into a new swap-cache page and writes it to
 * the swap device, racing invalidation, swapoff and swap-in of that entry.
 */
import { done, type OpDef } from '../../checker/types.js';
import { assertHeld } from '../lockdep.js';
import type { G, P, T } from './frontend.js';
import { slotIndex } from './state.js';

/** Index of the entry this thread holds a writeback reference on, or -1. */
const heldEntry = (g: Readonly<G>, t: T) => g.tree.findIndex((e) => e.wbref === t.tid + 1);

export const writeback: OpDef<G, P> = {
  doc: 'zswap shrink: write the least recently stored entry back to the swap device (zswap_writeback_entry); the frontswap_map bit stays set',
  locals: ['type', 'off', 'data'],
  steps: [
    {
      name: 'zswap_writeback_entry',
      run(g, t) {
        let i = g.tree.length - 1;
        while (i >= 0 && g.tree[i]!.wbref !== 0) i--;
        if (i < 0) return done(null);
        const e = g.tree[i]!;
        e.wbref = t.tid + 1; // zswap_entry_get under tree->lock
        t.l.type = e.type;
        t.l.off = e.off;
        t.l.data = e.data;
        return '__read_swap_cache_async';
      },
    },
    {
      name: '__read_swap_cache_async',
      run(g, t) {
        const s = slotIndex(t.params, t.l.type!, t.l.off!);
        const i = heldEntry(g, t);
        // ZSWAP_SWAPCACHE_EXIST: the page is in the swap cache; give up
        if (g.slotLock[s] !== 0) {
          if (i >= 0) g.tree[i]!.wbref = 0;
          return done(null);
        }
        // The entry must still be in the tree: "Verify that the swap entry
        // hasn't been invalidated and recycled behind our backs". ZS-WB omits
        // the check.
        if (i < 0 && !t.bug('ZS-WB')) return done(null);
        g.slotLock[s] = t.tid + 1; // a new locked swap-cache page, decompressed into
        return '__swap_writepage';
      },
    },
    {
      name: '__swap_writepage',
      run(g, t) {
        const s = slotIndex(t.params, t.l.type!, t.l.off!);
        g.disk[s] = t.l.data!;
        assertHeld(g.slotLock[s], t.tid, 'PG_locked (swap cache)');
        g.slotLock[s] = 0;
        return 'zswap_entry_put';
      },
    },
    {
      name: 'zswap_entry_put',
      run(g, t) {
        // "if (entry == zswap_rb_search(...)) zswap_entry_put(tree, entry)": drop
        // the entry unless it was invalidated or replaced meanwhile
        const i = heldEntry(g, t);
        if (i >= 0) g.tree.splice(i, 1);
        return done(null);
      },
    },
  ],
};
