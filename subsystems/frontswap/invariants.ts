/**
 * frontswap invariants: properties of every reachable implementation state,
 * each with the kernel source it comes from.
 */
import { invariant } from '../../checker/types.js';
import { slotIndex, type FrontswapParams, type FrontswapState } from '../../impl/frontswap/state.js';
import { frontswapHolder } from '../../impl/frontswap/frontend.js';
import { treeIndex } from '../../impl/frontswap/state.js';

type G = FrontswapState;
type P = FrontswapParams;

export const invariants = [
  invariant<G, P>({
    name: 'frontswap-map-matches-backend',
    why: '__frontswap_store sets the frontswap_map bit only after a backend accepted the page, and __frontswap_invalidate_page clears it together with the backend copy; frontswap_pages is updated on the same bit flips.',
    doc: 'A frontswap bit is set for every entry a backend holds (the converse fails only for entries zswap wrote back, whose bit stays set), and frontswap_pages counts the set bits.',
    source:
      'mm/frontswap.c __frontswap_store(), __frontswap_set(), __frontswap_clear() @ v5.10; fb993fa1a2f6 "mm: frontswap: invalidate expired data on a dup-store failure"',
    when: 'always',
    check(g, p) {
      let used = false;
      for (const e of g.tree) {
        used = true;
        if (!g.si[e.type]!.frontswap_map.includes(e.off))
          return `the backend holds (type ${e.type}, offset ${e.off}) version ${e.data} but its frontswap_map bit is clear`;
      }
      for (let type = 0; type < p.types; type++) {
        const si = g.si[type]!;
        if (si.frontswap_map.length > 0) used = true;
        if (si.frontswap_pages !== si.frontswap_map.length)
          return `frontswap_pages ${si.frontswap_pages} != ${si.frontswap_map.length} bits set (type ${type})`;
      }
      return used ? true : null;
    },
  }),
  invariant<G, P>({
    name: 'swap-slot-current',
    why: 'A store to a slot that already has a backend copy either succeeds (replacing it) or invalidates the old copy (the duplicate-store rule of __frontswap_store), so a load never finds an older copy than the device holds.',
    doc: 'Every in-use swap slot that no store or writeback is writing leads to the data last swapped out to it: the first backend copy a load finds when its frontswap_map bit is set, else the swap device.',
    source:
      'Documentation/vm/frontswap.rst @ v5.10 ("stale data may never be obtained from frontswap"; FAQ "Why this weird definition about duplicate stores?"); mm/frontswap.c __frontswap_load() @ v5.10',
    when: 'always',
    check(g, p) {
      let used = false;
      for (let type = 0; type < p.types; type++)
        for (let off = 0; off < p.slots; off++) {
          const s = slotIndex(p, type, off);
          if (g.swap_map[s] === 0 || g.slotLock[s] !== 0) continue;
          used = true;
          const i = g.si[type]!.frontswap_map.includes(off) ? frontswapHolder(g, type, off) : -1;
          const v = i >= 0 ? g.tree[i]!.data : g.disk[s]!;
          if (v !== g.last[s])
            return `(type ${type}, offset ${off}) leads to version ${v}${i >= 0 ? ' in frontswap' : ' on the device'}, the last swap-out wrote ${g.last[s]}`;
        }
      return used ? true : null;
    },
  }),
  invariant<G, P>({
    name: 'frontswap-shadows-device',
    why: 'Backends are initialised per swap type at swapon (frontswap_init) and every page is invalidated by frontswap_invalidate_area at swapoff, so backend pages exist only for live, swapped-on slots.',
    doc: 'Every page a backend holds shadows an in-use slot of a device that is not swapped off, in a tree that backend initialised for the device, and each backend stays within its capacity.',
    source:
      'Documentation/vm/frontswap.rst @ v5.10 ("frontswap cannot contain more pages than the total of swapon\'d swap devices"); mm/zswap.c zswap_frontswap_init(), zswap_frontswap_invalidate_area() @ v5.10',
    when: 'always',
    check(g, p) {
      if (g.tree.length === 0) return null;
      for (let be = 0; be < p.backends; be++) {
        const held = g.tree.filter((e) => e.be === be && !e.same).length; // same-filled entries use no pool space
        if (held > p.capacity) return `backend ${be} holds ${held} compressed entries, over its capacity ${p.capacity}`;
      }
      for (const e of g.tree) {
        if (!g.si[e.type]!.used) return `an entry for (type ${e.type}, offset ${e.off}) survives swapoff`;
        if (!g.inited[treeIndex(p, e.be, e.type)])
          return `backend ${e.be} holds (type ${e.type}, offset ${e.off}) without a tree for the type`;
        if (g.swap_map[slotIndex(p, e.type, e.off)] === 0)
          return `an entry for free slot (type ${e.type}, offset ${e.off})`;
      }
      return true;
    },
  }),
  invariant<G, P>({
    name: 'backend-tree-live',
    why: "swapoff frees a type's trees (frontswap_invalidate_area -> zswap_frontswap_invalidate_area: kfree(tree), zswap_trees[type] = NULL) only after clearing SWP_VALID and synchronize_rcu(), which waits for every swap-in holding get_swap_device(); swap-ins through the swap cache, and zswap writeback while it uses the tree, hold a swap-cache page lock try_to_unuse waits for.",
    doc: 'No frontswap load and no zswap writeback dereferences a tree that swapoff has freed (a NULL pointer dereference or use after free in zswap_frontswap_load or zswap_writeback_entry, a kernel oops).',
    source:
      'mm/swapfile.c SYSCALL_DEFINE1(swapoff), get_swap_device() @ v5.10; mm/zswap.c zswap_frontswap_load(), zswap_writeback_entry() @ v5.10; 2799e77529c2 "swap: fix do_swap_page() race with swapoff"',
    when: 'always',
    check(g) {
      if (g.oops !== 0) return 'a frontswap load or zswap writeback dereferenced a zswap tree that swapoff had freed';
      return g.tree.length > 0 ? true : null;
    },
  }),
];
