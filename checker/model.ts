/**
 * The interface every search strategy explores: a state machine over compact
 * Int32 state vectors (Stateright's `Model`; TLC's worker / state queue /
 * fingerprint set split is strategy / `store/queue.ts` / `store/visited.ts`).
 *
 * An action is identified by its index in `expand()`'s fixed enumeration
 * order, so a list of indices from the initial state is a replayable path:
 * strategies store only that, and `pick()` re-executes it with labels when a
 * counterexample is rebuilt. The implementation x spec x linearizer product
 * (product.ts) is one Model; the bench's toy model is another.
 */
import type { InvariantStats, StepLabel, TraceState, ViolationKind } from './result.js';

/** A property failure found on a transition or in a state. */
export interface Failure {
  readonly kind: ViolationKind;
  readonly property: string;
  readonly message: string;
}

/** One successor, as handed to a strategy. */
export interface Successor {
  /** Encoded successor vector in `buf[0, len)` (valid until the next callback). */
  readonly buf: Int32Array;
  readonly len: number;
  /** The model's decoded form of the successor (read-only; handed back to `checkState`; valid until the next callback, like `buf`). */
  readonly impl: unknown;
  /** A property broken by the transition itself (linearizability, refinement, step threw). */
  readonly failure?: Failure;
  /**
   * When true, (d0, d1) is the XOR of the successor's Zobrist fingerprint with
   * its parent's (fingerprint.ts: `zobrist(buf)` = the parent's XOR (d0, d1)),
   * computed by the model from what the transition changed, so a strategy
   * need not read `buf` (which the model may build only when read) for a
   * state it has seen. Use `successorFingerprint`.
   */
  readonly hasDelta?: boolean;
  readonly d0?: number;
  readonly d1?: number;
  /**
   * The model's hint for expanding this state later (the product: its impl
   * state's step-memo id). A strategy may keep it with the state and pass it
   * to `expand`; the model checks it before use, so any value is sound.
   */
  readonly hint?: number;
  /**
   * The model's key for the caches that serve this state's expansion (the
   * product: its impl state's part of the fingerprint, 31 bits), the same for
   * equal keys in every thread when given: a parallel strategy hands states
   * with the same affinity to one thread, whose caches then serve them all.
   * A thread whose memo does not know the impl state gives none, so one impl
   * state may still reach several threads. Only where work goes depends on
   * it, never an answer. -1 or absent: none.
   */
  readonly affinity?: number;
}

export type Emit = (s: Successor, label: StepLabel | undefined) => void;

export interface Model {
  /** The encoded initial state; `failure` when it already breaks a property. */
  initial(): { vec: Int32Array; impl: unknown; failure?: Failure };
  /**
   * Every successor of the state at vec[off, off+len), in a fixed order;
   * labels only when `wantLabels` (they cost allocations); `hint` is the
   * state's Successor.hint when the strategy kept it.
   */
  expand(vec: Int32Array, off: number, len: number, emit: Emit, wantLabels?: boolean, hint?: number): void;
  /**
   * Steps the model ran so far because its caches did not know them (the
   * product: step-memo misses): work, never part of an answer (the parallel
   * BFS reports it per worker: how much of the work its threads duplicate).
   */
  readonly cacheMisses?: number;
  /** Times the model's caches were dropped or cut back for room so far (the product: step-memo evictions). */
  readonly cacheDrops?: number;
  /** Bytes the model's caches held at most so far (the product: the step memo). */
  readonly cachePeakBytes?: number;
  /** Whether successors carry a `hint` worth keeping (read when a search starts). */
  readonly hints?: boolean;
  /**
   * State properties of a newly discovered state; `decoded` is the
   * successor's `impl`, `hint` its `hint` (valid only while the successor is).
   */
  checkState(vec: Int32Array, off: number, decoded: unknown, hint?: number): Failure | undefined;
  /**
   * The terminal property (deadlock) of the state at vec[off, off+len).
   * `successors` is how many successors the last expand() of this state
   * emitted; undefined when the state was not expanded.
   */
  stuck(vec: Int32Array, off: number, len: number, successors?: number): Failure | undefined;
  /** The state decoded to plain data, for traces. */
  traceState(vec: Int32Array): TraceState;
  /** The first successor of a standalone vector whose label satisfies `want`, copied out. */
  pick(
    vec: Int32Array,
    want: (label: StepLabel, index: number) => boolean,
  ): { vec: Int32Array; label: StepLabel; impl: unknown; failure?: Failure } | undefined;
  /** Per-invariant evaluation counts so far. */
  readonly invariantStats: readonly InvariantStats[];
  /**
   * Everything the model tallies while explored (invariant evaluations and the
   * like), as structured-clonable data. A parallel strategy runs one model per
   * thread: it sets a thread's tallies back to an earlier `counters()` when a
   * level is redone, and adds every thread's into the model it reports from.
   */
  counters?(): unknown;
  restoreCounters?(c: unknown): void;
  addCounters?(c: unknown): void;
}
