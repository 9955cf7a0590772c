/**
 * What the implementation predicts a kernel shows for a sequential script:
 * per step, the return value, the counters the probe prints (the subsystem's
 * KernelMapping.predict on the implementation state) and whether the spec
 * disagreed there. Unlike `mmcheck run`, it goes on after the first spec
 * disagreement: a counterexample's later steps are predicted too.
 */
import { evalInvariants } from '../checker/check.js';
import { Product } from '../checker/product.js';
import type { InvariantStats } from '../checker/result.js';
import type { RetValue, Scenario, Subsystem } from '../checker/types.js';
import { pickInjected } from './inject.js';
import type { KernelMapping, KernelScript } from './types.js';

export interface PredictedStep {
  readonly step: number;
  readonly op: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly ret: RetValue;
  readonly counters: Record<string, number>;
  /** The spec (or an invariant) disagreed at this step: the violation the kernel may confirm. */
  readonly specProblem?: string;
  /** The implementation could not run the step (blocked, threw). */
  readonly implProblem?: string;
  /**
   * The implementation could go more than one way in this step (a choose(),
   * an injected failure): the prediction follows the first, the others are not
   * predicted.
   */
  readonly branched?: true;
}

export function predictScript(
  sub: Subsystem,
  m: KernelMapping<any>,
  script: KernelScript,
  opts: { variant?: string | null; kernelVersion?: string } = {},
): PredictedStep[] {
  const inj = script.injections ?? [];
  const scenario: Scenario = {
    name: 'kernel-script',
    description: 'sequential script for a kernel run',
    params: script.params,
    threads: [script.steps.map((s) => [s])],
    ...(opts.kernelVersion ? { kernelVersion: opts.kernelVersion } : {}),
    // planned injected failures (kernel/inject.ts): the budget and sites they need, taken where planned only
    ...(inj.length ? { faults: { budget: inj.length, sites: [...new Set(inj.map((x) => x.site))] } } : {}),
  };
  const product = new Product(sub, scenario, opts.variant ?? null);
  const stats: InvariantStats[] = product.invariants.map((i) => ({
    name: i.name,
    when: i.when,
    checked: 0,
    nonTrivial: 0,
  }));
  const broken = (v: Int32Array, g: unknown): string | undefined => {
    const f = evalInvariants(product.invariants, stats, g as never, script.params, product.invariantCtx(v, 0));
    return f ? `invariant ${f.message}` : undefined;
  };
  const init = product.initial();
  let vec = init.vec;
  const out: PredictedStep[] = [];
  for (let i = 0; i < script.steps.length; i++) {
    const { op, args } = script.steps[i]!;
    let ret: RetValue = null;
    let specProblem: string | undefined;
    let implProblem: string | undefined;
    let branched = false;
    const planned = inj.filter((x) => x.step === i);
    const count = new Map<string, number>();
    for (let guard = 0; ; guard++) {
      const hit =
        guard > 10000
          ? undefined
          : inj.length
            ? pickInjected(product, vec, planned, count)
            : product.pick(vec, () => true);
      if (!hit) {
        implProblem =
          guard > 10000
            ? `${op} did not finish within 10000 steps`
            : inj.length
              ? `${op} cannot go on with the planned injected failures (${planned.map((x) => `${x.site} #${x.nth}`).join(', ') || 'none'})`
              : `${op} blocked (it would wait forever in a sequential script)`;
        break;
      }
      vec = hit.vec;
      if (hit.of > 1) branched = true;
      const bad = hit.failure ? `${hit.failure.kind}: ${hit.failure.message}` : broken(vec, hit.impl);
      if (bad && !specProblem) specProblem = bad;
      if (product.pcOf(vec, 0, 0) < 0) {
        ret = hit.label.ret ?? null;
        break;
      }
    }
    const missed = planned.filter((x) => (count.get(x.site) ?? 0) < x.nth);
    if (!implProblem && missed.length)
      implProblem = `${op} never reached ${missed.map((x) => `${x.site} #${x.nth}`).join(', ')}`;
    const g = product.traceState(vec).impl;
    out.push({
      step: i,
      op,
      args,
      ret,
      counters: m.predict(g, script.params, sub),
      ...(specProblem ? { specProblem } : {}),
      ...(implProblem ? { implProblem } : {}),
      ...(branched ? { branched: true as const } : {}),
    });
    if (implProblem) break;
  }
  return out;
}
