/**
 * The parallel BFS (--workers N) gives the sequential BFS's answer for every N:
 * the same distinct states, transitions, depth, stop reason, invariant
 * tallies, pruned preconditions and vacuity lists; for a failing variant the
 * same violation and the same shortest trace, step for step; at a state limit
 * the same counts at the stop. Timing is never asserted here (npm run bench).
 */
import { describe, expect, test } from 'vitest';
import { checkScenario, checkScenarioParallel } from '../../checker/check.js';
import type { CheckResult } from '../../checker/result.js';
import { searchSummary } from '../../checker/search-summary.js';
import type { Lead } from '../../checker/strategy/parallel-bfs.js';
import type { Scenario, Subsystem } from '../../checker/types.js';
import { registry } from '../../subsystems/index.js';
import { StepMemo } from '../../checker/step-memo.js';
import { implSchema } from '../../checker/product.js';
import { formatItf, toItf } from '../../traces/itf.js';
import { outcomeOf } from '../../cli/outcome.js';
import { renderOutcomeText } from '../../cli/reporters/text.js';

const registryModule = new URL('../../subsystems/index.ts', import.meta.url).href;

/** Everything a result says about what was explored and found (not timing, not memory). */
function answer(r: CheckResult, withSpecStates = true) {
  return {
    states: r.states,
    transitions: r.transitions,
    maxDepth: r.maxDepth,
    stop: r.stopReason,
    exhaustive: r.exhaustive,
    invariants: r.invariants,
    preconditions: r.preconditions,
    clausesNeverRun: r.bounds.clausesNeverRun,
    faultSitesNeverReached: r.bounds.faultSitesNeverReached,
    ...(withSpecStates ? { specStates: r.specStates } : {}),
    violation: r.violation && {
      kind: r.violation.kind,
      property: r.violation.property,
      message: r.violation.message,
      transitions: r.violation.trace.transitions,
      // a trace lists its spec states in canonical order (checker/intern.ts canonicalOrder), the same for
      // every N; a view another thread interned comes back with its keys sorted, so compare canonical texts
      states: r.violation.trace.states.map((st) => (st.spec ? { ...st, spec: st.spec.map((v) => canonical(v)) } : st)),
    },
  };
}

/** JSON with object keys sorted. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

function sub(name: string): Subsystem {
  return registry.find((s) => s.name === name)!;
}

/** Per subsystem, its first default scenario under 6,000 states: real scenarios, kept small for the suite. */
const passing = registry.flatMap((s) =>
  s.scenarios
    .map((scenario) => ({ s, scenario, seq: checkScenario(s, scenario, { maxStates: 6_000 }) }))
    .filter((x) => x.seq.exhaustive && x.seq.states > 300)
    .slice(0, 1),
);

/** Per subsystem, its first variant caught in its first listed scenario. */
const failing = registry.flatMap((s) =>
  s.variants
    .map((v) => {
      const scenario = s.scenarios.find((x) => x.name === v.scenarios?.[0]) ?? s.scenarios[0]!;
      return { s, scenario, variant: v.name, seq: checkScenario(s, scenario, { variant: v.name, maxStates: 20_000 }) };
    })
    .filter((x) => x.seq.violation && x.seq.violation.trace.transitions.length >= 4)
    .slice(0, 1),
);

/** Every level in the workers (lead 0) unless `extra.lead` says otherwise. */
const par = (
  s: Subsystem,
  scenario: Scenario,
  workers: number,
  extra: { variant?: string; maxStates?: number; lead?: Lead; tableLog2?: number; spawnAt?: number } = {},
) => {
  const { lead, tableLog2, spawnAt, ...rest } = extra;
  const parallel = {
    lead: lead ?? 0,
    ...(tableLog2 !== undefined ? { tableLog2 } : {}),
    ...(spawnAt !== undefined ? { spawnAt } : {}),
  };
  return checkScenarioParallel(s, scenario, { workers, registryModule, parallel, ...rest });
};

