/**
 * Frontswap implementation state, mm/frontswap.c @ v5.10: the list of
 * registered backends (frontswap_ops, several allowed since d1dc6f1bcf1e
 * "frontswap: allow multiple backends"), per swap device a `frontswap_map`
 * bitmap and `frontswap_pages`, the swap device itself (slots, swap_map,
 * on-disk contents, the swap-cache page lock per slot), and one or two
 * zswap-like backends: per (backend, type) trees of entries in LRU order,
 * bounded capacity, stores they may reject, writeback to the swap device.
 */
import { S, type Infer } from '../../checker/schema.js';
import type { ThreadPermutation } from '../../checker/types.js';

export interface FrontswapParams {
  /** Swap devices (swap "types"). */
  readonly types: number;
  /** Slots (offsets) per swap device. */
  readonly slots: number;
  /** Capacity in entries of each backend (zsmalloc-like: full means reject). */
  readonly capacity: number;
  /** Swap devices swapon'd (frontswap_init called) in the initial state. */
  readonly swapon: boolean;
  /**
   * frontswap_writethrough(): every stored page is also written to the device,
   * and in exchange the backend may reclaim (drop) entries at will.
   */
  readonly writethrough: boolean;
  /** Backend instances in the scenario (frontswap_register_ops may be called for each). */
  readonly backends: number;
  /** Backends 0..registered-1 are registered (frontswap_register_ops) in the initial state. */
  readonly registered: number;
  /**
   * SWP_SYNCHRONOUS_IO devices (zram-like): do_swap_page() of a slot with
   * __swap_count() == 1 skips the swap cache and reads into a private page
   * (mm/memory.c do_swap_page() @ v5.10).
   */
  readonly synchronous: boolean;
}

const entry = S.struct({
  /** the backend holding the entry */
  be: S.int(),
  type: S.int(),
  off: S.int(),
  data: S.int(),
  /** a same-filled page: entry->length == 0, the value kept in the entry, nothing in the zpool */
  same: S.bool(),
  /** zswap_writeback_entry holds a reference: owner tid + 1, 0 when none */
  wbref: S.int(),
});
const swapInfo = S.struct({
  /** SWP_USED: swapon'd and not yet fully swapped off */
  used: S.bool(),
  /** SWP_WRITEOK and on swap_active_head: the device takes new swap-outs */
  on: S.bool(),
  /** SWP_VALID: get_swap_device() succeeds; cleared by swapoff after try_to_unuse */
  valid: S.bool(),
  /** get_swap_device() references held (rcu_read_lock sections swapoff's synchronize_rcu waits for) */
  users: S.int(),
  frontswap_map: S.intSet(),
  frontswap_pages: S.int(),
});

/** The state schema: per-device and per-slot tables are fixed arrays sized by the parameters. */
export const frontswapState = (p: FrontswapParams) =>
  S.struct({
    si: S.array(swapInfo, p.types),
    /** swapon_mutex owner (tid + 1): swapon, the end of swapoff and (with the fix) frontswap_register_ops */
    swapon_mutex: S.int(),
    /** frontswap_ops: registered backends, most recently registered first */
    frontswap_ops: S.list(S.int()),
    /** swap_map: slot in use (1) or free (0), per (type, offset) */
    swap_map: S.array(S.int(), p.types * p.slots),
    /** the swap device's blocks, per (type, offset) */
    disk: S.array(S.int(), p.types * p.slots),
    /** lock of the slot's swap-cache page: owner tid + 1 */
    slotLock: S.array(S.int(), p.types * p.slots),
    /** backends: entries of every (backend, type) tree, most recently stored first */
    tree: S.list(entry),
    /** zswap_trees[type] != NULL per (backend, type): ops->init(type) ran, invalidate_area not since */
    inited: S.array(S.bool(), p.backends * p.types),
    /** ghost, per (backend, type): trees freed so far, so that a pointer taken earlier can be told stale */
    treeGen: S.array(S.int(), p.backends * p.types),
    succ_stores: S.int(),
    failed_stores: S.int(),
    loads: S.int(),
    invalidates: S.int(),
    /** a backend call dereferenced the tree of a swapped-off type (zswap_trees[type] == NULL): a kernel oops */
    oops: S.int(),
    /** ghost: the data last swapped out to each slot (invariant only) */
    last: S.array(S.int(), p.types * p.slots),
  });

export type FrontswapState = Infer<ReturnType<typeof frontswapState>>;
export type Entry = Infer<typeof entry>;

/**
 * Page contents are versions; a version that is a multiple of 10 stands for a
 * same-filled page (one machine word repeated, e.g. a zero page), which zswap
 * keeps without compressing (mm/zswap.c zswap_is_page_same_filled() @ v5.10;
 * added by a85f878b443f "zswap: same-filled pages handling").
 */
export const isSameFilled = (data: number) => data % 10 === 0;

export const slotIndex = (p: FrontswapParams, type: number, off: number) => type * p.slots + off;
export const treeIndex = (p: FrontswapParams, be: number, type: number) => be * p.types + type;

export function initFrontswap(p: FrontswapParams): FrontswapState {
  const n = p.types * p.slots;
  return {
    si: Array.from({ length: p.types }, () => ({
      used: p.swapon,
      on: p.swapon,
      valid: p.swapon,
      users: 0,
      frontswap_map: [],
      frontswap_pages: 0,
    })),
    swapon_mutex: 0,
    // registered in order 0, 1, ...: the list head is the last one
    frontswap_ops: Array.from({ length: p.registered }, (_, i) => p.registered - 1 - i),
    swap_map: Array.from({ length: n }, () => 0),
    disk: Array.from({ length: n }, () => 0),
    slotLock: Array.from({ length: n }, () => 0),
    tree: [],
    inited: Array.from({ length: p.backends * p.types }, (_, i) => p.swapon && Math.floor(i / p.types) < p.registered),
    treeGen: Array.from({ length: p.backends * p.types }, () => 0),
    succ_stores: 0,
    failed_stores: 0,
    loads: 0,
    invalidates: 0,
    oops: 0,
    last: Array.from({ length: n }, () => 0),
  };
}

/**
 * Symmetry reduction (ImplDef.permuteThreads): the fields holding a thread id, all `tid + 1`:
 * swapon_mutex, the swap-cache page locks (slotLock) and zswap_writeback_entry's reference (tree[].wbref).
 * si[].users counts get_swap_device() references: no thread id.
 */
export function permuteThreads(g: FrontswapState, p: ThreadPermutation): void {
  g.swapon_mutex = p.owner(g.swapon_mutex);
  for (let i = 0; i < g.slotLock.length; i++) g.slotLock[i] = p.owner(g.slotLock[i]!);
  for (const e of g.tree) e.wbref = p.owner(e.wbref);
}
