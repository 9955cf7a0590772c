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
 * This is a bench model, not a user subsystem: it has no spec (invariants
 * only) and is not registered in subsystems/index.ts.
 */
import { done, invariant } from '../../checker/types.js';
import type { ImplDef, Invariant, OpChoice, Scenario, Subsystem, ThreadCtx, Variant } from '../../checker/types.js';
import { S } from '../../checker/schema.js';
import type { Schema } from '../../checker/schema.js';

/** P pages in the pool, K indices in the file, T threads, N operations per thread. */
export interface ToyParams {
  readonly P: number;
  readonly K: number;
  readonly T: number;
  readonly N: number;
}

export interface ToyState {
  /** free_huge_pages */
  F: number;
  /** resv_huge_pages */
  R: number;
  /** reserve map (the inode's resv_map): entry for index i */
  rmap: boolean[];
  /** page cache: huge page instantiated at index i */
  cache: boolean[];
  /** inode lock (i_rwsem) held by reserve: 0 free, tid + 1 owner */
  ilock: number;
  /** faults in flight (they hold i_mmap_rwsem shared; truncate waits for 0) */
  nfault: number;
  /** hugetlb_fault_mutex for (mapping, index) */
  fmutex: boolean[];
}

type Ctx = ThreadCtx<ToyParams>;

/** The two configurations SPIN and Rumur agree on (README.md next to the .pml). */
export const SMALL: ToyParams = { P: 3, K: 3, T: 2, N: 2 };
export const LARGE: ToyParams = { P: 4, K: 4, T: 3, N: 2 };
/** Distinct reachable states measured with SPIN and Rumur. */
export const EXPECTED_STATES = { small: 11_909, large: 1_795_910 } as const;
/** SPIN's transition counts (they include the ALL_DONE stutter self-loops). */
export const SPIN_TRANSITIONS = { small: 29_907, large: 6_694_546 } as const;

const ENOMEM = -12;

/** Schemas are per K (fixed-length arrays); memoized so every run shares one. */
const schemas = new Map<number, Schema<ToyState>>();
export function toySchema(K: number): Schema<ToyState> {
  let s = schemas.get(K);
  if (!s) {
    s = S.struct({
      F: S.int(),
      R: S.int(),
      rmap: S.array(S.bool(), K),
      cache: S.array(S.bool(), K),
      ilock: S.int(),
      nfault: S.int(),
      fmutex: S.array(S.bool(), K),
    });
    schemas.set(K, s);
  }
  return s;
}

/** Number of indices in [f, e) without a reserve-map entry (region_chg / region_add count). */
function unmapped(g: Readonly<ToyState>, f: number, e: number): number {
  let n = 0;
  for (let i = f; i < e; i++) if (!g.rmap[i]) n++;
  return n;
}

/**
 * The implementation. The schema depends on K, so the impl is built per K;
 * `toy.impl` is the one for the small configuration and `toyImpl(K)` gives
 * any other. Step functions do not depend on K beyond the params.
 */
const impls = new Map<number, ImplDef<ToyState, ToyParams>>();
export function toyImpl(K: number): ImplDef<ToyState, ToyParams> {
  let d = impls.get(K);
  if (!d) {
    d = makeImpl(toySchema(K));
    impls.set(K, d);
  }
  return d;
}

