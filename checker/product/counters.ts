/**
 * What a Product tallies while explored (Model.counters): invariant
 * evaluations, pruned paths by precondition, the scenario clauses some path
 * started, and the fault sites some step reached, as plain data a parallel
 * search's threads exchange: taken, set back (a level redone) and added up.
 */
import type { CompiledAlt } from './scenario.js';
import type { InvariantStats } from '../result.js';

/** What a Product tallies while explored (plain data, see Model.counters). */
export interface ProductCounters {
  readonly invariants: readonly (readonly [number, number])[];
  readonly pruned: readonly (readonly [string, number])[];
  readonly ran: readonly boolean[];
  readonly reached: readonly string[];
}

/** The live tallies of one Product. */
export interface Tallies {
  readonly invariantStats: InvariantStats[];
  readonly pruned: Map<string, number>;
  readonly alts: CompiledAlt[][][];
  readonly reached: Set<string>;
}

export function takeCounters(k: Tallies): ProductCounters {
  return {
    invariants: k.invariantStats.map((s) => [s.checked, s.nonTrivial] as const),
    pruned: [...k.pruned],
    ran: k.alts.flat(2).map((a) => a.ran),
    reached: [...k.reached],
  };
}

/** Set the tallies back to `c` (taken from them earlier). */
export function restoreCounters(k: Tallies, c: ProductCounters): void {
  k.invariantStats.forEach((s, i) => {
    s.checked = c.invariants[i]![0];
    s.nonTrivial = c.invariants[i]![1];
  });
  k.pruned.clear();
  for (const [t, n] of c.pruned) k.pruned.set(t, n);
  k.alts.flat(2).forEach((a, i) => (a.ran = c.ran[i]!));
  k.reached.clear();
  for (const r of c.reached) k.reached.add(r);
}

/** Add the tallies of another Product of the same scenario (a parallel search's worker). */
export function addCounters(k: Tallies, c: ProductCounters): void {
  k.invariantStats.forEach((s, i) => {
    s.checked += c.invariants[i]![0];
    s.nonTrivial += c.invariants[i]![1];
  });
  for (const [t, n] of c.pruned) k.pruned.set(t, (k.pruned.get(t) ?? 0) + n);
  k.alts.flat(2).forEach((a, i) => (a.ran ||= c.ran[i]!));
  for (const r of c.reached) k.reached.add(r);
}
