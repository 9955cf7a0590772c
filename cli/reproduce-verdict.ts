/** One kernel's verdict for a script target of `mmcheck reproduce`: boot, run, compare step by step. */
import { firstDivergence } from '../kernel/compare.js';
import { predictScript, type PredictedStep } from '../kernel/predict.js';
import { QemuBatchRunner } from '../kernel/runner.js';
import { injectCounter, isInjectCounter } from '../kernel/inject.js';
import type { KernelScript, KernelScriptResult, KernelStepObservation, ResolvedKernel } from '../kernel/types.js';
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
  script: KernelScript,
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
  const inj = injectionCheck(job, k, script, r.steps, r.notes ?? []);
  for (const line of inj.lines) io.out(line);
  // the module's counts are not the implementation's: compared apart (injectionCheck), not step by step
  const steps = r.steps.map((o) => ({
    ...o,
    counters: Object.fromEntries(Object.entries(o.counters).filter(([n]) => !isInjectCounter(n))),
  }));
  if (inj.notFired) {
    for (const line of sideBySide(pred, steps, job.mapping.retOf)) io.out(line);
    io.out(`  verdict       INCONCLUSIVE: ${inj.notFired}`);
    return { code: EXIT.inconclusive, word: 'INCONCLUSIVE', observed: steps };
  }
  const diff = firstDivergence(job.mapping, pred, steps);
  for (const line of sideBySide(pred, steps, job.mapping.retOf, diff?.[0]?.step)) io.out(line);
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
    return { code: EXIT.violation, word: 'DIVERGED', observed: steps };
  }
  const stuck = pred.find((p) => p.implProblem);
  if (stuck || pred.length !== script.steps.length) {
    // the steps after it were not predicted: neither REPRODUCED nor AGREED can be claimed for the script
    io.out(
      `  verdict       INCONCLUSIVE: the implementation did not run the script to its end (${stuck ? `step ${stuck.step}: ${stuck.implProblem}` : `${pred.length} of ${script.steps.length} steps`})`,
    );
    return { code: EXIT.inconclusive, word: 'INCONCLUSIVE', observed: steps };
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
      observed: steps,
      ...(r.poolRestored ? {} : r.after ? { after: r.after } : {}),
    };
  }
  io.out(
    `  verdict       AGREED: the kernel matched the implementation at all ${pred.length} steps, and the implementation (${k.modelImpl ? `${k.modelImpl} ` : ''}${k.modelVersion}) satisfies the spec here: no violation to reproduce`,
  );
  return { code: EXIT.pass, word: 'AGREED', observed: steps };
}

/**
 * Did every injected failure of the script fire on the kernel (kernel/inject.ts)? The probe adds the
 * module's counts to the step's observation (inject<j>_hits: calls of the function by the step's task that
 * passed the caller check; inject<j>_fired: 1 when the nth was failed). A failure that never fired makes the
 * run say nothing about the counterexample: INCONCLUSIVE, never REPRODUCED.
 */
export function injectionCheck(
  job: Pick<Job, 'mapping'>,
  k: Pick<ResolvedKernel, 'release'>,
  script: KernelScript,
  observed: readonly KernelStepObservation[],
  notes: readonly string[],
): { lines: string[]; notFired?: string } {
  const lines: string[] = [];
  let notFired: string | undefined;
  const byStep = new Map<number, number>();
  for (const x of script.injections ?? []) {
    const j = byStep.get(x.step) ?? 0;
    byStep.set(x.step, j + 1);
    const site = job.mapping.injectSite?.(x.site, k.release);
    const fn = typeof site === 'object' ? `${site.sym}${site.caller ? ` from ${site.caller}` : ''}` : '?';
    const o = observed.find((s) => s.step === x.step);
    const hits = o?.counters[injectCounter(j, 'hits')];
    const fired = o?.counters[injectCounter(j, 'fired')] === 1;
    const what = `step ${x.step}: ${x.site} #${x.nth} -> ${fn}: ${fired ? 'failed' : 'NOT failed'} (calls counted: ${hits === undefined || hits < 0 ? 'none read' : hits})`;
    lines.push(`  injected      ${what}`);
    if (!fired)
      notFired ??= `the injected failure at ${x.site} (step ${x.step}, call #${x.nth} of ${fn}) never fired${hits !== undefined && hits >= 0 && hits < x.nth ? `: the kernel made ${hits} such call${hits === 1 ? '' : 's'} in that step` : ''}${notes.length ? ` (${notes.join('; ')})` : ''}`;
  }
  return { lines, ...(notFired ? { notFired } : {}) };
}
