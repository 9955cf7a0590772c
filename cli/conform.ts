/**
 * `mmcheck conform SUBSYSTEM --kernel K [--kernel K2] [--runs N] [--seed S] [--length L]`:
 * generated scripts on real kernels under qemu, judged step by step against
 * the implementation and the spec (kernel/conform/).
 *
 * Exit codes as everywhere in mmcheck: 0 every script agreed on every kernel,
 * 1 a disagreement, 2 bad input or a missing tool, 3 inconclusive (a boot
 * failed or timed out, or scripts could not be run, and nothing disagreed).
 */
import { join } from 'node:path';
import type { Script } from '../checker/scenario-file.js';
import { selectImpl } from '../checker/impls.js';
import type { Subsystem } from '../checker/types.js';
import { compileScripts } from '../kernel/compile.js';
import { profiles } from '../kernel/conform/arbitraries/index.js';
import { conformOnKernel, type ConformOptions, type KernelConformResult } from '../kernel/conform/conform.js';
import type { Disagreement } from '../kernel/conform/judge.js';
import { profileForKernel } from '../kernel/conform/generate.js';
import { renderConform } from '../kernel/conform/render.js';
import { chooseModel, modelLabel, ModelChoiceError } from '../kernel/model-choice.js';
import { checkKernelRequest, resolveKernel } from '../kernel/resolve.js';
import { QemuBatchRunner } from '../kernel/runner.js';
import { KernelSetupError } from '../kernel/tools.js';
import type { KernelBatchRunner, KernelMapping, ResolvedKernel } from '../kernel/types.js';
import { kernelMappings } from '../subsystems/probes.js';
import { parseArgs, UsageError } from './args.js';
import { forcedModel, takeKernels } from './reproduce-job.js';

export interface ConformIo {
  out(s: string): void;
  err(s: string): void;
}

/**
 * Makes the runner for one `--kernel` (tests pass a fake kernel); `check`
 * refuses a bad request before anything runs or prints.
 */
export type RunnerFactory = ((
  request: string,
  sub: Subsystem,
  mapping: KernelMapping<any>,
  flags: Record<string, unknown>,
  io: ConformIo,
) => KernelBatchRunner) & { check?(request: string): void };

const qemuRunner: RunnerFactory = (request, sub, mapping, flags, io) => {
  const kernel: ResolvedKernel = resolveKernel(request, {
    model: (release) => chooseModel(sub, release, forcedModel(flags)),
    ...(flags['kernel-cache'] !== undefined ? { cacheDir: String(flags['kernel-cache']) } : {}),
    log: (s) => io.err(s),
  });
  return new QemuBatchRunner(kernel, { mappings: { [sub.name]: mapping } });
};
qemuRunner.check = checkKernelRequest;

function cReproducer(mapping: KernelMapping<any>, sub: Subsystem, kernel: ResolvedKernel) {
  return (script: Script, d: Disagreement): string => {
    const side = (s?: { ret: string; counters: Readonly<Record<string, number>> }): string =>
      s
        ? `${s.ret} ${Object.entries(s.counters)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}`
        : '(none)';
    const header = [
      `mmcheck conform ${sub.name}: ${d.cls} at step ${d.step} (${d.op}) on ${kernel.release}`,
      `expected (implementation, ${modelLabel({ impl: kernel.modelImpl, version: kernel.modelVersion })}): ${side(d.model)}`,
      `observed (kernel ${kernel.release}): ${side(d.kernel)}`,
      d.message,
      mapping.describe,
      'build: gcc -static -O1 -o repro repro.c; run as root on a kernel with hugetlbfs',
    ].join('\n');
    return compileScripts(mapping, [script], { header });
  };
}

/** A missing tool or a bad kernel request is a usage error (one line, exit 2). */
function usage<R>(f: () => R): R {
  try {
    return f();
  } catch (e) {
    if (e instanceof KernelSetupError || e instanceof ModelChoiceError) throw new UsageError(e.message);
    throw e;
  }
}

export const CONFORM_HELP = `mmcheck conform SUBSYSTEM --kernel K [--kernel K2] [options]
  --kernel K          6.1 or 6.12 (newest Debian package, via apt) or a bzImage path; repeat for several
  --runs N            generated scripts per kernel (default 100)
  --seed S            generation seed (default: random, always printed); the same seed gives the same scripts
  --length L          at most L generated steps per script (default 10)
  --per-boot N        scripts per boot (default 250)
  --shrink-batch N    shrink candidates per boot (default 32)
  --shrink-boots N    boots per shrink before giving up on minimality (default 12)
  --max-shrinks N     disagreement groups to shrink (default 3)
  --kernel-cache DIR  where downloaded kernels go
  --kernel-version V  compare with this implementation version instead of the booted kernel's
  --impl NAME         compare with this implementation (thp: compound, folio) instead of the one that
                      models the booted kernel's version (printed per kernel)
  --out DIR           where minimal scripts, traces and C reproducers go (default traces/out)
  --fail-on any|diverged  exit 1 on any disagreement (default), or only where the implementation does not
                      model the kernel (kernel-vs-model, model-error); kernel-vs-spec disagreements, the
                      kernel breaking the spec as the implementation predicts (kernel bugs), are then
                      reported but do not fail the run
  --json              one JSON object per kernel instead of text`;

