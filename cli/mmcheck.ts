/**
 * mmcheck: model-check Linux memory-management implementations against their specs.
 *
 * Exit codes: 0 pass, 1 violation found (or a script/replay disagreement),
 * 2 usage or input error, 3 inconclusive (a state or time limit stopped a run
 * before it was exhaustive, or a replayed schedule no longer applies).
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { checkScenario, type Progress } from '../checker/check.js';
import { implSchema, ScenarioError } from '../checker/product.js';
import { replaySchedule } from '../checker/replay.js';
import type { CheckResult } from '../checker/result.js';
import { parseScenario, parseScript, readJsonFile } from '../checker/scenario-file.js';
import { runScript } from '../checker/sequential.js';
import { SpecError } from '../checker/spec-adapter.js';
import type { Scenario, ScenarioOptions, Subsystem } from '../checker/types.js';
import { registry as defaultRegistry } from '../subsystems/index.js';
import { writeHtmlReport } from '../traces/html.js';
import { ItfError, readItf, scenarioOf, scheduleOf, subsystemOf, toItf, variantOf, writeItf } from '../traces/itf.js';
import { renderResult, renderTrace } from '../traces/table.js';
import { parseArgs, UsageError } from './args.js';
import { cmdView } from './view.js';
import type { Job, WorkerMessage } from './worker.js';

export const EXIT = { pass: 0, violation: 1, usage: 2, inconclusive: 3 } as const;

const HELP = `mmcheck: model-check Linux mm implementations against their specs

Usage:
  mmcheck check [SUBSYSTEM...] [options]   explore every interleaving of the scenarios
  mmcheck run SUBSYSTEM --script FILE      run a sequential script on spec and implementation
  mmcheck replay FILE.itf.json             re-execute a saved counterexample against the current code
  mmcheck list [SUBSYSTEM...]              subsystems, scenarios and buggy variants
  mmcheck view FILE.itf.json [--open]      write the trace viewer with FILE inside; print its path
  mmcheck --help                           this text

check options:
  --scenario NAME        only the default scenario NAME (repeatable as a comma list)
  --scenario-file FILE   check the scenario in FILE (JSON) instead of the defaults
  --variant NAME         check a buggy variant (see 'mmcheck list'); 'none' = correct code
  --threads N            reshape default scenarios: number of threads
  --ops N                reshape default scenarios: operations per thread
  --pool N               reshape default scenarios: huge page pool / capacity size
  --file-size N          reshape default scenarios: file size in pages
  --max-states N         stop after N distinct states (the run is then NOT exhaustive)
  --time-limit SECONDS   stop a scenario after SECONDS (the run is then NOT exhaustive)
  --jobs N               scenarios checked in parallel (default: 2, or fewer cores); counts are the same
  --out DIR              where counterexamples go (default traces/out)
  --json                 print results as JSON lines instead of text
  --quiet                print only the verdict lines and counterexamples
  --color / --no-color   force colour on or off (default: on when stdout is a terminal)

run options:
  --script FILE          the script: {"params": {...}, "steps": [{"op": ..., "args": {...}}, ...]}
  --variant NAME         run a buggy variant

replay options:
  --variant NAME|none    replay against another variant (default: the trace's own)

Exit codes: 0 pass, 1 violation (or disagreement), 2 usage/input error, 3 inconclusive (a limit
stopped the run before it was exhaustive, or a replayed schedule no longer applies).`;

export interface Out {
  out(s: string): void;
  err(s: string): void;
  isTTY: boolean;
}

/**
 * A closed pipe (`mmcheck check | head`) is not an error worth a stack trace:
 * stop quietly with the exit code computed so far.
 */
export function quietOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
}

const nodeOut: Out = {
  out: (s) => process.stdout.write(s + '\n'),
  err: (s) => process.stderr.write(s + '\n'),
  isTTY: Boolean(process.stdout.isTTY),
};

/** The subsystems this invocation knows (the registry, or a test's own list). */
let registry: readonly Subsystem[] = defaultRegistry;

function requireSubsystem(name: string): Subsystem {
  const s = registry.find((r) => r.name === name);
  if (!s) throw new UsageError(`unknown subsystem '${name}' (known: ${registry.map((r) => r.name).join(', ') || 'none'})`);
  return s;
}

function fmtInt(n: number): string {
  return n.toLocaleString('en-US');
}

