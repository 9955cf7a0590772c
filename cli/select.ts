/**
 * Which (subsystem, scenario, variant) jobs `mmcheck check` runs: positionals,
 * --scenario / --scenario-file, --variant NAME|none|all, the subsystems' knobs
 * (--threads, --pool, ...), and --shard i/n.
 */
import { scenarioOpProblem } from '../checker/op-schema.js';
import { applyKnobs } from '../checker/reshape.js';
import { parseScenario, readJsonFile } from '../checker/scenario-file.js';
import { ImplError, allImpls, implNames, selectImpl } from '../checker/impls.js';
import type { Scenario, Subsystem } from '../checker/types.js';
import { UsageError } from './args.js';
import type { JobSpec } from './supervisor.js';

export type Flags = Record<string, string | number | boolean>;

/** Every knob flag any registered subsystem declares (the CLI spells none itself). */
export function knobFlags(registry: readonly Subsystem[]): string[] {
  return [...new Set(registry.flatMap((s) => (s.knobs ?? []).map((k) => k.flag)))];
}

export function requireSubsystem(registry: readonly Subsystem[], name: string): Subsystem {
  const s = registry.find((r) => r.name === name);
  if (!s)
    throw new UsageError(`unknown subsystem '${name}' (known: ${registry.map((r) => r.name).join(', ') || 'none'})`);
  return s;
}

/**
 * `--impl NAME` on one subsystem (a usage error when it has no such
 * implementation); without it, the subsystem's main implementation.
 */
export function requireImpl(sub: Subsystem, name: string | undefined): Subsystem {
  try {
    return selectImpl(sub, name);
  } catch (e) {
    if (e instanceof ImplError) throw new UsageError(`--impl ${name}: ${e.message}`);
    throw e;
  }
}

/**
 * The implementations a check runs: `--impl NAME` picks one (`all`, the default, every one);
 * `--kernel-version V` keeps those that model V (a usage error when none does).
 */
export function implsToRun(sub: Subsystem, impl: string | undefined, kv: string | undefined): Subsystem[] {
  const subs = impl === undefined || impl === 'all' ? allImpls(sub) : [requireImpl(sub, impl)];
  if (kv === undefined) return subs;
  const fit = subs.filter((s) => s.kernelVersions?.versions.some((v) => v.name === kv));
  if (fit.length === 0) {
    const known = subs.map(
      (s) =>
        `${s.kernelVersions?.versions.map((v) => v.name).join(', ') || 'no kernel versions'}${implNames(sub).length > 0 ? ` (impl ${s.implName})` : ''}`,
    );
    throw new UsageError(`--kernel-version ${kv}: ${sub.name} models ${known.join('; ')}`);
  }
  return fit;
}

/** `--shard i/n` as {index, count}, 1-based. */
export function parseShard(v: string | undefined): { index: number; count: number } | null {
  if (v === undefined) return null;
  const m = /^([0-9]+)\/([0-9]+)$/.exec(v);
  if (!m) throw new UsageError(`--shard: expected i/n (e.g. 2/4), got '${v}'`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) throw new UsageError(`--shard ${v}: need 1 <= i <= n`);
  return { index, count };
}

/** Shard i of n: every n-th job starting at i-1, in the run's fixed job order; the n shards partition the run. */
export function shardOf<T>(jobs: readonly T[], shard: { index: number; count: number } | null): T[] {
  return shard ? jobs.filter((_, k) => k % shard.count === shard.index - 1) : [...jobs];
}

function reshape(sub: Subsystem, s: Scenario, values: Record<string, number>, hint: string): Scenario {
  if (Object.keys(values).length === 0) return s;
  let out: Scenario;
  try {
    out = applyKnobs(sub.knobs ?? [], s, values);
  } catch (e) {
    throw new UsageError(`${sub.name}/${s.name}: ${(e as Error).message}${hint}`);
  }
  const flags = Object.entries(values)
    .map(([k, v]) => `--${k} ${v}`)
    .join(' ');
  const bad = sub.opSchemas ? scenarioOpProblem(sub.opSchemas, out) : undefined;
  if (bad) throw new UsageError(`${sub.name}/${s.name} reshaped by ${flags}: ${bad}`);
  return { ...out, name: s.name };
}

function scenariosOf(sub: Subsystem, flags: Flags, variant: string | null): Scenario[] {
  if (flags['scenario-file'] !== undefined) {
    const file = String(flags['scenario-file']);
    return [parseScenario(sub, readJsonFile(file, 'scenario file'), file)];
  }
  const profile = flags.profile === undefined ? undefined : String(flags.profile);
  let scenarios = profile === undefined ? [...sub.scenarios] : [...(sub.profiles?.[profile] ?? [])];
  const v = variant !== null ? sub.variants.find((x) => x.name === variant) : undefined;
  if (flags.scenario !== undefined) {
    const names = String(flags.scenario).split(',');
    const all = [...sub.scenarios, ...Object.values(sub.profiles ?? {}).flat(), ...(sub.findings ?? [])];
    for (const n of names)
      if (!all.some((s) => s.name === n))
        throw new UsageError(`unknown scenario '${n}' for ${sub.name} (known: ${all.map((s) => s.name).join(', ')})`);
    return all.filter((s) => names.includes(s.name));
  }
  // a variant names default scenarios; in a profile it runs in every scenario of the profile
  if (v?.scenarios && profile === undefined) {
    scenarios = scenarios.filter((s) => v.scenarios!.includes(s.name));
    if (scenarios.length === 0)
      throw new UsageError(
        `variant ${variant} names scenarios that ${sub.name} does not define: ${v.scenarios.join(', ')}`,
      );
  }
  return scenarios;
}

