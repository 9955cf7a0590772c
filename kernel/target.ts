/**
 * What `mmcheck reproduce` runs: a sequential script taken from a script
 * file, a saved counterexample (ITF) or a scenario. A counterexample whose
 * operations overlap in time (or that took an injected failure or a
 * nondeterministic choice) cannot be replayed step by step on a kernel; it
 * is returned as `concurrent` with the reason.
 */
import type { StepLabel } from '../checker/result.js';
import type { Script } from '../checker/scenario-file.js';
import type { OpChoice, Scenario } from '../checker/types.js';

export type Target =
  | { readonly kind: 'script'; readonly script: Script }
  | { readonly kind: 'concurrent'; readonly why: string; readonly threads: readonly (readonly OpChoice[])[]; readonly params: unknown };

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
  const inFlight = new Set<number>();
  let overlap = false;
  let forced: string | undefined;
  for (const l of schedule) {
    if (l.invoked) {
      if (inFlight.size > 0 && !inFlight.has(l.tid)) overlap = true;
      inFlight.add(l.tid);
      steps.push({ op: l.op, args: l.args });
      (threads[l.tid] ??= []).push({ op: l.op, args: l.args });
    }
    if (l.injected.length > 0) forced ??= `it injects a failure at ${l.injected.join(', ')} (${l.op}, step ${l.step})`;
    else if (l.choices.some((c) => c !== 0)) forced ??= `it takes a nondeterministic branch in ${l.op} (step ${l.step})`;
    if (l.ret !== undefined) inFlight.delete(l.tid);
  }
  const dense = threads.map((t) => t ?? []);
  if (forced) return { kind: 'concurrent', why: `${forced}, which a stock kernel cannot be made to do on demand`, threads: dense, params };
  if (overlap || faulted)
    return { kind: 'concurrent', why: 'its operations overlap in time: the interleaving cannot be forced on a real kernel', threads: dense, params };
  return { kind: 'script', script: { params, steps } };
}
