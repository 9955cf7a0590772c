/**
 * The toy bench model on its own, without checker/check.ts: step functions
 * driven sequentially, and an independent BFS (test/bench/mini-explorer.ts)
 * that must reproduce SPIN/Rumur's distinct-state count and the BUG
 * counterexample length.
 */
import { describe, expect, it } from 'vitest';
import type { StepResult } from '../../checker/types.js';
import { ArrayReader, IntBuffer } from '../../checker/schema.js';
import {
  EXPECTED_STATES,
  SMALL,
  toy,
  toyAlternatives,
  toyFor,
  toyImpl,
  toyInvariants,
  toyScenario,
  type ToyParams,
  type ToyState,
} from '../../bench/toy/model.js';
import { makeCtx, miniExplore } from './mini-explorer.js';

/** Run one whole op (all its steps) for thread `tid`; returns the step names taken and the result. */
function runOp(
  g: ToyState,
  p: ToyParams,
  tid: number,
  op: string,
  args: Record<string, number>,
  variant: string | null = null,
): { steps: string[]; ret: unknown } {
  const impl = toyImpl(p.K);
  const def = impl.ops[op]!;
  const l: Record<string, number> = Object.fromEntries((def.locals ?? []).map((k) => [k, 0]));
  const steps: string[] = [];
  let pc = 0;
  for (;;) {
    const step = def.steps[pc]!;
    const ctx = makeCtx(tid, args, l, p, variant);
    if (step.enabled && !step.enabled(g, ctx)) throw new Error(`${op}.${step.name} not enabled`);
    steps.push(step.name);
    const r: StepResult = step.run(g, ctx);
    if (typeof r !== 'string') return { steps, ret: r.ret };
    pc = def.steps.findIndex((s) => s.name === r);
    expect(pc).toBeGreaterThan(0);
  }
}

function invariantsHold(g: ToyState, p: ToyParams, quiescent: boolean): string[] {
  const bad: string[] = [];
  for (const inv of toyInvariants) {
    if (inv.when === 'quiescent' && !quiescent) continue;
    const r = inv.check(g, p, { quiescent, inFlight: [], variant: null });
    if (r === false || typeof r === 'string') bad.push(`${inv.name}: ${r}`);
  }
  return bad;
}