/** The jobs of this run, in a fixed order (subsystem, then variant, then scenario). */
export function selectJobs(registry: readonly Subsystem[], positionals: readonly string[], flags: Flags): JobSpec[] {
  const knobValues: Record<string, number> = {};
  for (const k of knobFlags(registry)) if (flags[k] !== undefined) knobValues[k] = flags[k] as number;
  if (flags['scenario-file'] !== undefined)
    for (const f of ['scenario', ...Object.keys(knobValues)])
      if (flags[f] !== undefined)
        throw new UsageError(`--${f} does not apply to --scenario-file (the file gives the scenario and its bounds)`);
  let subs = positionals.length > 0 ? positionals.map((p) => requireSubsystem(registry, p)) : [...registry];
  if (flags['scenario-file'] !== undefined && positionals.length === 0) {
    const file = String(flags['scenario-file']);
    const named = (readJsonFile(file, 'scenario file') as { subsystem?: unknown } | null)?.subsystem;
    if (typeof named === 'string') subs = [requireSubsystem(registry, named)];
    else if (subs.length > 1)
      throw new UsageError(
        `which subsystem is ${file} for? name it (mmcheck check SUBSYSTEM --scenario-file FILE) or add a "subsystem" field`,
      );
  }
  if (subs.length === 0) throw new UsageError('no subsystems are registered');
  if (flags.profile !== undefined) {
    const profile = String(flags.profile);
    if (flags['scenario-file'] !== undefined) throw new UsageError('--profile does not apply to --scenario-file');
    const having = subs.filter((s) => s.profiles?.[profile] !== undefined);
    if (having.length === 0) {
      const known = [...new Set(subs.flatMap((s) => Object.keys(s.profiles ?? {})))];
      throw new UsageError(`unknown profile '${profile}' (known: ${known.join(', ') || 'none'})`);
    }
    subs = having; // subsystems without the profile have nothing to run in it
  }
  const vflag = flags.variant === undefined || flags.variant === 'none' ? null : String(flags.variant);
  if (vflag !== null && vflag !== 'all' && subs.length > 1 && positionals.length === 0) {
    const owners = subs.filter((s) => allImpls(s).some((i) => i.variants.some((v) => v.name === vflag)));
    if (owners.length === 0) throw new UsageError(`unknown variant '${vflag}' (see mmcheck list)`);
    subs = owners;
  }
  const hint =
    positionals.length === 0 && Object.keys(knobValues).length > 0
      ? ' (name the subsystems to reshape, e.g. mmcheck check hugetlb --pool 3)'
      : '';
  const jobs: JobSpec[] = [];
  const kv = flags['kernel-version'] as string | undefined;
  const implFlag = flags.impl === undefined ? undefined : String(flags.impl);
  if (implFlag !== undefined && implFlag !== 'all' && positionals.length === 0)
    subs = subs.filter((s) => implNames(s).includes(implFlag));
  if (implFlag !== undefined && subs.length === 0)
    throw new UsageError(`--impl ${implFlag}: no registered subsystem has that implementation (see mmcheck list)`);
  // a named variant belongs to one implementation: without --impl, each subsystem runs the ones that
  // have it; a subsystem none of whose implementations has it keeps them all, so it is reported below
  const ownersOf = (impls: Subsystem[]): Subsystem[] => {
    if (vflag === null || vflag === 'all' || implFlag !== undefined) return impls;
    const owners = impls.filter((s) => s.variants.some((v) => v.name === vflag));
    return owners.length > 0 ? owners : impls;
  };
  const runs = subs.flatMap((s) => ownersOf(implsToRun(s, implFlag, kv)));
  if (vflag !== null && vflag !== 'all') requireVariant(runs, vflag);
  for (const sub of runs) {
    // all: the correct implementation in the default scenarios, then every variant in its own
    const variants = vflag === 'all' ? [null, ...sub.variants.map((v) => v.name)] : [vflag];
    for (const variant of variants) {
      for (const s of scenariosOf(sub, flags, variant)) {
        const scenario = reshape(sub, s, knobValues, hint);
        jobs.push({
          sub,
          scenario: kv !== undefined ? { ...scenario, kernelVersion: kv } : scenario,
          variant,
          expectViolation: variant !== null && vflag === 'all',
        });
      }
    }
  }
  return jobs;
}

/**
 * A named variant must belong to one of the implementations that run: else a
 * usage error listing the variants of every such implementation (each
 * implementation of a subsystem with several, or the one --impl selected).
 */
function requireVariant(runs: readonly Subsystem[], variant: string): void {
  for (const name of new Set(runs.map((s) => s.name))) {
    const impls = runs.filter((s) => s.name === name);
    if (impls.some((s) => s.variants.some((v) => v.name === variant))) continue;
    const list = (s: Subsystem): string => s.variants.map((v) => v.name).join(', ') || 'none';
    const known =
      impls.length === 1 && impls[0]!.implName === undefined
        ? list(impls[0]!)
        : impls.map((s) => `impl ${s.implName ?? 'main'}: ${list(s)}`).join('; ');
    throw new UsageError(`unknown variant '${variant}' for ${name} (known: ${known})`);
  }
}
