/**
 * frontswap: the mapping between the spec (spec/frontswap) and the
 * implementation (impl/frontswap: mm/frontswap.c frontend + zswap-like backend).
 */
import { frontswapOps } from './op-schemas.js';
import { knobsCustomize } from '../../checker/reshape.js';
import { knobs } from './knobs.js';
import { invariant, type OpChoice, type Scenario, type ScenarioOptions, type Subsystem, type Variant } from '../../checker/types.js';
import {
  frontswapChoices,
  frontswapEvent,
  frontswapInternal,
  frontswapMachine,
  frontswapView,
  type FrontswapView,
  type SlotState,
} from '../../spec/frontswap/machine.js';
import { frontswapImpl } from '../../impl/frontswap/ops.js';
import { slotIndex, type FrontswapParams, type FrontswapState } from '../../impl/frontswap/state.js';
import { zswapFind } from '../../impl/frontswap/zswap.js';

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
        const i = zswapFind(g, type, off);
        st.push(i >= 0 ? 'fs' : 'wb');
        data.push(i >= 0 ? g.tree[i]!.data : g.disk[s]!);
      } else {
        st.push('disk');
        data.push(g.disk[s]!);
      }
    }
  return {
    writethrough: p.writethrough,
    on: g.si.map((si) => si.on),
    st,
    data,
    succ_stores: g.succ_stores,
    failed_stores: g.failed_stores,
    loads: g.loads,
    invalidates: g.invalidates,
  };
}

