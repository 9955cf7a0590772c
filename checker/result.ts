/**
 * What a check run reports: what was explored, what was proved, and the
 * shortest counterexample when something failed. Plain data throughout, so it
 * can be printed, saved as ITF (traces/) and compared across runs.
 */
import type { ArgValue, Args, RetValue } from './types.js';
import type { ThreadCpu } from './strategy/thread-cpu.js';

export type ViolationKind =
  | 'invariant' // an invariant returned false
  | 'linearizability' // a completed op's return value has no linearization
  | 'refinement' // at quiescence, abstraction(impl) matches no spec state
  | 'deadlock' // no thread enabled while an op is unfinished
  | 'impl-error' // a step threw
  | 'spec-error'; // the spec machine threw or misbehaved

/** The identity of one transition: enough to re-execute it deterministically. */
export interface StepLabel {
  /** Thread that moved. */
  readonly tid: number;
  /** Operation and its args (the slot alternative chosen). */
  readonly op: string;
  readonly args: Args;
  /** Slot index within the thread's script, and the alternative chosen. */
  readonly slot: number;
  readonly alt: number;
  /** Name of the atomic step executed (kernel function). */
  readonly step: string;
  /** Choices made inside the step (choose/inject outcomes), in order. */
  readonly choices: readonly number[];
  /** Injected failures on this step, by site name. */
  readonly injected: readonly string[];
  /** Set when this step finished the operation. */
  readonly ret?: RetValue;
  /** True when this step started the operation. */
  readonly invoked: boolean;
}

export interface ThreadView {
  readonly tid: number;
  /** Index of the current (or next) slot. */
  readonly slot: number;
  /** Operation in flight, if any. */
  readonly op?: string;
  readonly args?: Args;
  /** Next step to run, if an op is in flight. */
  readonly pc?: string;
  readonly locals?: Readonly<Record<string, number>>;
  readonly finished: boolean;
}

/** One state of a trace, decoded to plain data. */
export interface TraceState {
  /** The implementation state (as the subsystem's schema decodes it). */
  readonly impl: unknown;
  readonly threads: readonly ThreadView[];
  /** abstraction(impl), when a spec is registered. */
  readonly abstract?: unknown;
  /**
   * Spec states consistent with the history so far (linearizations of the
   * completed and pending operations), as spec views.
   */
  readonly spec?: readonly unknown[];
  readonly faultsUsed: number;
}

export interface Trace {
  /** states[0] is initial; transitions[i] leads from states[i] to states[i+1]. */
  readonly states: readonly TraceState[];
  readonly transitions: readonly StepLabel[];
}

export interface Violation {
  readonly kind: ViolationKind;
  /** Invariant name, or the kind for built-in properties. */
  readonly property: string;
  readonly message: string;
  readonly trace: Trace;
}

export interface InvariantStats {
  readonly name: string;
  readonly when: 'always' | 'quiescent';
  /** States in which it was evaluated. */
  checked: number;
  /** States in which it was evaluated and non-vacuous. */
  nonTrivial: number;
  /** false: the scenario's params leave it nothing to check (Invariant.appliesTo); not counted for vacuity. */
  readonly applicable?: false;
}

/** 'depth-limit': a DFS depth bound cut the search (states below it were not expanded). */
export type StopReason = 'complete' | 'violation' | 'state-limit' | 'time-limit' | 'interrupted' | 'depth-limit';

/** How the states were searched and stored: what a result's counts and verdict can claim. */
export interface SearchInfo {
  readonly strategy: 'bfs' | 'dfs';
  /** Threads that explored the scenario (1: the sequential search; more: strategy/parallel-bfs.ts). */
  readonly workers?: number;
  /** 'exact': 64-bit fingerprints (see collisionProbability); 'bitstate': may omit states (see omission). */
  readonly visited: 'exact' | 'bitstate';
  /** Whether a counterexample found is a shortest one. */
  readonly shortestCounterexample: boolean;
  /** Parallel BFS: CPU seconds per thread and states each worker expanded (timing, not part of the answer). */
  readonly threadCpu?: ThreadCpu;
  /** `workers` > 1 asked, but the search ran in one thread: why (parallel-bfs.ts SPAWN_AT). Same answer. */
  readonly solo?: string;
  /**
   * The step memo (step-memo.ts), when on: steps run because it did not know
   * them, its evictions for room, and the most it held (the largest of any
   * thread's); summed over the threads of a parallel search. Work, not part
   * of the answer: the counts are the same with it off.
   */
  readonly stepMemo?: { readonly misses: number; readonly drops: number; readonly peakMiB: number };
  /** Bitstate: SPIN-style hash factor and the estimated omission. */
  readonly omission?: {
    readonly hashFactor: number;
    readonly bitsPerState: number;
    readonly expectedOmitted: number;
    readonly probability: number;
  };
}

