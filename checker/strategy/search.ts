/**
 * What every strategy takes and returns. A strategy owns its loop and its
 * stores; it knows the model only through the Model interface.
 */
import type { Failure } from '../model.js';
import type { StopReason } from '../result.js';
import type { Omission, VisitedStore } from '../store/visited.js';
import type { ThreadCpu } from './thread-cpu.js';

export interface Progress {
  readonly states: number;
  readonly transitions: number;
  readonly depth: number;
  readonly queue: number;
  readonly seconds: number;
  readonly statesPerSecond: number;
}

export interface SearchLimits {
  /** Stop (non-exhaustive) after this many distinct states. */
  readonly maxStates?: number;
  /** Stop (non-exhaustive) after this many seconds. */
  readonly timeLimitSeconds?: number;
  /** Called about once a second while running. */
  readonly progress?: (p: Progress) => void;
  /** Shared stop flag: when stop[0] becomes non-zero the search ends as 'interrupted'. */
  readonly stop?: Int32Array;
}

export interface SearchOutcome {
  readonly stop: StopReason;
  readonly states: number;
  readonly transitions: number;
  readonly maxDepth: number;
  /** The first failure found, with the successor indices leading to it from the initial state. */
  readonly found?: { readonly failure: Failure; readonly path: readonly number[] };
  /** Bytes of the visited store plus per-state trace links. */
  readonly storeBytes: number;
  /** Peak bytes of the frontier (BFS queue, DFS stack). */
  readonly peakFrontierBytes: number;
  readonly visitedKind: VisitedStore['kind'];
  readonly omission?: Omission;
  /** Whether the first counterexample found is a shortest one (BFS). */
  readonly shortest: boolean;
  /** Parallel BFS: CPU seconds per thread (timing, not part of the answer). */
  readonly threadCpu?: ThreadCpu;
  /** Parallel BFS asked for more than one thread that ran in one: why (too small a search). */
  readonly solo?: string;
}

/** A once-a-second clock for limits and progress. */
export class Ticker {
  private readonly start = performance.now();
  private last = this.start;
  private readonly limitMs: number;
  constructor(private readonly limits: SearchLimits) {
    this.limitMs = (limits.timeLimitSeconds ?? Infinity) * 1000;
  }
  get seconds(): number {
    return (performance.now() - this.start) / 1000;
  }
  /** Why the search must stop now ('time-limit', 'interrupted'), or undefined; reports progress on the way. */
  tick(p: () => Omit<Progress, 'seconds' | 'statesPerSecond'>): 'time-limit' | 'interrupted' | undefined {
    if (this.limits.stop && this.limits.stop[0] !== 0) return 'interrupted';
    const now = performance.now();
    if (now - this.start > this.limitMs) return 'time-limit';
    if (this.limits.progress && now - this.last >= 1000) {
      this.last = now;
      const q = p();
      const sec = (now - this.start) / 1000;
      this.limits.progress({ ...q, seconds: sec, statesPerSecond: q.states / sec });
    }
    return undefined;
  }
}
