/**
 * The bench's report: one table row per tool per configuration, the
 * ratio lines, and the targets of the engine's brief, met or MISSED.
 */
import { availableParallelism } from 'node:os';
import type { ThreadCpu } from '../checker/strategy/thread-cpu.js';
import type { ToolMeasure } from './models.js';

export interface MmcheckMeasure {
  /** Worker threads of the search (1: the sequential BFS). */
  readonly workers?: number;
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
  /** CPU seconds (user + system) of the child during exploration, incl. GC threads. */
  readonly cpuSeconds: number;
  /** 1 worker: CPU seconds of the searching thread alone (Linux). */
  readonly threadCpuSeconds?: number;
  /**
   * cpuSeconds less the search threads' (Linux): the process's other threads,
   * V8's optimizing compiler and garbage collector (one set per isolate: per
   * worker thread), and the main thread's event loop.
   */
  readonly otherCpuSeconds?: number;
  /** Parallel: CPU seconds of each worker thread and of the coordinator between levels (Linux). */
  readonly threadCpu?: ThreadCpu;
  /** The step memo's misses, evictions and peak size (SearchInfo.stepMemo; all threads), when it was on. */
  readonly stepMemo?: { readonly misses: number; readonly drops: number; readonly peakMiB: number };
  readonly wallSeconds: number;
  readonly statesPerSec: number;
  readonly transitionsPerSec: number;
  /** CheckResult.bytesPerState: visited table + trace links, as allocated, per distinct state. */
  readonly bytesPerState: number;
  readonly peakFrontierMiB: number | null;
  /** Peak resident set size of the child (resourceUsage().maxRSS). */
  readonly peakRssMiB: number;
  readonly peakHeapUsedMiB: number;
  readonly heapTotalMiB: number;
}

export interface ConfigReport {
  readonly name: string;
  readonly description: string;
  /** The 1-worker configuration this one parallelizes (Config.baseline). */
  readonly baseline?: string;
  readonly mmcheck?: MmcheckMeasure;
  readonly mmcheckError?: string;
  readonly expectedStates?: number;
  readonly spin?: ToolMeasure;
  readonly rumur?: ToolMeasure;
  /** Why SPIN / Rumur did not run, when they did not. */
  readonly toolNotes?: readonly string[];
  readonly skipped?: string;
  /** Exploration seconds of every run, in the order run (interleaved with the other tools). */
  readonly runs?: {
    readonly mmcheck: readonly number[];
    readonly spin: readonly number[];
    readonly rumur: readonly number[];
  };
}

const TARGET_REAL_STATES_PER_SEC = 300_000;
const TARGET_BYTES_PER_STATE = 16;
const TARGET_RSS_BYTES_PER_STATE = 60;
const TARGET_SPIN_RATE_RATIO = 1.0;
const TARGET_PARALLEL_SPEEDUP = 1.7;

/** A parallel configuration whose counts differ from its 1-worker baseline: what differs. */
export function baselineMismatch(r: ConfigReport, reports: readonly ConfigReport[]): string | undefined {
  const base = r.baseline ? reports.find((b) => b.name === r.baseline)?.mmcheck : undefined;
  const m = r.mmcheck;
  if (!base || !m) return undefined;
  const a = [base.states, base.transitions, base.maxDepth, base.stopReason];
  const b = [m.states, m.transitions, m.maxDepth, m.stopReason];
  return a.every((x, i) => x === b[i]) ? undefined : `${b.join('/')} vs ${a.join('/')} (states/transitions/depth/stop)`;
}

/** Wall-time speedup of a parallel configuration over its baseline (fastest runs). */
function speedup(r: ConfigReport, reports: readonly ConfigReport[]): number | undefined {
  const base = r.baseline ? reports.find((b) => b.name === r.baseline)?.mmcheck : undefined;
  return base && r.mmcheck ? base.seconds / r.mmcheck.seconds : undefined;
}

/**
 * The speedup the thread clocks predict when every thread has a core of its
 * own: the baseline's search thread CPU over the parallel run's critical path
 * (its busiest worker plus the coordinator's serial work between levels).
 * Unlike wall time it does not depend on what else the machine runs; it
 * leaves out contention for memory bandwidth and caches between the workers.
 */
function cpuSpeedup(r: ConfigReport, reports: readonly ConfigReport[]): number | undefined {
  const base = r.baseline ? reports.find((b) => b.name === r.baseline)?.mmcheck : undefined;
  const t = r.mmcheck?.threadCpu;
  if (base?.threadCpuSeconds === undefined || !t) return undefined;
  return base.threadCpuSeconds / (Math.max(...t.workers) + t.serial);
}

/** All the search threads' CPU (the coordinator's serial work included) over the 1-worker search thread's: the work parallelism adds. */
function workInflation(t: ThreadCpu, baseThreadCpu: number): number {
  return (t.workers.reduce((a, b) => a + b, 0) + t.serial) / baseThreadCpu;
}

