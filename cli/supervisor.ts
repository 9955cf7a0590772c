/**
 * Runs the selected scenarios and keeps the run honest about its limits:
 *   - each scenario is explored in a worker thread, so `--time-limit` can
 *     terminate a step that never returns (the result is INCONCLUSIVE and names
 *     the step, read from the shared watch word);
 *   - SIGINT/SIGTERM ask every worker to stop (shared stop word), collect the
 *     partial results, and report the scenarios that never started;
 *   - a heartbeat line goes to stderr every N seconds when stderr is not a TTY.
 * Without a registry module (a test's own in-memory subsystems) the scenarios
 * run in this thread, where only the checker's own time check applies.
 */
import type { SearchOptions } from './search-flags.js';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { checkScenario, type Progress } from '../checker/check.js';
import { alternativeImpl } from '../checker/impls.js';
import type { CheckResult } from '../checker/result.js';
import type { Scenario, Subsystem } from '../checker/types.js';
import type { Job, WorkerMessage } from './worker.js';

export interface JobSpec {
  readonly sub: Subsystem;
  readonly scenario: Scenario;
  readonly variant: string | null;
  /** A buggy variant run: the violation is the expected outcome. */
  readonly expectViolation: boolean;
}

/** What became of one job. `result` is absent when the worker was terminated or the job never started. */
export interface JobEnd {
  readonly result?: CheckResult;
  /** Set when there is no result: why (hung step, interrupted before start, worker crash). */
  readonly stopped?: { readonly reason: 'time-limit' | 'interrupted' | 'not-started'; readonly detail: string };
  /** The last progress seen (states, depth) when there is no result. */
  readonly progress?: Progress;
  /** A checker/subsystem error (a usage-class problem: the scenario cannot be run). */
  readonly error?: string;
}

export interface SuperviseOptions {
  readonly parallel: number;
  readonly maxStates?: number;
  readonly timeLimitSeconds?: number;
  /** Strategy and visited store (--strategy, --max-depth, --bitstate). */
  readonly search?: SearchOptions;
  /** Module URL exporting `registry` for workers; undefined runs in this thread. */
  readonly registryModule?: string;
  /** Seconds between heartbeat lines on stderr (0: none). */
  readonly heartbeatSeconds: number;
  readonly heartbeat: (line: string) => void;
  readonly onProgress?: (id: number, p: Progress) => void;
  readonly onEnd?: (id: number, end: JobEnd) => void;
}

const WATCH_WORDS = 5;

/** The step a watch word names, e.g. `T1 mmap(v=0, kind=shared) › region_chg`. */
export function watchedStep(job: JobSpec, w: Int32Array): string {
  const [t, slot, alt, step] = [w[0]!, w[1]!, w[2]!, w[3]!];
  const c = job.scenario.threads[t]?.[slot]?.[alt];
  if (t < 0 || !c) return 'no step had started';
  const name = job.sub.impl.ops[c.op]?.steps[step]?.name ?? `step ${step}`;
  const args = Object.entries(c.args)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ');
  const where = `T${t} ${c.op}(${args}) › ${name}`;
  return w[4] === 1
    ? `step ${where} did not return`
    : `the checker was stuck outside any step (spec, invariant or abstraction) after step ${where}`;
}

