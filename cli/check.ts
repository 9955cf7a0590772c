/**
 * `mmcheck check`: select the jobs, check --out before searching, run them
 * under the supervisor (workers, time limits, signals, heartbeat), save
 * counterexamples as they are found, and hand the run to the reporters.
 */
import { alternativeImpl } from '../checker/impls.js';
import { SEARCH_FLAGS, searchOptions } from './search-flags.js';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve, sep } from 'node:path';
import type { Progress } from '../checker/check.js';
import { implSchema } from '../checker/product.js';
import type { CheckResult } from '../checker/result.js';
import type { Scenario, Subsystem } from '../checker/types.js';
import { writeHtmlReport } from '../traces/html.js';
import { toItf, writeItf } from '../traces/itf.js';
import { parseArgs, UsageError, type FlagSpec } from './args.js';
import type { Out } from './io.js';
import { runVacuousInvariants } from '../checker/verdict.js';
import { outcomeOf, runExit, runVerdict, type Outcome, type RunReport } from './outcome.js';
import { renderGithub } from './reporters/github.js';
import { renderJson } from './reporters/json.js';
import { renderJunit } from './reporters/junit.js';
import { renderOutcomeText, summaryLine } from './reporters/text.js';
import { knobFlags, parseShard, selectJobs, shardOf } from './select.js';
import { Supervisor, type JobEnd } from './supervisor.js';

const REPORTERS = ['text', 'json', 'junit', 'github'] as const;
type ReporterName = (typeof REPORTERS)[number];

/** `--reporter text,junit=out.xml`: each reporter and where it writes (undefined: stdout). */
export function parseReporters(v: string | undefined, json: boolean): { name: ReporterName; file?: string }[] {
  const list = (v ?? (json ? 'json' : 'text')).split(',').map((x) => {
    const [name, file] = x.split('=', 2) as [string, string | undefined];
    if (!(REPORTERS as readonly string[]).includes(name))
      throw new UsageError(
        `--reporter: unknown reporter '${name}' (valid: ${REPORTERS.join(', ')}; NAME=FILE writes to a file)`,
      );
    if (file === '') throw new UsageError(`--reporter ${x}: empty file name`);
    return { name: name as ReporterName, ...(file ? { file } : {}) };
  });
  if (json && !list.some((r) => r.name === 'json')) list.push({ name: 'json' });
  if (list.some((r) => r.name === 'text' && r.file))
    throw new UsageError('--reporter text writes to stdout only (redirect it, or use json/junit=FILE)');
  const toStdout = list.filter((r) => !r.file);
  const exclusive = toStdout.filter((r) => r.name === 'json' || r.name === 'junit');
  if (exclusive.length > 1 || (exclusive.length === 1 && toStdout.length > 1))
    throw new UsageError(
      `--reporter: ${exclusive[0]!.name} needs stdout to itself; write the others to files (NAME=FILE)`,
    );
  return list;
}

/**
 * `mkdir -p` one component at a time: Node's `mkdirSync(dir, {recursive: true})`
 * loops forever on some paths under /proc (e.g. /proc/nope), which is how
 * `--out /proc/nope` used to hang.
 */
