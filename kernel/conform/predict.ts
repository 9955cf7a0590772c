/**
 * The implementation's prediction of what a kernel shows at each step of a
 * script, in the probe's terms: the return value in the probe's encoding and
 * the counters the subsystem's kernel mapping derives from the implementation
 * state (KernelMapping.predict). Each step also says whether the
 * implementation agrees with its own spec there (compareImplRun).
 */
import type { Script } from '../../checker/scenario-file.js';
import { compareImplRun } from '../../checker/sequential-compare.js';
import { runImplSteps } from '../../checker/sequential-impl.js';
import type { RetValue, Subsystem } from '../../checker/types.js';
import type { KernelMapping } from '../types.js';
import { type Counters, flattenCounters } from './observe.js';

export interface PredictedStep {
  /** In the probe's encoding (KernelMapping.retOf). */
  readonly ret: string;
  readonly counters: Counters;
  /** The implementation agrees with the spec (and its invariants hold) at this step. */
  readonly agree: boolean;
  readonly problem?: string;
}

export interface Prediction {
  readonly steps: readonly PredictedStep[];
  /** The implementation could not run the script past this step. */
  readonly stopped?: { readonly step: number; readonly problem: string };
}

/** A return value as the probe prints it, when no mapping says otherwise. */
export const retKey = (r: RetValue): string => (r === null ? 'null' : String(r));

export function predict(
  sub: Subsystem,
  variant: string | null,
  mapping: KernelMapping<any> | undefined,
  script: Script,
  kernelVersion?: string,
): Prediction {
  const run = runImplSteps(sub, script, variant, false, kernelVersion);
  const judged = compareImplRun(sub, script, run);
  const steps: PredictedStep[] = run.steps.map((st, i) => {
    const op = script.steps[i]?.op;
    const j = judged.find((o) => o.step === i && !o.stopped);
    const counters = mapping
      ? mapping.predict(st.impl, script.params, sub)
      : sub.observer
        ? flattenCounters(sub.observer.impl(st.impl as never, script.params))
        : {};
    return {
      ret: mapping ? mapping.retOf(st.ret, op) : retKey(st.ret),
      counters,
      agree: j?.agree ?? true,
      ...(j?.problem ? { problem: j.problem } : {}),
    };
  });
  return { steps, ...(run.stopped ? { stopped: run.stopped } : {}) };
}
