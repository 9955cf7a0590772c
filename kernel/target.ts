/**
 * What `mmcheck reproduce` runs: a sequential script taken from a script
 * file, a saved counterexample (ITF) or a scenario. A counterexample whose
 * operations overlap in time (or that took an injected failure or a
 * nondeterministic choice) cannot be replayed step by step on a kernel; it
 * is returned as `concurrent` with the reason.
 */
import type { StepLabel } from '../checker/result.js';
import type { OpChoice, RetValue, Scenario } from '../checker/types.js';
import type { RacePrediction } from './race.js';
import type { Script } from '../checker/scenario-file.js';
import type { KernelScript } from './types.js';

/** A counterexample whose operations overlap: run for real with the trace's happens-before order. */
export interface Race {
  readonly script: KernelScript;
  /** What each op returned in the counterexample (undefined: it had not finished). */
  readonly expected: readonly (RetValue | undefined)[];
  /** The counterexample's outcome as the implementation predicts it (kernel/race.ts), set by the caller. */
  readonly prediction?: RacePrediction;
}

export type Target =
  | {
      readonly kind: 'script';
      readonly script: KernelScript;
      /**
       * The counterexample injects failures (kernel/inject.ts): opOf[i] is the script step of schedule label i;
       * the caller turns them into script.injections with nthOfSchedule (it needs the implementation).
       */
      readonly injected?: { readonly schedule: readonly StepLabel[]; readonly opOf: readonly number[] };
    }
  | {
      readonly kind: 'concurrent';
      readonly why: string;
      readonly threads: readonly (readonly OpChoice[])[];
      readonly params: unknown;
      /** Set when only the interleaving is missing (no injected failure, no forced branch). */
      readonly race?: Race;
    };

/** A scenario whose threads are one thread of single-alternative slots is a script as it stands. */
export function scriptOfScenario(sc: Scenario): Script | undefined {
  if (sc.threads.length !== 1 || sc.faults) return undefined;
  const t = sc.threads[0]!;
  if (!t.every((slot) => slot.length === 1)) return undefined;
  return { params: sc.params, steps: t.map((slot) => slot[0]!) };
}

/** The operations of a schedule, sequential when no two overlap in time. */
export function targetOfSchedule(schedule: readonly StepLabel[], params: unknown, faulted: boolean): Target {
  const steps: OpChoice[] = [];
  const threads: OpChoice[][] = [];
  const threadOf: number[] = [];
  const after: number[][] = [];
  const expected: (RetValue | undefined)[] = [];
  const current = new Map<number, number>(); // thread -> its op in flight
  const finished: number[] = [];
  const inFlight = new Set<number>();
  let overlap = false;
  let forced: string | undefined;
  let injected: string | undefined;
  const opOf: number[] = [];
  for (const l of schedule) {
    if (l.invoked) {
      if (inFlight.size > 0 && !inFlight.has(l.tid)) overlap = true;
      inFlight.add(l.tid);
      current.set(l.tid, steps.length);
      threadOf.push(l.tid);
      after.push(finished.slice());
      expected.push(undefined);
      steps.push({ op: l.op, args: l.args });
      (threads[l.tid] ??= []).push({ op: l.op, args: l.args });
    }
    opOf.push(current.get(l.tid) ?? -1);
    if (l.ret !== undefined) {
      const k = current.get(l.tid);
      if (k !== undefined) {
        expected[k] = l.ret;
        finished.push(k);
      }
    }
    if (l.injected.length > 0)
      injected ??= `it injects a failure at ${l.injected.join(', ')} (${l.op}, step ${l.step})`;
    else if (l.choices.some((c) => c !== 0))
      forced ??= `it takes a nondeterministic branch in ${l.op} (step ${l.step})`;
    if (l.ret !== undefined) inFlight.delete(l.tid);
  }
  const dense = threads.map((t) => t ?? []);
  if (forced)
    return {
      kind: 'concurrent',
      why: `${forced}, which a stock kernel cannot be made to do on demand`,
      threads: dense,
      params,
    };
  if (overlap) {
    const script: KernelScript = { params, steps, concurrency: { threadOf, after } };
    return {
      kind: 'concurrent',
      why: injected
        ? `${injected} and its operations overlap in time: an injected failure is run only in a sequential script, and the interleaving cannot be forced on a real kernel`
        : 'its operations overlap in time: the interleaving cannot be forced on a real kernel',
      threads: dense,
      params,
      // a race is run for real only without injected failures (a scenario with a budget may inject in other runs)
      ...(faulted || injected ? {} : { race: { script, expected } }),
    };
  }
  // sequential: an injected failure is made on the kernel at the same call (kernel/inject.ts)
  return { kind: 'script', script: { params, steps }, ...(injected ? { injected: { schedule, opOf } } : {}) };
}