// the op table mirrors bench/models/hugetlb-toy.pml
// proctype by proctype, so a reader compares the two side by side
// eslint-disable-next-line max-lines-per-function -- see the comment above
function makeImpl(state: Schema<ToyState>): ImplDef<ToyState, ToyParams> {
  return {
    state,
    init(p: ToyParams): ToyState {
      return {
        F: p.P,
        R: 0,
        rmap: new Array<boolean>(p.K).fill(false),
        cache: new Array<boolean>(p.K).fill(false),
        ilock: 0,
        nfault: 0,
        fmutex: new Array<boolean>(p.K).fill(false),
      };
    },
    ops: {
      reserve: {
        doc: 'mmap of [from, to) -> hugetlb_reserve_pages(): region_chg, hugetlb_acct_memory, region_add (+ refund when add < chg)',
        locals: ['c'],
        steps: [
          {
            // inode lock, region_chg(): c = entries to add
            name: 'region_chg',
            enabled: (g: Readonly<ToyState>) => g.ilock === 0,
            run(g: ToyState, t: Ctx) {
              g.ilock = t.tid + 1;
              t.l.c = unmapped(g, t.args.from as number, t.args.to as number);
              return 'hugetlb_acct_memory';
            },
          },
          {
            // hugetlb_acct_memory(chg) under hugetlb_lock
            name: 'hugetlb_acct_memory',
            run(g: ToyState, t: Ctx) {
              const c = t.l.c!;
              if (c > g.F - g.R) {
                // not enough free unreserved pages: region_abort(), -ENOMEM
                g.ilock = 0;
                return done(ENOMEM);
              }
              g.R += c;
              return 'region_add';
            },
          },
          {
            // region_add(); if it added fewer than chg, give the difference back
            name: 'region_add',
            run(g: ToyState, t: Ctx) {
              const from = t.args.from as number;
              const to = t.args.to as number;
              const add = unmapped(g, from, to);
              for (let i = from; i < to; i++) g.rmap[i] = true;
              const c = t.l.c!;
              if (t.bug('BUG')) {
                // BUG: the "chg > add" fix-up is forgotten
              } else if (add < c) {
                g.R -= c - add;
              }
              g.ilock = 0;
              return done(0);
            },
          },
        ],
      },
      fault: {
        doc: 'hugetlb_fault() on index: fault mutex + vma_needs_reservation, dequeue_huge_page_vma, vma_commit_reservation',
        locals: ['c'],
        steps: [
          {
            // hugetlb_fault(x): fault mutex, page-cache lookup, vma_needs_reservation()
            name: 'vma_needs_reservation',
            enabled: (g: Readonly<ToyState>, t: Ctx) => !g.fmutex[t.args.index as number],
            run(g: ToyState, t: Ctx) {
              const x = t.args.index as number;
              if (g.cache[x]) return done(0); // page already instantiated: nothing to do
              g.fmutex[x] = true;
              g.nfault++;
              t.l.c = g.rmap[x] ? 0 : 1;
              return 'dequeue_huge_page';
            },
          },
          {
            // dequeue_huge_page_vma() under hugetlb_lock
            name: 'dequeue_huge_page',
            run(g: ToyState, t: Ctx) {
              if (t.l.c === 0) {
                // reservation exists: consume it
                g.F--;
                g.R--;
                return 'vma_commit_reservation';
              }
              if (g.F - g.R > 0) {
                // no reservation: take an unreserved free page
                g.F--;
                return 'vma_commit_reservation';
              }
              // no page: vma_end_reservation(), SIGBUS
              g.fmutex[t.args.index as number] = false;
              g.nfault--;
              return done('SIGBUS');
            },
          },
          {
            // vma_commit_reservation() (region_add of one page), fix-up, add to page cache
            name: 'vma_commit_reservation',
            run(g: ToyState, t: Ctx) {
              const x = t.args.index as number;
              const n = g.rmap[x] ? 0 : 1; // region_add() result
              g.rmap[x] = true;
              if (t.l.c! > n) g.R--; // reserve_pages added the entry meanwhile
              g.cache[x] = true;
              g.fmutex[x] = false;
              g.nfault--;
              return done(0);
            },
          },
        ],
      },
      truncate: {
        doc: 'truncate to `to`: remove_inode_hugepages() + hugetlb_unreserve_pages(to, LONG_MAX, freed), one step',
        steps: [
          {
            name: 'truncate',
            enabled: (g: Readonly<ToyState>) => g.ilock === 0 && g.nfault === 0,
            run(g: ToyState, t: Ctx) {
              const K = t.params.K;
              let freed = 0;
              let del = 0;
              for (let i = t.args.to as number; i < K; i++) {
                if (g.cache[i]) {
                  g.cache[i] = false; // free page: F++
                  freed++;
                }
                if (g.rmap[i]) {
                  g.rmap[i] = false; // region_del
                  del++;
                }
              }
              g.F += freed;
              g.R -= del - freed; // chg - freed = unconsumed reservations
              return done(0);
            },
          },
        ],
      },
    },
  };
}

const SOURCE = 'bench/models/hugetlb-toy.pml check(); Documentation/vm/hugetlbfs_reserv.rst';

export const toyInvariants: readonly Invariant<ToyState, ToyParams>[] = [
  invariant<ToyState, ToyParams>({
    name: 'counters-in-range',
    doc: 'The pool counters satisfy 0 <= resv_huge_pages <= free_huge_pages <= P (hugetlbfs_reserv.rst: reservations are taken from free pages).',
    source: SOURCE,
    when: 'always',
    check: (g, p) => (0 <= g.R && g.R <= g.F && g.F <= p.P) || `R=${g.R} F=${g.F} P=${p.P}`,
  }),
  invariant<ToyState, ToyParams>({
    name: 'cached-page-has-map-entry',
    doc: 'Every huge page instantiated in the page cache has a reserve-map entry (vma_commit_reservation adds it before the page is added).',
    source: SOURCE,
    when: 'always',
    check(g) {
      let any = false;
      for (let i = 0; i < g.cache.length; i++) {
        if (g.cache[i]) {
          if (!g.rmap[i]) return `index ${i} is cached without a reserve-map entry`;
          any = true;
        }
      }
      return any ? true : null;
    },
  }),
  invariant<ToyState, ToyParams>({
    name: 'quiescent-free-pages',
    doc: 'With no operation in flight, free_huge_pages == P minus the instantiated pages (hugetlbfs_reserv.rst: pages leave the free list only when instantiated).',
    source: SOURCE,
    when: 'quiescent',
    check(g, p) {
      let n = 0;
      for (let i = 0; i < g.cache.length; i++) if (g.cache[i]) n++;
      return g.F === p.P - n || `F=${g.F}, expected P - instantiated = ${p.P - n}`;
    },
  }),
  invariant<ToyState, ToyParams>({
    name: 'quiescent-resv-pages',
    doc: 'With no operation in flight, resv_huge_pages == the reserve-map entries without an instantiated page (hugetlbfs_reserv.rst: outstanding reservations).',
    source: SOURCE,
    when: 'quiescent',
    check(g) {
      let m = 0;
      for (let i = 0; i < g.cache.length; i++) if (g.rmap[i] && !g.cache[i]) m++;
      return g.R === m || `R=${g.R}, expected outstanding reservations = ${m}`;
    },
  }),
];

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
