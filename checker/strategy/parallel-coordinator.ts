/**
 * The coordinator of the parallel BFS (parallel-bfs.ts): thread 0 of the
 * search. It owns the shared stores (control words, frontier, fingerprint
 * table, trace links), starts the workers (parallel-pool.ts), commands them,
 * expands its own part of each level (parallel-expand.ts), rebuilds the
 * table between levels and gathers the threads' tallies and CPU figures.
 */
import { MessageChannel } from 'node:worker_threads';
import type { Model } from '../model.js';
import { createFrontier, Frontier } from '../store/frontier.js';
import { Links } from '../store/queue.js';
import { SharedFingerprintTable } from '../store/shared-visited.js';
import { LevelExpander } from './parallel-expand.js';
import { copyLinks, finishOrder, levelStates, orderKeys, orderRange, RangeScratch } from './parallel-order.js';
import { WorkerPool } from './parallel-pool.js';
import * as P from './parallel-protocol.js';
import type { SearchLimits } from './search.js';
import { threadCpuSeconds, type ThreadCpu } from './thread-cpu.js';

const { ABORT, C, CMD, controlWords } = P;

/** Atomics.waitAsync (Node 16+; in TypeScript's lib from es2024). */
interface AtomicsWaitAsync {
  waitAsync(a: Int32Array, i: number, v: number, ms: number): { value: Promise<string> | string };
}

/** Most a rebuilt table is loaded by the states it must hold. */
const RESIZE_LOAD = 0.5;

export class Coordinator {
  readonly ctl: Int32Array;
  /** Spawned workers (threads 1..n-1). */
  readonly spawned: number;
  /** The coordinator's own part of a level (thread 0). */
  readonly expander: LevelExpander;
  private readonly deadline: number | undefined;
  readonly frontier: Frontier;
  table: SharedFingerprintTable;
  readonly links = new Links();
  private pool: WorkerPool | undefined;
  readonly ports: MessageChannel[] = [];
  private error: string | undefined;
  /** Workers that reported their tallies. */
  private reported = 0;
  private allReported: (() => void) | undefined;
  /** Per thread (0: the coordinator's own part of the levels). */
  private readonly counters: unknown[] = [];
  private readonly cpu: (number | undefined)[] = [];
  private readonly startup: (number | undefined)[] = [];
  private readonly expanded: number[] = [];
  private readonly misses: number[] = [];
  private readonly drops: number[] = [];
  private readonly peakBytes: number[] = [];
  /** Coordinator CPU seconds between levels (undefined: no thread clock). */
  serial: number | undefined = 0;
  /** Whether the workers were spawned (or taken from the idle pool). */
  started = false;

  constructor(
    readonly model: Model,
    readonly n: number,
    private readonly minLog2: number,
    limits: SearchLimits,
  ) {
    this.spawned = n - 1;
    this.ctl = new Int32Array(new SharedArrayBuffer(4 * controlWords(n)));
    this.frontier = new Frontier(createFrontier(n));
    this.table = SharedFingerprintTable.create(minLog2);
    this.deadline = limits.timeLimitSeconds !== undefined ? Date.now() + limits.timeLimitSeconds * 1000 : undefined;
    this.expander = new LevelExpander(this.ctl, 0, n, limits.stop, this.deadline);
    this.cpu[0] = 0;
    this.startup[0] = 0;
    this.expanded[0] = 0;
  }

  /** Start the workers of a pool (kept from an earlier search, or new): they join once ready. */
  async start(source: P.ModelSource, limits: SearchLimits): Promise<void> {
    this.started = true;
    if (this.spawned === 0) return;
    const pool = (this.pool = await WorkerPool.acquire(this.n));
    this.reusedPool = pool.jobs > 0;
    const deadline = this.deadline;
    const jobs: P.WorkerJob[] = [];
    for (let i = 0; i < this.spawned; i++) {
      const ch = new MessageChannel();
      jobs.push({
        ctl: this.ctl.buffer as SharedArrayBuffer,
        frontier: this.frontier.buffers,
        table: this.table.buffer,
        port: ch.port2,
        source,
        ...(limits.stop ? { stop: limits.stop.buffer as SharedArrayBuffer } : {}),
        ...(deadline !== undefined ? { deadline } : {}),
      });
      this.ports.push(ch);
    }
    pool.start(jobs, {
      report: (i, m) => {
        this.counters[i] = m.counters;
        this.cpu[i] = m.cpu;
        this.startup[i] = m.startup;
        this.expanded[i] = m.expanded ?? 0;
        this.misses[i] = m.cacheMisses ?? 0;
        this.drops[i] = m.cacheDrops ?? 0;
        this.peakBytes[i] = m.cachePeakBytes ?? 0;
        if (++this.reported === this.spawned) this.allReported?.();
      },
      failed: (message) => this.fail(message),
    });
  }

