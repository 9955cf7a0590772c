/* eslint-disable max-lines -- open work (issue 11): the verdict, record and race-run parts of reproduce move
   into kernel/ with the THP probe; until then the command reads top to bottom in one file */
/**
 * `mmcheck reproduce`: run a counterexample's user-level operations on real
 * kernels under qemu and compare every step with the implementation's
 * prediction for that kernel's version.
 *
 *   mmcheck reproduce TRACE.itf.json|SCRIPT.json --kernel K [--kernel K2 ...]
 *   mmcheck reproduce SUBSYSTEM --scenario NAME [--variant V] --kernel K [...]
 *
 * Verdicts: REPRODUCED (0) the kernel matched the prediction at every step,
 * so the spec violation the implementation shows is real kernel behaviour;
 * DIVERGED (1) the kernel differs at step k (a fidelity bug in the model);
 * INCONCLUSIVE (3) boot failure, timeout, or a counterexample that cannot be
 * forced on a kernel; 2 bad input (or a missing tool).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { checkScenario } from '../checker/check.js';
import { parseScript, readJsonFile } from '../checker/scenario-file.js';
import type { Script } from '../checker/scenario-file.js';
import type { Subsystem } from '../checker/types.js';
import { compileScripts } from '../kernel/compile.js';
import { firstDivergence } from '../kernel/compare.js';
import { predictScript, type PredictedStep } from '../kernel/predict.js';
import { recordVerdict } from '../kernel/record.js';
import { DEFAULT_KERNEL_CACHE, resolveKernel } from '../kernel/resolve.js';
import { QemuBatchRunner } from '../kernel/runner.js';
import { scriptOfScenario, targetOfSchedule, type Race, type Target } from '../kernel/target.js';
import { KernelSetupError } from '../kernel/tools.js';
import type { KernelMapping, KernelScriptResult, KernelStepObservation, ResolvedKernel } from '../kernel/types.js';
import { kernelMappings } from '../subsystems/probes.js';
import { readItf, scenarioOf, scheduleOf, subsystemOf, variantOf } from '../traces/itf.js';
import { parseArgs, UsageError } from './args.js';

interface Io {
  out(s: string): void;
  err(s: string): void;
}

export const REPRODUCE_HELP = `reproduce options:
  --kernel K             6.1 | 6.12 (newest Debian package, via apt) | PATH/bzImage; repeatable
  --kernel-cache DIR     where downloaded kernels are kept (default ${DEFAULT_KERNEL_CACHE})
  --kernel-version V     compare against this implementation version (default: the booted kernel's)
  --scenario NAME        with SUBSYSTEM: a scenario or finding (mmcheck list)
  --variant NAME         with --scenario: a buggy variant
  --out DIR              where the C reproducer goes for --scenario (default traces/out)
  --boot-timeout S       seconds a boot may take before its first script (default 240; + 10 per script)
  --runs N               a concurrent counterexample is run N times with real threads (default 50)
  --record FILE          add the verdicts to FILE (JSON; docs/findings.json feeds docs/findings.md via npm run docs)`;

const EXIT = { pass: 0, violation: 1, usage: 2, inconclusive: 3 } as const;

/** `--kernel` may repeat; parseArgs does not allow that, so take them out first. */
function takeKernels(argv: readonly string[]): { kernels: string[]; rest: string[] } {
  const kernels: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--kernel') {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) throw new UsageError("option '--kernel' needs a value");
      kernels.push(v);
      i++;
    } else if (a.startsWith('--kernel=')) kernels.push(a.slice(9));
    else rest.push(a);
  }
  return { kernels, rest };
}

interface Job {
  readonly sub: Subsystem;
  readonly mapping: KernelMapping<any>;
  readonly label: string;
  readonly variant: string | null;
  /** The target for a kernel version (a scenario's counterexample may depend on it). */
  target(modelVersion: string): Target;
  readonly reproducerPath: string;
}

function mappingOf(sub: Subsystem): KernelMapping<any> {
  const m = kernelMappings[sub.name];
  if (!m) throw new UsageError(`${sub.name} cannot be run on a kernel yet (no subsystems/${sub.name}/probe.ts)`);
  return m;
}