const invariants = [
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

const base: P = { types: 1, slots: 1, capacity: 2, swapon: true, writethrough: false };
const op = (o: string, args: Record<string, number> = {}): OpChoice[] => [{ op: o, args }];
const out = (v: number, off = 0) => op('swapout', { type: 0, off, v });
const inn = (off = 0) => op('swapin', { type: 0, off });

const scenarios: Scenario<P>[] = [
  {
    name: 'dup-store',
    description: 'a page is swapped out twice to one slot (the duplicate store may fail) and swapped in, racing two zswap writebacks, another swap-in and a third store',
    params: { ...base },
    threads: [
      [out(1), out(2), inn()],
      [op('writeback'), inn()],
      [op('writeback'), out(3)],
    ],
  },
  {
    name: 'free-reuse',
    description: 'a slot is freed (invalidate_page) and reused while zswap writes back its old entry',
    params: { ...base },
    threads: [
      [out(1), op('swap_free', { type: 0, off: 0 }), out(2), inn()],
      [op('writeback'), op('writeback')],
    ],
  },
  {
    name: 'swapoff',
    description: 'swapoff (invalidate_area) and swapon again around stores, racing swap-in and writeback',
    params: { ...base },
    threads: [
      [out(1), op('swapoff', { type: 0 }), op('swapon', { type: 0 }), out(2)],
      [inn(), op('writeback'), inn()],
    ],
  },
  {
    name: 'two-slots',
    description: 'three threads: two slots, a backend of capacity 1, stores, loads, writeback and a duplicate store',
    params: { ...base, slots: 2, capacity: 1 },
    threads: [
      [out(1, 0), out(2, 1), inn(0)],
      [op('writeback'), inn(1)],
      [out(3, 0), inn(0)],
    ],
  },
  {
    name: 'stress',
    description: 'four threads: two slots, a backend of capacity 1, stores, duplicate stores, loads, frees and two writebacks',
    params: { ...base, slots: 2, capacity: 1 },
    threads: [
      [out(1, 0), out(2, 1), inn(0)],
      [op('writeback'), inn(1)],
      [out(3, 0), inn(0)],
      [op('swap_free', { type: 0, off: 1 }), out(4, 1), op('writeback')],
    ],
  },
  {
    name: 'writethrough',
    description: 'writethrough mode: stores also go to the device and a full backend reclaims its oldest entry; swap-in must still return the latest data',
    params: { ...base, slots: 2, capacity: 1, writethrough: true },
    threads: [
      [out(1, 0), out(2, 1), inn(0)],
      [op('writeback'), inn(1)],
      [out(3, 0), op('swap_free', { type: 0, off: 1 })],
    ],
  },
];

const variants: Variant[] = [
  {
    name: 'F2',
    description: 'a failed duplicate store clears the frontswap_map bit but leaves the old copy in the backend; writeback then overwrites the newer data on disk',
    source: 'known-bugs F2 (fb993fa1a2f6 "mm: frontswap: invalidate expired data on a dup-store failure")',
    scenarios: ['dup-store'],
  },
  {
    name: 'FS-1',
    description: 'a failed duplicate store invalidates nothing: the bit stays set and a load returns the stale copy',
    source: 'seeds-digest 4.2 FS-1; frontswap.rst L932-935, L1139-1148',
    scenarios: ['dup-store'],
  },
  {
    name: 'FS-3',
    description: 'a full backend accepts a store by silently dropping its oldest entry: a later load of that page misses',
    source: 'seeds-digest 4.2 FS-3; frontswap.rst L918-919, L1066-1067',
    scenarios: ['two-slots'],
  },
  {
    name: 'ZS-WB',
    description: 'zswap writeback does not re-check that its entry is still in the tree: the freed and reused slot gets the old data written over it',
    source: 'mm/zswap.c zswap_writeback_entry() "invalidated and recycled behind our backs" check (later kernels; SHA unverified)',
    scenarios: ['free-reuse'],
  },
];

const KEYS = ['types', 'slots', 'capacity', 'swapon', 'writethrough'] as const;

export function parseParams(raw: unknown): P {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('expected an object of frontswap parameters');
  const r = raw as Record<string, unknown>;
  for (const k of Object.keys(r))
    if (!(KEYS as readonly string[]).includes(k)) throw new Error(`unknown parameter '${k}' (known: ${KEYS.join(', ')})`);
  const int = (k: 'types' | 'slots' | 'capacity', lo: number, hi: number): number => {
    const v = r[k] ?? base[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw new Error(`${k}: expected an integer in [${lo}, ${hi}], got ${JSON.stringify(v)}`);
    return v;
  };
  const bool = (k: 'swapon' | 'writethrough'): boolean => {
    const v = r[k] ?? base[k];
    if (typeof v !== 'boolean') throw new Error(`${k}: expected true or false, got ${JSON.stringify(v)}`);
    return v;
  };
  return { types: int('types', 1, 4), slots: int('slots', 1, 8), capacity: int('capacity', 1, 16), swapon: bool('swapon'), writethrough: bool('writethrough') };
}

/**
 * --threads N: repeat the threads round-robin up to N; --ops N: first N slots
 * of each thread; --pool N: backend capacity; --file-size N: slots per device.
 */
/** The knobs (knobs.ts) in the older `customize(base, {threads: 3})` form. */
export const customize = (base: Scenario<P>, opts: ScenarioOptions): Scenario<P> => knobsCustomize(knobs)(base, opts);

export const frontswap: Subsystem<G, FrontswapView, P> = {
  name: 'frontswap',
  title: 'Frontswap persistence (frontswap_map, dup-store rule, zswap-like backend with writeback)',
  description:
    'Swap-out may go to frontswap or the swap device; swap-in returns the data last swapped out; a failed duplicate store leaves no stale copy; zswap writeback moves entries to the device.',
  impl: frontswapImpl,
  opSchemas: frontswapOps,
  spec: {
    machine: frontswapMachine,
    input: (p: P) => ({ types: p.types, slots: p.slots, swapon: p.swapon, writethrough: p.writethrough }),
    internal: frontswapInternal,
    event: (op, args, choice) => frontswapEvent(op, args, choice),
    choices: frontswapChoices,
    view: frontswapView as (s: { value: unknown; context: any }) => FrontswapView,
  },
  abstraction,
  invariants,
  scenarios,
  variants,
  knobs,
  customize,
  parseParams,
  observer: {
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
  },
};
