/**
 * Parallel breadth-first search over any Model, level by level, in N worker
 * threads (parallel-worker.ts) that share a lock-free fingerprint table
 * (store/shared-visited.ts) and a frontier (store/frontier.ts).
 *
 * Same answer for every N. Each new state of level d+1 is tagged in the table
 * with its smallest discovering parent (lowered atomically by whichever worker
 * finds a smaller one), and the edge of that transition. Between levels the
 * coordinator orders level d+1 by (parent id, edge): exactly the order in
 * which the sequential BFS (bfs.ts) numbers states, so state ids, parent links
 * and traces are the sequential ones. Distinct states, transitions and tallies
 * of a completed level are sums over workers, independent of who claimed what.
 *
 * A level in which a worker meets a failure or reaches --max-states is not
 * used as the parallel pass left it: the coordinator runs that one level again
 * sequentially, state by state in the sequential order, with the sequential
 * BFS's stopping rules (first failure in that order; a deadlock in the level
 * beats a longer counterexample; stop at --max-states), against the table's
 * entries of earlier levels. So the counterexample, the counts and the tallies
 * at the stop are the sequential BFS's, for every N. A time limit or an
 * interruption stops where the workers are: such a run is not exhaustive and
 * its counts are what was done.
 */
import { MessageChannel } from 'node:worker_threads';
import { zobrist } from '../fingerprint.js';
import type { Model } from '../model.js';
import type { StopReason } from '../result.js';
import { createFrontier, Frontier } from '../store/frontier.js';
import { Links } from '../store/queue.js';
import { norm, SharedFingerprintTable } from '../store/shared-visited.js';
import type { VisitedStore } from '../store/visited.js';
import { outcome } from './bfs.js';
import { expandLevelHere, orderNextLevel, pathTo, rerunLevel, shareFirstLevel, type Found } from './parallel-level.js';
import { WorkerPool } from './parallel-pool.js';
import * as P from './parallel-protocol.js';
import { Ticker, type SearchLimits, type SearchOutcome } from './search.js';
import { threadCpuSeconds, type ThreadCpu } from './thread-cpu.js';

export type { Lead, ModelSource, ParallelOptions } from './parallel-protocol.js';
const { ABORT, C, CMD, controlWords, W, WORKER_BASE } = P;

/** Atomics.waitAsync (Node 16+; in TypeScript's lib from es2024). */
interface AtomicsWaitAsync {
  waitAsync(a: Int32Array, i: number, v: number, ms: number): { value: Promise<string> | string };
}

/** Most a level may fill the table before it is rebuilt (and the level redone). */
const MAX_LOAD = 0.85;
/**
 * Sizing: before a level the table is rebuilt when the states expected after
 * it (count + size x the last level's growth ratio x GROWTH_MARGIN) would load
 * it past GROW_AT, to a size they load to RESIZE_LOAD at most. The last
 * level's ratio, not the largest seen: the first levels of a menu scenario
 * grow 10x while the bulk grows 1-2x, and sizing by the largest made the
 * table 4 times too big (hugetlb-4x6: 96 MiB for 1.2M states). An
 * underestimate costs a redone level (TABLE_FULL), never a wrong count.
 */
const GROWTH_MARGIN = 1.5;
const GROW_AT = 0.7;
const RESIZE_LOAD = 0.5;
const MIN_LOG2 = 17;
/** A tag no entry exceeds (keep every entry). */
const MAX_TAG = 0x7fffffff;
/** Largest level the coordinator expands alone while the workers start: a level is not handed over half done. */
const HERE_MAX = 1 << 14;

class Coordinator {
  readonly ctl: Int32Array;
  readonly frontier: Frontier;
  table: SharedFingerprintTable;
  readonly links = new Links();
  private pool: WorkerPool | undefined;
  readonly ports: MessageChannel[] = [];
  private error: string | undefined;
  /** Workers that reported their tallies. */
  private reported = 0;
  private allReported: (() => void) | undefined;
  private readonly counters: unknown[] = [];
  private readonly cpu: (number | undefined)[] = [];
  private readonly expanded: number[] = [];
  private readonly misses: number[] = [];
  /** Coordinator CPU seconds between levels (undefined: no thread clock). */
  serial: number | undefined = 0;

  constructor(
    readonly model: Model,
    readonly n: number,
    private readonly minLog2: number,
  ) {
    this.ctl = new Int32Array(new SharedArrayBuffer(4 * controlWords(n)));
    this.frontier = new Frontier(createFrontier(n));
    this.table = SharedFingerprintTable.create(minLog2);
  }