const CORES = availableParallelism();
const int = (n: number) => Math.round(n).toLocaleString('en-US');
const fix = (n: number, d: number) => (Number.isFinite(n) ? n.toFixed(d) : '-');
const MiB = 1024 * 1024;

function table(rows: string[][]): string {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ')).join('\n');
}

function rows(reports: readonly ConfigReport[]): string[][] {
  const out = [
    [
      'config',
      'tool',
      'distinct',
      'transitions',
      'seconds',
      'cpu s',
      'states/s',
      'B/state',
      'RSS B/state',
      'peak RSS MiB',
    ],
  ];
  for (const r of reports) {
    if (!r.mmcheck) continue;
    const m = r.mmcheck;
    out.push([
      r.name,
      (m.workers ?? 1) > 1 ? `mmcheck x${m.workers}` : 'mmcheck',
      int(m.states),
      int(m.transitions),
      fix(m.seconds, 2),
      fix(m.cpuSeconds, 2),
      int(m.statesPerSec),
      fix(m.bytesPerState, 1),
      fix((m.peakRssMiB * MiB) / m.states, 0),
      fix(m.peakRssMiB, 0),
    ]);
    for (const [tool, t] of [
      ['SPIN', r.spin],
      ['Rumur', r.rumur],
    ] as const)
      if (t)
        out.push([
          '',
          tool,
          int(t.states),
          int(t.transitions),
          fix(t.seconds, 2),
          '',
          int(t.statesPerSecond),
          '',
          fix((t.memoryMiB * MiB) / t.states, 0),
          `${fix(t.memoryMiB, 0)}`,
        ]);
  }
  return out;
}

export function targets(reports: readonly ConfigReport[]): { target: string; measured: string; met: boolean }[] {
  const out: { target: string; measured: string; met: boolean }[] = [];
  const large = reports.find((r) => r.name === 'toy-large')?.mmcheck;
  const spin = reports.find((r) => r.name === 'toy-large')?.spin;
  if (large && spin) {
    const ratio = large.statesPerSec / spin.statesPerSecond;
    out.push({
      target: `toy-large >= ${TARGET_SPIN_RATE_RATIO}x SPIN -DNOREDUCE distinct states/s`,
      measured: `${fix(ratio, 2)}x (${int(large.statesPerSec)} vs ${int(spin.statesPerSecond)}/s)`,
      met: ratio >= TARGET_SPIN_RATE_RATIO,
    });
  }
  if (large) {
    out.push({
      target: `toy-large <= ${TARGET_BYTES_PER_STATE} B per visited state`,
      measured: `${fix(large.bytesPerState, 1)} B`,
      met: large.bytesPerState <= TARGET_BYTES_PER_STATE,
    });
    const rss = (large.peakRssMiB * MiB) / large.states;
    out.push({
      target: `toy-large <= ${TARGET_RSS_BYTES_PER_STATE} B/state peak RSS`,
      measured: `${fix(rss, 0)} B`,
      met: rss <= TARGET_RSS_BYTES_PER_STATE,
    });
  }
  for (const r of reports) {
    const x = speedup(r, reports);
    const c = cpuSpeedup(r, reports);
    if (x !== undefined && r.mmcheck)
      out.push({
        target: `${r.name}: >= ${TARGET_PARALLEL_SPEEDUP}x ${r.baseline} with ${r.mmcheck.workers ?? 1} workers (same counts)`,
        measured: `${fix(x, 2)}x wall${c !== undefined ? ` (${fix(c, 2)}x by thread CPU)` : ''}${baselineMismatch(r, reports) ? ' but COUNTS DIFFER' : ''}`,
        met: x >= TARGET_PARALLEL_SPEEDUP && baselineMismatch(r, reports) === undefined,
      });
  }
  for (const r of reports)
    if (r.mmcheck && /^(hugetlb|thp)/.test(r.name))
      out.push({
        target: `${r.name} >= ${int(TARGET_REAL_STATES_PER_SEC)} states/s`,
        measured: `${int(r.mmcheck.statesPerSec)}/s`,
        met: r.mmcheck.statesPerSec >= TARGET_REAL_STATES_PER_SEC,
      });
  return out;
}

/** The step memo's figures of a run (SearchInfo.stepMemo). */
function memoText(m: MmcheckMeasure): string {
  const s = m.stepMemo!;
  const whose = (m.workers ?? 1) > 1 ? " (the largest thread's)" : '';
  return `step memo: ${int(s.misses)} steps run, ${int(s.drops)} evictions, peak ${fix(s.peakMiB, 1)} MiB${whose}`;
}