function jobOfFile(file: string, registry: readonly Subsystem[], variantFlag: string | null): Job {
  if (!existsSync(file)) throw new UsageError(`'${file}' does not exist`);
  const stem = join(dirname(file), basename(file).replace(/(\.itf)?\.json$/, ''));
  if (file.endsWith('.itf.json')) {
    const itf = readItf(file);
    const sub = registry.find((s) => s.name === subsystemOf(itf));
    if (!sub) throw new UsageError(`${file}: unknown subsystem '${subsystemOf(itf)}'`);
    const scenario = scenarioOf(itf);
    const target = targetOfSchedule(scheduleOf(itf), scenario.params, Boolean(scenario.faults?.budget));
    return {
      sub,
      mapping: mappingOf(sub),
      label: file,
      variant: variantFlag ?? variantOf(itf),
      target: () => target,
      reproducerPath: `${stem}.c`,
    };
  }
  const raw = readJsonFile(file, 'script');
  const errors: string[] = [];
  for (const sub of registry.filter((s) => kernelMappings[s.name])) {
    try {
      const script = parseScript(sub, raw, file);
      return {
        sub,
        mapping: mappingOf(sub),
        label: file,
        variant: variantFlag,
        target: () => ({ kind: 'script', script }),
        reproducerPath: `${stem}.c`,
      };
    } catch (e) {
      errors.push(`${sub.name}: ${(e as Error).message}`);
    }
  }
  throw new UsageError(`${file} is not a script of any kernel-runnable subsystem (${errors.join('; ')})`);
}

function jobOfScenario(sub: Subsystem, name: string, variant: string | null, outDir: string): Job {
  const all = [...sub.scenarios, ...(sub.findings ?? [])];
  const sc = all.find((s) => s.name === name);
  if (!sc)
    throw new UsageError(`unknown scenario '${name}' for ${sub.name} (known: ${all.map((s) => s.name).join(', ')})`);
  if (variant !== null && !sub.variants.some((v) => v.name === variant))
    throw new UsageError(`unknown variant '${variant}' for ${sub.name}`);
  const direct = scriptOfScenario(sc);
  const target = (modelVersion: string): Target => {
    if (direct) return { kind: 'script', script: direct };
    // the checker's counterexample for this kernel version decides the order of operations
    const r = checkScenario(sub, { ...sc, kernelVersion: modelVersion }, { variant });
    if (!r.violation)
      return {
        kind: 'concurrent',
        why: `the implementation (${modelVersion}) shows no violation in this scenario`,
        threads: [],
        params: sc.params,
      };
    return targetOfSchedule(r.violation.trace.transitions, sc.params, Boolean(sc.faults?.budget));
  };
  const base = `${sub.name}-${name}${variant ? `-${variant}` : ''}`.replace(/[^A-Za-z0-9_.-]/g, '_');
  return {
    sub,
    mapping: mappingOf(sub),
    label: `${sub.name}/${name}${variant ? ` [variant ${variant}]` : ''}`,
    variant,
    target,
    reproducerPath: join(outDir, `${base}.c`),
  };
}

const fmtArgs = (a: Readonly<Record<string, unknown>>): string =>
  Object.entries(a)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(',');
const fmtCounters = (c: Readonly<Record<string, number>>): string =>
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

interface KernelVerdict {
  readonly code: number;
  readonly word: 'REPRODUCED' | 'DIVERGED' | 'INCONCLUSIVE' | 'AGREED';
  readonly observed?: readonly KernelStepObservation[];
  /** Counters after the probe's restore (mounts gone, pool emptied), when it was not clean. */
  readonly after?: Readonly<Record<string, number>>;
}

async function runOnKernel(
  job: Job,
  k: ResolvedKernel,
  io: Io,
  script: Script,
  bootSeconds?: number,
): Promise<KernelVerdict> {
  const pred = predictScript(job.sub, job.mapping, script, { variant: job.variant, kernelVersion: k.modelVersion });
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
    `  verdict       AGREED: the kernel matched the implementation at all ${pred.length} steps, and the implementation (${k.modelVersion}) satisfies the spec here: no violation to reproduce`,
  );
  return { code: EXIT.pass, word: 'AGREED', observed: r.steps };
}

/**
 * A counterexample whose operations overlap: run it `runs` times with real
 * threads (the trace's happens-before order kept, the rest racing) and count
 * the runs in which every operation returned what it returned in the
 * counterexample. The verdict is INCONCLUSIVE either way: matching return
 * values do not show the violation (an invariant or counter breach, often
 * with the same returns as a benign order), and the counters the probe reads
 * mid-race are not comparable with one interleaving's prediction. The
 * frequency is printed as evidence, never as REPRODUCED.
 */
