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
 * forced on a kernel; 2 bad input (or a missing tool). A finding marked as a
 * race runs its C stress loop instead (cli/reproduce-stress.ts): REPRODUCED
 * (0), or NOT REPRODUCED / INCONCLUSIVE (3).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { selectImpl } from '../checker/impls.js';
import type { Subsystem } from '../checker/types.js';
import { compileScripts } from '../kernel/compile.js';
import { predictScript, type PredictedStep } from '../kernel/predict.js';
import { chooseModel, modelLabel, ModelChoiceError } from '../kernel/model-choice.js';
import { recordVerdict } from '../kernel/record.js';
import { DEFAULT_KERNEL_CACHE, resolveKernel } from '../kernel/resolve.js';
import type { Target } from '../kernel/target.js';
import { KernelSetupError } from '../kernel/tools.js';
import type { RaceForm, RaceStress } from '../kernel/race-stress.js';
import type { KernelScript, ResolvedKernel } from '../kernel/types.js';
import { parseArgs, UsageError } from './args.js';
import { EXIT } from './io.js';
import { forcedModel, jobOfFile, jobOfScenario, takeKernels, type Job } from './reproduce-job.js';
import { raceOnKernel } from './reproduce-race.js';
import { stressOnKernel } from './reproduce-stress.js';
import { fmtArgs, fmtCounters, runOnKernel, type Io, type KernelVerdict } from './reproduce-verdict.js';

export const REPRODUCE_HELP = `reproduce options:
  --kernel K             6.1 | 6.12 (newest Debian package, via apt) | PATH/bzImage; repeatable
  --kernel-cache DIR     where downloaded kernels are kept (default ${DEFAULT_KERNEL_CACHE})
  --kernel-version V     compare against this implementation version (default: the booted kernel's)
  --impl NAME            compare against this implementation (default: the one modelling the booted kernel)
  --scenario NAME        with SUBSYSTEM: a scenario or finding (mmcheck list)
  --variant NAME         with --scenario: a buggy variant
  --out DIR              where the C reproducer goes for --scenario (default traces/out)
  --boot-timeout S       seconds a boot may take before its first script (default 240; + 10 per script)
  --runs N               a concurrent counterexample is run N times with real threads (default 50)
  --iterations N         a finding marked as a race: most iterations of its C stress loop (default: the finding's)
  --race-seconds S       a finding marked as a race: most seconds of its loop (default: the finding's)
  --race-form NAME       a finding marked as a race: which of its loop's forms to run (default: its first; mmcheck list)
  --record FILE          add the verdicts to FILE (JSON; docs/findings.json feeds docs/findings.md via npm run docs)`;

function reproducerHeader(
  job: Job,
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
  return lines.join('\n');
}

const FLAGS = {
  scenario: { kind: 'string' },
  variant: { kind: 'string' },
  'kernel-cache': { kind: 'string' },
  'kernel-version': { kind: 'string' },
  impl: { kind: 'string' },
  out: { kind: 'string' },
  record: { kind: 'string' },
  runs: { kind: 'int', min: 1 },
  iterations: { kind: 'int', min: 1 },
  'race-seconds': { kind: 'int', min: 1 },
  'race-form': { kind: 'string' },
  'boot-timeout': { kind: 'int', min: 10 },
} as const;

type Flags = ReturnType<typeof parseArgs>['flags'];

/** The positional (a file, or a subsystem with --scenario) as a job. */
function jobOfArg(arg: string, flags: Flags, registry: readonly Subsystem[]): Job {
  const variant = flags.variant === undefined || flags.variant === 'none' ? null : String(flags.variant);
  if (arg.endsWith('.json')) {
    if (flags.scenario !== undefined) throw new UsageError('--scenario goes with a SUBSYSTEM, not a file');
    return jobOfFile(arg, registry, variant);
  }
  const sub = registry.find((s) => s.name === arg);
  if (!sub) throw new UsageError(`unknown subsystem '${arg}' (known: ${registry.map((s) => s.name).join(', ')})`);
  if (flags.scenario === undefined) throw new UsageError(`mmcheck reproduce ${arg} needs --scenario NAME`);
  return jobOfScenario(
    sub,
    String(flags.scenario),
    variant,
    (flags.out as string | undefined) ?? join('traces', 'out'),
  );
}

