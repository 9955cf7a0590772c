/**
 * Model checking: the correct implementation refines the spec exhaustively on
 * every default scenario; every buggy variant is found in the scenarios it
 * names; the HR-13 negative scenario is not reported; the documented
 * findings of the kernel-faithful model are still found.
 */
import { describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import { findings, hugetlb, type HugetlbParams } from '../../subsystems/hugetlb/index.js';

describe('hugetlb model checking', () => {
  const nonTrivial = new Map<string, number>();

  for (const sc of hugetlb.scenarios) {
    test(`correct implementation passes ${sc.name} exhaustively`, () => {
      const r = checkScenario(hugetlb, sc, { variant: null, timeLimitSeconds: 110 });
      if (r.violation) throw new Error(`${r.violation.kind}: ${r.violation.message}`);
      expect(r.stopReason).toBe('complete');
      expect(r.exhaustive).toBe(true);
      expect(r.states).toBeGreaterThan(10);
      for (const inv of r.invariants) nonTrivial.set(inv.name, (nonTrivial.get(inv.name) ?? 0) + inv.nonTrivial);
    });
  }

  test('every invariant is exercised by some default scenario', () => {
    expect(nonTrivial.size).toBe(hugetlb.invariants.length);
    for (const [name, n] of nonTrivial) expect(n, name).toBeGreaterThan(0);
  });

  test('the HR-13 negative scenario is a default scenario (so it is checked above)', () => {
    const sc = hugetlb.scenarios.find((s) => s.name === 'numa-no-guarantee');
    expect(sc?.params.numa).toBe(true);
  });

  test('HR-13 is not vacuous: a spec that promised reserved faults succeed would report the scenario', () => {
    const sc = hugetlb.scenarios.find((s) => s.name === 'numa-no-guarantee')!;
    const strictSpec = { ...hugetlb.spec!, input: (p: HugetlbParams) => ({ ...p, numa: false }) };
    const strict = { ...hugetlb, spec: strictSpec };
    const r = checkScenario(strict, sc, { variant: null });
    expect(r.violation?.kind).toBe('linearizability');
    expect(r.violation?.message).toMatch(/fault.*SIGBUS/);
  });

  for (const v of hugetlb.variants) {
    test(`variant ${v.name} is found`, () => {
      expect(v.scenarios?.length).toBeGreaterThan(0);
      for (const name of v.scenarios!) {
        const sc = hugetlb.scenarios.find((s) => s.name === name);
        expect(sc, name).toBeDefined();
        const r = checkScenario(hugetlb, sc!, { variant: v.name, timeLimitSeconds: 110 });
        expect(r.violation, `${v.name} in ${name}`).toBeDefined();
        expect(r.violation!.trace.transitions.length).toBeGreaterThan(0);
      }
    });
  }

  for (const f of findings) {
    test(`finding still reproduced: ${f.name}`, () => {
      const r = checkScenario(hugetlb, f, { variant: null, timeLimitSeconds: 60 });
      expect(r.violation, f.name).toBeDefined();
    });
  }
});