async function raceOnKernel(
  job: Job,
  k: ResolvedKernel,
  io: Io,
  race: Race,
  runs: number,
  bootSeconds?: number,
): Promise<KernelVerdict> {
  const runner = new QemuBatchRunner(k, { mappings: kernelMappings, ...(bootSeconds ? { bootSeconds } : {}) });
  const out = await runner.runBatch(
    job.sub.name,
    Array.from({ length: runs }, () => race.script),
  );
  io.out(
    `  booted        ${runner.bootedRelease ?? '?'} (${runner.boots.length} boot(s): ${runner.boots.map((b) => `${b.seconds.toFixed(1)} s`).join(', ')}; 2 vCPUs)`,
  );
  if (out.kind !== 'ran') {
    io.out(`  verdict       INCONCLUSIVE: ${out.kind}: ${out.detail}`);
    return { code: EXIT.inconclusive, word: 'INCONCLUSIVE' };
  }
  const want = race.expected.map((r, i) =>
    r === undefined ? undefined : job.mapping.retOf(r, race.script.steps[i]?.op),
  );
  const tally = new Map<string, number>();
  let seen = 0;
  let ran = 0;
  for (const r of out.results) {
    if (r.kind !== 'ran') continue;
    ran++;
    const got = race.script.steps.map((_, i) => String(r.steps.find((o) => o.step === i)?.ret ?? '-'));
    if (want.every((w, i) => w === undefined || w === got[i])) seen++;
    const key = got.join(' ');
    tally.set(key, (tally.get(key) ?? 0) + 1);
  }
  io.out(
    `  race          ${race.script.steps.map((st, i) => `T${race.script.concurrency!.threadOf[i]} ${st.op}(${fmtArgs(st.args)})`).join(', ')}`,
  );
  io.out(`  counterexample returns ${want.map((w) => w ?? '(unfinished)').join(' ')}`);
  for (const [key, n] of [...tally].sort((a, b) => b[1] - a[1]).slice(0, 5))
    io.out(`  seen ${String(n).padStart(4)}x   ${key}`);
  io.out(
    `  verdict       INCONCLUSIVE: the counterexample's return values were seen in ${seen} of ${ran} runs with real threads (${runs - ran} could not run); a race run compares return values only, which does not show the violation itself`,
  );
  return { code: EXIT.inconclusive, word: 'INCONCLUSIVE' };
}

function reproducerHeader(
  job: Job,
  script: Script,
  pred: readonly PredictedStep[],
  seen: readonly { k: ResolvedKernel; v: KernelVerdict }[],
): string {
  const lines = [
    `mmcheck reproducer: ${job.label} (${job.sub.name})`,
    `Build and run as root on a disposable machine or VM (it changes /proc/sys/vm/nr_hugepages and mounts hugetlbfs under /mnt/mmcheck):`,
    `  gcc -static -O1 -o repro repro.c && ./repro`,
    `${job.mapping.describe}.`,
    '',
    'Expected (the implementation, per step) and observed (the kernel):',
  ];
  pred.forEach((p) => {
    lines.push(`  step ${p.step} ${p.op}(${fmtArgs(p.args)})${p.specProblem ? '   <- spec violated here' : ''}`);
    lines.push(`    expected: ${job.mapping.retOf(p.ret, p.op)} ${fmtCounters(p.counters)}`);
    for (const { k, v } of seen) {
      const o = v.observed?.find((x) => x.step === p.step);
      if (o)
        lines.push(
          `    observed on ${k.release} (${k.debianPackage ?? k.image}): ${String(o.ret)} ${fmtCounters(o.counters)}`,
        );
    }
  });
  for (const { k, v } of seen)
    if (v.after)
      lines.push(
        `After the script on ${k.release}, with its processes gone, its hugetlbfs unmounted and nr_hugepages set to 0: ${fmtCounters(v.after)} (not restored)`,
      );
  for (const { k, v } of seen) lines.push(`Verdict on ${k.release}: ${v.word}`);
  const spec = pred.find((p) => p.specProblem);
  if (spec) lines.push(`The spec is violated at step ${spec.step}: ${spec.specProblem}`);
  void script;
  return lines.join('\n');
}

