/**
 * Frontswap operations as atomic steps, split at the swap-cache page lock of
 * the slot (held across swap_writepage's store and disk write, and by zswap
 * writeback while it writes an entry back) and at zswap's tree->lock.
 */
import { done, type ImplDef, type OpDef, type ThreadCtx } from '../../checker/types.js';
import { frontswapState, initFrontswap, slotIndex, type FrontswapParams, type FrontswapState } from './state.js';
import { zswapFind, zswapInit, zswapInvalidateArea, zswapInvalidatePage, zswapLoad, zswapStore } from './zswap.js';

type G = FrontswapState;
type P = FrontswapParams;
type T = ThreadCtx<P>;

const n = (a: unknown): number => a as number;
const slot = (t: T) => slotIndex(t.params, n(t.args.type), n(t.args.off));

const test = (g: Readonly<G>, type: number, off: number) => g.si[type]!.frontswap_map.includes(off);
function setBit(g: G, type: number, off: number): void {
  const si = g.si[type]!;
  if (!si.frontswap_map.includes(off)) si.frontswap_map = [...si.frontswap_map, off].sort((a, b) => a - b);
}
function clearBit(g: G, type: number, off: number): void {
  const si = g.si[type]!;
  si.frontswap_map = si.frontswap_map.filter((x) => x !== off);
}

/** __frontswap_invalidate_page: only if the bit is set; counted in `invalidates`. */
function frontswapInvalidatePage(g: G, type: number, off: number): void {
  if (!test(g, type, off)) return;
  zswapInvalidatePage(g, type, off);
  clearBit(g, type, off);
  g.si[type]!.frontswap_pages--;
  g.invalidates++;
}

const swapon: OpDef<G, P> = {
  doc: 'swapon(type): the device accepts pages; frontswap_init(type) readies the backend (frontswap.rst L908-909, L1053-1056)',
  steps: [
    {
      name: 'frontswap_init',
      run(g, t) {
        const type = n(t.args.type);
        const si = g.si[type]!;
        if (si.on) return done('ebusy');
        si.on = true;
        si.frontswap_map = [];
        si.frontswap_pages = 0;
        zswapInit(g, type);
        return done(null);
      },
    },
  ],
};

const swapoff: OpDef<G, P> = {
  doc: 'swapoff(type): try_to_unuse() brings every page back (swap_free of each slot), then frontswap_invalidate_area(type) (L914-916)',
  steps: [
    {
      name: 'try_to_unuse',
      // every swap-cache page of the device must be unlocked to be brought in
      enabled: (g, t) => {
        const type = n(t.args.type);
        for (let o = 0; o < t.params.slots; o++) if (g.slotLock[slotIndex(t.params, type, o)] !== 0) return false;
        return true;
      },
      run(g, t) {
        const type = n(t.args.type);
        const si = g.si[type]!;
        if (!si.on) return done('off');
        for (let o = 0; o < t.params.slots; o++) {
          const s = slotIndex(t.params, type, o);
          if (g.swap_map[s] === 0) continue;
          frontswapInvalidatePage(g, type, o);
          g.swap_map[s] = 0;
          g.last[s] = 0;
        }
        // __frontswap_invalidate_area
        zswapInvalidateArea(g, type);
        si.frontswap_map = [];
        si.frontswap_pages = 0;
        si.on = false;
        return done(null);
      },
    },
  ],
};