function mkdirs(dir: string): void {
  const abs = resolve(dir);
  const parts = abs.split(sep).filter(Boolean);
  let cur = abs.startsWith(sep) ? sep : '';
  for (const p of parts) {
    cur = join(cur, p);
    try {
      mkdirSync(cur);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/** Fail now, not after the search, when a directory cannot be written (e.g. --out /proc/nope). */
export function ensureWritableDir(dir: string, flag: string): void {
  const probe = join(dir, `.mmcheck-probe-${process.pid}`);
  try {
    mkdirs(dir);
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (e) {
    throw new UsageError(
      `${flag} ${dir}: cannot write there (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
}

function saveTrace(
  outDir: string,
  sub: Subsystem,
  scenario: Scenario,
  variant: string | null,
  r: CheckResult,
  io: Out,
): string | undefined {
  const impl = alternativeImpl(sub);
  const base = `${sub.name}${impl ? `-${impl}` : ''}-${scenario.name}${variant ? `-${variant}` : ''}`.replace(
    /[^A-Za-z0-9_.-]/g,
    '_',
  );
  const path = join(outDir, `${base}.itf.json`);
  try {
    const itf = toItf(r, { implSchema: implSchema(sub, scenario.params) as never, scenario });
    writeItf(path, itf);
    writeHtmlReport(join(outDir, `${base}.html`), itf);
    return path;
  } catch (e) {
    io.err(`mmcheck: cannot save the counterexample to ${path}: ${(e as Error)?.message?.split('\n')[0] ?? String(e)}`);
    return undefined;
  }
}

export function checkFlagSpec(registry: readonly Subsystem[]): Record<string, FlagSpec> {
  const spec: Record<string, FlagSpec> = {
    scenario: { kind: 'string' },
    'scenario-file': { kind: 'string' },
    profile: { kind: 'string' },
    variant: { kind: 'string' },
    impl: { kind: 'string' },
    'kernel-version': { kind: 'string' },
    'max-states': { kind: 'int', min: 1 },
    'time-limit': { kind: 'int', min: 1 },
    jobs: { kind: 'int', min: 1 },
    out: { kind: 'string' },
    json: { kind: 'bool' },
    reporter: { kind: 'string' },
    quiet: { kind: 'bool' },
    verbose: { kind: 'bool' },
    color: { kind: 'bool' },
    'no-color': { kind: 'bool' },
    'allow-vacuous': { kind: 'bool' },
    heartbeat: { kind: 'int', min: 0 },
    shard: { kind: 'string' },
    ...SEARCH_FLAGS,
  };
  for (const k of knobFlags(registry)) spec[k] = { kind: 'int' };
  return spec;
}

export interface CheckEnv {
  readonly registry: readonly Subsystem[];
  readonly registryModule: string | undefined;
}

// oxlint-disable-next-line max-lines-per-function -- one linear pipeline: flags, selection, run, report
export async function cmdCheck(argv: string[], io: Out, env: CheckEnv): Promise<number> {
  const { positionals, flags } = parseArgs(argv, checkFlagSpec(env.registry));
  if (flags.color && flags['no-color']) throw new UsageError('--color and --no-color contradict each other');
  if (flags.quiet && flags.verbose) throw new UsageError('--quiet and --verbose contradict each other');
  const reporters = parseReporters(flags.reporter as string | undefined, Boolean(flags.json));
  const shard = parseShard(flags.shard as string | undefined);
  const all = selectJobs(env.registry, positionals, flags);
  const jobs = shardOf(all, shard);
  const outDir = (flags.out as string | undefined) ?? join('traces', 'out');
  ensureWritableDir(outDir, '--out');
  for (const r of reporters) if (r.file) ensureWritableDir(join(r.file, '..'), `--reporter ${r.name}=`);
  const allowVacuous = Boolean(flags['allow-vacuous']);
  const notes: string[] = [];
  const cores = availableParallelism();
  const asked = flags.jobs as number | undefined;
  const parallel = Math.max(1, Math.min(asked ?? Math.min(2, cores), jobs.length));
  if (asked !== undefined && asked > parallel)
    notes.push(
      `--jobs ${asked} clamped to ${parallel}: only ${jobs.length} scenario run${jobs.length === 1 ? '' : 's'} in this invocation`,
    );
  if (asked !== undefined && asked > cores)
    notes.push(`--jobs ${asked} is more than the ${cores} cores: the workers share them (counts do not change)`);
  if (shard && jobs.length === 0)
    notes.push(`shard ${shard.index}/${shard.count} has no scenario runs (the whole run has ${all.length})`);
  const search = searchOptions(flags);
  if (env.registryModule === undefined && search.workers !== undefined && search.workers > 1)
    throw new UsageError(
      '--workers needs subsystems that worker threads can load (a registry module); these run in-process',
    );
  if (search.workers !== undefined && search.workers > cores)
    notes.push(
      `--workers ${search.workers} is more than the ${cores} cores: the threads share them (counts do not change)`,
    );
  if (env.registryModule === undefined && flags['time-limit'] !== undefined)
    notes.push(
      '--time-limit is checked between states only: these subsystems run in-process, so a step that never returns cannot be stopped',
    );

  const textOut = reporters.find((r) => r.name === 'text' && !r.file);
  const stdoutTaken = reporters.some((r) => !r.file && r.name !== 'text' && r.name !== 'github');
  const color = flags['no-color'] ? false : flags.color ? true : io.isTTY;
  const textOpts = {
    color,
    detailAll: Boolean(flags.verbose) || (io.isTTY && !flags.quiet),
    quiet: Boolean(flags.quiet),
  };
  for (const n of notes) io.err(`mmcheck: note: ${n}`);

  const outcomes: (Outcome | undefined)[] = new Array(jobs.length);
  let printed = 0;
  const flushText = () => {
    while (printed < jobs.length && outcomes[printed]) {
      if (textOut && !stdoutTaken) for (const l of renderOutcomeText(outcomes[printed]!, textOpts)) io.out(l);
      printed++;
    }
  };
  const progress = new ProgressLine(io.isTTY && Boolean(process.stderr.isTTY) && !stdoutTaken);
  const heartbeatSeconds = (flags.heartbeat as number | undefined) ?? (process.stderr.isTTY ? 0 : 10);
  const sup = new Supervisor(jobs, {
    parallel,
    ...(flags['max-states'] !== undefined ? { maxStates: flags['max-states'] as number } : {}),
    ...(flags['time-limit'] !== undefined ? { timeLimitSeconds: flags['time-limit'] as number } : {}),
    search,
    ...(env.registryModule !== undefined ? { registryModule: env.registryModule } : {}),
    heartbeatSeconds,
    heartbeat: (l) => io.err(l),
    onProgress: (id, p) => progress.update(id, `${jobs[id]!.sub.name}/${jobs[id]!.scenario.name}`, p),
    onEnd: (id, end: JobEnd) => {
      progress.done(id);
      const j = jobs[id]!;
      const tracePath = end.result?.violation
        ? saveTrace(outDir, j.sub, j.scenario, j.variant, end.result, io)
        : undefined;
      outcomes[id] = outcomeOf(j, end, allowVacuous, tracePath);
      progress.clear();
      flushText();
    },
  });
  const onSignal = (sig: NodeJS.Signals) => {
    io.err(`mmcheck: ${sig}: stopping; the partial result follows (INCONCLUSIVE, interrupted)`);
    sup.interrupt();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const t0 = performance.now();
  let ends: JobEnd[];
  try {
    ends = await sup.run();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    progress.clear();
  }
  ends.forEach((e, i) => (outcomes[i] ??= outcomeOf(jobs[i]!, e, allowVacuous)));
  flushText();
  const final = outcomes as Outcome[];
  const vacuousInvariants = runVacuousInvariants(final.flatMap((o) => (o.result ? [o.result] : [])));
  for (const v of vacuousInvariants)
    if (textOut && !stdoutTaken)
      io.out(
        `VACUOUS ${v.subsystem}: invariant ${v.invariant} never had anything to check in any of the ${v.scenarios} scenario runs${allowVacuous ? ' (allowed by --allow-vacuous)' : ''}`,
      );
  const exitCode = runExit(final, sup.wasInterrupted, allowVacuous ? 0 : vacuousInvariants.length);
  const run: RunReport = {
    outcomes: final,
    wallSeconds: (performance.now() - t0) / 1000,
    interrupted: sup.wasInterrupted,
    shard: shard ? { ...shard, total: all.length } : null,
    notes,
    vacuousInvariants,
    allowVacuous,
    exitCode,
    verdict: runVerdict(exitCode),
  };
  for (const r of reporters) {
    const text =
      r.name === 'json'
        ? renderJson(run)
        : r.name === 'junit'
          ? renderJunit(run)
          : r.name === 'github'
            ? renderGithub(run)
            : summaryLine(run);
    if (r.file) writeFileSync(r.file, text + '\n');
    else if (r.name !== 'text' || !stdoutTaken) io.out(text);
  }
  if (stdoutTaken || !textOut) io.err(summaryLine(run));
  return exitCode;
}

/** The live progress line on a terminal: one segment per running scenario. */
class ProgressLine {
  private readonly live = new Map<number, string>();
  private lastLen = 0;
  constructor(private readonly enabled: boolean) {}
  update(id: number, name: string, p: Progress): void {
    if (!this.enabled) return;
    const k = (n: number) =>
      n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)}k` : String(n);
    this.live.set(
      id,
      `${name}  states ${k(p.states)}  ${k(Math.round(p.statesPerSecond))}/s  depth ${p.depth}  ${p.seconds.toFixed(0)}s`,
    );
    const line = [...this.live.values()].join('  |  ').slice(0, (process.stderr.columns || 160) - 1);
    process.stderr.write('\r' + line.padEnd(this.lastLen));
    this.lastLen = line.length;
  }
  done(id: number): void {
    this.live.delete(id);
  }
  clear(): void {
    if (this.enabled && this.lastLen > 0) process.stderr.write('\r' + ' '.repeat(this.lastLen) + '\r');
    this.lastLen = 0;
  }
}
