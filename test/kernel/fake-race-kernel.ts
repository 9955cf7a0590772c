/**
 * A fake kernel for race runs: each concurrent script is run on the
 * implementation itself, one interleaving per run, chosen by a seeded random
 * scheduler that keeps the script's happens-before order (as the probe's
 * threads do) or, with `sequential`, runs each operation to its end before the
 * next starts (lowest step first). It answers like the probe: every step's
 * return and counters, and the FINAL counters once every thread finished.
 */
import { Product } from '../../checker/product.js';
import type { StepLabel } from '../../checker/result.js';
import type { Scenario, Subsystem } from '../../checker/types.js';
import type {
  KernelBatchOutcome,
  KernelBatchRunner,
  KernelMapping,
  KernelScript,
  KernelScriptResult,
  KernelStepObservation,
} from '../../kernel/types.js';

export class FakeRaceKernel implements KernelBatchRunner {
  readonly kernel = { request: 'fake', release: '6.99.0-fake', modelVersion: '6.12', image: '/nonexistent' };
  private rng: number;
  constructor(
    private readonly sub: Subsystem,
    private readonly scenario: Scenario,
    private readonly mapping: KernelMapping<any>,
    seed: number,
    private readonly sequential = false,
  ) {
    this.rng = seed >>> 0 || 1;
  }

  private random(n: number): number {
    this.rng = (Math.imul(this.rng, 1103515245) + 12345) >>> 0;
    return (this.rng >>> 8) % n;
  }

  async runBatch(_subsystem: string, scripts: readonly KernelScript[]): Promise<KernelBatchOutcome> {
    return { kind: 'ran', results: scripts.map((s) => this.one(s)), seconds: 0 };
  }

  private one(script: KernelScript): KernelScriptResult {
    const c = script.concurrency!;
    const product = new Product(this.sub, this.scenario, null);
    let vec = product.initial().vec;
    const done = new Set<number>();
    const inFlight = new Map<number, number>(); // tid -> step
    const steps: KernelStepObservation[] = [];
    const nextOf = (tid: number): number | undefined =>
      script.steps.findIndex((_, k) => c.threadOf[k] === tid && !done.has(k) && ![...inFlight.values()].includes(k));
    const allowed = (lab: StepLabel): number | undefined => {
      if (!lab.invoked) return inFlight.has(lab.tid) ? inFlight.get(lab.tid) : undefined;
      if (inFlight.has(lab.tid) || (this.sequential && inFlight.size > 0)) return undefined;
      const k = nextOf(lab.tid);
      if (k === undefined || k < 0) return undefined;
      const st = script.steps[k]!;
      const same = st.op === lab.op && JSON.stringify(st.args) === JSON.stringify(lab.args);
      return same && c.after[k]!.every((j) => done.has(j)) ? k : undefined;
    };
    for (let guard = 0; done.size < script.steps.length; guard++) {
      const options: { i: number; k: number }[] = [];
      product.pick(vec, (lab, i) => {
        const k = allowed(lab);
        if (k !== undefined) options.push({ i, k });
        return false;
      });
      if (options.length === 0 || guard > 10_000) return { kind: 'error', detail: 'fake: the race deadlocked' };
      const lowest = options.reduce((a, b) => (b.k < a.k ? b : a));
      const choice = this.sequential ? lowest : options[this.random(options.length)]!;
      const hit = product.pick(vec, (_, i) => i === choice.i)!;
      vec = hit.vec;
      if (hit.label.invoked) inFlight.set(hit.label.tid, choice.k);
      if (hit.label.ret !== undefined) {
        inFlight.delete(hit.label.tid);
        done.add(choice.k);
        const ret = this.mapping.retOf(hit.label.ret, script.steps[choice.k]!.op);
        const counters = this.mapping.predict(hit.impl, script.params, this.sub);
        steps.push({ step: choice.k, ret, sigbus: ret === 'SIGBUS', counters });
      }
    }
    const final = this.mapping.predict(product.traceState(vec).impl, script.params, this.sub);
    return { kind: 'ran', steps, poolRestored: true, final };
  }
}
