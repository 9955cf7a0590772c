/**
 * Partial-order reduction (checker/por.ts, `check --por`) on a counter whose
 * addend is computed in thread-local steps (test/fixtures/local-steps.ts):
 * the reduced graph is smaller, every verdict is that of the unreduced run
 * (pass, linearizability, invariant, deadlock), the cycle proviso and the
 * all-pruned fallback keep a violation reachable only while T0 spins, and a
 * wrong declaration fails the run.
 */
import { describe, expect, test } from 'vitest';
import { checkScenario, type CheckOptions } from '../../checker/check.js';
import type { CheckResult } from '../../checker/result.js';
import type { Scenario, Subsystem } from '../../checker/types.js';
import { holdScenarios, localSteps } from '../fixtures/local-steps.js';

const sub = localSteps as Subsystem;
const three = localSteps.scenarios[0]! as Scenario;

const verdict = (r: CheckResult): string =>
  r.violation ? `${r.violation.kind}/${r.violation.property}` : r.exhaustive ? 'pass' : 'inconclusive';

function both(s: Scenario, opts: CheckOptions = {}): { plain: CheckResult; por: CheckResult } {
  return { plain: checkScenario(sub, s, opts), por: checkScenario(sub, s, { ...opts, por: true }) };
}

describe('check --por', () => {
  test('the correct code passes with fewer states; the result says what was reduced', () => {
    const { plain, por } = both(three);
    expect(verdict(plain)).toBe('pass');
    expect(verdict(por)).toBe('pass');
    expect(por.states).toBeLessThan(plain.states);
    expect(por.por).toMatchObject({
      applied: true,
      localSteps: ['inc.double', 'inc.add_local'],
      reducedStates: por.states,
    });
    expect(por.por!.reducedExpansions).toBeGreaterThan(0);
    expect(plain.por).toBeUndefined();
    // what invariants and vacuity see is the same
    expect(por.invariants.map((i) => i.nonTrivial > 0)).toEqual(plain.invariants.map((i) => i.nonTrivial > 0));
    expect(por.bounds.clausesNeverRun).toEqual(plain.bounds.clausesNeverRun);
  });

  test('the same with the step memo off (the reduction does not depend on it)', () => {
    const a = checkScenario(sub, three, { por: true, stepMemo: false });
    const b = checkScenario(sub, three, { por: true, stepMemo: 'always' });
    expect([a.states, a.transitions]).toEqual([b.states, b.transitions]);
  });

  test.each(['racy', 'leak-lock', 'stuck'])('variant %s: the same violation with and without it', (variant) => {
    const { plain, por } = both(three, { variant });
    expect(plain.violation).toBeDefined();
    expect(verdict(por)).toBe(verdict(plain));
    // the counterexample is a real trace of the unreduced system (replayed by re-expansion), flagged not shortest
    expect(por.violation!.trace.transitions.length).toBeGreaterThanOrEqual(plain.violation!.trace.transitions.length);
    expect(por.search!.shortestCounterexample).toBe(por.por!.reducedExpansions === 0);
  });

  test('DFS: the same verdicts', () => {
    for (const variant of [null, 'racy', 'stuck']) {
      const { plain, por } = both(three, { variant, strategy: 'dfs' });
      expect(verdict(por), String(variant)).toBe(verdict(plain));
    }
  });

  test.each(holdScenarios)(
    '$name: a violation reachable only while T0 spins (cycle proviso) or is stuck (all runs pruned)',
    (s) => {
      const { plain, por } = both(s as Scenario);
      expect(verdict(plain)).toBe('invariant/flag-freezes-x');
      expect(verdict(por)).toBe('invariant/flag-freezes-x');
    },
  );

  test('a step declared thread-local that reads the impl state, or calls inject(), fails the run', () => {
    for (const [variant, what] of [
      ['bad-decl', 'read or wrote the implementation state'],
      ['bad-inject', 'called inject()'],
    ] as const) {
      expect(verdict(checkScenario(sub, three, { variant })), variant).toBe('pass');
      const r = checkScenario(sub, three, { variant, por: true });
      expect(r.violation?.kind, variant).toBe('impl-error');
      expect(r.violation!.message).toContain('is declared threadLocal but');
      expect(r.violation!.message).toContain(what);
    }
  });

  test('not applied where no op of the scenario declares a thread-local step; with symmetry: refused', () => {
    const only: Scenario = { ...three, threads: [[[{ op: 'hold', args: {} }]]], params: { hold: false } };
    const noLocal: Subsystem = {
      ...sub,
      impl: {
        ...sub.impl,
        ops: {
          inc: { ...sub.impl.ops.inc!, steps: sub.impl.ops.inc!.steps.map((st) => ({ ...st, threadLocal: false })) },
        },
      },
    };
    const r = checkScenario(noLocal, { ...three }, { por: true });
    expect(r.por).toMatchObject({ applied: false, reducedExpansions: 0 });
    expect(r.por!.reason).toMatch(/no step of this scenario's ops is declared thread-local/);
    expect(r.states).toBe(checkScenario(noLocal, three).states);
    expect(checkScenario(sub, only, { por: true }).por!.applied).toBe(true);
    expect(() => checkScenario(sub, three, { por: true, symmetry: true })).toThrow(/cannot be combined/);
  });
});
