/**
 * The contract every registered subsystem must keep, as one generic suite (in
 * the spirit of Stateright's `assert_properties`): registration (op schemas,
 * spec actions), deterministic counts, canonical encode/decode round trips and
 * a total abstraction on reachable states, every variant caught in its named
 * scenarios, and every default scenario non-vacuous.
 */
import { describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import { alternativeImpl, subsystemLabel } from '../../checker/impls.js';
import { Product } from '../../checker/product.js';
import { registrationProblems } from '../../checker/registration.js';
import type { CheckResult } from '../../checker/result.js';
import { IntBuffer } from '../../checker/schema.js';
import type { Scenario, Subsystem } from '../../checker/types.js';
import { runVacuousInvariants, vacuousItems } from '../../checker/verdict.js';

/** A seeded walk through reachable states of a scenario (initial state included). */
export function sampleStates(sub: Subsystem, scenario: Scenario, n: number, seed = 1): Int32Array[] {
  const product = new Product(sub, scenario, null);
  let x = seed >>> 0 || 1;
  const rnd = () => ((x = (x * 1103515245 + 12345) >>> 0), x / 2 ** 32);
  const out: Int32Array[] = [];
  let vec = product.initial().vec;
  for (let i = 0; i < n; i++) {
    out.push(vec);
    const next = product.pick(vec, () => rnd() < 0.4) ?? product.pick(vec, () => true);
    if (!next || next.failure) vec = product.initial().vec;
    else vec = next.vec;
  }
  return out;
}

const plain = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;

// oxlint-disable-next-line max-lines-per-function -- one describe block per contract clause
export function subsystemContract(sub: Subsystem): void {
  describe(`contract: ${subsystemLabel(sub.name, alternativeImpl(sub))}`, () => {
    test('registrable: every op has a schema, the spec has no ignored actions, scenarios use their ops as declared', () => {
      expect(registrationProblems(sub)).toEqual([]);
    });

    test('counts are deterministic', () => {
      const s = sub.scenarios[0]!;
      const a = checkScenario(sub, s, { maxStates: 3000 });
      const b = checkScenario(sub, s, { maxStates: 3000 });
      const key = (r: CheckResult) => ({
        states: r.states,
        transitions: r.transitions,
        depth: r.maxDepth,
        inv: r.invariants,
        spec: r.specStates,
      });
      expect(key(b)).toEqual(key(a));
    });

    test('encode/decode round-trips on reachable states; the abstraction is total on them', () => {
      for (const s of sub.scenarios) {
        const product = new Product(sub, s, null);
        for (const vec of sampleStates(sub, s, 60)) {
          const g = product.decodeImpl(vec, 0);
          const w = new IntBuffer(256);
          product.schema.encode(g, w);
          expect(Array.from(w.toArray()), `${s.name}: encode(decode(state))`).toEqual(
            Array.from(vec.subarray(product.implOff)),
          );
          const w2 = new IntBuffer(256);
          product.schema.encode(product.decodeImpl(w.toArray(), -product.implOff), w2);
          expect(Array.from(w2.toArray())).toEqual(Array.from(w.toArray()));
          if (sub.abstraction) {
            let abs: unknown;
            expect(() => (abs = sub.abstraction!(g, s.params)), `${s.name}: abstraction threw`).not.toThrow();
            expect(abs).toBeDefined();
            expect(plain(abs), `${s.name}: abstraction is plain data`).toEqual(abs);
          }
        }
      }
    });

    for (const v of sub.variants)
      test(`variant ${v.name} is caught in its scenarios`, () => {
        const names = v.scenarios ?? sub.scenarios.map((s) => s.name);
        for (const n of names) {
          const s = sub.scenarios.find((x) => x.name === n);
          expect(s, `scenario ${n}`).toBeDefined();
          const r = checkScenario(sub, s!, { variant: v.name });
          expect(r.violation, `${v.name} in ${n}: ${r.states} states, no violation`).toBeDefined();
        }
      }, 300000);

    test('every default scenario is exhaustive, passes and is non-vacuous; every invariant is exercised', () => {
      const results = sub.scenarios.map((s) => checkScenario(sub, s));
      for (const r of results) {
        expect(r.violation?.message, r.scenario).toBeUndefined();
        expect(r.exhaustive, r.scenario).toBe(true);
        expect(vacuousItems(r), `${r.scenario}: declared but never exercised`).toEqual([]);
      }
      expect(runVacuousInvariants(results), 'invariants no default scenario exercises').toEqual([]);
    }, 600000);
  });
}
