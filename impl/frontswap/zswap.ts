/**
 * A zswap-like frontswap backend (mm/zswap.c @ v5.10), one instance per
 * backend index `be`: one tree of entries per swap type, kept here with every
 * other tree in one list in LRU order (most recently stored first). Every
 * function runs inside one step: tree->lock is held only within a step.
 */
import type { ThreadCtx } from '../../checker/types.js';
import { isSameFilled, treeIndex, type FrontswapParams, type FrontswapState } from './state.js';

type T = ThreadCtx<FrontswapParams>;

export function zswapFind(g: Readonly<FrontswapState>, be: number, type: number, off: number): number {
  return g.tree.findIndex((e) => e.be === be && e.type === type && e.off === off);
}

/** zswap_frontswap_init: allocate the type's tree. */
export function zswapInit(g: FrontswapState, p: FrontswapParams, be: number, type: number): void {
  g.inited[treeIndex(p, be, type)] = true;
}

/**
 * zswap_frontswap_store: 0 on success, -1 when rejected. No tree for the type
 * (-ENODEV), a full pool (zswap_is_full(), checked first, for every page) or
 * a failed compression or allocation return before the tree is touched; on
 * success a duplicate entry is replaced (zswap_duplicate_entry). A
 * same-filled page is kept in the entry itself and takes no pool space.
 */
export function zswapStore(
  g: FrontswapState,
  p: FrontswapParams,
  t: T,
  be: number,
  type: number,
  off: number,
  data: number,
): number {
  if (!g.inited[treeIndex(p, be, type)]) return -1;
  if (t.choose(2) === 1) return -1; // the backend declines (compression, allocation)
  const dup = zswapFind(g, be, type, off);
  const live = g.tree.filter((e) => e.be === be && !e.same).length - (dup >= 0 && !g.tree[dup]!.same ? 1 : 0);
  if (live >= p.capacity) {
    // pool full: reject. In writethrough mode the backend may instead reclaim
    // its oldest entry, whose data is on the device too. FS-3 does that in the
    // default mode, where frontswap promises persistence.
    if (!p.writethrough && !t.bug('FS-3')) return -1;
    let victim = g.tree.length - 1;
    while (
      victim > 0 &&
      (g.tree[victim]!.be !== be ||
        g.tree[victim]!.same ||
        (g.tree[victim]!.type === type && g.tree[victim]!.off === off))
    )
      victim--;
    g.tree.splice(victim, 1);
  }
  if (dup >= 0) g.tree.splice(dup, 1);
  g.tree.unshift({ be, type, off, data, same: isSameFilled(data), wbref: 0 });
  return 0;
}

/** zswap_frontswap_load: the data, or -1. Does not remove the entry. */
export function zswapLoad(g: FrontswapState, be: number, type: number, off: number): number {
  const i = zswapFind(g, be, type, off);
  return i < 0 ? -1 : g.tree[i]!.data;
}

/** zswap_frontswap_invalidate_page. */
export function zswapInvalidatePage(g: FrontswapState, be: number, type: number, off: number): void {
  const i = zswapFind(g, be, type, off);
  if (i >= 0) g.tree.splice(i, 1);
}

/** zswap_frontswap_invalidate_area: free the type's tree ("if (!tree) return" when none). */
export function zswapInvalidateArea(g: FrontswapState, p: FrontswapParams, be: number, type: number): void {
  g.tree = g.tree.filter((e) => !(e.be === be && e.type === type));
  const ti = treeIndex(p, be, type);
  if (g.inited[ti]) g.treeGen[ti] = g.treeGen[ti]! + 1; // kfree(tree)
  g.inited[ti] = false;
}

/**
 * zswap_frontswap_store() of a transparent huge page: "THP isn't supported",
 * -EINVAL before anything is touched. Variant 7ba716698cc5 is zswap
 * before the fix that added that check (7ba716698cc5 "mm, swap, frontswap:
 * fix THP swap if frontswap enabled"): it compresses the head subpage as if
 * it were the whole page.
 */
export function zswapStoreThp(
  g: FrontswapState,
  p: FrontswapParams,
  t: T,
  be: number,
  type: number,
  off: number,
  data: number,
): number {
  if (!t.bug('7ba716698cc5')) return -1;
  return zswapStore(g, p, t, be, type, off, data);
}