/** A kernel setup problem (no apt, no qemu, an unknown version) is bad input: one line, exit 2. */
async function asUsage<T>(f: () => T | Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof KernelSetupError || e instanceof ModelChoiceError) throw new UsageError(e.message);
    throw e;
  }
}

interface RunOpts {
  readonly runs: number;
  readonly bootSeconds: number | undefined;
  readonly iterations: number | undefined;
  readonly raceSeconds: number | undefined;
  readonly raceForm: string | undefined;
}

/** One kernel's verdict for the job's target at that kernel's modelled version. */
async function verdictOn(job: Job, k: ResolvedKernel, target: Target, o: RunOpts, io: Io): Promise<KernelVerdict> {
  if (target.kind === 'concurrent' && target.race && !job.mapping.unsupported?.(target.race.script)) {
    const race = target.race;
    io.out(`  note          ${target.why}: running it ${o.runs} times with real threads`);
    // qemu or a static libc missing is bad input (one line, exit 2), as for a sequential script
    return asUsage(() => raceOnKernel(job, k, io, race, o.runs, o.bootSeconds));
  }
  const why = target.kind === 'concurrent' ? target.why : job.mapping.unsupported?.(target.script);
  if (why || target.kind === 'concurrent') {
    io.out(`  verdict       INCONCLUSIVE: ${why}`);
    return { code: EXIT.inconclusive, word: 'INCONCLUSIVE' };
  }
  return asUsage(() => runOnKernel(job, k, io, target.script, o.bootSeconds));
}

/** A finding marked as a race: its C stress loop, then its control (kernel/race-stress.ts). */
function raceLoopOn(job: Job, race: RaceStress, k: ResolvedKernel, o: RunOpts, io: Io): Promise<KernelVerdict> {
  const form = raceFormOf(race, o.raceForm);
  const injectSite = job.mapping.injectSite?.bind(job.mapping);
  return asUsage(() =>
    stressOnKernel(k, io, race, {
      iterations: o.iterations ?? race.iterations,
      seconds: o.raceSeconds ?? race.timeoutSec,
      bootSeconds: o.bootSeconds,
      ...(form ? { form } : {}),
      ...(injectSite ? { injectSite } : {}),
    }),
  );
}

/** The race loop's form named by --race-form (default: its first); an unknown name is bad input. */
export function raceFormOf(race: RaceStress, name: string | undefined): RaceForm | undefined {
  if (name === undefined) return race.forms?.[0];
  const f = race.forms?.find((x) => x.name === name);
  if (!f)
    throw new UsageError(
      race.forms
        ? `unknown --race-form '${name}' (this finding's loop has: ${race.forms.map((x) => x.name).join(', ')})`
        : `--race-form: this finding's loop has a single form`,
    );
  return f;
}

