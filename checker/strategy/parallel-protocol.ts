/**
 * The words the parallel BFS coordinator (parallel-bfs.ts) and its workers
 * (parallel-worker.ts) share, and what a worker is started with.
 */
import type { MessagePort } from 'node:worker_threads';
import type { FrontierBuffers } from '../store/frontier.js';

/** Control words (Int32 indices). */
export const C = {
  /** Bumped for every command. */
  GEN: 0,
  CMD: 1,
  /** States in the current level, and the global id of its first. */
  SIZE: 2,
  START: 3,
  /** REHASH: the next slot to hand out (workers take CHUNK at a time; a level's are per worker, W.CURSOR). */
  CURSOR: 4,
  CHUNK: 5,
  /**
   * New states claimed in this level; at LIMIT the level aborts with LIMIT_BIT.
   * Every claim writes it: it sits alone on its cache line, so the words every
   * worker reads per state (ABORT) are not invalidated by every claim.
   */
  CLAIMS: 32,
  LIMIT: 7,
  LIMIT_BIT: 8,
  /** ABORT bits, or 0. */
  ABORT: 9,
  /** Workers done with the command; workers that finished starting. */
  DONE: 10,
  READY: 11,
  /** Which of its two frontier buffers a worker writes in this level. */
  PARITY: 12,
} as const;

export const CMD = {
  /** Expand the level (the previous one counts). */
  LEVEL: 1,
  /** Expand the level again (its previous attempt does not count). */
  REDO: 2,
  /** Report tallies and exit; FINISH_DISCARD: without the last level's. */
  FINISH: 3,
  FINISH_DISCARD: 4,
  /**
   * Copy the entries of the table before the last one sent (slots [0, SIZE),
   * claimed CHUNK at a time from CURSOR) with a tag at most LIMIT into it.
   */
  REHASH: 5,
  /**
   * Order the level just expanded (strategy/parallel-level.ts), in two steps
   * with a barrier between: ORDER_KEYS, each thread resolves the keys of the
   * entries it claimed and bins them by parent range; ORDER_RANGE, each
   * thread sorts the parent range of its index.
   */
  ORDER_KEYS: 6,
  ORDER_RANGE: 7,
} as const;

export const ABORT = {
  FAILURE: 1,
  STATE_LIMIT: 2,
  TABLE_FULL: 4,
  STOP: 8,
  TIME: 16,
  ERROR: 32,
} as const;

/** Per-worker words from WORKER_BASE + W.SIZE * index (a cache line each). */
export const WORKER_BASE = 48;
/**
 * FILL: words of its frontier buffer; LOG: words of its log; COUNT: entries in
 * its buffer. BEGIN, END: its share of the level, frontier.owned[BEGIN, END);
 * CURSOR: the next of them to hand out (CHUNK at a time, to it and, once
 * their own shares are done, to the other workers). LOWS: the capacity of its
 * map of lowered keys (frontier.lows; 0: empty).
 */
export const W = { FILL: 0, LOG: 1, TRANSITIONS: 2, COUNT: 3, BEGIN: 4, END: 5, CURSOR: 6, LOWS: 7, SIZE: 16 } as const;

/** Hand out each worker's share afresh (before a level is expanded, or expanded again). */
export function resetShares(ctl: Int32Array, workers: number): void {
  for (let w = 0; w < workers; w++) {
    const b = WORKER_BASE + W.SIZE * w;
    ctl[b + W.CURSOR] = ctl[b + W.BEGIN]!;
  }
}

/** Zero every thread's words of a level's outcome (W): before the coordinator expands a level alone. */
export function clearLevelWords(ctl: Int32Array, threads: number): void {
  for (let w = 0; w < threads; w++) {
    const b = WORKER_BASE + W.SIZE * w;
    ctl[b + W.FILL] = 0;
    ctl[b + W.LOG] = 0;
    ctl[b + W.COUNT] = 0;
    ctl[b + W.LOWS] = 0;
    ctl[b + W.TRANSITIONS] = 0;
  }
}

export function controlWords(workers: number): number {
  return WORKER_BASE + W.SIZE * workers;
}

/* the search's options (parallel-bfs.ts) */
/**
 * Which levels the coordinator expands alone: 'auto', those before a level
 * of parallel-bfs.ts SPAWN_AT states spawns the workers, and then those while
 * they start (up to HERE_MAX states each); N, exactly the first N, the
 * workers spawned at once (tests: 0 runs every level in all threads). The
 * answer is the same.
 */
export type Lead = 'auto' | number;

export interface ParallelOptions {
  readonly lead?: Lead;
  /** The fingerprint table's first size, 2^tableLog2 slots (default 2^17; tests: small, to make it grow). */
  readonly tableLog2?: number;
  /** 'auto' lead: the level size that spawns the workers (default parallel-bfs.ts SPAWN_AT). */
  readonly spawnAt?: number;
}

/** A module exporting `createModel(args)`, and the structured-clonable args for it. */
export interface ModelSource {
  readonly module: string;
  readonly args: unknown;
}

/** A spawned worker's workerData (parallel-pool.ts). */
export interface WorkerInit {
  /** Its thread index, 1..threads-1 (the coordinator is thread 0). */
  readonly index: number;
  /** Threads of the search in all, the coordinator included. */
  readonly threads: number;
}

/** One search for a worker (parallel-pool.ts): its shared memory, its model, its limits. */
export interface WorkerJob {
  readonly ctl: SharedArrayBuffer;
  readonly frontier: FrontierBuffers;
  /** The fingerprint table's buffer (a rebuilt table arrives on `port`). */
  readonly table: SharedArrayBuffer;
  readonly port: MessagePort;
  readonly source: ModelSource;
  readonly stop?: SharedArrayBuffer;
  /** Date.now() after which the search stops (--time-limit). */
  readonly deadline?: number;
}
