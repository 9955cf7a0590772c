/**
 * Symmetry reduction (checker/symmetry.ts) keeps verdicts and counts: on
 * scenarios with interchangeable threads, the reduced run reaches the same
 * verdict, with a counterexample of the same (shortest) length that is a
 * real trace, and the canonical states' orbit sizes sum to the unreduced
 * state count; every default scenario says why it gets no reduction; the
 * variants caught without it are caught with it.
 */
import { describe, expect, test } from 'vitest';
import { checkScenario, checkScenarioParallel } from '../../checker/check.js';
import type { CheckResult } from '../../checker/result.js';
import { classPermutations, planSymmetry, threadClasses } from '../../checker/symmetry.js';
import { Product } from '../../checker/product.js';
import type { Scenario, Subsystem } from '../../checker/types.js';
import { selectImpl } from '../../checker/impls.js';
import { registry } from '../../subsystems/index.js';
import { addThread, copyThread, IMPLS, label } from './symmetry-scenarios.js';

/**
 * A run's verdict as far as the reduction must keep it: a violation and the length of its shortest
 * counterexample. Which of several violations at that depth BFS meets first depends on the order it
 * visits states in, which the reduction changes (e.g. thp ced108037c2a with a copy of thread 0:
 * refinement without, linearizability with, both after 7 steps).
 */
const verdict = (r: CheckResult): string =>
  r.violation ? `violation after ${r.violation.trace.transitions.length} steps` : 'pass';

/** With and without symmetry: same verdict; a pass states the unreduced count exactly. */
function compare(sub: Subsystem, s: Scenario, variant: string | null = null): { plain: CheckResult; sym: CheckResult } {
  const plain = checkScenario(sub, s, { variant, maxStates: 300_000 });
  const sym = checkScenario(sub, s, { variant, symmetry: true, maxStates: 300_000 });
  expect(sym.symmetry?.applied, sym.symmetry?.reason).toBe(true);
  expect(verdict(sym)).toBe(verdict(plain));
  if (!plain.violation && plain.exhaustive) {
    expect(sym.exhaustive).toBe(true);
    expect(sym.symmetry!.unreducedStates).toBe(plain.states);
    expect(sym.states).toBeLessThan(plain.states);
  }
  if (sym.violation) expectRealTrace(sub, s, variant, sym);
  return { plain, sym };
}

/** The reduced run's counterexample is a trace of the unreduced product: each label is a successor of the last state. */
function expectRealTrace(sub: Subsystem, s: Scenario, variant: string | null, r: CheckResult): void {
  const p = new Product(sub, s, variant);
  let vec = p.initial().vec;
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  r.violation!.trace.transitions.forEach((want, i) => {
    const hit = p.pick(vec, (l) => same(l, want));
    expect(hit, `step ${i} of the counterexample is no transition of the unreduced system`).toBeDefined();
    vec = hit!.vec;
    expect(same(p.traceState(vec), r.violation!.trace.states[i + 1])).toBe(true);
  });
}

describe('symmetry: groups', () => {
  test('classes and permutations', () => {
    const s = {
      name: 'x',
      description: '',
      params: {},
      threads: [[[{ op: 'a', args: {} }]], [], [[{ op: 'a', args: {} }]]],
    };
    expect(threadClasses(s as Scenario)).toEqual([[0, 2]]);
    expect(
      classPermutations(4, [
        [0, 2],
        [1, 3],
      ]).map((p) => [...p]),
    ).toHaveLength(4);
    expect([...classPermutations(3, [[0, 1, 2]])[0]!]).toEqual([0, 1, 2]);
  });

  test('no default scenario has interchangeable threads: --symmetry says so and changes nothing', () => {
    for (const sub of IMPLS)
      for (const s of sub.scenarios)
        expect(planSymmetry(sub, s), `${label(sub)}/${s.name}`).toEqual({
          reason: 'no two threads run the same program',
        });
    const sub = registry.find((x) => x.name === 'frontswap')!;
    const s = sub.scenarios[0]!;
    const a = checkScenario(sub, s);
    const b = checkScenario(sub, s, { symmetry: true });
    expect(b.symmetry).toMatchObject({ applied: false, canonicalStates: a.states, unreducedStates: a.states });
    expect([b.states, b.transitions, verdict(b)]).toEqual([a.states, a.transitions, verdict(a)]);
  });
});

