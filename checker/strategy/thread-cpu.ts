/**
 * CPU time of the calling thread (Linux: /proc/thread-self/schedstat, in
 * nanoseconds), for the parallel BFS's per-thread accounting: on a machine
 * other jobs share, wall-time speedups say little, while each thread's own
 * CPU time says how the work was divided. undefined where unavailable.
 */
import { readFileSync } from 'node:fs';

let available = process.platform === 'linux';

export function threadCpuSeconds(): number | undefined {
  if (!available) return undefined;
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]) / 1e9;
  } catch {
    available = false;
    return undefined;
  }
}

/** Per-thread CPU of a parallel search (timing, not part of its answer). */
export interface ThreadCpu {
  /**
   * Each worker's thread CPU seconds in this search, building its model
   * included, and its start-up (loading the modules) when it started for it.
   */
  readonly workers: readonly number[];
  /** The workers were started by an earlier search (parallel-pool.ts): their start-up is in its figures. */
  readonly reused: boolean;
  /** States each worker expanded. */
  readonly expanded: readonly number[];
  /**
   * Each worker's model's cache misses (Model.cacheMisses: the product's
   * step-memo misses), and the coordinator's (the levels it expanded itself
   * while the workers started): the work the threads duplicate.
   */
  readonly cacheMisses?: readonly number[];
  readonly coordinatorCacheMisses?: number;
  /**
   * The coordinator's CPU seconds between levels (ordering, resizing), when no
   * worker runs, and in the first levels, which it expands itself while the
   * workers start (overlapping their start-up: counted as serial, a bound).
   */
  readonly serial: number;
}