export async function cmdReproduce(argv: string[], io: Io, registry: readonly Subsystem[]): Promise<number> {
  const { kernels, rest } = takeKernels(argv);
  const { positionals, flags } = parseArgs(rest, FLAGS);
  const opts: RunOpts = {
    runs: (flags.runs as number | undefined) ?? 50,
    bootSeconds: flags['boot-timeout'] as number | undefined,
    iterations: flags.iterations as number | undefined,
    raceSeconds: flags['race-seconds'] as number | undefined,
    raceForm: flags['race-form'] as string | undefined,
  };
  if (positionals.length !== 1)
    throw new UsageError(
      'usage: mmcheck reproduce TRACE.itf.json|SCRIPT.json --kernel K, or mmcheck reproduce SUBSYSTEM --scenario NAME --kernel K',
    );
  if (kernels.length === 0)
    throw new UsageError('mmcheck reproduce needs --kernel (6.1, 6.12 or a bzImage path; repeatable)');
  const job = jobOfArg(positionals[0]!, flags, registry);
  if (!job.race && (opts.iterations !== undefined || opts.raceSeconds !== undefined || opts.raceForm !== undefined))
    throw new UsageError(
      '--iterations, --race-seconds and --race-form go with a finding marked as a race (a C stress loop)',
    );
  if (job.race) raceFormOf(job.race, opts.raceForm);
  const force = forcedModel(flags);
  // a bad --impl / --kernel-version is a usage error before any download
  await asUsage(() => chooseModel(job.sub, '', force));
  let worst: number = EXIT.pass;
  const seen: { k: ResolvedKernel; v: KernelVerdict }[] = [];
  let lastScript: { script: KernelScript; pred: PredictedStep[]; release: string } | undefined;
  for (const req of kernels) {
    const k = await asUsage(() =>
      resolveKernel(req, {
        model: (release) => chooseModel(job.sub, release, force),
        cacheDir: (flags['kernel-cache'] as string | undefined) ?? DEFAULT_KERNEL_CACHE,
        log: (s) => io.err(`mmcheck: ${s}`),
      }),
    );
    // the implementation that models this kernel (thp: compound for 6.1, folio for 6.12)
    const kjob: Job = { ...job, sub: selectImpl(job.sub, k.modelImpl) };
    io.out(`mmcheck reproduce ${job.label} on --kernel ${req}`);
    io.out(
      `  kernel        ${k.debianPackage ?? k.image} (release ${k.release}); implementation modelled: ${modelLabel({ impl: k.modelImpl, version: k.modelVersion })}${job.variant ? `, variant ${job.variant}` : ''}${k.modelHow ? ` (${k.modelHow})` : ''}`,
    );
    let v: KernelVerdict;
    let reproducer = '';
    if (job.race) {
      v = await raceLoopOn(job, job.race, k, opts, io);
      reproducer = job.race.c;
    } else {
      const target = job.target(kjob.sub, k.modelVersion);
      v = await verdictOn(kjob, k, target, opts, io);
      if (target.kind === 'script' && !job.mapping.unsupported?.(target.script)) {
        // the reproducer is written for a script the kernels ran (whatever they answered)
        const options = { variant: job.variant, ...(k.modelVersion ? { kernelVersion: k.modelVersion } : {}) };
        lastScript = {
          script: target.script,
          pred: predictScript(kjob.sub, job.mapping, target.script, options),
          release: k.release,
        };
      }
      // '' when no reproducer is written (the target never ran as a script)
      if (target.kind === 'script') reproducer = job.reproducerPath;
    }
    seen.push({ k, v });
    if (flags.record !== undefined)
      recordVerdict(String(flags.record), {
        subsystem: job.sub.name,
        target: job.label,
        kernel: k,
        verdict: v.word,
        reproducer,
      });
    if (v.code === EXIT.violation || (v.code === EXIT.inconclusive && worst === EXIT.pass)) worst = v.code;
    io.out('');
  }
  if (job.race) io.out(`C race reproducer: ${job.race.c}`);
  if (lastScript) writeReproducer(job, lastScript, seen, io);
  return worst;
}

/** The standalone C reproducer of the script the kernels ran. */
function writeReproducer(
  job: Job,
  last: { script: KernelScript; pred: PredictedStep[]; release: string },
  seen: readonly { k: ResolvedKernel; v: KernelVerdict }[],
  io: Io,
): void {
  mkdirSync(dirname(job.reproducerPath), { recursive: true });
  const header = reproducerHeader(job, last.pred, seen);
  const inject = last.script.injections?.length
    ? `\nIt injects allocation failures with kernel/inject/mmcheck_inject.c (mmcheck's repository), built for ${last.release}: build it against that kernel's headers and run with MMCHECK_INJECT_KO=/path/mmcheck_inject.ko`
    : '';
  writeFileSync(
    job.reproducerPath,
    compileScripts(job.mapping, [last.script], { header: header + inject, release: last.release }),
  );
  io.out(`C reproducer written: ${job.reproducerPath}`);
}
