/**
 * `npm run bench`: mmcheck's explorer speed and memory, side by side with SPIN.
 *
 *   npm run bench [-- --json] [--only toy-small,toy-large,hugetlb] [--no-spin]
 *                 [--hugetlb-scenario NAME] [--time-limit SECONDS] [--repeat N]
 *
 * --repeat N runs every configuration N times (each in a fresh process) and
 * reports the fastest run: the machine may be shared, and the fastest run is
 * the least disturbed one. All run times are kept in the JSON output.
 *
 * Configurations:
 *   toy-small  hugetlb-toy P=3 K=3 T=2 N=2 (SPIN/Rumur agree: 11,909 states)
 *   toy-large  hugetlb-toy P=4 K=4 T=3 N=2 (1,795,910 states)
 *   hugetlb    the hugetlb subsystem (with its spec): 3 threads x 3 slots, each slot
 *              any of six fixed mmap/fault/munmap ops (see hugetlbBenchScenario),
 *              or a default scenario as is with --hugetlb-scenario NAME; skipped
 *              with a note when subsystems/hugetlb does not exist
 *
 * Each configuration runs in its own child process (same Node, same loader),
 * so peak RSS and heap are per configuration. When `spin` and `gcc` are on
 * PATH, the toy configurations are also run with SPIN from
 * ../shared/bench/hugetlb-toy.pml (relative to the repository), and the
 * distinct-state counts are compared.
 *
 * Transitions are not expected to be equal: SPIN's count includes one
 * `ALL_DONE -> skip` stutter per final state; mmcheck has no stutter.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import type { OpChoice, Scenario, Subsystem } from '../checker/types.js';
import type { CheckResult } from '../checker/result.js';
import { EXPECTED_STATES, LARGE, SMALL, toyFor, toyScenario, type ToyParams } from './toy/model.js';

// ---------------------------------------------------------------------------
// Targets (docs: the brief for the bench)
// ---------------------------------------------------------------------------

const TARGET_STATES_PER_SEC = 300_000;
const TARGET_BYTES_PER_STATE = 32;
const TARGET_SPIN_RATIO = 3;
/** SPIN on the large configuration on the reference machine (README next to the .pml). */
const SPIN_REFERENCE_LARGE_SECONDS = 1.9;

// ---------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------

interface MmcheckMeasure {
  readonly scenario: string;
  readonly scenarioDescription: string;
  readonly refinement: string;
  readonly specStates: number;
  readonly stopReason: string;
  readonly exhaustive: boolean;
  readonly violation: string | null;
  readonly states: number;
  readonly transitions: number;
  readonly maxDepth: number;
  /** Exploration time as CheckResult.seconds reports it. */
  readonly seconds: number;
  /**
   * CPU seconds (user + system) of the child during exploration. Less disturbed
   * than wall time on a shared machine; includes V8's GC helper threads.
   */
  readonly cpuSeconds: number;
  /** Child process wall time, including startup and module loading. */
  readonly wallSeconds: number;
  readonly statesPerSecond: number;
  readonly transitionsPerSecond: number;
  readonly bytesPerState: number;
  /** CheckResult.peakFrontierBytes (BFS queue peak), when the checker reports it. */
  readonly peakFrontierMiB: number | null;
  /** Peak resident set size of the child process (resourceUsage().maxRSS). */
  readonly peakRssMiB: number;
  /** Highest V8 heapUsed sampled (progress callback, about once a second, and at the end). */
  readonly peakHeapUsedMiB: number;
  /** V8 total heap size at the end of the run (heap reserved). */
  readonly heapTotalMiB: number;
  /** Highest ArrayBuffer memory sampled (fingerprint table, parent links, queue). */
  readonly peakArrayBuffersMiB: number;
}

interface SpinMeasure {
  readonly states: number;
  readonly transitions: number;
  /** `pan: elapsed time` (search only). */
  readonly seconds: number;
  /** Wall time of ./pan, including start-up. */
  readonly wallSeconds: number;
  readonly statesPerSecond: number;
  /** pan's "total actual memory usage". */
  readonly memoryMiB: number;
  readonly errors: number;
}