function workerFactory(registryModule: string): () => Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    // running from source (tests, tsx): register tsx in the worker first
    const file = new URL('./worker.ts', here).href;
    const src = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(file)}); })`;
    return () => new Worker(src, { eval: true, workerData: { registryModule } });
  }
  const file = fileURLToPath(new URL('./worker.js', here));
  return () => new Worker(file, { workerData: { registryModule } });
}

/** Run every job; resolves when all ended (or were stopped). `interrupt()` ends the run early. */
export class Supervisor {
  private readonly stop = new Int32Array(new SharedArrayBuffer(4));
  private readonly ends: (JobEnd | undefined)[];
  private readonly progress: (Progress | undefined)[];
  /** When each job last reported progress (performance.now()). */
  private readonly progressAt: number[] = [];
  private readonly started: number[] = [];
  private interrupted = false;
  private finish: (() => void) | undefined;
  private readonly live = new Map<Worker, { id: number; watch: Int32Array; since: number; timer?: NodeJS.Timeout }>();
  private next = 0;
  private readonly t0 = performance.now();

  constructor(
    private readonly jobs: readonly JobSpec[],
    private readonly o: SuperviseOptions,
  ) {
    this.ends = new Array(jobs.length);
    this.progress = new Array(jobs.length);
  }

  get wasInterrupted(): boolean {
    return this.interrupted;
  }

  async run(): Promise<JobEnd[]> {
    const beat =
      this.o.heartbeatSeconds > 0
        ? setInterval(() => this.o.heartbeat(this.heartbeatLine()), this.o.heartbeatSeconds * 1000)
        : undefined;
    beat?.unref();
    try {
      if (this.o.registryModule === undefined) this.runHere();
      else await this.runInWorkers(this.o.registryModule);
    } finally {
      if (beat) clearInterval(beat);
    }
    return this.jobs.map(
      (_, i) => this.ends[i] ?? { stopped: { reason: 'not-started', detail: 'interrupted before it started' } },
    );
  }

  /** SIGINT/SIGTERM: ask running searches to stop; after `graceMs` terminate what still runs. */
  interrupt(graceMs = 2000): void {
    if (this.interrupted) {
      // oxlint-disable-next-line unicorn/no-useless-spread -- kill() deletes from the map being iterated
      for (const w of [...this.live.keys()]) this.kill(w, 'interrupted', 'interrupted (second signal)');
      return;
    }
    this.interrupted = true;
    Atomics.store(this.stop, 0, 1);
    setTimeout(() => {
      // oxlint-disable-next-line unicorn/no-useless-spread -- kill() deletes from the map being iterated
      for (const w of [...this.live.keys()])
        this.kill(w, 'interrupted', 'interrupted; the search did not stop within the grace period');
    }, graceMs).unref();
  }

  heartbeatLine(): string {
    const done = this.ends.filter((e) => e !== undefined).length;
    const sec = Math.round((performance.now() - this.t0) / 1000);
    const now = performance.now();
    const running = [...this.live.values()].map(({ id, watch, since }) => {
      const j = this.jobs[id]!;
      const p = this.progress[id];
      // name the step only when the search looks stuck: no progress report for 5 s
      const quiet = now - (this.progressAt[id] ?? since) > 5000;
      const step =
        quiet && watch[4] === 1
          ? `, no progress for ${Math.round((now - (this.progressAt[id] ?? since)) / 1000)} s, in ${watchedStep(j, watch).replace(/^step | did not return$/g, '')}`
          : '';
      return `${j.sub.name}/${j.scenario.name} (${p ? `${p.states} states, depth ${p.depth}` : 'starting'}${step})`;
    });
    return `mmcheck: ${sec} s, ${done}/${this.jobs.length} scenarios done${running.length ? `; running ${running.join(', ')}` : ''}`;
  }

  private end(id: number, e: JobEnd): void {
    if (this.ends[id] !== undefined) return;
    this.ends[id] = e;
    this.o.onEnd?.(id, e);
  }

  private runHere(): void {
    for (const [id, j] of this.jobs.entries()) {
      if (this.interrupted) break;
      this.started.push(id);
      try {
        const result = checkScenario(j.sub, j.scenario, {
          variant: j.variant,
          ...(this.o.maxStates !== undefined ? { maxStates: this.o.maxStates } : {}),
          ...(this.o.timeLimitSeconds !== undefined ? { timeLimitSeconds: this.o.timeLimitSeconds } : {}),
          ...this.o.search,
          stop: this.stop,
          progress: (p) => {
            this.progress[id] = p;
            this.o.onProgress?.(id, p);
          },
        });
        this.end(id, { result });
      } catch (e) {
        this.end(id, { error: (e as Error)?.message ?? String(e) });
      }
    }
  }

  private runInWorkers(registryModule: string): Promise<void> {
    const spawn = workerFactory(registryModule);
    this.spawnFn = spawn;
    return new Promise((resolve) => {
      this.finish = resolve;
      const n = Math.max(1, Math.min(this.o.parallel, this.jobs.length));
      if (this.jobs.length === 0) resolve();
      for (let i = 0; i < n; i++) this.feed(spawn);
    });
  }

  private feed(spawn: () => Worker, reuse?: Worker): void {
    if (this.next >= this.jobs.length || this.interrupted) {
      if (reuse) void reuse.terminate();
      if (this.live.size === 0) this.finish?.();
      return;
    }
    const id = this.next++;
    const w = reuse ?? this.startWorker(spawn);
    const watch = new Int32Array(new SharedArrayBuffer(4 * WATCH_WORDS)).fill(-1);
    const slot: { id: number; watch: Int32Array; since: number; timer?: NodeJS.Timeout } = {
      id,
      watch,
      since: performance.now(),
    };
    const limit = this.o.timeLimitSeconds;
    this.live.set(w, slot);
    this.started.push(id);
    const j = this.jobs[id]!;
    const msg: Job = {
      id,
      subsystem: j.sub.name,
      ...(alternativeImpl(j.sub) !== undefined ? { impl: alternativeImpl(j.sub) } : {}),
      scenario: j.scenario,
      variant: j.variant,
      ...(this.o.maxStates !== undefined ? { maxStates: this.o.maxStates } : {}),
      ...(limit !== undefined ? { timeLimitSeconds: limit } : {}),
      ...this.o.search,
      watch,
      stop: this.stop,
    };
    try {
      w.postMessage(msg);
    } catch (e) {
      // a scenario that cannot be cloned to a worker (a function in it): this job fails, the others go on,
      // and the worker that never got a job must not keep the process alive
      this.live.delete(w);
      void w.terminate();
      this.end(id, {
        error: `the scenario cannot be sent to a worker thread: ${(e as Error)?.message?.split('\n')[0] ?? String(e)}`,
      });
      this.feed(spawn);
    }
  }

  private startWorker(spawn: () => Worker): Worker {
    const w = spawn();
    w.on('message', (m: WorkerMessage) => {
      const slot = this.live.get(w);
      if (!slot || slot.id !== m.id) return;
      if (m.kind === 'started') {
        const limit = this.o.timeLimitSeconds;
        if (limit !== undefined) {
          // the search checks the clock itself between states; a step that never returns cannot,
          // so terminate the worker once it overruns the limit by a grace period
          const grace = Math.max(2000, limit * 100);
          slot.timer = setTimeout(
            () => this.kill(w, 'time-limit', `--time-limit ${limit} s: ${watchedStep(this.jobs[m.id]!, slot.watch)}`),
            limit * 1000 + grace,
          );
        }
        return;
      }
      if (m.kind === 'progress') {
        this.progress[m.id] = m.progress;
        this.progressAt[m.id] = performance.now();
        this.o.onProgress?.(m.id, m.progress);
        return;
      }
      if (slot.timer) clearTimeout(slot.timer);
      this.live.delete(w);
      this.end(m.id, m.kind === 'result' ? { result: m.result as CheckResult } : { error: m.message });
      this.feed(spawn, w);
    });
    w.on('error', (e) => {
      const slot = this.live.get(w);
      if (!slot) return;
      if (slot.timer) clearTimeout(slot.timer);
      this.live.delete(w);
      this.end(slot.id, { error: `the checker worker failed: ${(e as Error)?.message ?? String(e)}` });
      this.feed(spawn);
    });
    w.on('exit', (code) => {
      const slot = this.live.get(w);
      if (!slot) return;
      if (slot.timer) clearTimeout(slot.timer);
      this.live.delete(w);
      this.end(slot.id, { error: `a checker worker exited with code ${code} (out of memory?)` });
      this.feed(spawn);
    });
    return w;
  }

  private kill(w: Worker, reason: 'time-limit' | 'interrupted', detail: string): void {
    const slot = this.live.get(w);
    if (!slot) return;
    if (slot.timer) clearTimeout(slot.timer);
    this.live.delete(w);
    const p = this.progress[slot.id];
    this.end(slot.id, { stopped: { reason, detail }, ...(p ? { progress: p } : {}) });
    void w.terminate();
    this.feed(this.spawnFn!);
  }

  private spawnFn: (() => Worker) | undefined;
}
