/**
 * `npm run bench`: mmcheck's explorer speed and memory, side by side with SPIN
 * (-DNOREDUCE) and Rumur on the same toy model, plus menu configurations of
 * the real subsystems (bench/configs.ts).
 *
 *   npm run bench [-- --json] [--only NAME,...] [--models DIR] [--no-spin] [--no-rumur]
 *                 [--time-limit SECONDS] [--repeat N] [--child NAME] [--no-step-memo]
 *
 * Every configuration runs in its own child process (peak RSS per run). With
 * --repeat N the tools run interleaved (mmcheck, SPIN, Rumur, mmcheck, ...) so
 * load on a shared machine hits them alike; the fastest run of each is
 * reported, and all run times are listed. The load average is printed.
 * `--child NAME` prints one JSON line: states, seconds, statesPerSec,
 * bytesPerState, peakRssMiB, and more (the step memo's misses, evictions and
 * peak size in `stepMemo`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import type { CheckResult } from '../checker/result.js';
import type { Scenario, Subsystem } from '../checker/types.js';
import { threadCpuSeconds } from '../checker/strategy/thread-cpu.js';
import { CONFIGS, loadConfig, type Config } from './configs.js';
import { locateModels, onPath, runRumur, runSpin, type ToolMeasure } from './models.js';
import { baselineMismatch, printText, targets, type ConfigReport, type MmcheckMeasure } from './report.js';

export { parsePan } from './models.js';

interface Options {
  json: boolean;
  only: string[] | null;
  spin: boolean;
  rumur: boolean;
  models: string | undefined;
  timeLimit: number;
  repeat: number;
  child: string | null;
  stepMemo: boolean;
}

class UsageError extends Error {}

const USAGE =
  'usage: npm run bench [-- --json] [--only NAME,...] [--models DIR] [--no-spin] [--no-rumur]\n' +
  '                     [--time-limit SECONDS] [--repeat N] [--child NAME] [--no-step-memo]\n' +
  `  configurations: ${CONFIGS.map((c) => c.name + (c.heavy ? ' (heavy: only with --only)' : '')).join(', ')}\n` +
  '  --models DIR  where hugetlb-toy.pml / hugetlb-toy.m are (default: bench/models)\n' +
  '  --repeat N    run each configuration N times, tools interleaved; report the fastest of each\n' +
  '  --no-step-memo  run every step (checker/step-memo.ts off; 1-worker runs): same counts, for comparison\n';

function parseArgs(argv: readonly string[]): Options {
  const o: Options = {
    json: false,
    only: null,
    spin: true,
    rumur: true,
    models: undefined,
    timeLimit: 600,
    repeat: 1,
    child: null,
    stepMemo: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '--json') o.json = true;
    else if (a === '--no-spin') o.spin = false;
    else if (a === '--no-rumur') o.rumur = false;
    else if (a === '--no-step-memo') o.stepMemo = false;
    else if (a === '--only') o.only = val().split(',').filter(Boolean);
    else if (a === '--models') o.models = val();
    else if (a === '--time-limit') {
      o.timeLimit = Number(val());
      if (!(o.timeLimit > 0)) throw new UsageError('--time-limit needs a positive number of seconds');
    } else if (a === '--repeat') {
      o.repeat = Number(val());
      if (!Number.isInteger(o.repeat) || o.repeat < 1) throw new UsageError('--repeat needs a positive integer');
    } else if (a === '--child') o.child = val();
    else if (a === '--help' || a === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else throw new UsageError(`unknown option '${a}' (try --help)`);
  }
  for (const n of [...(o.only ?? []), ...(o.child ? [o.child] : [])])
    if (!CONFIGS.some((c) => c.name === n))
      throw new UsageError(`unknown configuration '${n}' (known: ${CONFIGS.map((c) => c.name).join(', ')})`);
  return o;
}

const HERE = dirname(fileURLToPath(import.meta.url));

/** The repository root: the nearest ancestor with mmcheck's package.json (works from bench/ and dist/bench/). */
function repoRoot(): string {
  for (let d = HERE; ; d = dirname(d)) {
    const pj = join(d, 'package.json');
    try {
      if (existsSync(pj) && (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'mmcheck') return d;
    } catch {
      /* keep looking */
    }
    if (dirname(d) === d) return resolve(HERE, '..');
  }
}

type CheckFn = (
  sub: Subsystem,
  scenario: Scenario,
  opts: { timeLimitSeconds?: number; progress?: (p: unknown) => void; stepMemo?: boolean },
) => CheckResult;
type ParallelCheckFn = (
  sub: Subsystem,
  scenario: Scenario,
  opts: { timeLimitSeconds?: number; progress?: (p: unknown) => void; workers: number; registryModule: string },
) => Promise<CheckResult>;

/** One measured mmcheck run, printed as one JSON line. */
async function child(name: string, o: Options): Promise<void> {
  const cfg = CONFIGS.find((c) => c.name === name)!;
  const loaded = await loadConfig(cfg, HERE);
  if (typeof loaded === 'string') {
    process.stdout.write(JSON.stringify({ skipped: loaded }) + '\n');
    return;
  }
  const { checkScenario, checkScenarioParallel } = (await import('../checker/check.js')) as unknown as {
    checkScenario: CheckFn;
    checkScenarioParallel: ParallelCheckFn;
  };
  let peakHeap = 0;
  const sample = (): void => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  };
  const cpu0 = process.cpuUsage();
  const thread0 = threadCpuSeconds();
  const workers = cfg.workers ?? 1;
  if (workers > 1 && !loaded.registryModule) throw new Error(`${cfg.name}: --workers needs a registry module`);
  const r =
    workers > 1
      ? await checkScenarioParallel(loaded.sub, loaded.scenario, {
          timeLimitSeconds: o.timeLimit,
          progress: sample,
          workers,
          registryModule: loaded.registryModule!,
        })
      : checkScenario(loaded.sub, loaded.scenario, {
          timeLimitSeconds: o.timeLimit,
          progress: sample,
          ...(o.stepMemo ? {} : { stepMemo: false }),
        });
  const cpu = process.cpuUsage(cpu0);
  const thread1 = threadCpuSeconds();
  sample();
  const MiB = 1024 * 1024;
  // the process's CPU outside the search threads: this (main) thread's, and each spawned worker's
  const tc = r.search?.threadCpu;
  const searchCpu =
    thread0 === undefined || thread1 === undefined
      ? undefined
      : workers === 1
        ? thread1 - thread0
        : tc && tc.workers.length === workers
          ? thread1 - thread0 + tc.workers.slice(1).reduce((a, b) => a + b, 0)
          : undefined;
  const otherCpu = searchCpu === undefined ? undefined : (cpu.user + cpu.system) / 1e6 - searchCpu;
  const out: MmcheckMeasure = {
    workers,
    scenario: r.scenario,
    scenarioDescription: r.scenarioDescription,
    refinement: r.refinement,
    specStates: r.specStates,
    stopReason: r.stopReason,
    exhaustive: r.exhaustive,
    violation: r.violation ? `${r.violation.kind} ${r.violation.property}: ${r.violation.message}` : null,
    states: r.states,
    transitions: r.transitions,
    maxDepth: r.maxDepth,
    seconds: r.seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    ...(workers === 1 && thread0 !== undefined && thread1 !== undefined ? { threadCpuSeconds: thread1 - thread0 } : {}),
    ...(otherCpu !== undefined ? { otherCpuSeconds: otherCpu } : {}),
    ...(r.search?.threadCpu ? { threadCpu: r.search.threadCpu } : {}),
    ...(r.search?.stepMemo ? { stepMemo: r.search.stepMemo } : {}),
    wallSeconds: process.uptime(),
    statesPerSec: r.states / r.seconds,
    transitionsPerSec: r.transitions / r.seconds,
    bytesPerState: r.bytesPerState,
    peakFrontierMiB: r.peakFrontierBytes !== undefined ? r.peakFrontierBytes / MiB : null,
    peakRssMiB: (process.resourceUsage().maxRSS * 1024) / MiB,
    peakHeapUsedMiB: peakHeap / MiB,
    heapTotalMiB: getHeapStatistics().total_heap_size / MiB,
  };
  process.stdout.write(JSON.stringify({ mmcheck: out }) + '\n');
}

