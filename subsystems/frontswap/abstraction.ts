/**
 * frontswap abstraction: each swap slot seen as the spec's view (free, in
 * frontswap, written back, on the device, with its data), and the
 * `run --script` observer of both sides.
 */
import type { Subsystem } from '../../checker/types.js';
import { slotIndex, type FrontswapParams, type FrontswapState } from '../../impl/frontswap/state.js';
import { frontswapHolder } from '../../impl/frontswap/frontend.js';
import type { FrontswapView, SlotState } from '../../spec/frontswap/machine.js';

type G = FrontswapState;
type P = FrontswapParams;

export function abstraction(g: Readonly<G>, p: P): FrontswapView {
  const st: SlotState[] = [];
  const data: number[] = [];
  for (let type = 0; type < p.types; type++)
    for (let off = 0; off < p.slots; off++) {
      const s = slotIndex(p, type, off);
      if (g.swap_map[s] === 0) {
        st.push('free');
        data.push(0);
      } else if (g.si[type]!.frontswap_map.includes(off)) {
        const i = frontswapHolder(g, type, off);
        st.push(i >= 0 ? 'fs' : 'wb');
        data.push(i >= 0 ? g.tree[i]!.data : g.disk[s]!);
      } else {
        st.push('disk');
        data.push(g.disk[s]!);
      }
    }
  return {
    writethrough: p.writethrough,
    enabled: g.frontswap_ops.length > 0,
    on: g.si.map((si) => si.on),
    st,
    data,
    succ_stores: g.succ_stores,
    failed_stores: g.failed_stores,
    loads: g.loads,
    invalidates: g.invalidates,
  };
}

export const observer: NonNullable<Subsystem<G, FrontswapView, P>['observer']> = {
  impl: (g) => ({
    stores: g.succ_stores,
    failed_stores: g.failed_stores,
    loads: g.loads,
    invalidates: g.invalidates,
    entries: g.tree.length,
    frontswap_map: JSON.stringify(g.si.map((s) => s.frontswap_map)),
  }),
  spec: (v) => ({
    stores: v.succ_stores,
    failed_stores: v.failed_stores,
    loads: v.loads,
    invalidates: v.invalidates,
    slots: v.st.map((s, i) => `${s}:${v.data[i]}`).join(' '),
  }),
};