  /** Whether the workers came from an earlier search's pool. */
  reusedPool = false;

  private fail(message: string): void {
    this.error ??= message;
    this.allReported?.();
    Atomics.or(this.ctl, C.ABORT, ABORT.ERROR);
    // wake the coordinator's waits
    Atomics.add(this.ctl, C.DONE, 1 << 20);
    Atomics.notify(this.ctl, C.DONE);
    Atomics.add(this.ctl, C.READY, 1 << 20);
    Atomics.notify(this.ctl, C.READY);
  }

  /** Wall seconds the coordinator waited for the workers: at the end of levels and rebuilds, and for their start-up. */
  private waited = { level: 0, startup: 0 };
  /** Levels expanded with the workers, and by the coordinator alone (before the workers were ready). */
  levels = { together: 0, alone: 0 };

  /** Resolve when ctl[i] reaches `want` (or a worker failed); the wait counts as `what`'s. */
  async until(i: number, want: number, what: 'level' | 'startup' = 'level'): Promise<void> {
    const t0 = performance.now();
    try {
      await this.untilReached(i, want);
    } finally {
      this.waited[what] += (performance.now() - t0) / 1000;
    }
  }

  private async untilReached(i: number, want: number): Promise<void> {
    for (;;) {
      const v = Atomics.load(this.ctl, i);
      if (v >= want || this.error) break;
      const r = (Atomics as unknown as AtomicsWaitAsync).waitAsync(this.ctl, i, v, 200);
      await r.value;
    }
    if (this.error) throw new Error(this.error);
  }

  command(cmd: number): void {
    Atomics.store(this.ctl, C.CMD, cmd);
    Atomics.store(this.ctl, C.DONE, 0);
    Atomics.add(this.ctl, C.GEN, 1);
    Atomics.notify(this.ctl, C.GEN);
  }

  /** Tell the workers to report; their tallies go into the coordinator's model; the pool waits for the next search. */
  async finish(discardLast: boolean): Promise<void> {
    const got = new Promise<void>((res) => (this.allReported = res));
    this.command(discardLast ? CMD.FINISH_DISCARD : CMD.FINISH);
    if (this.reported < this.spawned && !this.error) await got;
    for (const ch of this.ports) ch.port1.close();
    if (this.error) throw new Error(this.error);
    this.pool?.release();
    for (const c of this.counters) if (c !== undefined && c !== null) this.model.addCounters?.(c);
  }

  /**
   * The search ended before the workers ran a level: they have nothing to
   * report. Tell them to finish (once started) without waiting for them; the
   * pool's next search waits for them instead.
   */
  abandon(): void {
    this.command(CMD.FINISH_DISCARD);
    for (const ch of this.ports) ch.port1.close();
    if (this.error) throw new Error(this.error);
    this.pool?.release();
  }

  /** Per-thread CPU after `finish` (undefined without a thread clock, or when the workers never ran). */
  threadCpu(): ThreadCpu | undefined {
    const workers = this.cpu.filter((c): c is number => c !== undefined);
    const startup = this.startup.filter((c): c is number => c !== undefined);
    if (!this.started || workers.length !== this.n || this.serial === undefined) return undefined;
    this.misses[0] = this.model.cacheMisses ?? 0;
    this.drops[0] = this.model.cacheDrops ?? 0;
    this.peakBytes[0] = this.model.cachePeakBytes ?? 0;
    return {
      workers,
      ...(startup.length === this.n ? { startup } : {}),
      expanded: [...this.expanded],
      ...(this.model.cacheMisses !== undefined ? { cacheMisses: [...this.misses] } : {}),
      ...(this.model.cacheDrops !== undefined ? { cacheDrops: [...this.drops] } : {}),
      ...(this.model.cachePeakBytes !== undefined ? { cachePeakBytes: [...this.peakBytes] } : {}),
      serial: this.serial,
      reused: this.reusedPool,
      levels: { ...this.levels },
      waited: { ...this.waited },
    };
  }

  /** The coordinator's part of the current level (thread 0), timed on its thread clock as thread 0's. */
  expandHere(): void {
    this.asThread0(() => {
      this.copyDueLinks();
      this.frontier.refresh();
      this.expanded[0]! += this.expander.expandLevel(this.model, this.table, this.frontier);
    });
  }

