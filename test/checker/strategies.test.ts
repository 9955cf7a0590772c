/**
 * Strategies and stores over the same Model agree: BFS and DFS visit the same
 * states and catch the same variants; a roomy bitstate store loses nothing and
 * says so; a cramped one omits states, and the result is never exhaustive and
 * reports the omission estimate.
 */
import { describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import { searchSummary } from '../../checker/search-summary.js';
import { registry } from '../../subsystems/index.js';

const small = registry.flatMap((sub) =>
  sub.scenarios
    .map((scenario) => ({ sub, scenario, states: checkScenario(sub, scenario, { maxStates: 20_000 }) }))
    .filter((x) => x.states.exhaustive && x.states.states > 200)
    .slice(0, 1),
);

describe('strategies and stores', () => {
  test('there are small default scenarios to compare on', () => expect(small.length).toBeGreaterThanOrEqual(2));

  test.each(small.map((x) => [`${x.sub.name}/${x.scenario.name}`, x] as const))(
    '%s: DFS visits the states BFS does',
    (_n, x) => {
      const d = checkScenario(x.sub, x.scenario, { strategy: 'dfs' });
      expect(d.exhaustive).toBe(true);
      expect(d.states).toBe(x.states.states);
      expect(d.transitions).toBe(x.states.transitions);
      expect(d.search).toMatchObject({ strategy: 'dfs', visited: 'exact', shortestCounterexample: false });
    },
  );

  test.each(small.map((x) => [`${x.sub.name}/${x.scenario.name}`, x] as const))(
    '%s: a roomy bitstate table omits nothing, yet is not exhaustive',
    (_n, x) => {
      const b = checkScenario(x.sub, x.scenario, { bitstate: 26 });
      expect(b.states).toBe(x.states.states);
      expect(b.stopReason).toBe('complete');
      expect(b.exhaustive).toBe(false);
      expect(b.search?.omission?.probability).toBeLessThan(1e-3);
      expect(searchSummary(b)).toContain('BITSTATE');
    },
  );

  test('a cramped bitstate table omits states and reports a high omission estimate', () => {
    const x = small[0]!;
    const b = checkScenario(x.sub, x.scenario, { bitstate: 10 });
    expect(b.states).toBeLessThan(x.states.states);
    expect(b.exhaustive).toBe(false);
    expect(b.search!.omission!.expectedOmitted).toBeGreaterThan(1);
  });

  test('DFS catches every variant BFS catches in its first listed scenario', () => {
    let caught = 0;
    for (const sub of registry)
      for (const v of sub.variants) {
        const name = v.scenarios?.[0];
        const scenario = sub.scenarios.find((s) => s.name === name) ?? sub.scenarios[0]!;
        const b = checkScenario(sub, scenario, { variant: v.name, maxStates: 300_000 });
        if (!b.violation) continue;
        const d = checkScenario(sub, scenario, { variant: v.name, strategy: 'dfs', maxStates: 2_000_000 });
        expect(d.violation?.kind, `${sub.name} ${v.name}`).toBeDefined();
        expect(d.violation!.trace.transitions.length).toBeGreaterThanOrEqual(b.violation.trace.transitions.length);
        caught++;
      }
    expect(caught).toBeGreaterThan(10);
  }, 600_000);

  test('a DFS depth bound makes the run non-exhaustive', () => {
    const x = small[0]!;
    const d = checkScenario(x.sub, x.scenario, { strategy: 'dfs', maxDepth: 3 });
    expect(d.stopReason).toBe('depth-limit');
    expect(d.exhaustive).toBe(false);
  });
});