// oxlint-disable-next-line max-lines-per-function -- the command's flow reads best top to bottom
export async function cmdReproduce(argv: string[], io: Io, registry: readonly Subsystem[]): Promise<number> {
  const { kernels, rest } = takeKernels(argv);
  const { positionals, flags } = parseArgs(rest, {
    scenario: { kind: 'string' },
    variant: { kind: 'string' },
    'kernel-cache': { kind: 'string' },
    'kernel-version': { kind: 'string' },
    out: { kind: 'string' },
    record: { kind: 'string' },
    runs: { kind: 'int', min: 1 },
    'boot-timeout': { kind: 'int', min: 10 },
  });
  const bootSeconds = flags['boot-timeout'] as number | undefined;
  const runs = (flags.runs as number | undefined) ?? 50;
  if (positionals.length !== 1)
    throw new UsageError(
      'usage: mmcheck reproduce TRACE.itf.json|SCRIPT.json --kernel K, or mmcheck reproduce SUBSYSTEM --scenario NAME --kernel K',
    );
  if (kernels.length === 0)
    throw new UsageError('mmcheck reproduce needs --kernel (6.1, 6.12 or a bzImage path; repeatable)');
  const variant = flags.variant === undefined || flags.variant === 'none' ? null : String(flags.variant);
  const arg = positionals[0]!;
  let job: Job;
  if (arg.endsWith('.json')) {
    if (flags.scenario !== undefined) throw new UsageError('--scenario goes with a SUBSYSTEM, not a file');
    job = jobOfFile(arg, registry, variant);
  } else {
    const sub = registry.find((s) => s.name === arg);
    if (!sub) throw new UsageError(`unknown subsystem '${arg}' (known: ${registry.map((s) => s.name).join(', ')})`);
    if (flags.scenario === undefined) throw new UsageError(`mmcheck reproduce ${arg} needs --scenario NAME`);
    job = jobOfScenario(
      sub,
      String(flags.scenario),
      variant,
      (flags.out as string | undefined) ?? join('traces', 'out'),
    );
  }
  const versions = job.sub.kernelVersions?.versions.map((v) => v.name) ?? [];
  const forced = flags['kernel-version'] as string | undefined;
  if (forced !== undefined && !versions.includes(forced))
    throw new UsageError(
      `--kernel-version ${forced}: ${job.sub.name} models ${versions.join(', ') || 'no kernel versions'}`,
    );
  let worst: number = EXIT.pass;
  const seen: { k: ResolvedKernel; v: KernelVerdict }[] = [];
  let lastScript: { script: Script; pred: PredictedStep[] } | undefined;
  for (const req of kernels) {
    let k: ResolvedKernel;
    try {
      k = resolveKernel(req, {
        modelVersions: versions,
        ...(forced ? { modelVersion: forced } : {}),
        cacheDir: (flags['kernel-cache'] as string | undefined) ?? DEFAULT_KERNEL_CACHE,
        log: (s) => io.err(`mmcheck: ${s}`),
      });
    } catch (e) {
      if (e instanceof KernelSetupError) throw new UsageError(e.message);
      throw e;
    }
    io.out(`mmcheck reproduce ${job.label} on --kernel ${req}`);
    io.out(
      `  kernel        ${k.debianPackage ?? k.image} (release ${k.release}); implementation modelled: ${k.modelVersion}${job.variant ? `, variant ${job.variant}` : ''}`,
    );
    const target = job.target(k.modelVersion);
    let v: KernelVerdict;
    if (target.kind === 'concurrent' && target.race && !job.mapping.unsupported?.(target.race.script)) {
      io.out(`  note          ${target.why}: running it ${runs} times with real threads`);
      v = await raceOnKernel(job, k, io, target.race, runs, bootSeconds);
    } else if (target.kind === 'concurrent') {
      io.out(`  verdict       INCONCLUSIVE: ${target.why}`);
      v = { code: EXIT.inconclusive, word: 'INCONCLUSIVE' };
    } else {
      const why = job.mapping.unsupported?.(target.script);
      if (why) {
        io.out(`  verdict       INCONCLUSIVE: ${why}`);
        v = { code: EXIT.inconclusive, word: 'INCONCLUSIVE' };
      } else {
        try {
          v = await runOnKernel(job, k, io, target.script, bootSeconds);
        } catch (e) {
          if (e instanceof KernelSetupError) throw new UsageError(e.message);
          throw e;
        }
        lastScript = {
          script: target.script,
          pred: predictScript(job.sub, job.mapping, target.script, {
            variant: job.variant,
            kernelVersion: k.modelVersion,
          }),
        };
      }
    }
    seen.push({ k, v });
    if (flags.record !== undefined)
      recordVerdict(String(flags.record), {
        subsystem: job.sub.name,
        target: job.label,
        kernel: k,
        verdict: v.word,
        // '' when no reproducer is written (the target never ran as a script)
        reproducer: target.kind === 'script' ? job.reproducerPath : '',
      });
    if (v.code === EXIT.violation || (v.code === EXIT.inconclusive && worst === EXIT.pass)) worst = v.code;
    io.out('');
  }
  if (lastScript) {
    mkdirSync(dirname(job.reproducerPath), { recursive: true });
    const header = reproducerHeader(job, lastScript.script, lastScript.pred, seen);
    writeFileSync(job.reproducerPath, compileScripts(job.mapping, [lastScript.script], { header }));
    io.out(`C reproducer written: ${job.reproducerPath}`);
  }
  return worst;
}
