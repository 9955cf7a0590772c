/**
 * Re-execution of a recorded schedule (a list of step labels) against the
 * current code, re-checking every property on the way. Used by
 * `mmcheck replay FILE` and by the sequential script runner.
 */
import { evalInvariants } from './check.js';
import { Product, type Failure } from './product.js';
import type { InvariantStats, StepLabel, TraceState } from './result.js';
import type { Scenario, Subsystem } from './types.js';

export interface ReplayOutcome {
  /** The failure reproduced (first one met along the schedule), if any. */
  readonly failure?: Failure;
  /** Index of the transition after which the failure showed (-1: initial state). */
  readonly at?: number;
  /** Set when the schedule could not be followed: the code changed under it. */
  readonly diverged?: string;
  readonly states: TraceState[];
  readonly transitions: StepLabel[];
}

export function sameLabel(a: StepLabel, b: StepLabel): boolean {
  if (a.tid !== b.tid || a.slot !== b.slot || a.alt !== b.alt || a.step !== b.step) return false;
  if (a.choices.length !== b.choices.length) return false;
  for (let i = 0; i < a.choices.length; i++) if (a.choices[i] !== b.choices[i]) return false;
  return true;
}

export function replaySchedule<G extends object>(
  sub: Subsystem<G, any, any>,
  scenario: Scenario<any>,
  variant: string | null,
  schedule: readonly StepLabel[],
): ReplayOutcome {
  const product = new Product<G>(sub, scenario, variant);
  const stats: InvariantStats[] = product.invariants.map((i) => ({
    name: i.name,
    when: i.when,
    checked: 0,
    nonTrivial: 0,
  }));
  const check = (vec: Int32Array, g: G): Failure | undefined =>
    evalInvariants(product.invariants, stats, g, scenario.params, product.invariantCtx(vec, 0)) ??
    product.deadlocked(vec, 0, g);

  const init = product.initial();
  let vec = init.vec;
  const states: TraceState[] = [product.traceState(vec)];
  const transitions: StepLabel[] = [];
  const f0 = init.failure ?? check(vec, init.impl as G);
  if (f0) return { failure: f0, at: -1, states, transitions };

  for (let i = 0; i < schedule.length; i++) {
    const want = schedule[i]!;
    const hit = product.pick(vec, (lab) => sameLabel(lab, want));
    if (!hit) {
      return {
        diverged: `step ${i + 1} (T${want.tid} ${want.op} › ${want.step}${want.choices.length ? ` choices [${want.choices.join(',')}]` : ''}) is not possible in the current code`,
        states,
        transitions,
      };
    }
    vec = hit.vec;
    transitions.push(hit.label);
    states.push(product.traceState(vec));
    const f = hit.failure ?? check(vec, hit.impl);
    if (f) return { failure: f, at: i, states, transitions };
  }
  return { states, transitions };
}