describe('parallel BFS', () => {
  test('there are real scenarios and failing variants to compare on', () => {
    expect(passing.length).toBeGreaterThanOrEqual(3);
    expect(failing.length).toBeGreaterThanOrEqual(3);
  });

  test.each(passing.map((x) => [`${x.s.name}/${x.scenario.name}`, x] as const))(
    '%s: 1, 2 and 3 workers explore exactly what the sequential BFS does',
    async (_n, x) => {
      for (const n of [1, 2, 3]) {
        const r = await par(x.s, x.scenario, n);
        expect(answer(r), `${n} workers`).toEqual(answer(x.seq));
        expect(r.search?.workers).toBe(n);
        expect(searchSummary(r)).toContain(n === 1 ? '1 worker' : `${n} workers`);
        // per-thread accounting (Linux thread clocks): a CPU figure per worker, and every state expanded once
        const t = r.search?.threadCpu;
        if (process.platform === 'linux') {
          expect(t?.workers).toHaveLength(n);
          expect(t!.expanded.reduce((a, b) => a + b, 0)).toBe(r.states);
        }
      }
    },
    300_000,
  );

  test.each(failing.map((x) => [`${x.s.name}/${x.scenario.name} --variant ${x.variant}`, x] as const))(
    '%s: the same violation and shortest trace with 2 and 3 workers',
    async (_n, x) => {
      for (const n of [2, 3]) {
        const r = await par(x.s, x.scenario, n, { variant: x.variant, maxStates: 20_000 });
        // spec states interned before the stop: workers may meet a few more in the level that stops
        expect(answer(r, false), `${n} workers`).toEqual(answer(x.seq, false));
        expect(r.specStates).toBeGreaterThanOrEqual(x.seq.specStates);
        expect(r.search?.shortestCounterexample).toBe(true);
      }
    },
    300_000,
  );

  test('levels the coordinator expands itself (while the workers start) give the same answer', async () => {
    const x = passing[0]!;
    const y = failing[0]!;
    for (const lead of [3, 'auto', 1000] as const) {
      const r = await par(x.s, x.scenario, 2, { lead });
      expect(answer(r), `lead ${lead}`).toEqual(answer(x.seq));
      const v = await par(y.s, y.scenario, 2, { variant: y.variant, maxStates: 20_000, lead });
      expect(answer(v, false), `lead ${lead}, --variant ${y.variant}`).toEqual(answer(y.seq, false));
    }
    // a level stopped by the state limit while the coordinator expands it
    const limit = Math.floor(x.seq.states / 2);
    const seq = checkScenario(x.s, x.scenario, { maxStates: limit });
    expect(answer(await par(x.s, x.scenario, 2, { maxStates: limit, lead: 1000 }), false)).toEqual(answer(seq, false));
  }, 300_000);

  test('a search whose levels stay under spawnAt runs in one thread, says why, and gives the same answer', async () => {
    const x = passing[0]!;
    const y = failing[0]!;
    const solo = await par(x.s, x.scenario, 2, { lead: 'auto', spawnAt: 1e9 });
    expect(answer(solo)).toEqual(answer(x.seq));
    expect(solo.search?.solo).toMatch(/^no level reached 1,000,000,000 states \(the largest had [0-9,]+\)$/);
    expect(searchSummary(solo)).toContain('1 worker (--workers 2 not used: no level reached');
    expect(solo.search?.threadCpu).toBeUndefined();
    const v = await par(y.s, y.scenario, 2, { variant: y.variant, maxStates: 20_000, lead: 'auto', spawnAt: 1e9 });
    expect(answer(v, false)).toEqual(answer(y.seq, false));
    expect(v.search?.solo).toBeDefined();
    // spawned at the first level: the threads share the levels once the worker is ready (the search may be over by then)
    const early = await par(x.s, x.scenario, 2, { lead: 'auto', spawnAt: 1 });
    expect(answer(early)).toEqual(answer(x.seq));
    expect([undefined, 'the search ended before the workers were ready']).toContain(early.search?.solo);
    const both = await par(x.s, x.scenario, 2, { lead: 0 });
    expect(both.search?.solo).toBeUndefined();
    expect(searchSummary(both)).toContain('2 workers (parallel');
  }, 300_000);

  test('a table that starts at 4 slots and grows (rebuilt by the workers, CMD.REHASH) gives the same answer', async () => {
    const x = passing[0]!;
    const y = failing[0]!;
    for (const lead of [0, 2]) {
      const r = await par(x.s, x.scenario, 2, { lead, tableLog2: 2 });
      expect(answer(r), `lead ${lead}`).toEqual(answer(x.seq));
      const v = await par(y.s, y.scenario, 2, { variant: y.variant, maxStates: 20_000, lead, tableLog2: 2 });
      expect(answer(v, false), `lead ${lead}, --variant ${y.variant}`).toEqual(answer(y.seq, false));
    }
  }, 300_000);

  test('a coordinator whose step memo evicts entries (StepMemo.CAP_WORDS small in this thread) gives the same answer', async () => {
    const cap = StepMemo.CAP_WORDS;
    StepMemo.CAP_WORDS = 1 << 15;
    try {
      let evicted = 0;
      for (const x of passing) {
        const r = await par(x.s, x.scenario, 2);
        expect(answer(r), x.scenario.name).toEqual(answer(x.seq));
        evicted += r.search?.threadCpu?.cacheDrops?.[0] ?? 0;
      }
      const y = failing[0]!;
      const v = await par(y.s, y.scenario, 2, { variant: y.variant, maxStates: 20_000 });
      expect(answer(v, false), `--variant ${y.variant}`).toEqual(answer(y.seq, false));
      if (process.platform === 'linux') expect(evicted).toBeGreaterThan(0);
    } finally {
      StepMemo.CAP_WORDS = cap;
    }
  }, 300_000);

  // what `check --out` saves and prints: every level in the workers (lead 0), so the spec views of the
  // trace's last states are ones a worker interned, which the coordinator decodes with sorted keys
  test('the saved counterexample (ITF text) and the result lines are the same bytes with 1 and 2 workers', async () => {
    const s = sub('hugetlb');
    const scenario = s.scenarios.find((x) => x.name === 'private-cow-fork')!;
    const job = { sub: s, scenario, variant: 'HR-8', expectViolation: false };
    const file = (r: CheckResult) =>
      formatItf(toItf(r, { implSchema: implSchema(s, scenario.params) as never, scenario }));
    const lines = (r: CheckResult) =>
      renderOutcomeText(outcomeOf(job, { result: r }, false, 'T.itf.json'), {
        color: false,
        detailAll: false,
        quiet: true,
      })
        .join('\n')
        .replace(/ \[BFS, 2 workers[^\n]*\]$/, '');
    const one = checkScenario(s, scenario, { variant: 'HR-8' });
    const two = await par(s, scenario, 2, { variant: 'HR-8' });
    expect(one.violation?.trace.transitions.length).toBeGreaterThan(10);
    expect(file(two)).toBe(file(one));
    expect(lines(two)).toBe(lines(one));
    expect(lines(one)).toMatch(/^FAIL hugetlb\/private-cow-fork \[variant HR-8\]: refinement .* after \d+ steps$/m);
  }, 300_000);

  test('a state limit stops at the same count, not exhaustive', async () => {
    const x = passing[0]!;
    const limit = Math.floor(x.seq.states / 2);
    const seq = checkScenario(x.s, x.scenario, { maxStates: limit });
    const r = await par(x.s, x.scenario, 2, { maxStates: limit });
    expect(r.stopReason).toBe('state-limit');
    expect(r.exhaustive).toBe(false);
    expect(answer(r, false)).toEqual(answer(seq, false));
  }, 300_000);

  test('a failure in the initial state needs no worker', async () => {
    const s = sub('hugetlb');
    const scenario = s.scenarios[0]!;
    const bad = {
      ...s,
      invariants: [
        { name: 'never', doc: 'test', source: 'test', when: 'always' as const, check: () => 'broken at once' },
      ],
    };
    const seq = checkScenario(bad as Subsystem, scenario);
    expect(seq.violation?.trace.transitions.length).toBe(0);
    // the workers would load the registry's subsystem, not this one: the initial state fails before any starts
    const r = await par(bad as Subsystem, scenario, 2);
    expect(answer(r)).toEqual(answer(seq));
  });

  test('bad worker counts are refused', async () => {
    const s = sub('hugetlb');
    await expect(par(s, s.scenarios[0]!, 0)).rejects.toThrow(/workers/);
  });
});
