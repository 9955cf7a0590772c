/**
 * `mmcheck run --keep-going` and `mmcheck run --spec-only`.
 *
 * keep-going: the implementation runs the whole script (runImplSteps) and
 * every step is judged against the spec as the checker judges it (the return
 * value must be one the spec allows from the spec states consistent with the
 * history, and abstraction(impl) must be one of the resulting spec states).
 * After a disagreement the spec goes on from the outcomes that return what the
 * implementation returned (or, when it allows no such return, from every
 * outcome it allows), so each later step is judged from the spec's own view of
 * the history; a later disagreement may be a consequence of an earlier one and
 * is marked as such.
 *
 * spec-only: no implementation; each step lists every outcome the spec allows
 * from every spec state the history so far can lead to.
 */
import type { Script } from './scenario-file.js';
import type { StepObservation } from './sequential.js';
import { type ImplRun, runImplSteps } from './sequential-impl.js';
import { sameRet, SpecWalker } from './spec-walk.js';
import type { RetValue, Subsystem } from './types.js';

const fmt = (r: RetValue): string => JSON.stringify(r);

export function runScriptKeepGoing(sub: Subsystem, script: Script, variant: string | null): StepObservation[] {
  return compareImplRun(sub, script, runImplSteps(sub, script, variant));
}

/** Judge an implementation run against the spec at every step (see the file comment). */
export function compareImplRun(sub: Subsystem, script: Script, run: ImplRun): StepObservation[] {
  const out: StepObservation[] = [];
  if (run.stopped?.step === -1)
    return [
      {
        step: -1,
        op: '(initial state)',
        args: {},
        impl: { ret: null },
        agree: false,
        problem: run.stopped.problem,
        stopped: true,
      },
    ];
  const walker = sub.spec && sub.abstraction ? new SpecWalker(sub.spec, script.params) : undefined;
  let states = walker?.initial() ?? [];
  let firstBad = -1;
  run.steps.forEach((st, i) => {
    const { op, args } = script.steps[i]!;
    const impl = { ret: st.ret, ...(sub.observer ? sub.observer.impl(st.impl as never, script.params) : {}) };
    const problems: string[] = st.invariant ? [st.invariant] : [];
    let spec: StepObservation['spec'];
    if (walker) {
      const outcomes = walker.outcomes(states, op, args);
      const sameRetNext = outcomes.filter((o) => sameRet(o.ret, st.ret)).map((o) => o.next);
      const absId = walker.idOf(sub.abstraction!(st.impl as never, script.params));
      const after = walker.close(sameRetNext);
      const view = (id: number) => (sub.observer ? sub.observer.spec(walker.view(id), script.params) : {});
      if (outcomes.length === 0) {
        problems.push(`the spec does not allow ${op} here`);
        spec = {};
      } else if (sameRetNext.length === 0) {
        const allowed = [...new Set(outcomes.map((o) => fmt(o.ret)))].join(', ');
        problems.push(`linearizability: ${op} returned ${fmt(st.ret)}; the spec allows ${allowed}`);
        spec = { ret: outcomes[0]!.ret, ...view(outcomes[0]!.next) };
      } else if (!after.includes(absId)) {
        spec = { ret: st.ret, ...view(after[0]!) };
        const differ = Object.keys(spec).filter(
          (k) => JSON.stringify(spec![k]) !== JSON.stringify((impl as Record<string, unknown>)[k]),
        );
        problems.push(
          `refinement: after ${op} the implementation's abstract state is none of the ${after.length} the spec allows${
            differ.length ? ` (${differ.join(', ')} differ)` : ''
          }`,
        );
      } else {
        spec = { ret: st.ret, ...view(absId) };
      }
      // go on from the implementation's state when the spec allows it, else from the spec's own outcomes
      states = after.includes(absId)
        ? walker.close([absId])
        : after.length > 0
          ? after
          : walker.close(outcomes.map((o) => o.next));
    }
    if (problems.length > 0 && firstBad >= 0) problems.push(`(after the disagreement at step ${firstBad})`);
    if (problems.length > 0 && firstBad < 0) firstBad = i;
    out.push({
      step: i,
      op,
      args,
      impl,
      ...(spec ? { spec } : {}),
      agree: problems.length === 0,
      ...(problems.length ? { problem: problems.join('; ') } : {}),
    });
  });
  if (run.stopped) {
    const { op, args } = script.steps[run.stopped.step]!;
    out.push({
      step: run.stopped.step,
      op,
      args,
      impl: { ret: null },
      agree: false,
      problem: run.stopped.problem,
      stopped: true,
    });
  }
  return out;
}

/** What the spec allows at one step of a script. */
export interface SpecOnlyStep {
  readonly step: number;
  readonly op: string;
  readonly args: Script['steps'][number]['args'];
  /** Distinct outcomes: the return value and the observer's view of the resulting spec state. */
  readonly allowed: readonly ({ readonly ret: RetValue } & Record<string, unknown>)[];
  /** Spec states the history can be in after this step. */
  readonly specStates: number;
}

export function runScriptSpecOnly(sub: Subsystem, script: Script): SpecOnlyStep[] {
  if (!sub.spec) throw new Error(`${sub.name} has no spec`);
  const walker = new SpecWalker(sub.spec, script.params);
  let states = walker.initial();
  const out: SpecOnlyStep[] = [];
  for (const [i, { op, args }] of script.steps.entries()) {
    const outcomes = walker.outcomes(states, op, args);
    const seen = new Set<string>();
    const allowed: SpecOnlyStep['allowed'][number][] = [];
    for (const o of outcomes) {
      for (const id of walker.close([o.next])) {
        const row = { ret: o.ret, ...(sub.observer ? sub.observer.spec(walker.view(id), script.params) : {}) };
        const key = JSON.stringify(row);
        if (seen.has(key)) continue;
        seen.add(key);
        allowed.push(row);
      }
    }
    states = walker.close(outcomes.map((o) => o.next));
    out.push({ step: i, op, args, allowed, specStates: states.length });
    if (outcomes.length === 0) break;
  }
  return out;
}