interface ConfigReport {
  readonly name: string;
  readonly description: string;
  readonly mmcheck?: MmcheckMeasure;
  readonly mmcheckError?: string;
  readonly expectedStates?: number;
  readonly spin?: SpinMeasure;
  /** Why SPIN did not run, when it did not. */
  readonly spinNote?: string;
  readonly skipped?: string;
  /** mmcheck seconds / SPIN seconds (search time both). */
  readonly ratioToSpin?: number;
  readonly countsMatch?: boolean;
  /** Exploration seconds of every run (with --repeat). */
  readonly mmcheckRuns?: readonly number[];
  readonly spinRuns?: readonly number[];
}

// ---------------------------------------------------------------------------
// Configurations
// ---------------------------------------------------------------------------

interface Config {
  readonly name: string;
  readonly description: string;
  readonly toy?: ToyParams;
  readonly expectedStates?: number;
}

const CONFIGS: readonly Config[] = [
  {
    name: 'toy-small',
    description: 'hugetlb-toy P=3 K=3 T=2 N=2',
    toy: SMALL,
    expectedStates: EXPECTED_STATES.small,
  },
  {
    name: 'toy-large',
    description: 'hugetlb-toy P=4 K=4 T=3 N=2',
    toy: LARGE,
    expectedStates: EXPECTED_STATES.large,
  },
  { name: 'hugetlb', description: 'subsystems/hugetlb, fixed 3x3 menu of mmap/fault/munmap (with spec)' },
];

interface Options {
  json: boolean;
  only: string[] | null;
  spin: boolean;
  hugetlbScenario: string | null;
  timeLimit: number;
  repeat: number;
  child: string | null;
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { json: false, only: null, spin: true, hugetlbScenario: null, timeLimit: 300, repeat: 1, child: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '--json') o.json = true;
    else if (a === '--no-spin') o.spin = false;
    else if (a === '--only') o.only = val().split(',').filter(Boolean);
    else if (a === '--hugetlb-scenario') o.hugetlbScenario = val();
    else if (a === '--time-limit') {
      o.timeLimit = Number(val());
      if (!(o.timeLimit > 0)) throw new UsageError('--time-limit needs a positive number of seconds');
    } else if (a === '--repeat') {
      o.repeat = Number(val());
      if (!Number.isInteger(o.repeat) || o.repeat < 1) throw new UsageError('--repeat needs a positive integer');
    } else if (a === '--child') o.child = val();
    else if (a === '--help' || a === '-h') {
      process.stdout.write(
        'usage: npm run bench [-- --json] [--only toy-small,toy-large,hugetlb] [--no-spin]\n' +
          '                     [--hugetlb-scenario NAME] [--time-limit SECONDS] [--repeat N]\n' +
          '  --repeat N   run each configuration N times (mmcheck and SPIN) and report the fastest run\n',
      );
      process.exit(0);
    } else throw new UsageError(`unknown option '${a}' (try --help)`);
  }
  if (o.only) {
    for (const n of o.only)
      if (!CONFIGS.some((c) => c.name === n))
        throw new UsageError(`unknown configuration '${n}' (known: ${CONFIGS.map((c) => c.name).join(', ')})`);
  }
  return o;
}

class UsageError extends Error {}

// ---------------------------------------------------------------------------
// Paths
// ---------------------------------------------------------------------------

const HERE = dirname(fileURLToPath(import.meta.url));

/** The repository root: the nearest ancestor with mmcheck's package.json (works from bench/ and dist/bench/). */
function repoRoot(): string {
  for (let d = HERE; ; d = dirname(d)) {
    const pj = join(d, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'mmcheck') return d;
      } catch {
        /* keep looking */
      }
    }
    if (dirname(d) === d) return resolve(HERE, '..');
  }
}

/** The module file for `rel` (e.g. 'subsystems/hugetlb/index') next to this build: .ts under tsx, .js compiled. */
function siblingModule(rel: string): string | undefined {
  const base = resolve(HERE, '..', rel);
  for (const ext of ['.js', '.ts']) if (existsSync(base + ext)) return base + ext;
  return undefined;
}

