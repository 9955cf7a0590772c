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
   * Each thread's CPU seconds in this search: thread 0 is the coordinator's
   * own part of the levels, of their ordering and of table rebuilds (`serial`
   * is the rest of its work); a spawned
   * worker's includes building its model, and its start-up (loading the
   * modules) when it started for this search.
   */
  readonly workers: readonly number[];
  /** The part of each thread's figure before it served the search's first command (0 for the coordinator). */
  readonly startup?: readonly number[];
  /** The workers were started by an earlier search (parallel-pool.ts): their start-up is in its figures. */
  readonly reused: boolean;
  /** States each thread expanded (the coordinator's alone levels included). */
  readonly expanded: readonly number[];
  /**
   * Each thread's model's cache misses (Model.cacheMisses: the product's
   * step-memo misses; the coordinator's includes a stopping level's
   * sequential pass): the work the threads duplicate.
   */
  readonly cacheMisses?: readonly number[];
  /** Each thread's model's cache evictions (Model.cacheDrops: the step memo's) and the bytes its caches held at most. */
  readonly cacheDrops?: readonly number[];
  readonly cachePeakBytes?: readonly number[];
  /**
   * The coordinator's CPU seconds between levels when no other thread runs:
   * ordering and rebuilding the table in the levels it expands alone, and,
   * in levels ordered together, setting the shares.
   */
  readonly serial: number;
  /** Levels (redone ones included) expanded by all threads, and by the coordinator alone while the workers started. */
  readonly levels?: { readonly together: number; readonly alone: number };
  /**
   * Wall seconds the coordinator waited for the workers: `level`, at the end
   * of levels and table rebuilds (the others' part of a level outlasting its
   * own, or a thread the machine did not run); `startup`, for their start-up
   * before a level too large to expand alone.
   */
  readonly waited?: { readonly level: number; readonly startup: number };
}