function progressLine(p: Progress): string {
  const k = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)}k` : String(n));
  return `  states ${k(p.states)}  ${k(Math.round(p.statesPerSecond))}/s  transitions ${k(p.transitions)}  depth ${p.depth}  queue ${k(p.queue)}  ${p.seconds.toFixed(0)}s`;
}

// ---------------------------------------------------------------------------

type Flags = ReturnType<typeof parseArgs>['flags'];

/** Which (subsystem, scenario) pairs `check` runs, from its positionals and flags. */
function selectJobs(
  positionals: readonly string[],
  flags: Flags,
): { jobs: { sub: Subsystem; scenario: Scenario }[]; variant: string | null } {
  if (flags['scenario-file'] !== undefined)
    for (const f of ['scenario', 'threads', 'ops', 'pool', 'file-size'])
      if (flags[f] !== undefined)
        throw new UsageError(`--${f} does not apply to --scenario-file (the file gives the scenario and its bounds)`);
  if (flags.color && flags['no-color']) throw new UsageError('--color and --no-color contradict each other');
  let subs = positionals.length > 0 ? positionals.map(requireSubsystem) : [...registry];
  if (flags['scenario-file'] !== undefined && positionals.length === 0) {
    // a scenario file is for one subsystem: its "subsystem" field, or the only one registered
    const file = String(flags['scenario-file']);
    const named = (readJsonFile(file, 'scenario file') as { subsystem?: unknown } | null)?.subsystem;
    if (typeof named === 'string') subs = [requireSubsystem(named)];
    else if (subs.length > 1)
      throw new UsageError(`which subsystem is ${file} for? name it (mmcheck check SUBSYSTEM --scenario-file FILE) or add a "subsystem" field`);
  }
  if (subs.length === 0) throw new UsageError('no subsystems are registered');
  const variant = flags.variant === undefined || flags.variant === 'none' ? null : String(flags.variant);
  if (variant !== null && subs.length > 1 && positionals.length === 0) {
    // no subsystem named: the variant picks its owners (a named one without it is an error below)
    const owners = subs.filter((s) => s.variants.some((v) => v.name === variant));
    if (owners.length === 0) throw new UsageError(`unknown variant '${variant}' (see mmcheck list)`);
    subs.splice(0, subs.length, ...owners);
  }
  const shape: ScenarioOptions = {
    ...(flags.threads !== undefined ? { threads: flags.threads as number } : {}),
    ...(flags.ops !== undefined ? { ops: flags.ops as number } : {}),
    ...(flags.pool !== undefined ? { pool: flags.pool as number } : {}),
    ...(flags['file-size'] !== undefined ? { fileSize: flags['file-size'] as number } : {}),
  };
  // Which (subsystem, scenario) pairs to run.
  const jobs: { sub: Subsystem; scenario: Scenario }[] = [];
  for (const sub of subs) {
    if (variant !== null && !sub.variants.some((v) => v.name === variant))
      throw new UsageError(`unknown variant '${variant}' for ${sub.name} (known: ${sub.variants.map((v) => v.name).join(', ') || 'none'})`);
    let scenarios: Scenario[];
    if (flags['scenario-file'] !== undefined) {
      const file = String(flags['scenario-file']);
      scenarios = [parseScenario(sub, readJsonFile(file, 'scenario file'), file)];
    } else {
      scenarios = [...sub.scenarios];
      const v = variant !== null ? sub.variants.find((x) => x.name === variant) : undefined;
      if (flags.scenario !== undefined) {
        const names = String(flags.scenario).split(',');
        const all = [...scenarios, ...(sub.findings ?? [])];
        for (const n of names)
          if (!all.some((s) => s.name === n))
            throw new UsageError(`unknown scenario '${n}' for ${sub.name} (known: ${all.map((s) => s.name).join(', ')})`);
        scenarios = all.filter((s) => names.includes(s.name));
      } else if (v?.scenarios) {
        scenarios = scenarios.filter((s) => v.scenarios!.includes(s.name));
        if (scenarios.length === 0)
          throw new UsageError(`variant ${variant} names scenarios that ${sub.name} does not define: ${v.scenarios.join(', ')}`);
      }
      if (Object.keys(shape).length > 0) {
        const hint = positionals.length === 0 ? ' (name the subsystems to reshape, e.g. mmcheck check hugetlb --pool 3)' : '';
        if (!sub.customize) throw new UsageError(`${sub.name} cannot be reshaped with --threads/--ops/--pool/--file-size${hint}`);
        scenarios = scenarios.map((s) => {
          try {
            return sub.customize!(s, shape);
          } catch (e) {
            throw new UsageError(`${sub.name}/${s.name}: ${(e as Error).message}${hint}`);
          }
        });
      }
    }
    for (const scenario of scenarios) jobs.push({ sub, scenario });
  }

  return { jobs, variant };
}

async function cmdCheck(argv: string[], io: Out): Promise<number> {
  const { positionals, flags } = parseArgs(argv, {
    scenario: { kind: 'string' },
    'scenario-file': { kind: 'string' },
    variant: { kind: 'string' },
    threads: { kind: 'int', min: 1 },
    ops: { kind: 'int', min: 1 },
    pool: { kind: 'int', min: 0 },
    'file-size': { kind: 'int', min: 1 },
    'max-states': { kind: 'int', min: 1 },
    'time-limit': { kind: 'int', min: 1 },
    jobs: { kind: 'int', min: 1 },
    out: { kind: 'string' },
    json: { kind: 'bool' },
    quiet: { kind: 'bool' },
    color: { kind: 'bool' },
    'no-color': { kind: 'bool' },
  });
  const { jobs, variant } = selectJobs(positionals, flags);
  const color = flags['no-color'] ? false : flags.color ? true : io.isTTY;
  const outDir = (flags.out as string | undefined) ?? join('traces', 'out');
  const json = Boolean(flags.json);
  const quiet = Boolean(flags.quiet);

  let worst: number = EXIT.pass;
  let totalStates = 0;
  let totalSeconds = 0;
  const limits = {
    ...(flags['max-states'] !== undefined ? { maxStates: flags['max-states'] as number } : {}),
    ...(flags['time-limit'] !== undefined ? { timeLimitSeconds: flags['time-limit'] as number } : {}),
  };
  const report = (sub: Subsystem, scenario: Scenario, result: CheckResult): void => {
    totalStates += result.states;
    totalSeconds += result.seconds;
    let tracePath: string | undefined;
    if (result.violation) {
      const base = `${sub.name}-${scenario.name}${variant ? `-${variant}` : ''}`.replace(/[^A-Za-z0-9_.-]/g, '_');
      tracePath = join(outDir, `${base}.itf.json`);
      try {
        const itf = toItf(result, { implSchema: implSchema(sub, scenario.params) as never, scenario });
        writeItf(tracePath, itf);
        writeHtmlReport(join(outDir, `${base}.html`), itf);
      } catch (e) {
        // the violation is the result: report it anyway
        io.err(`mmcheck: cannot save the counterexample to ${tracePath}: ${(e as Error)?.message?.split('\n')[0] ?? String(e)}`);
        tracePath = undefined;
      }
    }
    if (json) {
      io.out(JSON.stringify({ ...result, ...(tracePath ? { tracePath } : {}) }));
    } else {
      if (!quiet) io.out(renderResult(result, { color }));
      else io.out(verdictLine(result));
      if (result.violation) {
        io.out(renderTrace(result.violation, { color }));
        if (tracePath) io.out(`counterexample saved: ${tracePath} (and .html); replay with: mmcheck replay ${tracePath}`);
      }
      if (!quiet) io.out('');
    }
    const code = result.violation ? EXIT.violation : result.exhaustive ? EXIT.pass : EXIT.inconclusive;
    if (code === EXIT.violation || (code === EXIT.inconclusive && worst === EXIT.pass)) worst = code;
  };

  const progress = new ProgressLine(process.stderr.isTTY && !json);
  const workerFile = fileURLToPath(new URL('./worker.js', import.meta.url));
  const parallel = Math.min(
    (flags.jobs as number | undefined) ?? Math.min(2, availableParallelism()),
    jobs.length,
  );
  // Workers load the registry themselves, so they serve only the built-in registry in compiled form.
  if (parallel > 1 && registry === defaultRegistry && existsSync(workerFile)) {
    const results = await runInWorkers(workerFile, parallel, jobs, variant, limits, progress);
    progress.clear();
    jobs.forEach((j, i) => report(j.sub, j.scenario, results[i]!));
  } else {
    for (const [i, { sub, scenario }] of jobs.entries()) {
      const result = checkScenario(sub, scenario, { variant, ...limits, progress: (p) => progress.update(i, `${sub.name}/${scenario.name}`, p) });
      progress.clear();
      report(sub, scenario, result);
    }
  }
  if (!json && jobs.length > 1)
    io.out(
      `${jobs.length} scenarios, ${fmtInt(totalStates)} distinct states in ${totalSeconds.toFixed(1)} s: ${
        worst === EXIT.pass ? 'all passed, every run exhaustive within its bounds' : worst === EXIT.violation ? 'VIOLATION FOUND' : 'INCONCLUSIVE: some runs hit a limit'
      }`,
    );
  return worst;
}

/** The live progress line on a TTY: one segment per running scenario. */
class ProgressLine {
  private readonly live = new Map<number, string>();
  private lastLen = 0;
  constructor(private readonly enabled: boolean) {}
  update(id: number, name: string, p: Progress): void {
    if (!this.enabled) return;
    this.live.set(id, `${name}${progressLine(p)}`);
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
    this.live.clear();
  }
}

/** Run jobs on `n` worker threads; results come back in job order. */
function runInWorkers(
  file: string,
  n: number,
  jobs: readonly { sub: Subsystem; scenario: Scenario }[],
  variant: string | null,
  limits: { maxStates?: number; timeLimitSeconds?: number },
  progress: ProgressLine,
): Promise<CheckResult[]> {
  return new Promise((resolve, reject) => {
    const results: CheckResult[] = new Array(jobs.length);
    let next = 0;
    let finished = 0;
    const workers: Worker[] = [];
    const fail = (e: Error) => {
      for (const w of workers) void w.terminate();
      reject(e);
    };
    const feed = (w: Worker) => {
      if (next >= jobs.length) {
        void w.terminate();
        return;
      }
      const id = next++;
      const { sub, scenario } = jobs[id]!;
      const job: Job = { id, subsystem: sub.name, scenario, variant, ...limits };
      w.postMessage(job);
    };
    for (let i = 0; i < n; i++) {
      const w = new Worker(file);
      workers.push(w);
      w.on('message', (m: WorkerMessage) => {
        const { sub, scenario } = jobs[m.id]!;
        if (m.kind === 'progress') progress.update(m.id, `${sub.name}/${scenario.name}`, m.progress);
        else if (m.kind === 'error') fail(new ScenarioError(`${sub.name}/${scenario.name}: ${m.message}`));
        else {
          progress.done(m.id);
          results[m.id] = m.result as CheckResult;
          if (++finished === jobs.length) {
            for (const x of workers) void x.terminate();
            resolve(results);
          } else feed(w);
        }
      });
      w.on('error', (e) => fail(e as Error));
      w.on('exit', (code) => {
        if (finished < jobs.length && code !== 0 && code !== 1)
          fail(new ScenarioError(`a checker worker exited with code ${code} (out of memory?)`));
      });
      feed(w);
    }
  });
}

function verdictLine(r: CheckResult): string {
  const what = `${r.subsystem}/${r.scenario}${r.variant ? ` [variant ${r.variant}]` : ''}`;
  if (r.violation) return `FAIL ${what}: ${r.violation.kind} ${r.violation.property} after ${r.violation.trace.transitions.length} steps`;
  if (!r.exhaustive) return `INCONCLUSIVE ${what}: stopped by ${r.stopReason} after ${fmtInt(r.states)} states (NOT exhaustive)`;
  return `PASS ${what}: ${fmtInt(r.states)} states, depth ${r.maxDepth}, exhaustive`;
}

async function cmdRun(argv: string[], io: Out): Promise<number> {
  const { positionals, flags } = parseArgs(argv, { script: { kind: 'string' }, variant: { kind: 'string' } });
  if (positionals.length !== 1) throw new UsageError('usage: mmcheck run SUBSYSTEM --script FILE.json');
  const sub = requireSubsystem(positionals[0]!);
  if (flags.script === undefined) throw new UsageError('mmcheck run needs --script FILE.json');
  const file = String(flags.script);
  const script = parseScript(sub, readJsonFile(file, 'script'), file);
  const variant = flags.variant === undefined || flags.variant === 'none' ? null : String(flags.variant);
  if (variant !== null && !sub.variants.some((v) => v.name === variant))
    throw new UsageError(`unknown variant '${variant}' for ${sub.name}`);
  const obs = runScript(sub, script, variant);
  let code: number = EXIT.pass;
  for (const o of obs) {
    io.out(JSON.stringify(o));
    if (!o.agree) code = EXIT.violation;
  }
  const last = obs[obs.length - 1];
  if (last && !last.agree)
    io.err(`mmcheck run: step ${last.step} (${last.op}): ${last.problem}`);
  return code;
}

async function cmdReplay(argv: string[], io: Out): Promise<number> {
  const { positionals, flags } = parseArgs(argv, { variant: { kind: 'string' }, color: { kind: 'bool' } });
  if (positionals.length !== 1) throw new UsageError('usage: mmcheck replay FILE.itf.json');
  const file = positionals[0]!;
  if (!existsSync(file)) throw new UsageError(`trace file '${file}' does not exist`);
  const itf = readItf(file);
  const sub = requireSubsystem(subsystemOf(itf));
  const scenario = scenarioOf(itf);
  const variant =
    flags.variant === undefined ? variantOf(itf) : flags.variant === 'none' ? null : String(flags.variant);
  const schedule = scheduleOf(itf);
  const rec = itf['#meta'].violation;
  const r = replaySchedule(sub, scenario, variant, schedule);
  const what = `${sub.name}/${scenario.name}${variant ? ` [variant ${variant}]` : ' [correct implementation]'}`;
  if (r.failure) {
    const same = r.failure.property === rec.property;
    io.out(
      `STILL FAILS ${what}: ${r.failure.kind} ${r.failure.property} after ${r.at! + 1} of ${schedule.length} recorded steps${
        same ? '' : ` (recorded: ${rec.kind} ${rec.property})`
      }\n  ${r.failure.message}`,
    );
    io.out(
      renderTrace(
        { kind: r.failure.kind, property: r.failure.property, message: r.failure.message, trace: { states: r.states, transitions: r.transitions } },
        { color: Boolean(flags.color) },
      ),
    );
    return EXIT.violation;
  }
  if (r.diverged) {
    io.out(`NO LONGER APPLIES ${what}: ${r.diverged}; the recorded ${rec.kind} (${rec.property}) was not reproduced`);
    return EXIT.inconclusive;
  }
  io.out(`FIXED ${what}: all ${schedule.length} recorded steps replayed and every property holds (recorded: ${rec.kind} ${rec.property})`);
  return EXIT.pass;
}

async function cmdList(argv: string[], io: Out): Promise<number> {
  const { positionals } = parseArgs(argv, {});
  const subs = positionals.length > 0 ? positionals.map(requireSubsystem) : registry;
  for (const sub of subs) {
    io.out(`${sub.name}: ${sub.title}`);
    io.out(`  ${sub.description}`);
    io.out(`  operations: ${Object.keys(sub.impl.ops).join(', ')}`);
    io.out(`  spec: ${sub.spec ? 'yes (linearizability + abstraction)' : 'none (invariants only)'}`);
    io.out('  scenarios:');
    for (const s of sub.scenarios)
      io.out(`    ${s.name.padEnd(24)} ${s.threads.length} threads  ${s.description}`);
    io.out('  variants:');
    if (sub.variants.length === 0) io.out('    (none)');
    for (const v of sub.variants) io.out(`    ${v.name.padEnd(8)} ${v.description}  [${v.source}]`);
    if (sub.findings && sub.findings.length > 0) {
      io.out('  findings (the correct implementation fails these; not in the default run; check with --scenario NAME):');
      for (const f of sub.findings) io.out(`    ${f.name}  [expect ${f.expect}]  ${f.description}`);
    }
    io.out('');
  }
  return EXIT.pass;
}

export async function main(argv: string[], io: Out = nodeOut, subsystems: readonly Subsystem[] = defaultRegistry): Promise<number> {
  registry = subsystems;
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        io.out(HELP);
        if (cmd !== undefined) return EXIT.pass;
        io.err('mmcheck: no command given (commands: check, run, replay, list, view)');
        return EXIT.usage;
      case 'check':
        return await cmdCheck(rest, io);
      case 'run':
        return await cmdRun(rest, io);
      case 'replay':
        return await cmdReplay(rest, io);
      case 'list':
        return await cmdList(rest, io);
      case 'view':
        return await cmdView(rest, io);
      default:
        throw new UsageError(`unknown command '${cmd}' (commands: check, run, replay, list, view; see mmcheck --help)`);
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof ScenarioError || e instanceof ItfError || e instanceof SpecError) {
      io.err(`mmcheck: ${e.message.split('\n')[0]}`);
      return EXIT.usage;
    }
    // Anything else is a bug in mmcheck or in a subsystem: still one line, but say so.
    io.err(`mmcheck: internal error: ${(e as Error)?.message?.split('\n')[0] ?? String(e)} (set MMCHECK_DEBUG=1 for the stack)`);
    if (process.env.MMCHECK_DEBUG) io.err((e as Error).stack ?? '');
    return EXIT.usage;
  }
}

const invokedDirectly = process.argv[1] && /cli[\\/]mmcheck\.(ts|js)$/.test(process.argv[1]);
if (invokedDirectly) {
  quietOnClosedPipe();
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
