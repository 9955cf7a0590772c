/**
 * A concurrent counterexample on a real kernel. Its interleaving cannot be
 * forced, so `reproduce` runs it N times with real threads (kernel/target.ts
 * keeps the trace's happens-before order) and looks for its **outcome**: what
 * every operation returned and the counters once every thread finished (the
 * probe's FINAL line), against what the implementation predicts for the
 * counterexample's interleaving.
 *
 * The predicted outcome is the implementation's state after the
 * counterexample's schedule, with the operations still in flight at the
 * violation run to completion (a real thread always finishes its syscall).
 * Seeing it shows the violation only when no violation-free interleaving of
 * the same operations in the implementation ends the same way
 * (kernel/race-search.ts): an outcome such an interleaving also gives is
 * reported as not distinctive, and so is one whose search hit its bound; an
 * outcome a sequential order that breaks a property also gives happens
 * without a race, and is never called a race reproduction either.
 */
import { Product } from '../checker/product.js';
import { sameLabel } from '../checker/replay.js';
import type { StepLabel } from '../checker/result.js';
import type { Scenario, Subsystem } from '../checker/types.js';
import { INTERLEAVING_CAP, violationFreeMatch } from './race-search.js';
import type { KernelMapping, KernelScript, KernelScriptResult } from './types.js';

/** What a run of the race ends with: each step's return (probe encoding) and the final counters. */
export interface RaceOutcome {
  readonly returns: readonly string[];
  readonly counters: Readonly<Record<string, number>>;
}

export type RacePrediction =
  | {
      readonly kind: 'outcome';
      readonly outcome: RaceOutcome;
      /** Some order of the operations one after another, without a violation, ends with the same outcome. */
      readonly alsoSequential?: string;
      /** Some order of the operations one after another breaks a property and ends the same way: no race needed. */
      readonly alsoWithoutRace?: string;
      /** Some interleaving of the operations without a violation ends with the same outcome. */
      readonly alsoInterleaved?: string;
      /** Not every interleaving was tried (the search's bound): why, and then no REPRODUCED. */
      readonly ordersUnchecked?: string;
    }
  | { readonly kind: 'unknown'; readonly why: string };

const STEP_GUARD = 10_000;

/**
 * The implementation's final state after `schedule` (the counterexample), the
 * operations in flight at its end finished one after another in thread order.
 */
export function predictRaceOutcome(
  sub: Subsystem,
  scenario: Scenario,
  variant: string | null,
  schedule: readonly StepLabel[],
  mapping: KernelMapping<any>,
  script: KernelScript,
  cap = INTERLEAVING_CAP,
): RacePrediction {
  let product: Product;
  try {
    product = new Product(sub, scenario, variant);
  } catch (e) {
    return { kind: 'unknown', why: (e as Error).message.split('\n')[0]! };
  }
  let vec = product.initial().vec;
  const opOf = new Map<number, number>(); // tid -> index of its op in flight (script step)
  const rets: (string | undefined)[] = script.steps.map(() => undefined);
  let next = 0;
  const take = (lab: StepLabel): void => {
    if (lab.invoked) opOf.set(lab.tid, next++);
    if (lab.ret !== undefined) {
      const k = opOf.get(lab.tid);
      if (k !== undefined) rets[k] = mapping.retOf(lab.ret, script.steps[k]?.op);
      opOf.delete(lab.tid);
    }
  };
  for (const [i, want] of schedule.entries()) {
    const hit = product.pick(vec, (lab) => sameLabel(lab, want));
    if (!hit) return { kind: 'unknown', why: `the implementation cannot follow the counterexample at step ${i + 1}` };
    vec = hit.vec;
    take(hit.label);
  }
  for (let guard = 0; opOf.size > 0; guard++) {
    const tid = Math.min(...opOf.keys());
    const hit = guard < STEP_GUARD ? product.pick(vec, (lab) => lab.tid === tid && !lab.invoked) : undefined;
    if (!hit) return { kind: 'unknown', why: `T${tid}'s operation does not finish after the counterexample` };
    vec = hit.vec;
    take(hit.label);
  }
  if (next !== script.steps.length || rets.some((r) => r === undefined))
    return { kind: 'unknown', why: 'the counterexample and the race script name different operations' };
  const outcome: RaceOutcome = {
    returns: rets as string[],
    counters: mapping.predict(product.traceState(vec).impl, scenario.params, sub),
  };
  const m = violationFreeMatch(sub, scenario, variant, mapping, script, outcome, cap);
  if (m.kind === 'capped') return { kind: 'outcome', outcome, ordersUnchecked: m.why };
  if (m.kind === 'none') return { kind: 'outcome', outcome };
  if (m.violating) return { kind: 'outcome', outcome, alsoWithoutRace: m.order };
  return { kind: 'outcome', outcome, ...(m.sequential ? { alsoSequential: m.order } : { alsoInterleaved: m.order }) };
}

