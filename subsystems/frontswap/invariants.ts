/**
 * frontswap invariants: properties of every reachable implementation state,
 * each with the kernel source it comes from.
 */
import { invariant } from '../../checker/types.js';
import { slotIndex, type FrontswapParams, type FrontswapState } from '../../impl/frontswap/state.js';
import { zswapFind } from '../../impl/frontswap/zswap.js';

type G = FrontswapState;
type P = FrontswapParams;

export const invariants = [
  invariant<G, P>({
    name: 'frontswap-map-matches-backend',
    doc: 'A frontswap bit is set for every entry the backend holds (the converse fails only for entries zswap wrote back, whose bit stays set), and frontswap_pages counts the set bits.',
    source: 'frontswap.rst L1066-1074 (bit set on an accepted store, checked by load), L1028-1030; mm/frontswap.c; known-bugs F2',
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
    doc: 'Every in-use swap slot that no store or writeback is writing leads to the data last swapped out to it: the backend copy when its frontswap_map bit is set and the backend holds it, else the swap device.',
    source: 'frontswap.rst L932-935 ("stale data may never be obtained from frontswap"), L1066-1074, L1139-1148; known-bugs F2',
    when: 'always',
    check(g, p) {
      let used = false;
      for (let type = 0; type < p.types; type++)
        for (let off = 0; off < p.slots; off++) {
          const s = slotIndex(p, type, off);
          if (g.swap_map[s] === 0 || g.slotLock[s] !== 0) continue;
          used = true;
          const i = g.si[type]!.frontswap_map.includes(off) ? zswapFind(g, type, off) : -1;
          const v = i >= 0 ? g.tree[i]!.data : g.disk[s]!;
          if (v !== g.last[s]) return `(type ${type}, offset ${off}) leads to version ${v}${i >= 0 ? ' in frontswap' : ' on the device'}, the last swap-out wrote ${g.last[s]}`;
        }
      return used ? true : null;
    },
  }),
  invariant<G, P>({
    name: 'frontswap-shadows-device',
    doc: 'Every page frontswap holds shadows an in-use slot of a swapon\'d device and the backend stays within its capacity.',
    source: 'frontswap.rst L1125-1131 ("frontswap cannot contain more pages than the total of swapon\'d swap devices"), L914-916',
    when: 'always',
    check(g, p) {
      if (g.tree.length === 0) return null;
      if (g.tree.length > p.capacity) return `${g.tree.length} entries exceed the capacity ${p.capacity}`;
      for (const e of g.tree) {
        if (!g.si[e.type]!.on) return `an entry for (type ${e.type}, offset ${e.off}) survives swapoff`;
        if (g.swap_map[slotIndex(p, e.type, e.off)] === 0) return `an entry for free slot (type ${e.type}, offset ${e.off})`;
      }
      return true;
    },
  }),
];