describe('toy model: sequential steps', () => {
  const p = SMALL;

  it('menu has every Promela alternative', () => {
    // RES(f,e) 0<=f<e<=K: K(K+1)/2, FLT(x): K, TRN(e) e<K: K
    expect(toyAlternatives(3)).toHaveLength(6 + 3 + 3);
    expect(toyAlternatives(4)).toHaveLength(10 + 4 + 4);
    const sc = toyScenario(p);
    expect(sc.threads).toHaveLength(p.T);
    for (const th of sc.threads) expect(th).toHaveLength(p.N);
  });

  it('reserve, fault on the reservation, truncate', () => {
    const g = toyImpl(p.K).init(p);
    expect(g).toEqual({
      F: 3,
      R: 0,
      rmap: [false, false, false],
      cache: [false, false, false],
      ilock: 0,
      nfault: 0,
      fmutex: [false, false, false],
    });

    const r = runOp(g, p, 0, 'reserve', { from: 0, to: 2 });
    expect(r.steps).toEqual(['region_chg', 'hugetlb_acct_memory', 'region_add']);
    expect(r.ret).toBe(0);
    expect(g).toMatchObject({ F: 3, R: 2, rmap: [true, true, false], ilock: 0 });
    expect(invariantsHold(g, p, true)).toEqual([]);

    const f = runOp(g, p, 1, 'fault', { index: 1 });
    expect(f.steps).toEqual(['vma_needs_reservation', 'dequeue_huge_page', 'vma_commit_reservation']);
    expect(g).toMatchObject({ F: 2, R: 1, cache: [false, true, false], nfault: 0, fmutex: [false, false, false] });
    expect(invariantsHold(g, p, true)).toEqual([]);

    // page already cached: completes at the first step
    const f2 = runOp(g, p, 0, 'fault', { index: 1 });
    expect(f2.steps).toEqual(['vma_needs_reservation']);
    expect(g).toMatchObject({ F: 2, R: 1, nfault: 0 });

    // fault without reservation takes an unreserved page
    runOp(g, p, 0, 'fault', { index: 2 });
    expect(g).toMatchObject({ F: 1, R: 1, rmap: [true, true, true], cache: [false, true, true] });
    expect(invariantsHold(g, p, true)).toEqual([]);

    // truncate to 1: frees pages 1, 2; deletes entries 1, 2 (no unconsumed reservation among them)
    const t = runOp(g, p, 1, 'truncate', { to: 1 });
    expect(t.steps).toEqual(['truncate']);
    expect(g).toMatchObject({ F: 3, R: 1, rmap: [true, false, false], cache: [false, false, false] });
    expect(invariantsHold(g, p, true)).toEqual([]);

    runOp(g, p, 1, 'truncate', { to: 0 });
    expect(g).toMatchObject({ F: 3, R: 0, rmap: [false, false, false] });
  });

  it('reserve fails with ENOMEM when the pool is short, fault SIGBUSes with no page', () => {
    const g = toyImpl(p.K).init({ ...p, P: 1 });
    const q = { ...p, P: 1 };
    const r = runOp(g, q, 0, 'reserve', { from: 0, to: 2 });
    expect(r.steps).toEqual(['region_chg', 'hugetlb_acct_memory']);
    expect(r.ret).toBe(-12);
    expect(g).toMatchObject({ F: 1, R: 0, ilock: 0, rmap: [false, false, false] });
    runOp(g, q, 0, 'reserve', { from: 0, to: 1 });
    expect(g).toMatchObject({ F: 1, R: 1 });
    const f = runOp(g, q, 0, 'fault', { index: 2 });
    expect(f.steps).toEqual(['vma_needs_reservation', 'dequeue_huge_page']);
    expect(f.ret).toBe('SIGBUS');
    expect(g).toMatchObject({ F: 1, R: 1, nfault: 0, fmutex: [false, false, false] });
    expect(invariantsHold(g, q, true)).toEqual([]);
  });

  it('locks: region_chg waits for ilock, truncate for ilock and nfault, fault for its fault mutex', () => {
    const impl = toyImpl(p.K);
    const g = impl.init(p);
    const [chg] = impl.ops.reserve!.steps;
    const [needs] = impl.ops.fault!.steps;
    const [trunc] = impl.ops.truncate!.steps;
    const ctx = (args: Record<string, number>) => makeCtx(1, args, { c: 0 }, p, null);
    g.ilock = 1;
    expect(chg!.enabled!(g, ctx({ from: 0, to: 1 }))).toBe(false);
    expect(trunc!.enabled!(g, ctx({ to: 0 }))).toBe(false);
    g.ilock = 0;
    g.nfault = 1;
    expect(trunc!.enabled!(g, ctx({ to: 0 }))).toBe(false);
    expect(chg!.enabled!(g, ctx({ from: 0, to: 1 }))).toBe(true);
    g.fmutex[2] = true;
    expect(needs!.enabled!(g, ctx({ index: 2 }))).toBe(false);
    expect(needs!.enabled!(g, ctx({ index: 1 }))).toBe(true);
  });

  it('the chg > add refund (and the BUG variant that forgets it)', () => {
    for (const variant of [null, 'BUG']) {
      const impl = toyImpl(p.K);
      const g = impl.init(p);
      const l = { c: 0 };
      const res = impl.ops.reserve!.steps;
      const ctx = makeCtx(0, { from: 0, to: 1 }, l, p, variant);
      res[0]!.run(g, ctx); // region_chg: chg = 1
      res[1]!.run(g, ctx); // R = 1
      runOp(g, p, 1, 'fault', { index: 0 }); // instantiates index 0 without consuming the reservation
      res[2]!.run(g, ctx); // region_add: add = 0 < chg = 1
      if (variant === null) {
        expect(g.R).toBe(0);
        expect(invariantsHold(g, p, true)).toEqual([]);
      } else {
        expect(g.R).toBe(1);
        expect(invariantsHold(g, p, true)).toEqual([
          'quiescent-resv-pages: R=1, expected outstanding reservations = 0',
        ]);
      }
    }
  });

  it('schema round-trips the state', () => {
    const impl = toyImpl(4);
    const g = impl.init({ P: 4, K: 4, T: 3, N: 2 });
    g.rmap[2] = true;
    g.F = 3;
    const w = new IntBuffer();
    const schema = typeof impl.state === 'function' ? impl.state({ P: 4, K: 4, T: 3, N: 2 }) : impl.state;
    schema.encode(g, w);
    expect(w.len).toBe(2 + 3 * 4 + 2);
    expect(schema.decode(new ArrayReader(w.toArray()))).toEqual(g);
  });

  it('toy is the K=3 instance; toyFor gives one per K', () => {
    expect(toy.name).toBe('spin-toy');
    expect(toy.spec).toBeUndefined();
    expect(toy.variants.map((v) => v.name)).toEqual(['BUG']);
    expect(toyFor(SMALL)).toBe(toy);
    expect(toyFor({ P: 4, K: 4, T: 3, N: 2 }).impl).toBe(toyImpl(4));
    expect(() => toyScenario({ P: 3, K: 6, T: 2, N: 2 })).toThrow(/K must be/);
  });
});

describe('toy model: independent BFS (no checker code)', () => {
  it(`small config has ${EXPECTED_STATES.small} distinct states, no violation, no deadlock`, () => {
    const r = miniExplore(toy.impl, toy.invariants, toyScenario(SMALL));
    expect(r.violation).toBeUndefined();
    expect(r.deadlocks).toBe(0);
    expect(r.states).toBe(EXPECTED_STATES.small);
  });

  it('BUG variant: shortest counterexample has 6 steps', () => {
    const r = miniExplore(toy.impl, toy.invariants, toyScenario(SMALL), 'BUG');
    expect(r.violation).toBeDefined();
    expect(r.violation!.property).toBe('quiescent-resv-pages');
    expect(r.violation!.steps).toHaveLength(6);
  });
});
