/**
 * zswap writeback (mm/zswap.c zswap_writeback_entry() @ v5.10): the shrinker
 * decompresses its oldest entry into a new swap-cache page and writes it to
 * the swap device, racing invalidation, swapoff and swap-in of that entry.
 *
 * v5.10 as released (variant 5878303c5353) takes its tree pointer
 * at the start, writes the page back -- __swap_writepage() unlocks it -- and
 * only then takes tree->lock again to drop its entry reference. Once the page
 * is unlocked nothing holds swapoff back: try_to_unuse() takes the page,
 * frees the slot, and frontswap_invalidate_area() frees the tree that
 * spin_lock(&tree->lock) then dereferences. The model applies the shape zswap
 * later took (5878303c5353 "mm/zswap: fix race between lru writeback and swapoff": "we
 * couldn't deref entry or tree anymore after we unlock the folio, since we
 * depend on this to hold on swapoff"): with the new swap-cache page locked it
 * checks under tree->lock that the entry is still the slot's, erases it, and
 * dereferences neither after __swap_writepage().
 */
import { done } from '../../checker/types.js';
import { assertHeld } from '../lockdep.js';
import type { G, Op, T } from './frontend.js';
import { slotIndex, treeIndex } from './state.js';

const RACY = '5878303c5353';

/** Index of the entry this thread holds a writeback reference on, or -1. */
const heldEntry = (g: Readonly<G>, t: T) => g.tree.findIndex((e) => e.wbref === t.tid + 1);

const slotOfEntry = (t: T) => slotIndex(t.params, t.l.type!, t.l.off!);

/**
 * spin_lock(&tree->lock) of the tree taken at the start: false (and an oops)
 * if frontswap_invalidate_area kfree'd it meanwhile (the checker stops here:
 * invariant backend-tree-live).
 */
function treeLock(g: G, t: T): boolean {
  if (g.treeGen[treeIndex(t.params, t.l.be!, t.l.type!)] === t.l.gen) return true;
  g.oops = 1;
  return false;
}

/**
 * After a successful writeback, under tree->lock: zswap_entry_put() of the
 * local reference, then "if (entry == zswap_rb_search(...))
 * zswap_entry_put(tree, entry)": the entry leaves the tree unless it was
 * invalidated or replaced meanwhile.
 */
function entryPut(g: G, t: T): void {
  if (!treeLock(g, t)) return;
  const i = heldEntry(g, t);
  if (i >= 0) g.tree.splice(i, 1);
}

/**
 * The fail label (ZSWAP_SWAPCACHE_FAIL / _EXIST): zswap_entry_put() of the
 * local reference only, under tree->lock in v5.10; the entry stays in the tree.
 */
function localPut(g: G, t: T, underTreeLock: boolean): void {
  if (underTreeLock && !treeLock(g, t)) return;
  const i = heldEntry(g, t);
  if (i >= 0) g.tree[i]!.wbref = 0;
}

export const writeback: Op = {
  doc: 'zswap shrink: write the least recently stored entry back to the swap device (zswap_writeback_entry); the frontswap_map bit stays set',
  locals: ['be', 'type', 'off', 'data', 'gen'],
  steps: [
    {
      name: 'zswap_writeback_entry',
      run(g, t) {
        let i = g.tree.length - 1;
        // the zpool's LRU: same-filled entries have no zpool object and are never written back
        while (i >= 0 && (g.tree[i]!.wbref !== 0 || g.tree[i]!.same)) i--;
        if (i < 0) return done(null);
        const e = g.tree[i]!;
        e.wbref = t.tid + 1; // zswap_entry_find_get under tree->lock
        t.l.be = e.be;
        t.l.type = e.type;
        t.l.off = e.off;
        t.l.data = e.data;
        t.l.gen = g.treeGen[treeIndex(t.params, e.be, e.type)]!; // tree = zswap_trees[type]
        return '__read_swap_cache_async';
      },
    },
    {
      name: '__read_swap_cache_async',
      run(g, t) {
        const s = slotOfEntry(t);
        const i = heldEntry(g, t);
        // ZSWAP_SWAPCACHE_EXIST: the page is in the swap cache; give up.
        // ZSWAP_SWAPCACHE_FAIL: swapcache_prepare() finds the entry freed.
        if (g.slotLock[s] !== 0 || g.swap_map[s] === 0) {
          localPut(g, t, t.bug(RACY));
          return done(null);
        }
        // 04fc7816089c: "Verify that the swap entry hasn't been invalidated
        // and recycled behind our backs (our zswap_entry reference doesn't
        // prevent that)". v5.10 as released lacks the check (variant
        // 04fc7816089c); the model applies the fix.
        if (i < 0 && !t.bug('04fc7816089c')) return done(null);
        g.slotLock[s] = t.tid + 1; // a new locked swap-cache page, decompressed into
        // with the page locked, the entry leaves the tree (fixed shape only)
        if (!t.bug(RACY) && i >= 0) g.tree.splice(i, 1);
        return '__swap_writepage';
      },
    },
    {
      name: '__swap_writepage',
      run(g, t) {
        const s = slotOfEntry(t);
        g.disk[s] = t.l.data!;
        assertHeld(g.slotLock[s], t.tid, 'PG_locked (swap cache)');
        g.slotLock[s] = 0;
        return t.bug(RACY) ? 'zswap_entry_put' : done(null);
      },
    },
    {
      name: 'zswap_entry_put',
      run(g, t) {
        entryPut(g, t);
        return done(null);
      },
    },
  ],
};