// ---------------------------------------------------------------------------
// Child: one mmcheck run, measured
// ---------------------------------------------------------------------------

type CheckFn = (
  sub: Subsystem,
  scenario: Scenario,
  opts: { variant?: string | null; maxStates?: number; timeLimitSeconds?: number; progress?: (p: unknown) => void },
) => CheckResult;

async function loadHugetlb(want: string | null): Promise<{ sub: Subsystem; scenario: Scenario } | string> {
  let sub: Subsystem | undefined;
  const notes: string[] = [];
  const dir = resolve(HERE, '..', 'subsystems', 'hugetlb');
  if (!existsSync(dir)) return 'subsystems/hugetlb does not exist yet';
  // The registry first (the subsystem's public name), then the folder's index module.
  const reg = siblingModule('subsystems/index');
  if (reg) {
    try {
      const m = (await import(pathToFileURL(reg).href)) as { findSubsystem?: (n: string) => Subsystem | undefined };
      sub = m.findSubsystem?.('hugetlb');
    } catch (e) {
      notes.push(`registry import failed: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  if (!sub) {
    const idx = siblingModule('subsystems/hugetlb/index');
    if (!idx) return `subsystems/hugetlb has no index module${notes.length ? ` (${notes.join('; ')})` : ''}`;
    try {
      const m = (await import(pathToFileURL(idx).href)) as Record<string, unknown>;
      const subs = Object.values(m).filter(
        (v): v is Subsystem => !!v && typeof v === 'object' && 'impl' in v && 'scenarios' in v && 'name' in v,
      );
      sub = subs.find((s) => s.name === 'hugetlb') ?? subs[0];
    } catch (e) {
      return `subsystems/hugetlb failed to load: ${(e as Error).message.split('\n')[0]}`;
    }
  }
  if (!sub) return 'subsystems/hugetlb exports no Subsystem';
  if (want) {
    const scenario = sub.scenarios.find((s) => s.name === want);
    if (!scenario) return `${sub.name} has no scenario '${want}' (known: ${sub.scenarios.map((s) => s.name).join(', ')})`;
    return { sub, scenario };
  }
  const scenario = hugetlbBenchScenario(sub);
  return typeof scenario === 'string' ? scenario : { sub, scenario };
}

/**
 * The fixed hugetlb bench configuration: 3 threads x 3 slots, every slot
 * offering each of the six operations of the original 'reserve-vs-fault'
 * scenario (a SHARED mmap reserving [0,2) and a NORESERVE mmap of the same
 * file, faults through both, munmap), pool 3, file of 2 pages, 2 vmas: the
 * same "menu" shape as the toy model, and the reservation/fault race the toy
 * abstracts. Written out here, not derived from the subsystem's scenarios, so
 * the configuration stays fixed while those evolve. The default scenarios
 * themselves are a few hundred to a few thousand states: too small to measure
 * throughput.
 */
const HUGETLB_PARAMS = { pool: 3, overcommit: 0, fileSize: 2, vmas: 2 };
const HUGETLB_MENU: readonly OpChoice[] = [
  { op: 'mmap', args: { v: 0, kind: 'shared', f: 0, from: 0, to: 2 } },
  { op: 'fault', args: { v: 0, i: 1, write: true } },
  { op: 'munmap', args: { v: 0 } },
  { op: 'mmap', args: { v: 1, kind: 'noreserve', f: 0, from: 0, to: 2 } },
  { op: 'fault', args: { v: 1, i: 0, write: true } },
  { op: 'fault', args: { v: 1, i: 1, write: false } },
];
const HUGETLB_THREADS = 3;
const HUGETLB_SLOTS = 3;

function hugetlbBenchScenario(sub: Subsystem): Scenario | string {
  let params: unknown = HUGETLB_PARAMS;
  if (sub.parseParams) {
    try {
      params = sub.parseParams(HUGETLB_PARAMS);
    } catch (e) {
      return `the bench's fixed hugetlb params no longer parse: ${(e as Error).message}`;
    }
  }
  const unknownOps = HUGETLB_MENU.map((a) => a.op).filter((op) => !(op in sub.impl.ops));
  if (unknownOps.length > 0) return `the bench's fixed hugetlb menu uses ops the subsystem lacks: ${unknownOps.join(', ')}`;
  const script = Array.from({ length: HUGETLB_SLOTS }, () => HUGETLB_MENU);
  return {
    name: `bench-hugetlb-menu-${HUGETLB_THREADS}x${HUGETLB_SLOTS}`,
    description: `${HUGETLB_THREADS} threads x ${HUGETLB_SLOTS} slots, each slot any of: shared mmap [0,2), noreserve mmap [0,2), write faults, read fault, munmap; pool 3, file of 2 pages, 2 vmas`,
    params,
    threads: Array.from({ length: HUGETLB_THREADS }, () => script),
  };
}

async function child(name: string, o: Options): Promise<void> {
  const cfg = CONFIGS.find((c) => c.name === name);
  if (!cfg) throw new UsageError(`unknown configuration '${name}'`);
  let sub: Subsystem;
  let scenario: Scenario;
  if (cfg.toy) {
    sub = toyFor(cfg.toy) as Subsystem;
    scenario = toyScenario(cfg.toy) as Scenario;
  } else {
    const h = await loadHugetlb(o.hugetlbScenario);
    if (typeof h === 'string') {
      process.stdout.write(JSON.stringify({ skipped: h }) + '\n');
      return;
    }
    ({ sub, scenario } = h);
  }
  const { checkScenario } = (await import('../checker/check.js')) as unknown as { checkScenario: CheckFn };

  let peakHeap = 0;
  let peakAB = 0;
  const sample = (): void => {
    const m = process.memoryUsage();
    if (m.heapUsed > peakHeap) peakHeap = m.heapUsed;
    if (m.arrayBuffers > peakAB) peakAB = m.arrayBuffers;
  };
  const cpu0 = process.cpuUsage();
  const r = checkScenario(sub, scenario, { timeLimitSeconds: o.timeLimit, progress: sample });
  const cpu = process.cpuUsage(cpu0);
  sample();
  const MiB = 1024 * 1024;
  const out: MmcheckMeasure = {
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
    wallSeconds: process.uptime(),
    statesPerSecond: r.states / r.seconds,
    transitionsPerSecond: r.transitions / r.seconds,
    bytesPerState: r.bytesPerState,
    peakFrontierMiB: r.peakFrontierBytes !== undefined ? r.peakFrontierBytes / MiB : null,
    peakRssMiB: (process.resourceUsage().maxRSS * 1024) / MiB,
    peakHeapUsedMiB: peakHeap / MiB,
    heapTotalMiB: getHeapStatistics().total_heap_size / MiB,
    peakArrayBuffersMiB: peakAB / MiB,
  };
  process.stdout.write(JSON.stringify({ mmcheck: out }) + '\n');
}

function runChild(name: string, o: Options): { mmcheck?: MmcheckMeasure; skipped?: string; error?: string } {
  const args = [...process.execArgv, fileURLToPath(import.meta.url), '--child', name, '--time-limit', String(o.timeLimit)];
  if (o.hugetlbScenario) args.push('--hugetlb-scenario', o.hugetlbScenario);
  const p = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const line = p.stdout
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (p.status !== 0 || !line) {
    const err = (p.stderr || p.stdout || `exit ${p.status ?? p.signal}`).trim().split('\n').slice(-3).join(' | ');
    return { error: err };
  }
  return JSON.parse(line) as { mmcheck?: MmcheckMeasure; skipped?: string };
}

// ---------------------------------------------------------------------------
// SPIN
// ---------------------------------------------------------------------------

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}