  /** Hand the search to the workers of a pool (kept from an earlier search, or new). */
  async start(source: P.ModelSource, limits: SearchLimits): Promise<void> {
    const pool = (this.pool = await WorkerPool.acquire(this.n));
    this.reusedPool = pool.jobs > 0;
    const deadline = limits.timeLimitSeconds !== undefined ? Date.now() + limits.timeLimitSeconds * 1000 : undefined;
    const jobs: P.WorkerJob[] = [];
    for (let i = 0; i < this.n; i++) {
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
        this.expanded[i] = m.expanded ?? 0;
        this.misses[i] = m.cacheMisses ?? 0;
        if (++this.reported === this.n) this.allReported?.();
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

  /** Resolve when ctl[i] reaches `want` (or a worker failed). */
  async until(i: number, want: number): Promise<void> {
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
    if (this.reported < this.n && !this.error) await got;
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

  /** Per-thread CPU after `finish` (undefined without a thread clock). */
  threadCpu(): ThreadCpu | undefined {
    const workers = this.cpu.filter((c): c is number => c !== undefined);
    if (workers.length !== this.n || this.serial === undefined) return undefined;
    return {
      workers,
      expanded: [...this.expanded],
      cacheMisses: [...this.misses],
      coordinatorCacheMisses: this.model.cacheMisses ?? 0,
      serial: this.serial,
      reused: this.reusedPool,
    };
  }

  /** Time `fn` on the coordinator's thread clock, as serial work. */
  serially<R>(fn: () => R): R {
    const c0 = threadCpuSeconds();
    const r = fn();
    const c1 = threadCpuSeconds();
    this.serial = c0 === undefined || c1 === undefined || this.serial === undefined ? undefined : this.serial + c1 - c0;
    return r;
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
   * is at most `maxTag`: by the workers, each copying a share of the slots,
   * once they serve commands (`parallel`), else here.
   */
  async resize(need: number, maxTag: number, parallel: boolean): Promise<void> {
    let log2 = Math.max(this.minLog2, Math.log2(this.table.capacity));
    while (2 ** log2 * RESIZE_LOAD < need) log2++;
    if (log2 > 29) throw new Error(`parallel BFS: the fingerprint table would need more than 2^29 slots`);
    const old = this.table;
    if (!parallel) this.table = this.serially(() => old.rebuilt(log2, (tag) => tag <= maxTag));
    else this.table = SharedFingerprintTable.create(log2);
    for (const ch of this.ports) ch.port1.postMessage({ table: this.table.buffer });
    if (!parallel) return;
    const ctl = this.ctl;
    ctl[C.SIZE] = old.capacity;
    ctl[C.CURSOR] = 0;
    ctl[C.CHUNK] = 1 << 14;
    ctl[C.LIMIT] = maxTag;
    this.command(CMD.REHASH);
    await this.until(C.DONE, this.n);
  }
}

/**
 * BFS over `model` in `workers` threads, each running the model `source`
 * builds (the same model: same scenario, and ids shared through its own
 * shared tables). `model` itself seeds the search, redoes a stopping level and
 * receives the workers' tallies.
 */
// oxlint-disable-next-line max-lines-per-function -- one level loop: expand, judge the abort, order the next level
export async function parallelBfs(
  model: Model,
  source: P.ModelSource,
  workers: number,
  limits: SearchLimits = {},
  opts: P.ParallelOptions = {},
): Promise<SearchOutcome> {
  const lead = opts.lead ?? 'auto';
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`parallel BFS: ${workers} workers`);
  const ticker = new Ticker(limits);
  const co = new Coordinator(model, workers, opts.tableLog2 ?? MIN_LOG2);
  const store = (): VisitedStore => ({ kind: 'exact', add: () => false, size: count, bytes: co.table.bytes });
  const maxStates = limits.maxStates ?? Infinity;

  // seed: the initial state is state 0, in buffer 0
  const init = model.initial();
  const fp = new Uint32Array(2);
  zobrist(init.vec, 0, init.vec.length, fp);
  co.table.insert(norm(fp[0]!), norm(fp[1]!), 0);
  co.links.set(0, 0, 0);
  co.frontier.push(0, 0, init.vec, init.vec.length, fp[0]! | 0, fp[1]! | 0, 0, 0, 0, -1, -1);
  co.frontier.reserveOrder(1);
  co.frontier.order[0] = 0;
  co.frontier.order[1] = 0;
  shareFirstLevel(co);
  let count = 1;
  let transitions = 0;
  let maxDepth = 0;
  let peakFrontier = 0;
  const f0 = init.failure ?? model.checkState(init.vec, 0, init.impl);
  if (f0) return outcome('violation', 1, 0, 0, { failure: f0, path: [] }, store(), co.links.bytes, 0);

  await co.start(source, limits);
  let stop: StopReason = 'complete';
  let found: Found | undefined;
  let discardLast = false;
  /** Whether the workers have run a level (until then the coordinator expands the levels itself). */
  let parallel = false;
  try {
    let start = 0;
    let size = 1;
    let depth = 0;
    let growth = 4; // new states per expanded state in the last level (for sizing the table)
    let redo = false;
    while (size > 0) {
      // room for this level's new states (a level that overfills past MAX_LOAD is redone in a bigger table)
      const expect = count + Math.ceil(size * growth * GROWTH_MARGIN);
      if (expect > co.table.capacity * GROW_AT) await co.resize(expect, MAX_TAG, parallel);
      const tableRoom = Math.floor(co.table.capacity * MAX_LOAD) - count;
      const stateRoom = maxStates - count;
      const limit = Math.max(1, Math.min(tableRoom, stateRoom));
      const limitBit = stateRoom <= tableRoom ? ABORT.STATE_LIMIT : ABORT.TABLE_FULL;
      const ctl = co.ctl;
      // while the workers start (loading modules, building their models), the coordinator expands the
      // first levels itself; a level past HERE_MAX waits for them
      if (!parallel && lead === 'auto' && size > HERE_MAX) await co.until(C.READY, workers);
      const here = !parallel && (lead === 'auto' ? Atomics.load(ctl, C.READY) < workers : depth < lead);
      const snap = here ? model.counters?.() : undefined;
      let why: number;
      let levelTransitions = 0;
      let claims: number;
      if (here) {
        const progress = () => ({ states: count, transitions, depth, queue: size });
        const r = co.serially(() =>
          expandLevelHere(co, model, start, size, depth & 1, limit, limitBit, ticker, progress),
        );
        ({ why, claims } = r);
        levelTransitions = r.transitions;
        await co.yieldToEvents(); // worker messages (an error at start-up)
      } else {
        parallel = true;
        ctl[C.SIZE] = size;
        ctl[C.START] = start;
        P.resetShares(ctl, workers);
        ctl[C.CHUNK] = Math.max(1, Math.min(64, Math.floor(size / (8 * workers))));
        ctl[C.CLAIMS] = 0;
        ctl[C.LIMIT] = limit;
        ctl[C.LIMIT_BIT] = limitBit;
        ctl[C.ABORT] = 0;
        ctl[C.PARITY] = depth & 1;
        co.command(redo ? CMD.REDO : CMD.LEVEL);
        redo = false;
        await co.until(C.DONE, workers);
        why = ctl[C.ABORT]!;
        claims = ctl[C.CLAIMS]!;
        for (let w = 0; w < workers; w++) levelTransitions += ctl[WORKER_BASE + W.SIZE * w + W.TRANSITIONS]!;
      }
      if (why & (ABORT.FAILURE | ABORT.STATE_LIMIT)) {
        if (snap !== undefined) model.restoreCounters?.(snap);
        const r = rerunLevel(co, model, start, size, depth, transitions, maxStates, ticker);
        if (r.stop === 'complete')
          throw new Error('parallel BFS: the sequential pass over a stopping level did not stop');
        ({ stop, count, transitions } = r);
        maxDepth = r.maxDepth;
        found = r.found;
        discardLast = !here;
        break;
      }
      if (why & ABORT.TABLE_FULL) {
        if (snap !== undefined) model.restoreCounters?.(snap);
        // drop this level's entries (tags above `start`), grow, and do the level again
        await co.resize(2 * co.table.capacity, start, parallel);
        growth *= 2;
        redo = !here;
        continue;
      }
      if (why & (ABORT.STOP | ABORT.TIME)) {
        // not exhaustive: count what was done
        count += claims;
        transitions += levelTransitions;
        stop = why & ABORT.STOP ? 'interrupted' : 'time-limit';
        break;
      }
      transitions += levelTransitions;
      let frontierWords = 0;
      for (let w = 0; w < workers; w++) frontierWords += ctl[WORKER_BASE + W.SIZE * w + W.FILL]!;
      peakFrontier = Math.max(peakFrontier, 4 * frontierWords);
      const next = co.serially(() => orderNextLevel(co, start, size, count, depth & 1));
      if (next > 0) maxDepth = depth + 1;
      if (next > 0) growth = next / size;
      start = count;
      count += next;
      size = next;
      depth++;
      const tick = size > 0 ? ticker.tick(() => ({ states: count, transitions, depth, queue: size })) : undefined;
      if (tick) {
        stop = tick;
        break;
      }
    }
    // workers that never ran a level have nothing to report: no waiting for their start-up
    if (parallel) await co.finish(discardLast);
    else co.abandon();
  } catch (e) {
    await co.terminate();
    throw e;
  }
  const threadCpu = co.threadCpu();
  return {
    ...outcome(
      stop,
      count,
      transitions,
      maxDepth,
      found && { failure: found.failure, path: pathTo(co.links, found) },
      store(),
      co.links.bytes,
      peakFrontier,
    ),
    ...(threadCpu ? { threadCpu } : {}),
  };
}