const swapout: OpDef<G, P> = {
  doc: 'swap out version v to (type, off): swap_writepage -> frontswap_store, else __swap_writepage to the device; returns where the page went',
  steps: [
    {
      name: 'swap_writepage',
      enabled: (g, t) => g.slotLock[slot(t)] === 0,
      run(g, t) {
        if (!g.si[n(t.args.type)]!.on) return done('off');
        g.slotLock[slot(t)] = t.tid + 1; // the locked swap-cache page
        g.swap_map[slot(t)] = 1;
        return '__frontswap_store';
      },
    },
    {
      name: '__frontswap_store',
      run(g, t) {
        const type = n(t.args.type);
        const off = n(t.args.off);
        const v = n(t.args.v);
        const dup = test(g, type, off);
        const ret = zswapStore(g, t.params, t, type, off, v);
        if (ret === 0) {
          setBit(g, type, off);
          g.succ_stores++;
          if (!dup) g.si[type]!.frontswap_pages++;
          g.last[slot(t)] = v;
          // frontswap_writethrough_enabled: "report failure so swap also writes to swap device"
          if (t.params.writethrough) return '__swap_writepage';
          g.slotLock[slot(t)] = 0;
          return done('frontswap');
        }
        g.failed_stores++;
        if (dup) {
          // "failed dup always results in automatic invalidate of the (older)
          // page from frontswap" -- the bit and, since F2's fix, the backend copy:
          // "Whenever frontswap rejects a store that would overwrite, it also
          // must invalidate the old data" (frontswap.rst L1139-1148).
          if (!t.bug('FS-1')) {
            clearBit(g, type, off);
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
        g.disk[slot(t)] = n(t.args.v);
        g.last[slot(t)] = n(t.args.v);
        g.slotLock[slot(t)] = 0;
        return done('disk');
      },
    },
  ],
};

const swapin: OpDef<G, P> = {
  doc: 'swap in (type, off): swap_readpage -> frontswap_load if the frontswap_map bit is set, else (or on a miss) the device; "free" for an unused slot',
  steps: [
    {
      name: 'swap_readpage',
      enabled: (g, t) => g.slotLock[slot(t)] === 0,
      run(g, t) {
        const type = n(t.args.type);
        const off = n(t.args.off);
        if (!g.si[type]!.on) return done('off');
        if (g.swap_map[slot(t)] === 0) return done('free');
        // __frontswap_load: -1 at once if the bit is clear; a load does not remove the page
        if (test(g, type, off)) {
          const v = zswapLoad(g, type, off);
          if (v >= 0) {
            g.loads++;
            return done(v);
          }
        }
        return done(g.disk[slot(t)]!);
      },
    },
  ],
};

const swapFree: OpDef<G, P> = {
  doc: 'the last reference to (type, off) goes: swap_entry_free -> frontswap_invalidate_page (zswap.rst: when the swap_map count reaches 0)',
  steps: [
    {
      name: 'swap_entry_free',
      enabled: (g, t) => g.slotLock[slot(t)] === 0,
      run(g, t) {
        const type = n(t.args.type);
        if (!g.si[type]!.on) return done('off');
        if (g.swap_map[slot(t)] === 0) return done(null);
        frontswapInvalidatePage(g, type, n(t.args.off));
        g.swap_map[slot(t)] = 0;
        g.last[slot(t)] = 0;
        return done(null);
      },
    },
  ],
};

/** Index of the entry this thread holds a writeback reference on, or -1. */
const mine = (g: Readonly<G>, t: T) => g.tree.findIndex((e) => e.wbref === t.tid + 1);

const writeback: OpDef<G, P> = {
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
        const i = mine(g, t);
        // ZSWAP_SWAPCACHE_EXIST: the page is in the swap cache; give up
        if (g.slotLock[s] !== 0) {
          if (i >= 0) g.tree[i]!.wbref = 0;
          return done(null);
        }
        // "Verify that the swap entry hasn't been invalidated and recycled behind
        // our backs (our zswap_entry reference doesn't prevent that), to avoid
        // overwriting a new swap folio with old compressed data" (mm/zswap.c,
        // zswap_writeback_entry). ZS-WB omits the check.
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
        g.slotLock[s] = 0;
        return 'zswap_entry_put';
      },
    },
    {
      name: 'zswap_entry_put',
      run(g, t) {
        // "if (entry == zswap_rb_search(...)) zswap_entry_put(tree, entry)": drop
        // the entry unless it was invalidated or replaced meanwhile
        const i = mine(g, t);
        if (i >= 0) g.tree.splice(i, 1);
        return done(null);
      },
    },
  ],
};

export const frontswapImpl: ImplDef<G, P> = {
  state: frontswapState,
  init: initFrontswap,
  ops: { swapon, swapoff, swapout, swapin, swap_free: swapFree, writeback },
};

export { zswapFind };