// every default scenario with two threads or more, thread 1 a copy of thread 0
const SYMMETRIC = IMPLS.flatMap((sub) =>
  sub.scenarios
    .filter((s) => s.threads.length >= 2)
    .map((s) => [`${label(sub)}/${s.name}`, sub, copyThread(s, 0, 1)] as const),
);

describe('symmetry: the defaults with thread 1 := thread 0', () => {
  test('every subsystem is covered', () =>
    expect(new Set(SYMMETRIC.map(([, sub]) => label(sub)))).toEqual(new Set(IMPLS.map(label))));

  test.each(SYMMETRIC)('%s: same verdict, orbit sizes sum to the unreduced count', (_n, sub, s) => {
    const { sym } = compare(sub, s);
    if (sym.violation) {
      // a real trace of the unreduced system: replayed from the initial state by pick()
      expect(sym.violation.trace.states).toHaveLength(sym.violation.trace.transitions.length + 1);
    }
  });
});

/** The variants of a subsystem, each in the scenarios it is caught in, with one thread added (a copy of thread 0). */
function variantRuns(name: string, impl?: string): (readonly [string, Subsystem, Scenario, string])[] {
  const sub = selectImpl(
    registry.find((x) => x.name === name)!,
    impl,
  );
  return sub.variants.flatMap((v) =>
    sub.scenarios
      .filter((s) => (v.scenarios ?? sub.scenarios.map((x) => x.name)).includes(s.name) && s.threads.length < 8)
      .slice(0, 1)
      .map((s) => [`${label(sub)} ${v.name} in ${s.name}`, sub, addThread(s, 0), v.name] as const),
  );
}

describe('symmetry: variants are caught with it as without it', () => {
  const runs = [...variantRuns('hugetlb'), ...variantRuns('frontswap')];
  let caught = 0;
  test.each(runs)('%s', (_n, sub, s, variant) => {
    const { plain } = compare(sub, s, variant);
    if (plain.violation) caught++;
  });
  test('most of them are caught (the comparison is not vacuous)', () =>
    expect(caught).toBeGreaterThanOrEqual(Math.floor(runs.length * 0.8)));
});

describe('symmetry: with --workers 2', () => {
  test('the parallel BFS explores the same canonical states and states the same unreduced count', async () => {
    const sub = registry.find((x) => x.name === 'hugetlb')!;
    const s = copyThread(
      sub.scenarios.find((x) => x.name === 'reserve-fault-3')!,
      0,
      1,
    );
    const one = checkScenario(sub, s, { symmetry: true });
    const registryModule = new URL('../../subsystems/index.ts', import.meta.url).href;
    // lead 0: every level in the workers (each running the symmetric model), none in the coordinator
    const two = await checkScenarioParallel(sub, s, {
      workers: 2,
      registryModule,
      symmetry: true,
      parallel: { lead: 0 },
    });
    expect(two.symmetry).toEqual(one.symmetry);
    expect([two.states, two.transitions, verdict(two)]).toEqual([one.states, one.transitions, verdict(one)]);
    expect(one.symmetry!.unreducedStates).toBeGreaterThan(one.states);
  });

  test('a variant: the same shortest counterexample as the sequential search', async () => {
    const sub = registry.find((x) => x.name === 'hugetlb')!;
    const s = addThread(
      sub.scenarios.find((x) => x.name === 'truncate-vs-fault')!,
      0,
    );
    const one = checkScenario(sub, s, { symmetry: true, variant: 'H1' });
    const registryModule = new URL('../../subsystems/index.ts', import.meta.url).href;
    const two = await checkScenarioParallel(sub, s, {
      workers: 2,
      registryModule,
      symmetry: true,
      variant: 'H1',
      parallel: { lead: 0 },
    });
    expect(one.violation).toBeDefined();
    expect(two.violation?.trace.transitions).toEqual(one.violation!.trace.transitions);
    expect(two.violation?.message).toBe(one.violation!.message);
  });
});
