/**
 * Kernel vs implementation, step by step: the return value and every counter
 * either side names must be equal. The first difference is the divergence.
 */
import type { PredictedStep } from './predict.js';
import type { KernelMapping, KernelStepObservation } from './types.js';

export interface StepDiff {
  readonly step: number;
  readonly what: string;
  readonly kernel: string;
  readonly impl: string;
}

export function diffStep(m: KernelMapping<any>, p: PredictedStep, k: KernelStepObservation | undefined): StepDiff[] {
  if (!k) return [{ step: p.step, what: 'step', kernel: '(no output)', impl: 'ran' }];
  const out: StepDiff[] = [];
  const implRet = m.retOf(p.ret, p.op);
  if (implRet !== String(k.ret)) out.push({ step: p.step, what: 'ret', kernel: String(k.ret), impl: implRet });
  const names = new Set([...Object.keys(p.counters), ...Object.keys(k.counters)]);
  for (const n of names) {
    const a = k.counters[n];
    const b = p.counters[n];
    if (a !== b)
      out.push({
        step: p.step,
        what: n,
        kernel: a === undefined ? '-' : String(a),
        impl: b === undefined ? '-' : String(b),
      });
  }
  return out;
}

/** The first step where kernel and implementation differ, with every difference there. */
export function firstDivergence(
  m: KernelMapping<any>,
  predicted: readonly PredictedStep[],
  observed: readonly KernelStepObservation[],
): StepDiff[] | undefined {
  for (const p of predicted) {
    const d = diffStep(
      m,
      p,
      observed.find((o) => o.step === p.step),
    );
    if (d.length > 0) return d;
  }
  return undefined;
}