// oxlint-disable-next-line max-lines-per-function -- flag checks then one loop over kernels
export async function cmdConform(
  argv: string[],
  io: ConformIo,
  registry: readonly Subsystem[],
  makeRunner: RunnerFactory = qemuRunner,
): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out(`${CONFORM_HELP}\n`);
    return 0;
  }
  const { kernels, rest } = takeKernels(argv);
  const { positionals, flags } = parseArgs(rest, {
    runs: { kind: 'int', min: 1 },
    seed: { kind: 'int', min: 0 },
    length: { kind: 'int', min: 1 },
    'per-boot': { kind: 'int', min: 1 },
    'shrink-batch': { kind: 'int', min: 1 },
    'shrink-boots': { kind: 'int', min: 0 },
    'max-shrinks': { kind: 'int', min: 0 },
    'kernel-cache': { kind: 'string' },
    'kernel-version': { kind: 'string' },
    impl: { kind: 'string' },
    out: { kind: 'string' },
    json: { kind: 'bool' },
    'fail-on': { kind: 'string' },
  });
  const failOn = (flags['fail-on'] as string | undefined) ?? 'any';
  if (failOn !== 'any' && failOn !== 'diverged')
    throw new UsageError(`--fail-on must be 'any' or 'diverged', got '${failOn}'`);
  if (positionals.length !== 1)
    throw new UsageError(
      'usage: mmcheck conform SUBSYSTEM --kernel K [--kernel K2] [--runs N] [--seed S] [--length L]',
    );
  const name = positionals[0]!;
  const sub = registry.find((s) => s.name === name);
  if (!sub) throw new UsageError(`unknown subsystem '${name}' (known: ${registry.map((s) => s.name).join(', ')})`);
  const profile = profiles[name];
  const mapping = kernelMappings[name];
  if (!profile || !mapping)
    throw new UsageError(
      `${name} cannot be run on a kernel yet: ${!mapping ? 'no op->C mapping (subsystems/<sub>/probe.ts)' : 'no script arbitraries (kernel/conform/arbitraries/<sub>)'}; conform supports ${Object.keys(
        profiles,
      )
        .filter((p) => kernelMappings[p])
        .join(', ')}`,
    );
  if (kernels.length === 0)
    throw new UsageError('mmcheck conform needs --kernel K (6.1, 6.12 or a bzImage path), repeatable');
  for (const k of kernels) usage(() => makeRunner.check?.(k)); // a bad request: one line, before any output
  usage(() => chooseModel(sub, '', forcedModel(flags))); // a bad --impl / --kernel-version, likewise
  const seed = (flags.seed as number | undefined) ?? Math.floor(Math.random() * 0x7fffffff);
  const o: ConformOptions = {
    runs: (flags.runs as number | undefined) ?? 100,
    seed,
    length: (flags.length as number | undefined) ?? 10,
    perBoot: (flags['per-boot'] as number | undefined) ?? 250,
    shrinkBatch: (flags['shrink-batch'] as number | undefined) ?? 32,
    shrinkBoots: (flags['shrink-boots'] as number | undefined) ?? 12,
    maxShrinks: (flags['max-shrinks'] as number | undefined) ?? 3,
    outDir: (flags.out as string | undefined) ?? join('traces', 'out'),
  };
  io.err(`mmcheck conform ${name}: seed ${seed}, ${o.runs} scripts per kernel`);
  let worst = 0;
  for (const request of kernels) {
    let runner: KernelBatchRunner;
    runner = usage(() => makeRunner(request, sub, mapping, flags, io));
    const k = runner.kernel;
    // the implementation that models this kernel (thp: compound for 6.1, folio for 6.12)
    const model = selectImpl(sub, k.modelImpl);
    io.err(
      `  --kernel ${request}: ${k.release}${k.debianPackage ? ` (${k.debianPackage})` : ''}, compared with ${modelLabel({ impl: k.modelImpl, version: k.modelVersion })}${k.modelHow ? ` (${k.modelHow})` : ''}`,
    );
    const r: KernelConformResult = await conformOnKernel(
      {
        sub: model,
        variant: null,
        ...(k.modelVersion ? { kernelVersion: k.modelVersion } : {}),
        profile: profileForKernel(profile, k),
        runner,
        mapping,
        toC: cReproducer(mapping, sub, runner.kernel),
      },
      o,
      (l) => io.err(l),
    );
    const rerun = `mmcheck conform ${name} --kernel ${request} --seed ${seed} --runs ${o.runs} --length ${o.length}`;
    if (flags.json) {
      const groups = r.groups.map((g) => ({
        ...g,
        shrunk: g.shrunk && { ...g.shrunk, minimal: g.shrunk.minimal.value_.script },
      }));
      io.out(JSON.stringify({ ...r, groups, coverage: r.coverage.toJSON(), rerun }));
    } else io.out([...renderConform(sub, r, rerun), ''].join('\n'));
    const inconclusive = r.stopped !== undefined || r.errors.length > 0;
    const code =
      failOn === 'diverged'
        ? r.diverged > 0
          ? 1
          : inconclusive
            ? 3
            : 0
        : r.verdict === 'DISAGREE'
          ? 1
          : r.verdict === 'INCONCLUSIVE'
            ? 3
            : 0;
    if (code === 1 || (code === 3 && worst === 0)) worst = code;
  }
  return worst;
}
