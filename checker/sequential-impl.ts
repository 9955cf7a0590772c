/**
 * The implementation alone along a sequential script: one thread, default
 * choices, no injected faults, invariants checked after every step, and the
 * run goes on after an invariant breaks (the state is still the model's
 * prediction of the kernel). Only a step that throws or blocks ends it.
 *
 * `runScript` (sequential.ts) stops at the first disagreement with the spec;
 * this is the building block for `run --keep-going` and for `conform`, which
 * compare each step themselves.
 */
import { evalInvariants } from './check.js';
import { Product } from './product.js';
import type { InvariantStats, StepLabel, Trace, TraceState } from './result.js';
import type { Script } from './scenario-file.js';
import type { RetValue, Scenario, Subsystem } from './types.js';

export interface ImplStep {
  readonly ret: RetValue;
  /** Decoded implementation state after the step. */
  readonly impl: unknown;
  /** An invariant that broke during the step (the run went on). */
  readonly invariant?: string;
}

export interface ImplRun {
  readonly steps: readonly ImplStep[];
  /** Why the run stopped before the end of the script (impl-error, blocked op, broken initial state). */
  readonly stopped?: { readonly step: number; readonly problem: string };
  /** The initial implementation state. */
  readonly initial: unknown;
  /** Every atomic step, when asked for (`withTrace`): for ITF export of a script. */
  readonly trace?: Trace;
}

/** A copy of the subsystem without its spec: the product then checks invariants only. */
function implOnly(sub: Subsystem): Subsystem {
  const { spec: _spec, ...rest } = sub;
  return rest as Subsystem;
}

export function runImplSteps(
  sub: Subsystem,
  script: Script,
  variant: string | null,
  withTrace = false,
  kernelVersion?: string,
): ImplRun {
  const scenario: Scenario = {
    name: 'script',
    description: 'sequential script',
    params: script.params,
    threads: [script.steps.map((s) => [s])],
    ...(kernelVersion !== undefined ? { kernelVersion } : {}),
  };
  const product = new Product(implOnly(sub), scenario, variant);
  const stats: InvariantStats[] = product.invariants.map((i) => ({
    name: i.name,
    when: i.when,
    checked: 0,
    nonTrivial: 0,
  }));
  const broken = (v: Int32Array, g: unknown): string | undefined => {
    const f = evalInvariants(product.invariants, stats, g as never, script.params, product.invariantCtx(v, 0));
    return f ? `invariant: ${f.message}` : undefined;
  };
  const init = product.initial();
  let vec = init.vec;
  const steps: ImplStep[] = [];
  const initial = product.traceState(vec).impl;
  const states: TraceState[] = withTrace ? [product.traceState(vec)] : [];
  const transitions: StepLabel[] = [];
  const trace = withTrace ? { trace: { states, transitions } } : {};
  if (init.failure)
    return {
      steps,
      initial,
      ...trace,
      stopped: { step: -1, problem: `${init.failure.kind}: ${init.failure.message}` },
    };
  for (let i = 0; i < script.steps.length; i++) {
    const op = script.steps[i]!.op;
    let invariant: string | undefined;
    let ret: RetValue = null;
    for (let guard = 0; ; guard++) {
      if (guard > 10000)
        return { steps, initial, ...trace, stopped: { step: i, problem: `${op} did not finish within 10000 steps` } };
      const hit = product.pick(vec, () => true);
      if (!hit) {
        const pc = product.traceState(vec).threads[0]?.pc;
        return {
          steps,
          initial,
          ...trace,
          stopped: { step: i, problem: `${op} blocked at ${pc ?? 'its first step'}` },
        };
      }
      vec = hit.vec;
      if (withTrace) {
        transitions.push(hit.label);
        states.push(product.traceState(vec));
      }
      if (hit.failure && hit.failure.kind !== 'invariant')
        return {
          steps,
          initial,
          ...trace,
          stopped: { step: i, problem: `${hit.failure.kind}: ${hit.failure.message}` },
        };
      invariant ??= hit.failure ? `invariant: ${hit.failure.message}` : broken(vec, hit.impl);
      if (product.pcOf(vec, 0, 0) < 0) {
        ret = hit.label.ret ?? null;
        break;
      }
    }
    steps.push({ ret, impl: product.traceState(vec).impl, ...(invariant ? { invariant } : {}) });
  }
  return { steps, initial, ...trace };
}
