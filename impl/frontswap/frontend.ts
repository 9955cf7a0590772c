/**
 * The frontswap frontend's per-device bookkeeping (mm/frontswap.c @ v5.10):
 * the frontswap_map bit of an offset and frontswap_pages, and
 * __frontswap_invalidate_page().
 */
import type { ThreadCtx } from '../../checker/types.js';
import { slotIndex, type FrontswapParams, type FrontswapState } from './state.js';
import { zswapInvalidatePage } from './zswap.js';

export type G = FrontswapState;
export type P = FrontswapParams;
export type T = ThreadCtx<P>;

/** An integer op argument (the op schema guarantees its presence and type). */
export const arg = (t: T, name: string): number => t.args[name] as number;

/** The op's swap slot (type, off) as an index into the per-slot tables. */
export const slotOf = (t: T) => slotIndex(t.params, arg(t, 'type'), arg(t, 'off'));

/** __frontswap_test(): the offset's frontswap_map bit. */
export const frontswapTest = (g: Readonly<G>, type: number, off: number) => g.si[type]!.frontswap_map.includes(off);

/** Set the bit (the caller does the frontswap_pages accounting). */
export function frontswapMapSet(g: G, type: number, off: number): void {
  const si = g.si[type]!;
  if (!si.frontswap_map.includes(off)) si.frontswap_map = [...si.frontswap_map, off].sort((a, b) => a - b);
}

/** Clear the bit (the caller does the frontswap_pages accounting). */
export function frontswapMapClear(g: G, type: number, off: number): void {
  const si = g.si[type]!;
  si.frontswap_map = si.frontswap_map.filter((x) => x !== off);
}

/** __frontswap_invalidate_page: only if the bit is set; counted in `invalidates`. */
export function frontswapInvalidatePage(g: G, type: number, off: number): void {
  if (!frontswapTest(g, type, off)) return;
  zswapInvalidatePage(g, type, off);
  frontswapMapClear(g, type, off);
  g.si[type]!.frontswap_pages--;
  g.invalidates++;
}
