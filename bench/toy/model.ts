/**
 * The SPIN/Rumur cross-check model, written with mmcheck.
 *
 * Same model as bench/models/hugetlb-toy.pml (SPIN) and hugetlb-toy.m
 * (Murphi/Rumur): reservation accounting for one shared hugetlbfs file, after
 * Documentation/vm/hugetlbfs_reserv.rst. One Promela d_step is one mmcheck
 * step, and the explored state carries the same information as the Promela
 * globals, so the distinct-state counts are comparable one to one:
 *
 *   Promela                         mmcheck
 *   F, R, rmap[K], cache[K],        impl state (this file's schema)
 *   ilock, nfault, fmutex[K]
 *   ops[t]                          thread slot (ops started = slot, +1 while in flight)
 *   pc[t]                           thread pc (step index, -1 when idle)
 *   a[t], b[t]                      the slot alternative's args (from/to, index)
 *   c[t]                            local `c` (chg from region_chg / map_chg)
 *
 * The Promela `ALL_DONE -> skip` stutter has no counterpart: it adds SPIN
 * transitions, never states.
 *
 * state.ts holds the params and the state schema, ops.ts the step functions,
 * invariants.ts the assertions; this file the scenarios and the subsystem.
 *
 * This is a bench model, not a user subsystem: it has no spec (invariants
 * only) and is not registered in subsystems/index.ts.
 */
import type { OpChoice, Scenario, Subsystem, Variant } from '../../checker/types.js';
import { LARGE, SMALL, type ToyParams, type ToyState } from './state.js';
import { toyImpl } from './ops.js';
import { toyInvariants } from './invariants.js';

export { EXPECTED_STATES, LARGE, SMALL, SPIN_TRANSITIONS, toySchema, type ToyParams, type ToyState } from './state.js';
export { toyImpl } from './ops.js';
export { toyInvariants } from './invariants.js';

/** Every alternative of the Promela menu: RES(f,e) for 0<=f<e<=K, FLT(x), TRN(e) for e<K. */
export function toyAlternatives(K: number): OpChoice[] {
  const alts: OpChoice[] = [];
  for (let e = 1; e <= K; e++) for (let f = 0; f < e; f++) alts.push({ op: 'reserve', args: { from: f, to: e } });
  for (let x = 0; x < K; x++) alts.push({ op: 'fault', args: { index: x } });
  for (let e = 0; e < K; e++) alts.push({ op: 'truncate', args: { to: e } });
  return alts;
}

export function toyScenarioName(p: ToyParams): string {
  return `toy-P${p.P}-K${p.K}-T${p.T}-N${p.N}`;
}

/** T threads, each running N slots, each slot offering the whole menu. */
export function toyScenario(p: ToyParams): Scenario<ToyParams> {
  checkParams(p);
  const alts = toyAlternatives(p.K);
  const script = Array.from({ length: p.N }, () => alts);
  return {
    name: toyScenarioName(p),
    description: `hugetlb-toy: pool of ${p.P} pages, file of ${p.K} indices, ${p.T} threads x ${p.N} ops from reserve/fault/truncate`,
    params: p,
    threads: Array.from({ length: p.T }, () => script),
  };
}

function checkParams(raw: unknown): ToyParams {
  const p = raw as Partial<Record<keyof ToyParams, unknown>> | null;
  const ok = (v: unknown, lo: number, hi: number) => Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;
  if (!p || typeof p !== 'object') throw new Error('toy params: expected {P, K, T, N}');
  if (!ok(p.P, 0, 30)) throw new Error('toy params: P must be an integer in [0, 30]');
  if (!ok(p.K, 1, 5)) throw new Error('toy params: K must be an integer in [1, 5] (as in the .pml)');
  if (!ok(p.T, 1, 4)) throw new Error('toy params: T must be an integer in [1, 4] (as in the .pml)');
  if (!ok(p.N, 0, 10)) throw new Error('toy params: N must be an integer in [0, 10]');
  return { P: p.P as number, K: p.K as number, T: p.T as number, N: p.N as number };
}

/**
 * The subsystem for a given K (the state schema has K-length arrays). Use
 * `toyFor(params)` with `toyScenario(params)`; `toy` is the K=3 one and its
 * default scenario is the small configuration.
 */
export function toyFor(p: ToyParams): Subsystem<ToyState, unknown, ToyParams> {
  return makeSubsystem(p.K);
}

const variants: readonly Variant[] = [
  {
    name: 'BUG',
    description: 'hugetlb_reserve_pages() forgets the "chg > add" refund after region_add() (hugetlb-toy.pml -DBUG=1)',
    source: 'hugetlb-toy.pml BUG=1',
  },
];

const subsystems = new Map<number, Subsystem<ToyState, unknown, ToyParams>>();
function makeSubsystem(K: number): Subsystem<ToyState, unknown, ToyParams> {
  let s = subsystems.get(K);
  if (!s) {
    const scenarios = [SMALL, LARGE].filter((p) => p.K === K).map(toyScenario);
    s = {
      name: 'spin-toy',
      title: 'hugetlb-toy (SPIN/Rumur cross-check)',
      description:
        'Reservation accounting for one shared hugetlbfs file: the bench model shared with SPIN (hugetlb-toy.pml) and Rumur (hugetlb-toy.m); invariants only, no spec.',
      impl: toyImpl(K),
      invariants: toyInvariants,
      scenarios: scenarios.length > 0 ? scenarios : [toyScenario({ ...SMALL, K })],
      variants: variants.map((v) => ({ ...v, scenarios: K === SMALL.K ? [toyScenarioName(SMALL)] : undefined })),
      parseParams: (raw: unknown) => {
        const p = checkParams(raw);
        if (p.K !== K) throw new Error(`toy params: this instance has K=${K}; use toyFor({.., K: ${p.K}})`);
        return p;
      },
    };
    subsystems.set(K, s);
  }
  return s;
}

/** The K=3 instance: default scenario is the small configuration (P=3, K=3, T=2, N=2). */
export const toy: Subsystem<ToyState, unknown, ToyParams> = makeSubsystem(SMALL.K);