export function printText(reports: readonly ConfigReport[], header: string): string {
  const out: string[] = [header, '', table(rows(reports)), ''];
  out.push(
    'B/state = visited table + trace links per distinct state (as allocated); RSS B/state = peak RSS / distinct states (SPIN, Rumur: their memory / states).',
  );
  out.push(
    'seconds = search time (SPIN: pan elapsed time; Rumur: checker wall time); cpu s = mmcheck CPU during exploration incl. GC threads.',
  );
  out.push('SPIN transitions include one ALL_DONE stutter per final state; mmcheck has none.');
  out.push('');
  for (const r of reports) {
    if (r.skipped) out.push(`${r.name}: skipped: ${r.skipped}`);
    else if (!r.mmcheck) out.push(`${r.name}: mmcheck failed: ${r.mmcheckError}`);
    else {
      const m = r.mmcheck;
      const parts = [`${r.name} (${m.scenario}): ${m.stopReason}${m.exhaustive ? ', exhaustive' : ', NOT exhaustive'}`];
      parts.push(m.specStates > 0 ? `refinement ${m.refinement}, ${m.specStates} spec states` : m.refinement);
      if (m.violation) parts.push(`violation: ${m.violation}`);
      if (m.stepMemo) parts.push(memoText(m));
      if ((m.workers ?? 1) > 1) parts.push(`${m.workers} workers`);
      if (r.baseline) {
        const bad = baselineMismatch(r, reports);
        const x = speedup(r, reports);
        parts.push(
          bad
            ? `COUNTS DIFFER from ${r.baseline}: ${bad}`
            : x === undefined
              ? `${r.baseline} not run: no speedup (run both, e.g. --only ${r.baseline},${r.name})`
              : `counts equal ${r.baseline}'s; speedup ${fix(x, 2)}x wall time (the machine may be shared: see the load average)`,
        );
        const c = cpuSpeedup(r, reports);
        const t = m.threadCpu;
        if (t)
          parts.push(
            `thread CPU s: threads ${t.workers.map((w) => fix(w, 2)).join('/')} (${t.startup ? `start-up ${t.startup.map((w) => fix(w, 2)).join('/')}, ` : ''}states expanded ${t.expanded.map(int).join('/')}${t.cacheMisses ? `, step-memo misses ${t.cacheMisses.map(int).join('/')}` : ''}), coordinator between levels ${fix(t.serial, 2)}` +
              (t.cacheDrops && t.cacheDrops.some((d) => d > 0)
                ? `; step-memo evictions ${t.cacheDrops.map(int).join('/')}`
                : '') +
              (c !== undefined
                ? `; ${r.baseline}'s search thread ${fix(reports.find((b) => b.name === r.baseline)!.mmcheck!.threadCpuSeconds!, 2)}: ${fix(c, 2)}x with a core per thread (critical path: busiest thread + serial), all threads' CPU ${fix(workInflation(t, reports.find((b) => b.name === r.baseline)!.mmcheck!.threadCpuSeconds!), 2)}x its`
                : ''),
          );
        if (t?.levels && t.waited)
          parts.push(
            `levels ${t.levels.together} with the workers, ${t.levels.alone} alone; coordinator waited ${fix(t.waited.level, 2)} s wall at level ends, ${fix(t.waited.startup, 2)} s for the workers' start-up`,
          );
        const baseOther = reports.find((b) => b.name === r.baseline)?.mmcheck?.otherCpuSeconds;
        if (m.otherCpuSeconds !== undefined)
          parts.push(
            `process CPU ${fix(m.cpuSeconds, 2)} s, of which ${fix(m.otherCpuSeconds, 2)} s outside the search threads (V8 compiler and GC, per isolate)${baseOther !== undefined ? `, ${r.baseline}: ${fix(baseOther, 2)} s` : ''}; all of it shares the cores: wall time on ${CORES} cores is at least ${fix(m.cpuSeconds / CORES, 2)} s`,
          );
      }
      if (r.expectedStates !== undefined)
        parts.push(
          m.states === r.expectedStates
            ? `states = ${int(r.expectedStates)} as SPIN/Rumur agree`
            : `STATE COUNT MISMATCH: ${int(m.states)} vs ${int(r.expectedStates)}`,
        );
      for (const [tool, t] of [
        ['SPIN', r.spin],
        ['Rumur', r.rumur],
      ] as const)
        if (t)
          parts.push(
            `${tool} ${t.states === m.states ? 'count matches' : `COUNT DIFFERS (${int(t.states)})`}, mmcheck/${tool} states/s = ${fix(m.statesPerSec / t.statesPerSecond, 2)}x`,
          );
      for (const n of r.toolNotes ?? []) parts.push(n);
      out.push(parts.join('; '));
      if (r.runs && r.runs.mmcheck.length > 1)
        out.push(
          `  interleaved runs (s): mmcheck ${r.runs.mmcheck.map((x) => fix(x, 2)).join(' ')}${r.runs.spin.length ? `; SPIN ${r.runs.spin.map((x) => fix(x, 2)).join(' ')}` : ''}${r.runs.rumur.length ? `; Rumur ${r.runs.rumur.map((x) => fix(x, 2)).join(' ')}` : ''}`,
        );
      if (!r.expectedStates) out.push(`  ${m.scenarioDescription}`);
    }
  }
  const t = targets(reports);
  out.push('', t.length ? 'targets:' : 'targets: toy-large not run');
  for (const x of t) out.push(`  [${x.met ? 'met' : 'MISSED'}] ${x.target}: ${x.measured}`);
  return out.join('\n') + '\n';
}
