/**
 * Sequential scripts (`mmcheck run SUBSYS --script FILE`): run user-level
 * operations one after another on the implementation (one thread, default
 * choices, no injected faults) and on the spec, and compare after each one.
 * Built on the product model, so the comparison is exactly the checker's:
 * the return value must be one the spec allows, and the abstraction of the
 * implementation state must equal the spec state.
 */
import { evalInvariants } from './check.js';
import { Product } from './product.js';
import type { InvariantStats } from './result.js';
import type { Script } from './scenario-file.js';
import type { Args, RetValue, Scenario, Subsystem } from './types.js';

export interface StepObservation {
  readonly step: number;
  readonly op: string;
  readonly args: Args;
  readonly impl: { readonly ret: RetValue } & Record<string, unknown>;
  /** Absent when the subsystem has no spec. */
  readonly spec?: { readonly ret?: RetValue } & Record<string, unknown>;
  readonly agree: boolean;
  /** Why they disagree (or why the op could not run). */
  readonly problem?: string;
  /** The implementation could not finish this step (it threw or blocked): nothing was predicted. */
  readonly stopped?: boolean;
}

export function runScript(sub: Subsystem, script: Script, variant: string | null): StepObservation[] {
  const scenario: Scenario = {
    name: 'script',
    description: 'sequential script',
    params: script.params,
    threads: [script.steps.map((s) => [s])],
  };
  const product = new Product(sub, scenario, variant);
  const init = product.initial();
  let vec = init.vec;
  const out: StepObservation[] = [];
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
  const initBroken = init.failure ? `${init.failure.kind}: ${init.failure.message}` : broken(vec, init.impl);
  if (initBroken) {
    return [{ step: -1, op: '(initial state)', args: {}, impl: { ret: null }, agree: false, problem: initBroken }];
  }

  for (let i = 0; i < script.steps.length; i++) {
    const { op, args } = script.steps[i]!;
    let ret: RetValue = null;
    let problem: string | undefined;
    // run the op's steps until the thread is idle again
    for (let guard = 0; ; guard++) {
      if (guard > 10000) {
        problem = `${op} did not finish within 10000 steps`;
        break;
      }
      // the first successor: default choices, no injected fault
      const hit = product.pick(vec, () => true);
      if (!hit) {
        const st = product.traceState(vec).threads[0]!;
        problem = `${op} blocked at ${st.pc ?? 'its first step'} (it would wait forever in a sequential script)`;
        break;
      }
      vec = hit.vec;
      const bad = hit.failure ? `${hit.failure.kind}: ${hit.failure.message}` : broken(vec, hit.impl);
      if (bad) {
        problem = bad;
        ret = hit.label.ret ?? null;
        break;
      }
      if (product.pcOf(vec, 0, 0) < 0) {
        ret = hit.label.ret ?? null;
        break;
      }
    }
    const st = product.traceState(vec);
    const impl = { ret, ...(sub.observer ? sub.observer.impl(st.impl as any, script.params) : {}) };
    let spec: StepObservation['spec'];
    if (product.lin && st.spec) {
      const view = st.spec[0];
      const allowed = product.lin.allowedReturns(vec[0]!, 0).map((r) => product.spec!.rets.get(r));
      spec = {
        ...(problem?.startsWith('linearizability') && allowed.length ? { ret: allowed[0] } : problem ? {} : { ret }),
        ...(sub.observer && view !== undefined ? sub.observer.spec(view, script.params) : {}),
      };
    }
    out.push({
      step: i,
      op,
      args,
      impl,
      ...(spec ? { spec } : {}),
      agree: problem === undefined,
      ...(problem ? { problem } : {}),
    });
    if (problem) break;
  }
  return out;
}
