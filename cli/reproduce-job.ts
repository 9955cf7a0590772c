/** What `mmcheck reproduce` runs: a saved trace or script, or a subsystem's scenario. */
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { checkScenario } from '../checker/check.js';
import { parseScript, readJsonFile } from '../checker/scenario-file.js';
import { selectImpl } from '../checker/impls.js';
import type { StepLabel } from '../checker/result.js';
import type { Scenario, Subsystem } from '../checker/types.js';
import { Product } from '../checker/product.js';
import { nthOfSchedule } from '../kernel/inject.js';
import { predictRaceOutcome } from '../kernel/race.js';
import { raceStressOf, type RaceStress } from '../kernel/race-stress.js';
import { scriptOfScenario, targetOfSchedule, type Target } from '../kernel/target.js';
import type { KernelMapping } from '../kernel/types.js';
import { kernelMappings } from '../subsystems/probes.js';
import { implOf, readItf, scenarioOf, scheduleOf, subsystemOf, variantOf } from '../traces/itf.js';
import { UsageError } from './args.js';

/** `--kernel` may repeat; parseArgs does not allow that, so take them out first. */
export function takeKernels(argv: readonly string[]): { kernels: string[]; rest: string[] } {
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

/** `--impl` / `--kernel-version`: override the implementation or version the booted kernel's release picks. */
export function forcedModel(flags: Record<string, unknown>): { impl?: string; version?: string } {
  return {
    ...(flags.impl !== undefined ? { impl: String(flags.impl) } : {}),
    ...(flags['kernel-version'] !== undefined ? { version: String(flags['kernel-version']) } : {}),
  };
}

export interface Job {
  readonly sub: Subsystem;
  readonly mapping: KernelMapping<any>;
  readonly label: string;
  readonly variant: string | null;
  /** The target for an implementation and kernel version (a scenario's counterexample depends on both). */
  target(model: Subsystem, modelVersion: string): Target;
  readonly reproducerPath: string;
  /** A finding marked as a race: its C stress loop is what runs on a kernel (kernel/race-stress.ts). */
  readonly race?: RaceStress;
}

function mappingOf(sub: Subsystem): KernelMapping<any> {
  const m = kernelMappings[sub.name];
  if (!m) throw new UsageError(`${sub.name} cannot be run on a kernel yet (no subsystems/${sub.name}/probe.ts)`);
  return m;
}

export function jobOfFile(file: string, registry: readonly Subsystem[], variantFlag: string | null): Job {
  if (!existsSync(file)) throw new UsageError(`'${file}' does not exist`);
  const stem = join(dirname(file), basename(file).replace(/(\.itf)?\.json$/, ''));
  if (file.endsWith('.itf.json')) {
    const itf = readItf(file);
    const sub = registry.find((s) => s.name === subsystemOf(itf));
    if (!sub) throw new UsageError(`${file}: unknown subsystem '${subsystemOf(itf)}'`);
    const scenario = scenarioOf(itf);
    const variant = variantFlag ?? variantOf(itf);
    const schedule = scheduleOf(itf);
    const faulted = Boolean(scenario.faults?.budget);
    // a race's outcome comes from the implementation that wrote the trace (its schedule names that one's steps)
    const own = selectImpl(sub, implOf(itf));
    const target = withInjections(
      withOutcome(targetOfSchedule(schedule, scenario.params, faulted), own, scenario, variant, schedule),
      own,
      scenario,
      variant,
    );
    return {
      sub,
      mapping: mappingOf(sub),
      label: file,
      variant,
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

/**
 * A sequential counterexample that injects failures: its script with the injections (step, site, nth) the
 * kernel must make (kernel/inject.ts), counted on the implementation that found it.
 */
export function withInjections(t: Target, sub: Subsystem, scenario: Scenario, variant: string | null): Target {
  if (t.kind !== 'script' || !t.injected) return t;
  let injections;
  try {
    injections = nthOfSchedule(new Product(sub, scenario, variant), t.injected.schedule, t.injected.opOf);
  } catch (e) {
    return { kind: 'concurrent', why: (e as Error).message, threads: [], params: scenario.params };
  }
  return { kind: 'script', script: { ...t.script, injections } };
}

/** A race target with the implementation's predicted outcome of the counterexample (kernel/race.ts). */
function withOutcome(
  t: Target,
  sub: Subsystem,
  scenario: Scenario,
  variant: string | null,
  schedule: readonly StepLabel[],
): Target {
  const m = kernelMappings[sub.name];
  if (t.kind !== 'concurrent' || !t.race || !m) return t;
  return {
    ...t,
    race: { ...t.race, prediction: predictRaceOutcome(sub, scenario, variant, schedule, m, t.race.script) },
  };
}

export function jobOfScenario(sub: Subsystem, name: string, variant: string | null, outDir: string): Job {
  const all = [...sub.scenarios, ...(sub.findings ?? [])];
  const sc = all.find((s) => s.name === name);
  if (!sc)
    throw new UsageError(`unknown scenario '${name}' for ${sub.name} (known: ${all.map((s) => s.name).join(', ')})`);
  if (variant !== null && !sub.variants.some((v) => v.name === variant))
    throw new UsageError(`unknown variant '${variant}' for ${sub.name}`);
  const direct = scriptOfScenario(sc);
  const target = (model: Subsystem, modelVersion: string): Target => {
    if (direct) return { kind: 'script', script: direct };
    // the checker's counterexample for this implementation and kernel version decides the order of operations
    let scenario = { ...sc, ...(modelVersion ? { kernelVersion: modelVersion } : {}) };
    let r = checkScenario(model, scenario, { variant });
    // a finding of one kernel version (sc.kernelVersion) on a kernel the model says is fixed: its counterexample
    // still runs there, compared with this version's implementation (AGREED when the kernel is fixed too)
    if (!r.violation && sc.kernelVersion && modelVersion && sc.kernelVersion !== modelVersion) {
      scenario = { ...sc };
      r = checkScenario(model, scenario, { variant });
    }
    if (!r.violation)
      return {
        kind: 'concurrent',
        why: `the implementation (${modelVersion}) shows no violation in this scenario`,
        threads: [],
        params: sc.params,
      };
    const schedule = r.violation.trace.transitions;
    const t = targetOfSchedule(schedule, sc.params, Boolean(sc.faults?.budget));
    return withInjections(withOutcome(t, model, scenario, variant, schedule), model, scenario, variant);
  };
  const base = `${sub.name}-${name}${variant ? `-${variant}` : ''}`.replace(/[^A-Za-z0-9_.-]/g, '_');
  let race: RaceStress | undefined;
  try {
    race = variant === null ? raceStressOf(sc) : undefined;
  } catch (e) {
    throw new UsageError(`${sub.name}/${name}: ${(e as Error).message}`);
  }
  return {
    sub,
    mapping: mappingOf(sub),
    label: `${sub.name}/${name}${variant ? ` [variant ${variant}]` : ''}`,
    variant,
    target,
    reproducerPath: race ? race.c : join(outDir, `${base}.c`),
    ...(race ? { race } : {}),
  };
}