function runChild(name: string, o: Options): { mmcheck?: MmcheckMeasure; skipped?: string; error?: string } {
  const args = [
    ...process.execArgv,
    fileURLToPath(import.meta.url),
    '--child',
    name,
    '--time-limit',
    String(o.timeLimit),
    ...(o.stepMemo ? [] : ['--no-step-memo']),
  ];
  const p = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const line = p.stdout
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (p.status !== 0 || !line)
    return { error: (p.stderr || p.stdout || `exit ${p.status ?? p.signal}`).trim().split('\n').slice(-3).join(' | ') };
  return JSON.parse(line) as { mmcheck?: MmcheckMeasure; skipped?: string };
}

/** Which reference tools can run, and the notes saying why not. */
function toolSetup(o: Options): { pml?: string; murphi?: string; notes: string[] } {
  const notes: string[] = [];
  const found = locateModels(repoRoot(), o.models);
  if (!found.dir) {
    notes.push(`reference models not found (looked in: ${found.looked.join(', ')}); pass --models DIR`);
    return { notes };
  }
  const pml = join(found.dir, 'hugetlb-toy.pml');
  const murphi = join(found.dir, 'hugetlb-toy.m');
  const res: { pml?: string; murphi?: string; notes: string[] } = { notes };
  if (!o.spin) notes.push('SPIN not run (--no-spin)');
  else if (!onPath('spin') || !onPath('gcc'))
    notes.push('SPIN not run: spin or gcc not on PATH (apt-get install -y spin gcc)');
  else if (!existsSync(pml)) notes.push(`SPIN not run: no ${pml}`);
  else res.pml = pml;
  if (!o.rumur) notes.push('Rumur not run (--no-rumur)');
  else if (!onPath('rumur') || !onPath('cc'))
    notes.push('Rumur not run: rumur or cc not on PATH (apt-get install -y rumur)');
  else if (!existsSync(murphi)) notes.push(`Rumur not run: no ${murphi}`);
  else res.murphi = murphi;
  return res;
}

