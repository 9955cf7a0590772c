/** A finding marked as a race (kernel/race-stress.ts): its C stress loop on a 2-vCPU guest, then the control. */
import { judgeStress, runStress, type RaceForm, type RaceStress, type StressRun } from '../kernel/race-stress.js';
import type { KernelInjectSite } from '../kernel/inject.js';
import { KernelSetupError } from '../kernel/tools.js';
import type { ResolvedKernel } from '../kernel/types.js';
import { EXIT } from './io.js';
import type { Io, KernelVerdict } from './reproduce-verdict.js';

export interface StressOpts {
  readonly iterations: number;
  readonly seconds: number;
  readonly bootSeconds: number | undefined;
  /** The loop's form (RaceStress.forms), if it has forms. */
  readonly form?: RaceForm;
  /** The subsystem's KernelMapping.injectSite (a loop with RaceStress.inject needs it). */
  readonly injectSite?: (site: string, release: string) => KernelInjectSite | string;
}

/** The kernel functions of a loop's injected sites on kernel `k`; a site without one is a setup error. */
export function stressInjections(
  spec: Pick<RaceStress, 'inject'>,
  release: string,
  injectSite: StressOpts['injectSite'],
): { site: string; k: KernelInjectSite }[] {
  return (spec.inject ?? []).map((site) => {
    const k = injectSite ? injectSite(site, release) : 'the subsystem maps no fault site to a kernel function';
    if (typeof k === 'string') throw new KernelSetupError(`injected failure at ${site} on ${release}: ${k}`);
    return { site, k };
  });
}

function report(io: Io, what: string, r: StressRun): void {
  const end = r.log.end;
  io.out(
    `  ${what.padEnd(13)} ${r.seconds.toFixed(1)} s boot+run${r.timedOut ? ' (timed out)' : ''}; ${end ? `END after ${end.iters} iterations, ${(end.ms / 1000).toFixed(1)} s` : 'no END line'}${r.trouble ? `; console: ${r.trouble}` : ''}`,
  );
  for (const h of r.log.hits.slice(0, 2))
    io.out(
      `  ${''.padEnd(13)} HIT iteration ${h.iter} (${h.at}): ${Object.entries(h.printed)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
    );
  if (r.log.after)
    io.out(
      `  ${''.padEnd(13)} after: ${Object.entries(r.log.after)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
    );
}

/**
 * The race loop (MMCHECK_CONTROL unset) and, when it shows the damage, the control loop without its concurrent
 * part: REPRODUCED (0) only with a shown HIT and a clean control; NOT REPRODUCED (3) when the loop ended without
 * a hit; INCONCLUSIVE (3) otherwise.
 */
export async function stressOnKernel(
  k: ResolvedKernel,
  io: Io,
  spec: RaceStress,
  o: StressOpts,
): Promise<KernelVerdict> {
  io.out(`  race loop     ${spec.c}: up to ${o.iterations} iterations / ${o.seconds} s on 2 vCPUs`);
  if (o.form)
    io.out(
      `  form          ${o.form.name}: ${o.form.says} (${[
        ...Object.entries(o.form.env).map(([k, v]) => `${k}=${v}`),
        ...(o.form.kernelArgs ?? []),
      ].join(' ')})`,
    );
  const inject = stressInjections(spec, k.release, o.injectSite);
  for (const x of inject)
    io.out(
      `  inject        ${x.site} -> ${x.k.sym}${x.k.caller ? ` (called from ${x.k.caller})` : ''} returning ${x.k.ret}, by kernel/inject/mmcheck_inject.ko loaded by the loop`,
    );
  const env = {
    ...(o.form ? { env: o.form.env, ...(o.form.kernelArgs ? { kernelArgs: o.form.kernelArgs } : {}) } : {}),
    ...(inject.length ? { inject } : {}),
  };
  const race = await runStress(k, spec, {
    ...env,
    control: false,
    iterations: o.iterations,
    seconds: o.seconds,
    ...(o.bootSeconds ? { bootSeconds: o.bootSeconds } : {}),
  });
  io.out(`  booted        ${race.log.release ?? '?'}`);
  report(io, 'race run', race);
  let control: StressRun | undefined;
  if (judgeStress(spec, race.log).hit) {
    control = await runStress(k, spec, {
      ...env,
      control: true,
      iterations: Math.min(spec.controlIterations, o.iterations),
      seconds: o.seconds,
      ...(o.bootSeconds ? { bootSeconds: o.bootSeconds } : {}),
    });
    report(io, 'control run', control);
  }
  const v = judgeStress(spec, race.log, control?.log);
  io.out(`  verdict       ${v.verdict}: ${v.why}`);
  if (v.verdict !== 'REPRODUCED') io.out(`  logs          ${race.dir}${control ? `, ${control.dir}` : ''}`);
  return { code: v.verdict === 'REPRODUCED' ? EXIT.pass : EXIT.inconclusive, word: v.verdict };
}
