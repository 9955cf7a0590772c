/**
 * The frontswap frontend, mm/frontswap.c @ v5.10: the frontswap_map bit of an
 * offset and frontswap_pages per device, and the calls into every registered
 * backend (for_each_frontswap_ops): __frontswap_init, __frontswap_store,
 * __frontswap_load, __frontswap_invalidate_page, __frontswap_invalidate_area.
 */
import type { ThreadCtx } from '../../checker/types.js';
import type { LabelledOp, LabelledStep } from '../step-types.js';
import type { StepLabel } from './labels.js';
import { slotIndex, type FrontswapParams, type FrontswapState } from './state.js';
import { zswapInit, zswapInvalidateArea, zswapInvalidatePage, zswapLoad, zswapStore, zswapStoreThp } from './zswap.js';

export type G = FrontswapState;
export type P = FrontswapParams;
export type T = ThreadCtx<P>;
/** A frontswap step: its name and every label it returns are declared in labels.ts. */
export type Step = LabelledStep<G, P, StepLabel>;
/** A frontswap operation: OpDef whose steps are typed Steps. */
export type Op = LabelledOp<Step>;

/** Every argument a frontswap op takes (subsystems/frontswap/op-schemas.ts declares them per op). */
export const ARGS = ['type', 'off', 'v', 'be'] as const;
export type FrontswapArg = (typeof ARGS)[number];

/** An integer op argument (the op schema guarantees its presence and type). */
export const arg = (t: T, name: FrontswapArg): number => t.args[name] as number;

/** The op's swap slot (type, off) as an index into the per-slot tables. */
export const slotOf = (t: T) => slotIndex(t.params, arg(t, 'type'), arg(t, 'off'));

/** frontswap_enabled(): the static key, raised by the first frontswap_register_ops. */
export const frontswapEnabled = (g: Readonly<G>) => g.frontswap_ops.length > 0;

/** __frontswap_test(): the offset's frontswap_map bit. */
export const frontswapTest = (g: Readonly<G>, type: number, off: number) => g.si[type]!.frontswap_map.includes(off);

/** __frontswap_set(): set the bit and count it. */
export function frontswapSet(g: G, type: number, off: number): void {
  const si = g.si[type]!;
  si.frontswap_map = [...si.frontswap_map, off].sort((a, b) => a - b);
  si.frontswap_pages++;
}

/** __frontswap_clear(): clear the bit and uncount it. */
export function frontswapClear(g: G, type: number, off: number): void {
  const si = g.si[type]!;
  si.frontswap_map = si.frontswap_map.filter((x) => x !== off);
  si.frontswap_pages--;
}

/** __frontswap_init(): called at swapon; sets the map and inits the type in every backend. */
export function frontswapInit(g: G, p: P, type: number): void {
  const si = g.si[type]!;
  si.frontswap_map = [];
  si.frontswap_pages = 0;
  for (const be of g.frontswap_ops) zswapInit(g, p, be, type);
}

/**
 * __frontswap_store(): 0 when a backend took the page. "If a dup, we must
 * remove the old page first ... we may not store to the same implementation
 * that contains the old page": the bit is cleared and every backend told to
 * invalidate, then each backend is tried in list order.
 *
 * The variants d1dc6f1bcf1e, fb993fa1a2f6 and FS-1 replace the dup handling
 * with the older shape (before d1dc6f1bcf1e "frontswap: allow multiple
 * backends"), where only a *failed* duplicate store invalidated: d1dc6f1bcf1e
 * clears the bit and invalidates every backend (fine with one backend, stale
 * when another backend took the new copy), fb993fa1a2f6 clears the bit but
 * leaves the backend copy, FS-1 does nothing at all.
 */
export function frontswapStore(g: G, p: P, t: T, type: number, off: number, data: number, thp = false): number {
  const oldShape = t.bug('d1dc6f1bcf1e') || t.bug('fb993fa1a2f6') || t.bug('FS-1');
  const dup = frontswapTest(g, type, off);
  if (dup && !oldShape) {
    frontswapClear(g, type, off);
    for (const be of g.frontswap_ops) zswapInvalidatePage(g, be, type, off);
  }
  let ret = -1;
  for (const be of g.frontswap_ops) {
    ret = thp ? zswapStoreThp(g, p, t, be, type, off, data) : zswapStore(g, p, t, be, type, off, data);
    if (ret === 0) break;
  }
  if (ret === 0) {
    if (!frontswapTest(g, type, off)) frontswapSet(g, type, off);
    g.succ_stores++;
  } else {
    g.failed_stores++;
    if (dup && oldShape && !t.bug('FS-1')) {
      frontswapClear(g, type, off);
      // "failed dup always results in automatic invalidate of the (older) page" (fb993fa1a2f6 fixed the backend side)
      if (!t.bug('fb993fa1a2f6')) for (const be of g.frontswap_ops) zswapInvalidatePage(g, be, type, off);
    }
  }
  return ret;
}

/** __frontswap_load(): the data, or -1 at once when the bit is clear. A load does not remove the page. */
export function frontswapLoad(g: G, type: number, off: number): number {
  if (!frontswapTest(g, type, off)) return -1;
  for (const be of g.frontswap_ops) {
    const v = zswapLoad(g, be, type, off);
    if (v >= 0) {
      g.loads++;
      return v;
    }
  }
  return -1;
}

/** __frontswap_invalidate_page(): only if the bit is set; counted in `invalidates`. */
export function frontswapInvalidatePage(g: G, type: number, off: number): void {
  if (!frontswapTest(g, type, off)) return;
  for (const be of g.frontswap_ops) zswapInvalidatePage(g, be, type, off);
  frontswapClear(g, type, off);
  g.invalidates++;
}

/** __frontswap_invalidate_area(): every backend drops the type; the map is zeroed. */
export function frontswapInvalidateArea(g: G, p: P, type: number): void {
  for (const be of g.frontswap_ops) zswapInvalidateArea(g, p, be, type);
  const si = g.si[type]!;
  si.frontswap_map = [];
  si.frontswap_pages = 0;
}

/** The tree index of the entry a load of (type, off) would return (first backend in list order), or -1. */
export function frontswapHolder(g: Readonly<G>, type: number, off: number): number {
  for (const be of g.frontswap_ops) {
    const i = g.tree.findIndex((e) => e.be === be && e.type === type && e.off === off);
    if (i >= 0) return i;
  }
  return -1;
}
