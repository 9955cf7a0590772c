/**
 * A fake kernel for conform tests: a KernelBatchRunner that answers every step
 * with what the implementation predicts (through the subsystem's kernel
 * mapping), except where `diverge` says so: there it returns `EIO` instead.
 * `kernelVersion` makes it answer as the implementation of that version does.
 * It records every batch, so tests can count boots.
 */
import type { Script } from '../../checker/scenario-file.js';
import { runImplSteps } from '../../checker/sequential-impl.js';
import type { Subsystem } from '../../checker/types.js';
import type {
  KernelBatchOutcome,
  KernelBatchRunner,
  KernelMapping,
  KernelScriptResult,
  KernelStepObservation,
} from '../../kernel/types.js';

export class FakeKernel implements KernelBatchRunner {
  readonly kernel = { request: 'fake', release: '6.99.0-fake', modelVersion: 'mainline', image: '/nonexistent' };
  readonly batches: number[] = [];
  bootFails = false;
  constructor(
    private readonly sub: Subsystem,
    private readonly mapping: KernelMapping<any>,
    private readonly diverge: (script: Script, step: number) => boolean,
    private readonly kernelVersion?: string,
  ) {}

  async runBatch(_subsystem: string, scripts: readonly Script[]): Promise<KernelBatchOutcome> {
    this.batches.push(scripts.length);
    if (this.bootFails) return { kind: 'boot-failed', detail: 'fake: no console output', log: '' };
    return { kind: 'ran', results: scripts.map((s) => this.one(s)), seconds: 0.01 * scripts.length };
  }

  private one(script: Script): KernelScriptResult {
    const run = runImplSteps(this.sub, script, null, false, this.kernelVersion);
    const steps: KernelStepObservation[] = run.steps.map((st, i) => {
      const ret = this.mapping.retOf(st.ret);
      return {
        step: i,
        ret: this.diverge(script, i) ? 'EIO' : ret,
        sigbus: ret === 'SIGBUS',
        counters: this.mapping.predict(st.impl, script.params),
      };
    });
    return { kind: 'ran', steps, poolRestored: true };
  }
}