  /** orderRange's scratch for the coordinator's range. */
  private readonly rangeScratch = new RangeScratch();

  /**
   * Order the level just expanded by every thread (parallel-level.ts): the
   * coordinator's part of each step is timed as thread 0's work, what only it
   * does (room for the order, the shares and trace links) as serial work.
   * Returns the next level's size.
   */
  async orderTogether(count: number): Promise<number> {
    const f = this.frontier;
    const m = levelStates(this.ctl, this.n);
    this.command(CMD.ORDER_KEYS);
    this.asThread0(() => {
      f.refresh();
      orderKeys(this.ctl, f, this.n, 0);
    });
    await this.until(C.DONE, this.spawned);
    if (Atomics.load(this.ctl, C.ABORT) & ABORT.ERROR) await this.workerFailed();
    this.serially(() => f.reserveOrder(m));
    this.command(CMD.ORDER_RANGE);
    this.asThread0(() => {
      f.refresh();
      orderRange(this.ctl, f, this.n, 0, this.rangeScratch);
    });
    await this.until(C.DONE, this.spawned);
    if (Atomics.load(this.ctl, C.ABORT) & ABORT.ERROR) await this.workerFailed();
    this.serially(() => finishOrder(this, m));
    this.linksDue = { count, m };
    return m;
  }

  /** Trace links of a level ordered together, still in frontier.ranked (copyLinks). */
  private linksDue: { count: number; m: number } | undefined;

  /**
   * Copy the links of the last level ordered together: at the start of the
   * coordinator's part of the next level (as thread 0's work, while the
   * workers expand), or before the links are read.
   */
  copyDueLinks(): void {
    const d = this.linksDue;
    if (!d) return;
    this.linksDue = undefined;
    copyLinks(this, d.count, d.m);
  }

  /** Time `fn` on the coordinator's thread clock as thread 0's part of a level. */
  private asThread0(fn: () => void): void {
    const c0 = threadCpuSeconds();
    fn();
    const c1 = threadCpuSeconds();
    this.cpu[0] = c0 === undefined || c1 === undefined || this.cpu[0] === undefined ? undefined : this.cpu[0] + c1 - c0;
  }

  /** Time `fn` on the coordinator's thread clock, as serial work. */
  serially<R>(fn: () => R): R {
    const c0 = threadCpuSeconds();
    const r = fn();
    const c1 = threadCpuSeconds();
    this.serial = c0 === undefined || c1 === undefined || this.serial === undefined ? undefined : this.serial + c1 - c0;
    return r;
  }

  /** A worker set ABORT.ERROR: wait for its message (it posts it before it counts itself done), and throw it. */
  async workerFailed(): Promise<never> {
    for (let i = 0; i < 100 && !this.error; i++) await new Promise((res) => setTimeout(res, 50));
    throw new Error(this.error ?? 'parallel BFS: a worker failed and sent no message');
  }

  /** Let the event loop deliver the workers' messages; throws when one failed. */
  async yieldToEvents(): Promise<void> {
    await new Promise((res) => setImmediate(res));
    if (this.error) throw new Error(this.error);
  }

  /** A search that failed: its workers end (the next search starts new ones). */
  async terminate(): Promise<void> {
    await this.pool?.destroy();
    for (const ch of this.ports) ch.port1.close();
  }

  /**
   * Rebuild the table with room for `need` entries, keeping entries whose tag
   * is at most `maxTag`: by every thread, each copying a share of the slots,
   * once the workers serve commands (`parallel`), else here.
   */
  async resize(need: number, maxTag: number, parallel: boolean): Promise<void> {
    let log2 = Math.max(this.minLog2, Math.log2(this.table.capacity));
    while (2 ** log2 * RESIZE_LOAD < need) log2++;
    if (log2 > 29) throw new Error(`parallel BFS: the fingerprint table would need more than 2^29 slots`);
    const old = this.table;
    if (!parallel) this.table = this.serially(() => old.rebuilt(log2, (tag) => tag <= maxTag));
    else this.table = SharedFingerprintTable.create(log2);
    for (const ch of this.ports) ch.port1.postMessage({ table: this.table.buffer });
    this.expander.forget();
    if (!parallel) return;
    const ctl = this.ctl;
    ctl[C.SIZE] = old.capacity;
    ctl[C.CURSOR] = 0;
    ctl[C.CHUNK] = 1 << 14;
    ctl[C.LIMIT] = maxTag;
    this.command(CMD.REHASH);
    this.asThread0(() => this.expander.rehash(old, this.table));
    await this.until(C.DONE, this.spawned);
  }
}
