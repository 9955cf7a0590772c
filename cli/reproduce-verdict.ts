/** One kernel's verdict for a script target of `mmcheck reproduce`: boot, run, compare step by step. */
import { firstDivergence } from '../kernel/compare.js';
import { predictScript, type PredictedStep } from '../kernel/predict.js';
import { QemuBatchRunner } from '../kernel/runner.js';
import type { Script } from '../checker/scenario-file.js';
import type { KernelScriptResult, KernelStepObservation, ResolvedKernel } from '../kernel/types.js';
import { kernelMappings } from '../subsystems/probes.js';
import { EXIT, type Out } from './io.js';
import type { Job } from './reproduce-job.js';

export type Io = Pick<Out, 'out' | 'err'>;

export const fmtArgs = (a: Readonly<Record<string, unknown>>): string =>
  Object.entries(a)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(',');
export const fmtCounters = (c: Readonly<Record<string, number>>): string =>
  Object.entries(c)
    .map(([k, v]) => `${k.replace(/^HugePages_/, '')}=${v}`)
    .join(' ');

/** Side by side, one row per step; the divergent step marked. */
export function sideBySide(
  pred: readonly PredictedStep[],
  obs: readonly KernelStepObservation[],
  retOf: (r: PredictedStep['ret'], op?: string) => string,
  divergeAt?: number,
): string[] {
  const rows = pred.map((p) => {
    const k = obs.find((o) => o.step === p.step);
    const impl = `${retOf(p.ret, p.op)}  ${fmtCounters(p.counters)}`;
    const kern = k ? `${String(k.ret)}  ${fmtCounters(k.counters)}` : '(no output)';
    const mark = divergeAt === p.step ? '>>' : p.specProblem ? ' !' : '  ';
    return { mark, step: String(p.step), op: `${p.op}(${fmtArgs(p.args)})`, kern, impl: kern === impl ? 'same' : impl };
  });
  const w = (f: (r: (typeof rows)[number]) => string, min: number): number =>
    Math.max(min, ...rows.map((r) => f(r).length));
  const wo = w((r) => r.op, 2);
  const wk = w((r) => r.kern, 6);
  return [
    `     step ${'op'.padEnd(wo)}  ${'kernel'.padEnd(wk)}  implementation`,
    ...rows.map((r) => `  ${r.mark} ${r.step.padStart(4)} ${r.op.padEnd(wo)}  ${r.kern.padEnd(wk)}  ${r.impl}`),
  ];
}

export interface KernelVerdict {
  readonly code: number;
  readonly word: 'REPRODUCED' | 'DIVERGED' | 'INCONCLUSIVE' | 'AGREED' | 'NOT REPRODUCED';
  readonly observed?: readonly KernelStepObservation[];
  /** Counters after the probe's restore (mounts gone, pool emptied), when it was not clean. */
  readonly after?: Readonly<Record<string, number>>;
}

export async function runOnKernel(
  job: Job,
  k: ResolvedKernel,
  io: Io,
  script: Script,
  bootSeconds?: number,
): Promise<KernelVerdict> {
  const version = k.modelVersion ? { kernelVersion: k.modelVersion } : {};
  const pred = predictScript(job.sub, job.mapping, script, { variant: job.variant, ...version });
  const runner = new QemuBatchRunner(k, { mappings: kernelMappings, ...(bootSeconds ? { bootSeconds } : {}) });
  const out = await runner.runBatch(job.sub.name, [script]);
  const boots = runner.boots.map((b) => `${b.seconds.toFixed(1)} s`).join(', ');
  io.out(
    `  booted        ${runner.bootedRelease ?? '?'} (${runner.boots.length} boot${runner.boots.length === 1 ? '' : 's'}: ${boots || 'none'})`,
  );
  if (out.kind !== 'ran') {
    io.out(`  verdict       INCONCLUSIVE: ${out.kind}: ${out.detail}`);
    return { code: EXIT.inconclusive, word: 'INCONCLUSIVE' };
  }
  const r = out.results[0] as KernelScriptResult;
  if (r.kind === 'error') {
    io.out(`  verdict       INCONCLUSIVE: ${r.detail}`);
    return { code: EXIT.inconclusive, word: 'INCONCLUSIVE' };
  }
  const diff = firstDivergence(job.mapping, pred, r.steps);
  for (const line of sideBySide(pred, r.steps, job.mapping.retOf, diff?.[0]?.step)) io.out(line);
  const spec = pred.find((p) => p.specProblem);
  if (!r.poolRestored)
    io.out(
      `  pool          NOT restored: after the script's processes exited, its mounts were unmounted and the pool emptied, the kernel still shows ${r.after ? fmtCounters(r.after) : 'non-zero counters'} (the damage outlives the processes)`,
    );
  if (diff) {
    io.out(
      `  verdict       DIVERGED at step ${diff[0]!.step}: ${diff.map((d) => `${d.what} kernel ${d.kernel} vs implementation ${d.impl}`).join('; ')}`,
    );
    io.out('                a fidelity bug in the model (or a kernel difference --kernel-version should select)');
    return { code: EXIT.violation, word: 'DIVERGED', observed: r.steps };
  }
  const stuck = pred.find((p) => p.implProblem);
  if (stuck || pred.length !== script.steps.length) {
    // the steps after it were not predicted: neither REPRODUCED nor AGREED can be claimed for the script
    io.out(
      `  verdict       INCONCLUSIVE: the implementation did not run the script to its end (${stuck ? `step ${stuck.step}: ${stuck.implProblem}` : `${pred.length} of ${script.steps.length} steps`})`,
    );
    return { code: EXIT.inconclusive, word: 'INCONCLUSIVE', observed: r.steps };
  }
  const counters = Object.keys(pred[0]?.counters ?? {}).length;
  if (spec) {
    io.out(`  spec          disagrees at step ${spec.step}: ${spec.specProblem}`);
    io.out(
      `  verdict       REPRODUCED: the kernel did what the implementation predicted at all ${pred.length} steps (return value + ${counters} counters each), so the spec violation is real kernel behaviour`,
    );
    return {
      code: EXIT.pass,
      word: 'REPRODUCED',
      observed: r.steps,
      ...(r.poolRestored ? {} : r.after ? { after: r.after } : {}),
    };
  }
  io.out(
    `  verdict       AGREED: the kernel matched the implementation at all ${pred.length} steps, and the implementation (${k.modelImpl ? `${k.modelImpl} ` : ''}${k.modelVersion}) satisfies the spec here: no violation to reproduce`,
  );
  return { code: EXIT.pass, word: 'AGREED', observed: r.steps };
}