/** Equal returns for every step, equal values for every counter the prediction names. */
export function sameOutcome(want: RaceOutcome, got: RaceOutcome): boolean {
  return (
    want.returns.every((r, i) => r === got.returns[i]) &&
    Object.entries(want.counters).every(([k, v]) => got.counters[k] === v)
  );
}

/** A kernel run's outcome: undefined when the run did not finish (no FINAL line, or an error). */
export function observedOutcome(script: KernelScript, r: KernelScriptResult): RaceOutcome | undefined {
  if (r.kind !== 'ran' || !r.final) return undefined;
  return {
    returns: script.steps.map((_, i) => String(r.steps.find((o) => o.step === i)?.ret ?? '-')),
    counters: r.final,
  };
}

export const fmtOutcome = (o: RaceOutcome, names?: readonly string[]): string =>
  `${o.returns.join(' ')} | ${(names ?? Object.keys(o.counters))
    .map((k) => `${k.replace(/^HugePages_/, '')}=${o.counters[k] ?? '-'}`)
    .join(' ')}`;

export interface RaceTally {
  /** Runs that finished with a FINAL line. */
  readonly ran: number;
  /** Of those, runs that ended with the predicted outcome. */
  readonly seen: number;
  /** Outcomes by frequency (the predicted counters' names only), most frequent first. */
  readonly outcomes: readonly (readonly [string, number])[];
}

/** Count the runs that ended with the counterexample's outcome. */
export function tallyRace(script: KernelScript, want: RaceOutcome, results: readonly KernelScriptResult[]): RaceTally {
  const names = Object.keys(want.counters);
  const counts = new Map<string, number>();
  let ran = 0;
  let seen = 0;
  for (const r of results) {
    const o = observedOutcome(script, r);
    if (!o) continue;
    ran++;
    if (sameOutcome(want, o)) seen++;
    const key = fmtOutcome(o, names);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return { ran, seen, outcomes: [...counts].sort((a, b) => b[1] - a[1]) };
}

export interface RaceVerdict {
  readonly verdict: 'REPRODUCED' | 'INCONCLUSIVE';
  /** One line: why, with how often the outcome was seen. */
  readonly why: string;
  readonly tally?: RaceTally;
}

/**
 * REPRODUCED when the counterexample's outcome was seen at least once and no
 * violation-free interleaving of its operations gives it; INCONCLUSIVE when it was seen 0 times, when it is
 * not distinctive, or when the implementation could not predict it.
 */
export function judgeRace(
  script: KernelScript,
  prediction: RacePrediction | undefined,
  results: readonly KernelScriptResult[],
): RaceVerdict {
  if (!prediction || prediction.kind === 'unknown')
    return {
      verdict: 'INCONCLUSIVE',
      why: `no predicted outcome to look for (${prediction?.why ?? 'the subsystem has no kernel mapping'})`,
    };
  const tally = tallyRace(script, prediction.outcome, results);
  const freq = `seen in ${tally.seen} of ${tally.ran} runs with real threads${results.length > tally.ran ? ` (${results.length - tally.ran} did not finish)` : ''}`;
  if (tally.seen === 0) return { verdict: 'INCONCLUSIVE', why: `the counterexample's outcome was ${freq}`, tally };
  if (prediction.ordersUnchecked)
    return {
      verdict: 'INCONCLUSIVE',
      why: `the counterexample's outcome was ${freq}, but ${prediction.ordersUnchecked}: an interleaving without a violation may end the same way`,
      tally,
    };
  if (prediction.alsoSequential)
    return {
      verdict: 'INCONCLUSIVE',
      why: `the counterexample's outcome was ${freq}, but the operations one after another (${prediction.alsoSequential}) end the same way: seeing it does not show the race`,
      tally,
    };
  if (prediction.alsoWithoutRace)
    return {
      verdict: 'INCONCLUSIVE',
      why: `the counterexample's outcome was ${freq}, but it also happens without a race: the operations one after another (${prediction.alsoWithoutRace}) break the same property and end the same way, so seeing it is no race reproduction (reproduce them as a sequential script)`,
      tally,
    };
  if (prediction.alsoInterleaved)
    return {
      verdict: 'INCONCLUSIVE',
      why: `the counterexample's outcome was ${freq}, but an interleaving of the operations that breaks no property (finishing ${prediction.alsoInterleaved}) ends the same way: seeing it does not show the violation`,
      tally,
    };
  return {
    verdict: 'REPRODUCED',
    why: `the counterexample's outcome (every return value and the final counters) was ${freq}, and no interleaving of its operations that breaks no property ends that way`,
    tally,
  };
}
