/**
 * The worker threads of the parallel BFS (parallel-worker.ts), kept between
 * searches: one pool per thread that runs searches, reused by the next search
 * with the same worker count (another count replaces it), so the scenarios of
 * one `check` run pay the workers' start-up (loading the modules) once. Each
 * search is a job: the workers build the job's model afresh (nothing of a
 * model outlives its job) and serve its commands until FINISH, then report
 * and wait for the next job. Idle workers do not keep the process alive
 * (unref). A job that failed (a worker's error or exit, a search that threw)
 * ends the pool: the next search starts new workers.
 */
import { Worker } from 'node:worker_threads';
import type { WorkerInit, WorkerJob } from './parallel-protocol.js';

/** What a worker posts: an error, or its tallies at the end of a job. */
export interface WorkerReport {
  readonly kind: 'error' | 'counters';
  readonly message?: string;
  readonly counters?: unknown;
  /** Thread CPU seconds since its previous job ended (the first job: since the thread started). */
  readonly cpu?: number;
  /** The part of `cpu` before it served the job's first command: start-up (loading the modules) and building its model. */
  readonly startup?: number;
  readonly expanded?: number;
  /** Its model's Model.cacheMisses in the job. */
  readonly cacheMisses?: number;
  /** Its model's Model.cacheDrops and Model.cachePeakBytes in the job. */
  readonly cacheDrops?: number;
  readonly cachePeakBytes?: number;
}

/** The current job's handlers. */
interface JobHandlers {
  report(i: number, m: WorkerReport): void;
  /** A worker failed or exited outside a report. */
  failed(message: string): void;
}

function workerScript(): { file: string | URL; evalSrc?: string } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    // running from source (tests, tsx): register tsx in the worker first
    const file = new URL('./parallel-worker.ts', here).href;
    return {
      file,
      evalSrc: `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(file)}); })`,
    };
  }
  return { file: new URL('./parallel-worker.js', here) };
}

let idlePool: WorkerPool | undefined;

/** Keep `p` for the next search (ending another idle pool). */
function keepIdle(p: WorkerPool): void {
  if (idlePool && idlePool !== p) void idlePool.destroy();
  idlePool = p;
}

export class WorkerPool {
  readonly workers: Worker[] = [];
  private job: JobHandlers | undefined;
  /** Workers still to report for the last job (a released job they were told to finish). */
  private pending = 0;
  private drained: (() => void) | undefined;
  private dead = false;
  /** Jobs run so far (tests: whether a pool was reused). */
  jobs = 0;

  /** Spawned workers: threads 1..threads-1 of a search in `threads` threads (the coordinator is thread 0). */
  readonly n: number;

  private constructor(readonly threads: number) {
    this.n = threads - 1;
    const { file, evalSrc } = workerScript();
    for (let i = 1; i < threads; i++) {
      const init: WorkerInit = { index: i, threads };
      const w = new Worker(evalSrc ?? file, { eval: evalSrc !== undefined, workerData: init });
      w.on('message', (m: WorkerReport) => {
        if (m.kind === 'error') this.fail(`parallel BFS worker ${i}: ${m.message}`);
        else {
          this.job?.report(i, m);
          if (this.pending > 0 && --this.pending === 0) this.drained?.();
        }
      });
      w.on('error', (e: Error) => this.fail(`parallel BFS worker ${i}: ${e?.stack ?? String(e)}`));
      w.on('exit', (code) => {
        if (!this.dead) this.fail(`parallel BFS worker ${i} exited (code ${code})`);
      });
      this.workers.push(w);
    }
  }

  /** The pool for a search in `threads` threads: the idle one when it is for as many, else a new one. */
  static async acquire(threads: number): Promise<WorkerPool> {
    const p = idlePool;
    idlePool = undefined;
    if (p && p.threads === threads && !p.dead) {
      // ref first: an idle pool's workers are unref'd, and while the last job's reports are still coming
      // (a search that ended before its workers started) nothing else may keep the process alive; Node
      // would exit (code 13, an unsettled top-level await) before this search ran.
      for (const w of p.workers) w.ref();
      await p.drain();
      if (!p.dead) return p;
    }
    if (p) await p.destroy();
    return new WorkerPool(threads);
  }

  /** Wait until every worker has reported for the last job. */
  private drain(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((res) => (this.drained = res));
  }

  /** Start a job: `jobs[i]` to thread i + 1 (each with its MessagePort, transferred). */
  start(jobs: readonly WorkerJob[], handlers: JobHandlers): void {
    this.job = handlers;
    this.jobs++;
    this.pending = this.n;
    jobs.forEach((job, i) => this.workers[i]!.postMessage({ job }, [job.port]));
  }

  private fail(message: string): void {
    if (this.dead) return;
    const job = this.job;
    void this.destroy();
    job?.failed(message);
  }

  /**
   * The job is over (the workers were told to FINISH): keep the pool for the
   * next search. Workers still to report finish in the background.
   */
  release(): void {
    this.job = undefined;
    if (this.dead) return;
    for (const w of this.workers) w.unref();
    keepIdle(this);
  }

  async destroy(): Promise<void> {
    if (this.dead) return;
    this.dead = true;
    this.job = undefined;
    if (idlePool === this) idlePool = undefined;
    this.drained?.();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** End the idle pool, if any (tests; a process that wants its threads gone at once). */
export async function endIdlePool(): Promise<void> {
  await idlePool?.destroy();
}