/**
 * Symmetry reduction (`check --symmetry`, checker/symmetry.ts): present when it was asked for, applied
 * or not. Applied, `states` counts canonical states, one per orbit of interchangeable threads.
 */
export interface SymmetryInfo {
  readonly applied: boolean;
  /** Why it was not applied (no identical threads, no permutation declared, ...). */
  readonly reason?: string;
  /** The classes of interchangeable threads (two or more threads each). */
  readonly classes: readonly (readonly number[])[];
  /** Permutations in the group (the product of the classes' factorials). */
  readonly group: number;
  /** Canonical states explored (the result's `states`). */
  readonly canonicalStates: number;
  /** States of the unreduced system: the sum of the canonical states' orbit sizes. */
  readonly unreducedStates: number;
}

/**
 * Partial-order reduction (`check --por`, checker/por.ts): present when it was asked for, applied or
 * not. Applied, `states` counts the reduced graph's states (the unreduced count is not computed) and a
 * BFS counterexample is shortest in the reduced graph only (search.shortestCounterexample says so).
 */
export interface PorInfo {
  readonly applied: boolean;
  /** Why it was not applied. */
  readonly reason?: string;
  /** The steps of the scenario's ops declared thread-local (`op.step`). */
  readonly localSteps: readonly string[];
  /** States explored (the result's `states`): the reduced graph's. */
  readonly reducedStates: number;
  /** Expanded states whose successors were one thread's thread-local step alone. */
  readonly reducedExpansions: number;
}

export interface CheckResult {
  readonly subsystem: string;
  /** The alternative implementation checked (Subsystem.impls, `--impl`); absent for the main one. */
  readonly impl?: string;
  readonly scenario: string;
  readonly scenarioDescription: string;
  readonly variant: string | null;
  /** Bounds explored: threads, slots per thread, params, fault budget. */
  readonly bounds: {
    readonly threads: number;
    readonly opsPerThread: readonly number[];
    /** With menu threads: the fewest ops each thread runs (it may stop after any later op). */
    readonly minOpsPerThread?: readonly number[];
    readonly params: unknown;
    readonly faultBudget: number;
    readonly faultSites: readonly string[];
    /** Listed fault sites that no explored step ever called inject() for (a typo, or unreachable): vacuous. */
    readonly faultSitesNeverReached?: readonly string[];
    /** Scenario clauses (thread, slot, op alternative) that no explored path started: vacuous. */
    readonly clausesNeverRun?: readonly string[];
  };
  readonly stopReason: StopReason;
  /** True only when every reachable state was visited (no limit hit, no violation stop). */
  readonly exhaustive: boolean;
  readonly states: number;
  readonly transitions: number;
  readonly maxDepth: number;
  readonly seconds: number;
  readonly statesPerSecond: number;
  /** TLC-style estimate: distinct * (transitions - distinct) / 2^64. */
  readonly collisionProbability: number;
  /** Visited-set bytes (fingerprint table + parent links, as allocated) per distinct state. */
  readonly bytesPerState: number;
  /** Peak bytes held by the BFS frontier (full state vectors awaiting expansion): transient, not per state. */
  readonly peakFrontierBytes?: number;
  readonly refinement: 'linearizability+abstraction' | 'none (no spec)';
  readonly specStates: number;
  readonly invariants: readonly InvariantStats[];
  /** Preconditions broken on some path (paths pruned, not bugs), with counts. */
  readonly preconditions: readonly { readonly text: string; readonly count: number }[];
  /** Strategy and store (absent in results from before they were selectable: BFS, exact). */
  readonly search?: SearchInfo;
  /** Present when symmetry reduction was asked for (see SymmetryInfo). */
  readonly symmetry?: SymmetryInfo;
  /** Present when partial-order reduction was asked for (see PorInfo). */
  readonly por?: PorInfo;
  readonly violation?: Violation;
}

export type { ArgValue };
