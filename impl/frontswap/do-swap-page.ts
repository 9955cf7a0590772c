/**
 * Swap-in of one page (mm/memory.c do_swap_page() @ v5.10), two paths:
 *
 * - through the swap cache (swapin_readahead -> read_swap_cache_async ->
 *   swap_readpage), under the lock of the slot's swap-cache page, which
 *   try_to_unuse() also takes: one atomic step;
 * - skipping the swap cache, on a SWP_SYNCHRONOUS_IO device (zram-like) when
 *   __swap_count() == 1: a private locked page is read by swap_readpage()
 *   with no lock swapoff waits for, and kept only if the pte still holds the
 *   swap entry (pte_same). swap_readpage() -> __frontswap_load() tests the
 *   frontswap_map bit locklessly, then each backend's load takes its tree->lock.
 *
 * On the second path only a get_swap_device() reference held from the start
 * of do_swap_page() to its end keeps swapoff (synchronize_rcu() after clearing
 * SWP_VALID) from freeing the backend's tree underneath the load. v5.10 as
 * released takes the reference only inside __swap_count() (eb085574a752 "mm,
 * swap: fix race between swapoff and some swap operations"); the model applies
 * 2799e77529c2 "swap: fix do_swap_page() race with swapoff", which holds it
 * across do_swap_page(); variant 2799e77529c2 is v5.10 as released. (In
 * v5.10 get_swap_device() is rcu_read_lock(), which a swap-in that sleeps may
 * not hold that long: upstream the fix needs 63d8620ecf93 "mm/swapfile: use
 * percpu_ref to serialize against concurrent swapoff", and its stable
 * backports were reverted without it. The model's reference is that
 * percpu_ref, with synchronize_rcu() standing for percpu_ref_kill + wait.)
 */
import { done } from '../../checker/types.js';
import { arg, frontswapEnabled, frontswapLoad, frontswapTest, slotOf, type G, type Op, type T } from './frontend.js';
import { treeIndex } from './state.js';
import { zswapLoad } from './zswap.js';

const RACY = '2799e77529c2';

/** put_swap_device() of the reference do_swap_page() holds (fixed code only). */
function putSwapDevice(g: G, t: T): void {
  if (t.l.ref) g.si[arg(t, 'type')]!.users--;
  t.l.ref = 0;
}

/**
 * The end of do_swap_page(): if the pte no longer holds the swap entry (the
 * slot was freed -- by try_to_unuse during swapoff, or by swap_free -- or
 * freed and reused), the private page is dropped and the fault sees what
 * replaced it; else the page read is mapped.
 */
function pteSame(g: G, t: T): ReturnType<typeof done> {
  putSwapDevice(g, t);
  const s = slotOf(t);
  if (g.swap_map[s] === 0 || g.last[s] !== t.l.gen) return done(g.si[arg(t, 'type')]!.on ? 'free' : 'off');
  // the model counts a frontswap load when the fault keeps its page (as it
  // leaves try_to_unuse's loads uncounted); the kernel counts it in the load
  if (t.l.fs) g.loads++;
  return done(t.l.v!);
}

export const swapin: Op = {
  doc: 'swap in (type, off): do_swap_page -> swap_readpage -> frontswap_load if the frontswap_map bit is set, else (or on a miss) the device; through the swap cache, or skipping it on a SWP_SYNCHRONOUS_IO device; "free" for an unused slot',
  locals: ['ref', 'gen', 'v', 'fs'],
  steps: [
    {
      name: 'do_swap_page',
      // a swap-cache page of the slot (locked by swap-out, writeback or unuse): the fault waits on it
      enabled: (g, t) => g.slotLock[slotOf(t)] === 0,
      run(g, t) {
        const type = arg(t, 'type');
        const si = g.si[type]!;
        const s = slotOf(t);
        if (!t.params.synchronous) {
          if (!si.on) return done('off');
          if (g.swap_map[s] === 0) return done('free');
          // read_swap_cache_async -> swap_readpage under the swap-cache page lock
          const v = frontswapEnabled(g) ? frontswapLoad(g, type, arg(t, 'off')) : -1;
          return done(v >= 0 ? v : g.disk[s]!);
        }
        // __swap_count() under get_swap_device(): SWP_VALID stays set until try_to_unuse is done
        if (!si.valid) return done('off');
        // no swap entry in the pte any more: try_to_unuse (swapoff under way) or a free replaced it
        if (g.swap_map[s] === 0) return done(si.on ? 'free' : 'off');
        if (!t.bug(RACY)) {
          si.users++; // 2799e77529c2: get_swap_device() held until the end of do_swap_page()
          t.l.ref = 1;
        }
        t.l.gen = g.last[s]!; // the swap entry read from the pte
        return 'swap_readpage';
      },
    },
    {
      name: 'swap_readpage',
      run(g, t) {
        // __frontswap_load(): "if (!__frontswap_test(sis, offset)) return -1", lockless
        if (frontswapEnabled(g) && frontswapTest(g, arg(t, 'type'), arg(t, 'off'))) return 'frontswap_ops_load';
        t.l.v = g.disk[slotOf(t)]!;
        return 'pte_same';
      },
    },
    {
      name: 'frontswap_ops_load',
      run(g, t) {
        const type = arg(t, 'type');
        for (const be of g.frontswap_ops) {
          if (!g.inited[treeIndex(t.params, be, type)]) {
            // zswap_frontswap_load(): spin_lock(&zswap_trees[type]->lock) on a tree swapoff freed
            // (the checker stops here: invariant backend-tree-live)
            g.oops = 1;
            t.l.v = 0;
            return 'pte_same';
          }
          const v = zswapLoad(g, be, type, arg(t, 'off'));
          if (v >= 0) {
            t.l.v = v;
            t.l.fs = 1;
            return 'pte_same';
          }
        }
        t.l.v = g.disk[slotOf(t)]!; // every backend missed: the device
        return 'pte_same';
      },
    },
    { name: 'pte_same', run: (g, t) => pteSame(g, t) },
  ],
};