function runConfig(cfg: Config, o: Options, tools: { pml?: string; murphi?: string; notes: string[] }): ConfigReport {
  const base = { name: cfg.name, description: cfg.description, ...(cfg.baseline ? { baseline: cfg.baseline } : {}) };
  let best: MmcheckMeasure | undefined;
  let spin: ToolMeasure | undefined;
  let rumur: ToolMeasure | undefined;
  const runs = { mmcheck: [] as number[], spin: [] as number[], rumur: [] as number[] };
  const notes: string[] = cfg.toy ? [...tools.notes] : [];
  for (let i = 0; i < o.repeat; i++) {
    if (!o.json) process.stderr.write(`bench: ${cfg.name} run ${i + 1}/${o.repeat} ...\n`);
    const c = runChild(cfg.name, o);
    if (c.skipped) return { ...base, skipped: c.skipped };
    if (!c.mmcheck) return { ...base, mmcheckError: c.error ?? 'no result' };
    runs.mmcheck.push(c.mmcheck.seconds);
    if (!best || c.mmcheck.seconds < best.seconds) best = c.mmcheck;
    if (!cfg.toy) continue;
    for (const [tool, file, fn] of [
      ['spin', tools.pml, runSpin],
      ['rumur', tools.murphi, runRumur],
    ] as const) {
      if (!file) continue;
      const t = fn(cfg.toy, file);
      if (typeof t === 'string') {
        if (i === 0) notes.push(`${tool}: ${t}`);
        continue;
      }
      runs[tool].push(t.seconds);
      if (tool === 'spin' && (!spin || t.seconds < spin.seconds)) spin = t;
      if (tool === 'rumur' && (!rumur || t.seconds < rumur.seconds)) rumur = t;
    }
  }
  return {
    ...base,
    mmcheck: best!,
    ...(cfg.expectedStates !== undefined ? { expectedStates: cfg.expectedStates } : {}),
    ...(spin ? { spin } : {}),
    ...(rumur ? { rumur } : {}),
    ...(notes.length ? { toolNotes: notes } : {}),
    runs,
  };
}

async function main(argv: readonly string[]): Promise<number> {
  const o = parseArgs(argv);
  if (o.child) {
    await child(o.child, o);
    return 0;
  }
  const runner = process.execArgv.some((a) => a.includes('tsx')) ? 'tsx' : 'node (compiled)';
  const tools = toolSetup(o);
  const load0 = loadavg();
  const reports: ConfigReport[] = [];
  for (const cfg of CONFIGS) {
    if (o.only ? !o.only.includes(cfg.name) : cfg.heavy) continue;
    reports.push(runConfig(cfg, o, tools));
  }
  const load1 = loadavg();
  const load = `load average ${load0.map((x) => x.toFixed(2)).join(' ')} at start, ${load1.map((x) => x.toFixed(2)).join(' ')} at end`;
  if (o.json) {
    process.stdout.write(
      JSON.stringify(
        { node: process.version, runner, load, tools: tools.notes, configs: reports, targets: targets(reports) },
        null,
        2,
      ) + '\n',
    );
  } else {
    const header = `mmcheck bench  (node ${process.version}, ${runner}, ${availableParallelism()} cores; one core per run except -w configurations${o.repeat > 1 ? `, fastest of ${o.repeat} interleaved runs` : ''}; ${load})`;
    process.stdout.write(printText(reports, header));
  }
  const bad = reports.some(
    (r) =>
      r.mmcheckError !== undefined ||
      baselineMismatch(r, reports) !== undefined ||
      (r.mmcheck && r.expectedStates !== undefined && r.mmcheck.states !== r.expectedStates) ||
      (r.spin && r.mmcheck && r.spin.states !== r.mmcheck.states) ||
      (r.rumur && r.mmcheck && r.rumur.states !== r.mmcheck.states),
  );
  return bad ? 1 : 0;
}

/** Run only as a script (tests import parsePan). */
const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain)
  void main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`bench: ${e instanceof UsageError ? e.message : ((e as Error).stack ?? String(e))}\n`);
      process.exitCode = 2;
    },
  );
