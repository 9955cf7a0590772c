/**
 * mmcheck on the SPIN/Rumur cross-check model: the distinct-state counts must
 * equal the ones SPIN and Rumur agree on (bench/models/README.md), the
 * correct model must be exhaustively violation-free, and the seeded BUG must
 * be found with the same 6-step counterexample length both tools report.
 */
import { describe, expect, it } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import { EXPECTED_STATES, LARGE, SMALL, toy, toyFor, toyScenario } from '../../bench/toy/model.js';

describe('spin-toy under mmcheck', () => {
  it(`small (P=3 K=3 T=2 N=2): ${EXPECTED_STATES.small} distinct states, exhaustive, no violation`, () => {
    const r = checkScenario(toy, toyScenario(SMALL));
    expect(r.violation).toBeUndefined();
    expect(r.stopReason).toBe('complete');
    expect(r.exhaustive).toBe(true);
    expect(r.states).toBe(EXPECTED_STATES.small);
    expect(r.refinement).toBe('none (no spec)');
    // every invariant was exercised (none vacuous)
    for (const inv of r.invariants) expect(inv.nonTrivial, inv.name).toBeGreaterThan(0);
  });

  it('BUG variant: found with a 6-step counterexample (as SPIN and Rumur)', () => {
    const r = checkScenario(toy, toyScenario(SMALL), { variant: 'BUG' });
    expect(r.stopReason).toBe('violation');
    expect(r.exhaustive).toBe(false);
    const v = r.violation!;
    expect(v.kind).toBe('invariant');
    expect(v.property).toBe('quiescent-resv-pages');
    expect(v.trace.transitions).toHaveLength(6);
    expect(v.trace.states).toHaveLength(7);
    const last = v.trace.states[6]!.impl as { R: number; rmap: boolean[]; cache: boolean[] };
    const outstanding = last.rmap.filter((m, i) => m && !last.cache[i]).length;
    expect(last.R).not.toBe(outstanding);
    // the forgotten refund is the last step: region_add
    expect(v.trace.transitions[5]!.op).toBe('reserve');
    expect(v.trace.transitions[5]!.step).toBe('region_add');
  });

  it(`large (P=4 K=4 T=3 N=2): ${EXPECTED_STATES.large} distinct states, exhaustive, no violation`, () => {
    const r = checkScenario(toyFor(LARGE), toyScenario(LARGE));
    expect(r.violation).toBeUndefined();
    expect(r.stopReason).toBe('complete');
    expect(r.exhaustive).toBe(true);
    expect(r.states).toBe(EXPECTED_STATES.large);
  }, 300_000);

  it('BUG variant is found on the large configuration too, still in 6 steps', () => {
    const r = checkScenario(toyFor(LARGE), toyScenario(LARGE), { variant: 'BUG' });
    expect(r.violation?.property).toBe('quiescent-resv-pages');
    expect(r.violation!.trace.transitions).toHaveLength(6);
  }, 300_000);
});
