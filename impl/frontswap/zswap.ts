/**
 * A zswap-like frontswap backend (mm/zswap.c, v3.x-5.x shape): one tree of
 * entries per swap type, kept here as one list in LRU order (most recently
 * stored first). Every function runs inside one step: tree->lock is held only
 * within a step.
 */
import type { ThreadCtx } from '../../checker/types.js';
import type { FrontswapParams, FrontswapState } from './state.js';

type T = ThreadCtx<FrontswapParams>;

export function zswapFind(g: Readonly<FrontswapState>, type: number, off: number): number {
  return g.tree.findIndex((e) => e.type === type && e.off === off);
}

/** zswap_frontswap_init: the type may be stored again. */
export function zswapInit(g: FrontswapState, type: number): void {
  g.refuse[type] = false;
}

/**
 * zswap_frontswap_store: 0 on success, -1 when rejected. The reject paths
 * (poorly compressible page, pool full: "zsmalloc ... can only reject new
 * pages", zswap.rst) return before the tree is touched, so an older entry for
 * the same offset survives a failed duplicate store -- it is the frontend that
 * must invalidate it (F2). On success a duplicate entry is replaced
 * (zswap_duplicate_entry).
 */
export function zswapStore(g: FrontswapState, p: FrontswapParams, t: T, type: number, off: number, data: number): number {
  if (g.refuse[type]) return -1; // after invalidate_area (frontswap.rst L914-916)
  if (t.choose(2) === 1) return -1; // the backend declines: "entirely unpredictable" (L1097-1102)
  const dup = zswapFind(g, type, off);
  const live = g.tree.length - (dup >= 0 ? 1 : 0);
  if (live >= p.capacity) {
    // pool full: reject. In writethrough mode the backend may instead reclaim
    // its oldest entry, whose data is on the device too (L926-930). FS-3 does
    // that in the default mode, where frontswap is persistent: "the backend
    // guarantees the persistence of the data" (L1066-1067)
    if (!p.writethrough && !t.bug('FS-3')) return -1;
    let victim = g.tree.length - 1;
    while (victim > 0 && g.tree[victim]!.type === type && g.tree[victim]!.off === off) victim--;
    g.tree.splice(victim, 1);
  }
  if (dup >= 0) g.tree.splice(dup, 1);
  g.tree.unshift({ type, off, data, wbref: 0 });
  return 0;
}

/** zswap_frontswap_load: the data, or -1. Does not remove the entry (L911-913). */
export function zswapLoad(g: FrontswapState, type: number, off: number): number {
  const i = zswapFind(g, type, off);
  return i < 0 ? -1 : g.tree[i]!.data;
}

/** zswap_frontswap_invalidate_page. */
export function zswapInvalidatePage(g: FrontswapState, type: number, off: number): void {
  const i = zswapFind(g, type, off);
  if (i >= 0) g.tree.splice(i, 1);
}

/** zswap_frontswap_invalidate_area: drop the type's tree and refuse its stores. */
export function zswapInvalidateArea(g: FrontswapState, type: number): void {
  g.tree = g.tree.filter((e) => e.type !== type);
  g.refuse[type] = true;
}