/** Parse pan's summary. */
export function parsePan(out: string): Omit<SpinMeasure, 'wallSeconds' | 'statesPerSecond'> | undefined {
  const num = (re: RegExp): number | undefined => {
    const m = re.exec(out);
    return m ? Number(m[1]) : undefined;
  };
  const states = num(/^\s*(\d+) states, stored/m);
  const transitions = num(/^\s*(\d+) transitions \(= stored\+matched\)/m);
  const seconds = num(/pan: elapsed time ([\d.e+-]+) seconds/);
  const memoryMiB = num(/^\s*([\d.]+)\s+total actual memory usage/m);
  const errors = num(/errors: (\d+)/);
  if (states === undefined || transitions === undefined || seconds === undefined) return undefined;
  return { states, transitions, seconds, memoryMiB: memoryMiB ?? NaN, errors: errors ?? 0 };
}

function runSpin(p: ToyParams, pml: string): SpinMeasure | string {
  const dir = mkdtempSync(join(tmpdir(), 'mmcheck-spin-'));
  try {
    copyFileSync(pml, join(dir, 'hugetlb-toy.pml'));
    const sh = (cmd: string, args: string[]) => spawnSync(cmd, args, { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const a = sh('spin', ['-a', `-DP=${p.P}`, `-DK=${p.K}`, `-DT=${p.T}`, `-DN=${p.N}`, 'hugetlb-toy.pml']);
    if (a.status !== 0) return `spin -a failed: ${(a.stderr || a.stdout).trim().split('\n').slice(-2).join(' | ')}`;
    const c = sh('gcc', ['-O2', '-DSAFETY', '-DNOREDUCE', '-w', '-o', 'pan', 'pan.c']);
    if (c.status !== 0) return `gcc failed: ${c.stderr.trim().split('\n').slice(-2).join(' | ')}`;
    const t0 = performance.now();
    const r = sh('./pan', ['-w21']);
    const wall = (performance.now() - t0) / 1000;
    const parsed = parsePan(r.stdout);
    if (!parsed) return `could not parse pan output (exit ${r.status}): ${r.stdout.trim().split('\n').slice(-3).join(' | ')}`;
    // pan prints elapsed time with 2 decimals; below that, use the wall time.
    const seconds = parsed.seconds > 0.05 ? parsed.seconds : wall;
    return { ...parsed, seconds, wallSeconds: wall, statesPerSecond: parsed.states / seconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const fix = (n: number, d: number) => (Number.isFinite(n) ? n.toFixed(d) : '-');

function table(rows: string[][]): string {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  '))
    .join('\n');
}

function printText(reports: readonly ConfigReport[], o: Options, runner: string, spinNote: string | undefined): void {
  const out: string[] = [];
  out.push(
    `mmcheck bench  (node ${process.version}, ${runner}, one core${o.repeat > 1 ? `, fastest of ${o.repeat} runs` : ''})`,
  );
  out.push('');
  const rows: string[][] = [
    ['config', 'tool', 'distinct', 'transitions', 'seconds', 'cpu s', 'states/s', 'trans/s', 'B/state', 'frontier MiB', 'peak RSS MiB', 'heap MiB'],
  ];
  for (const r of reports) {
    if (r.skipped || r.mmcheckError) continue;
    const m = r.mmcheck!;
    rows.push([
      r.name,
      'mmcheck',
      int(m.states),
      int(m.transitions),
      fix(m.seconds, 2),
      fix(m.cpuSeconds, 2),
      int(m.statesPerSecond),
      int(m.transitionsPerSecond),
      fix(m.bytesPerState, 1),
      m.peakFrontierMiB === null ? '-' : fix(m.peakFrontierMiB, 1),
      fix(m.peakRssMiB, 0),
      `${fix(m.peakHeapUsedMiB, 0)}/${fix(m.heapTotalMiB, 0)}`,
    ]);
    if (r.spin) {
      const s = r.spin;
      rows.push([
        '',
        'SPIN',
        int(s.states),
        int(s.transitions),
        fix(s.seconds, 2),
        '',
        int(s.statesPerSecond),
        int(s.transitions / s.seconds),
        '',
        '',
        `(pan) ${fix(s.memoryMiB, 0)}`,
        '',
      ]);
    }
  }
  out.push(table(rows));
  out.push('');
  out.push('B/state = CheckResult.bytesPerState (fingerprint table + parent links, as allocated); frontier = peak BFS queue (transient);');
  out.push('heap MiB = peak heapUsed sampled / heapTotal at end; SPIN memory is pan\'s "total actual memory usage".');
  out.push('seconds = exploration wall time (SPIN: pan elapsed time, or ./pan wall time below 0.05 s); cpu s = mmcheck process CPU during exploration (incl. GC threads).');
  out.push('SPIN transitions include one ALL_DONE stutter per final state; mmcheck has none.');
  out.push('');
  for (const r of reports) {
    if (r.skipped) {
      out.push(`${r.name}: skipped: ${r.skipped}`);
      continue;
    }
    if (r.mmcheckError) {
      out.push(`${r.name}: mmcheck failed: ${r.mmcheckError}`);
      continue;
    }
    const m = r.mmcheck!;
    const parts: string[] = [`${r.name} (${m.scenario}): ${m.stopReason}${m.exhaustive ? ', exhaustive' : ', NOT exhaustive'}`];
    parts.push(m.specStates > 0 ? `refinement ${m.refinement}, ${m.specStates} spec states` : m.refinement);
    if (m.violation) parts.push(`violation: ${m.violation}`);
    if (r.expectedStates !== undefined)
      parts.push(
        m.states === r.expectedStates
          ? `states = ${int(r.expectedStates)} as SPIN/Rumur agree`
          : `STATE COUNT MISMATCH: ${int(m.states)} vs the agreed ${int(r.expectedStates)}`,
      );
    if (r.spin) {
      parts.push(
        r.countsMatch ? 'SPIN count matches' : `SPIN COUNT DIFFERS (${int(r.spin.states)})`,
        `time mmcheck/SPIN = ${fix(r.ratioToSpin!, 2)}x`,
      );
    } else if (r.spinNote && r.spinNote !== spinNote) parts.push(`SPIN: ${r.spinNote}`);
    out.push(parts.join('; '));
    if (!r.expectedStates) out.push(`  ${m.scenarioDescription}`);
  }
  if (spinNote) out.push(`SPIN: ${spinNote}`);
  out.push('');
  out.push(...targetLines(reports));
  process.stdout.write(out.join('\n') + '\n');
}

interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean | null;
}

function targets(reports: readonly ConfigReport[]): TargetCheck[] {
  const large = reports.find((r) => r.name === 'toy-large' && r.mmcheck);
  const out: TargetCheck[] = [];
  if (!large?.mmcheck) return out;
  const m = large.mmcheck;
  out.push({
    target: `>= ${int(TARGET_STATES_PER_SEC)} distinct states/s on one core (toy-large)`,
    measured: `${int(m.statesPerSecond)}/s`,
    met: m.statesPerSecond >= TARGET_STATES_PER_SEC,
  });
  out.push({
    target: `<= ${TARGET_BYTES_PER_STATE} bytes per visited state (toy-large)`,
    measured: `${fix(m.bytesPerState, 1)} B`,
    met: m.bytesPerState <= TARGET_BYTES_PER_STATE,
  });
  if (large.spin) {
    out.push({
      target: `within ${TARGET_SPIN_RATIO}x of SPIN on this machine (toy-large)`,
      measured: `${fix(m.seconds, 2)} s vs ${fix(large.spin.seconds, 2)} s = ${fix(large.ratioToSpin!, 2)}x`,
      met: large.ratioToSpin! <= TARGET_SPIN_RATIO,
    });
  }
  out.push({
    target: `within ${TARGET_SPIN_RATIO}x of SPIN's reference ${SPIN_REFERENCE_LARGE_SECONDS} s (toy-large, other machine)`,
    measured: `${fix(m.seconds, 2)} s = ${fix(m.seconds / SPIN_REFERENCE_LARGE_SECONDS, 2)}x`,
    met: m.seconds <= TARGET_SPIN_RATIO * SPIN_REFERENCE_LARGE_SECONDS,
  });
  return out;
}

function targetLines(reports: readonly ConfigReport[]): string[] {
  const t = targets(reports);
  if (t.length === 0) return ['targets: toy-large not run'];
  return ['targets:', ...t.map((x) => `  [${x.met ? 'met' : 'MISSED'}] ${x.target}: ${x.measured}`)];
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

async function main(argv: readonly string[]): Promise<number> {
  const o = parseArgs(argv);
  if (o.child) {
    await child(o.child, o);
    return 0;
  }
  const runner = process.execArgv.some((a) => a.includes('tsx')) ? 'tsx' : 'node (compiled)';
  const pml = resolve(repoRoot(), '..', 'shared', 'bench', 'hugetlb-toy.pml');
  let spinNote: string | undefined;
  let spinOk = o.spin;
  if (!o.spin) spinNote = 'not run (--no-spin)';
  else if (!onPath('spin')) {
    spinOk = false;
    spinNote = 'not installed (`command -v spin` fails); install with `apt-get install -y spin`';
  } else if (!onPath('gcc')) {
    spinOk = false;
    spinNote = 'gcc not found; cannot compile pan';
  } else if (!existsSync(pml)) {
    spinOk = false;
    spinNote = `model not found at ${pml} (expected ../shared/bench/hugetlb-toy.pml relative to the repository)`;
  }

  const reports: ConfigReport[] = [];
  for (const cfg of CONFIGS) {
    if (o.only && !o.only.includes(cfg.name)) continue;
    if (!o.json) process.stderr.write(`bench: ${cfg.name} ...\n`);
    let c = runChild(cfg.name, o);
    const mmcheckRuns: number[] = c.mmcheck ? [c.mmcheck.seconds] : [];
    for (let i = 1; i < o.repeat && c.mmcheck; i++) {
      const again = runChild(cfg.name, o);
      if (!again.mmcheck) {
        c = again;
        break;
      }
      mmcheckRuns.push(again.mmcheck.seconds);
      if (again.mmcheck.seconds < c.mmcheck.seconds) c = again;
    }
    if (c.skipped) {
      reports.push({ name: cfg.name, description: cfg.description, skipped: c.skipped });
      continue;
    }
    if (c.error || !c.mmcheck) {
      reports.push({ name: cfg.name, description: cfg.description, mmcheckError: c.error ?? 'no result' });
      continue;
    }
    const rep: { -readonly [K in keyof ConfigReport]: ConfigReport[K] } = {
      name: cfg.name,
      description: cfg.description,
      mmcheck: c.mmcheck,
      mmcheckRuns,
      ...(cfg.expectedStates !== undefined ? { expectedStates: cfg.expectedStates } : {}),
    };
    if (cfg.toy && spinOk) {
      if (!o.json) process.stderr.write(`bench: ${cfg.name} with SPIN ...\n`);
      let s = runSpin(cfg.toy, pml);
      const spinRuns: number[] = typeof s === 'string' ? [] : [s.seconds];
      for (let i = 1; i < o.repeat && typeof s !== 'string'; i++) {
        const again = runSpin(cfg.toy, pml);
        if (typeof again === 'string') break;
        spinRuns.push(again.seconds);
        if (again.seconds < s.seconds) s = again;
      }
      if (typeof s === 'string') rep.spinNote = s;
      else {
        rep.spinRuns = spinRuns;
        rep.spin = s;
        rep.countsMatch = s.states === c.mmcheck.states;
        rep.ratioToSpin = c.mmcheck.seconds / s.seconds;
      }
    } else if (cfg.toy) rep.spinNote = spinNote;
    reports.push(rep);
  }

  if (o.json) {
    process.stdout.write(
      JSON.stringify(
        {
          node: process.version,
          runner,
          spin: spinNote ?? 'ran',
          configs: reports,
          targets: targets(reports),
        },
        null,
        2,
      ) + '\n',
    );
  } else printText(reports, o, runner, spinOk ? undefined : spinNote);

  const bad = reports.some(
    (r) =>
      r.mmcheckError !== undefined ||
      (r.mmcheck && r.expectedStates !== undefined && r.mmcheck.states !== r.expectedStates) ||
      r.countsMatch === false,
  );
  return bad ? 1 : 0;
}

/** Run only as a script (tests import parsePan). */
const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) void runMain();

function runMain(): Promise<void> {
  return main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`bench: ${e instanceof UsageError ? e.message : ((e as Error).stack ?? String(e))}\n`);
      process.exitCode = 2;
    },
  );
}
