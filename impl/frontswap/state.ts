/**
 * Frontswap implementation state: the mm/frontswap.c frontend (v3.16 shape,
 * single backend, after F2's fix fb993fa1a2f6), per swap device a
 * `frontswap_map` bitmap and `frontswap_pages`, the swap device itself (slots,
 * swap_map, on-disk contents, the swap-cache page lock per slot), and a
 * zswap-like backend: per-type trees of entries in LRU order, bounded
 * capacity, stores it may reject, and writeback of entries to the swap device.
 */
import { S, type Infer } from '../../checker/schema.js';

export interface FrontswapParams {
  /** Swap devices (swap "types"). */
  readonly types: number;
  /** Slots (offsets) per swap device. */
  readonly slots: number;
  /** Backend capacity in entries (zsmalloc-like: full means reject). */
  readonly capacity: number;
  /** Swap devices swapon'd (frontswap_init called) in the initial state. */
  readonly swapon: boolean;
  /**
   * frontswap_writethrough(): every stored page is also written to the device,
   * and in exchange the backend may reclaim (drop) entries at will (L926-930).
   */
  readonly writethrough: boolean;
}

const entry = S.struct({
  type: S.int(),
  off: S.int(),
  data: S.int(),
  /** zswap_writeback_entry holds a reference: owner tid + 1, 0 when none */
  wbref: S.int(),
});
const swapInfo = S.struct({
  /** SWP_WRITEOK: swapon'd */
  on: S.bool(),
  frontswap_map: S.intSet(),
  frontswap_pages: S.int(),
});

/** The state schema: per-device and per-slot tables are fixed arrays sized by the parameters. */
export const frontswapState = (p: FrontswapParams) =>
  S.struct({
    si: S.array(swapInfo, p.types),
    /** swap_map: slot in use (1) or free (0), per (type, offset) */
    swap_map: S.array(S.int(), p.types * p.slots),
    /** the swap device's blocks, per (type, offset) */
    disk: S.array(S.int(), p.types * p.slots),
    /** lock of the slot's swap-cache page: owner tid + 1 */
    slotLock: S.array(S.int(), p.types * p.slots),
    /** backend (zswap): entries of every type's tree, most recently stored first */
    tree: S.list(entry),
    /** backend: invalidate_area told it to refuse stores for the type (until init) */
    refuse: S.array(S.bool(), p.types),
    succ_stores: S.int(),
    failed_stores: S.int(),
    loads: S.int(),
    invalidates: S.int(),
    /** ghost: the data last swapped out to each slot (invariant only) */
    last: S.array(S.int(), p.types * p.slots),
  });

export type FrontswapState = Infer<ReturnType<typeof frontswapState>>;
export type Entry = Infer<typeof entry>;

export const slotIndex = (p: FrontswapParams, type: number, off: number) => type * p.slots + off;

export function initFrontswap(p: FrontswapParams): FrontswapState {
  const n = p.types * p.slots;
  return {
    si: Array.from({ length: p.types }, () => ({ on: p.swapon, frontswap_map: [], frontswap_pages: 0 })),
    swap_map: Array.from({ length: n }, () => 0),
    disk: Array.from({ length: n }, () => 0),
    slotLock: Array.from({ length: n }, () => 0),
    tree: [],
    refuse: Array.from({ length: p.types }, () => !p.swapon),
    succ_stores: 0,
    failed_stores: 0,
    loads: 0,
    invalidates: 0,
    last: Array.from({ length: n }, () => 0),
  };
}
