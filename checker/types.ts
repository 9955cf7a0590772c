/**
 * The contract between the generic checker and a subsystem.
 *
 * A subsystem is registered as a `Subsystem`: an implementation (plain-data
 * state + operations made of named atomic steps), optionally a spec (an xstate
 * v5 machine driven through its pure `transition` API), an abstraction function
 * from implementation state to spec state, invariants, default scenarios and
 * buggy variants. The checker knows nothing else about it.
 */
import type { AnyStateMachine, EventObject } from 'xstate';
import type { OpSchemas } from './op-schema.js';
import type { Knob } from './reshape.js';
import type { Schema } from './schema.js';

/** A value an operation returns: compared with the spec's `ret`. */
export type RetValue = number | string | boolean | null;

/** Scenario arguments: small integers or short strings. */
export type ArgValue = number | string | boolean;
export type Args = Readonly<Record<string, ArgValue>>;

// ---------------------------------------------------------------------------
// Implementation side
// ---------------------------------------------------------------------------

/**
 * What a step sees of its thread. Locals are named integers, zeroed when the
 * operation starts and when it finishes, stored in the explored state.
 */
export interface ThreadCtx<P = unknown> {
  /** Thread index, 0-based. Lock owner fields conventionally store tid + 1. */
  readonly tid: number;
  /** The operation's arguments (fixed for the whole operation). */
  readonly args: Args;
  /** The operation's locals: integers only; read/write freely. */
  readonly l: Record<string, number>;
  /** Scenario parameters (pool size, file size, ...). */
  readonly params: P;
  /** The selected buggy variant, or null for the correct implementation. */
  readonly variant: string | null;
  /** True when the selected variant is `name`. Sugar for `variant === name`. */
  bug(name: string): boolean;
  /**
   * Nondeterministic choice among `n` outcomes (0..n-1). The checker explores
   * every outcome as a separate transition.
   */
  choose(n: number): number;
  /**
   * Error injection: returns true on the branch where the allocation (or other
   * fallible call) named `site` fails. Only branches when the scenario's fault
   * budget allows it and `site` is among its sites; otherwise returns false.
   */
  inject(site: string): boolean;
  /**
   * A precondition of the caller's contract. When `cond` is false the path is
   * pruned, not reported as a bug, and the result lists the precondition as
   * broken by the scenario (e.g. CC-8: put and invalidate without the page lock).
   */
  assume(cond: boolean, precondition: string): void;
}

/** A step returns the name of the next step, or `done(value)` to finish the op. */
export type StepResult = string | { readonly ret: RetValue };
export const done = (ret: RetValue = null): { readonly ret: RetValue } => ({ ret });

export interface StepDef<G, P = unknown> {
  /** Kernel function or critical section this step stands for, e.g. 'region_chg'. */
  readonly name: string;
  /**
   * Whether the thread can take this step now. False means it waits (e.g. on a
   * lock held by another thread). A blocked thread is not enabled; if no thread
   * is enabled while an operation is unfinished the checker reports a deadlock.
   */
  enabled?(g: Readonly<G>, t: ThreadCtx<P>): boolean;
  /** Execute the step atomically: mutate `g` and `t.l` in place. */
  run(g: G, t: ThreadCtx<P>): StepResult;
  /**
   * Partial-order reduction (checker/por.ts, `check --por`): true when neither `enabled` nor `run`
   * reads or writes `g` and the step never calls `inject()`: it works on its thread's locals, args,
   * params and choices only, so it commutes with every other thread's step. Checked on the runs it
   * reduces under --por (a run touching `g` fails the search) and by test/checker/por-footprint.test.ts.
   */
  readonly threadLocal?: boolean;
}

export interface OpDef<G, P = unknown> {
  /** One line: what the operation is and the kernel path it follows. */
  readonly doc: string;
  /** Names of the integer locals this operation uses. */
  readonly locals?: readonly string[];
  /** The atomic steps; steps[0] is the entry. */
  readonly steps: readonly StepDef<G, P>[];
}

export interface ImplDef<G, P = unknown> {
  /**
   * Schema of the whole implementation state (the canonical encoding), or a
   * function of the scenario parameters when its shape depends on them
   * (e.g. fixed arrays of K pages).
   */
  readonly state: Schema<G> | ((params: P) => Schema<G>);
  init(params: P): G;
  readonly ops: Readonly<Record<string, OpDef<G, P>>>;
  /**
   * Symmetry reduction (checker/symmetry.ts, `check --symmetry`): rewrite in place every field of `g`
   * that holds a thread id (lock owners `tid + 1`, on-stack lists `2 + tid`, ...) as `p` renumbers the
   * threads. Absent: the implementation declares nothing and its runs get no symmetry reduction (the
   * result says so). test/checker/symmetry-commute.test.ts checks a declaration against the steps.
   */
  permuteThreads?(g: G, p: ThreadPermutation): void;
}

/**
 * A renumbering of threads (checker/symmetry.ts): thread t becomes thread `tid(t)`. A declaration
 * reads thread ids only through these two (the canonicaliser skips states in which it met none).
 */
export interface ThreadPermutation {
  tid(t: number): number;
  /** A lock-owner field (`tid + 1` of the owner, 0 when free, negative for readers) renumbered. */
  owner(v: number): number;
}

// ---------------------------------------------------------------------------
// Spec side
// ---------------------------------------------------------------------------

/**
 * The spec: an xstate v5 machine. Conventions:
 *   - every operation is an event `{ type: op, ...args }` (override with `event`);
 *   - the machine sets `context.ret` (a RetValue) when it accepts an operation;
 *     an event after which `ret` is still `undefined` is not enabled (rejected);
 *   - a nondeterministic operation lists its outcomes in `choices[op]`; the
 *     checker sends one event per choice with `choice` set, and every accepted
 *     one is a possible outcome;
 *   - internal spec steps that may happen at any time (e.g. a backend dropping
 *     a page) are returned by `internal(view)` and are explored in linearization;
 *     steps only an operation in flight may take, by `pendingInternal`.
 * The checker never calls xstate once per explored state: spec states are
 * interned and transitions memoized. Note: xstate's pure `transition()` builds
 * a throwaway actor that re-runs the machine's context factory with `input`
 * undefined; a context factory must tolerate that.
 */
export interface SpecDef<Ctx, P = unknown> {
  readonly machine: AnyStateMachine;
  /** Input for the machine's initial state, from scenario parameters. */
  input(params: P): unknown;
  event?(op: string, args: Args, choice: ArgValue | undefined): EventObject;
  /**
   * Outcomes of nondeterministic ops, sent as `event.choice`: a fixed list per
   * op, or a function of the op, its args and the current spec view (so that a
   * spec lists only the outcomes that can apply, and xstate runs less).
   */
  readonly choices?:
    | Readonly<Record<string, readonly ArgValue[]>>
    | ((op: string, args: Args, view: Ctx, params: P) => readonly ArgValue[] | undefined);
  internal?(view: Ctx, params: P): readonly EventObject[];
  /**
   * Internal steps that an operation in flight (invoked, not yet linearized)
   * may take before it linearizes: an effect of `op(args)` that other threads
   * can see before the operation itself takes effect (e.g. a fault-in before
   * the write that needed it lands). Explored in linearization only in
   * configurations where some thread has `op(args)` pending, and, for a
   * sequential script, only before that step's own outcome.
   */
  pendingInternal?(view: Ctx, op: string, args: Args, params: P): readonly EventObject[];
  /**
   * The comparable part of a snapshot. Default: `context` without `ret`.
   * The view is the spec state's identity: every context field that affects
   * behaviour must be in it (the checker rejects a spec whose context differs
   * between two snapshots with the same view, unless listed in `constant`).
   */
  view?(snapshot: { value: unknown; context: any }): Ctx;
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

export interface InvariantCtx {
  /** True when no operation is in flight. */
  readonly quiescent: boolean;
  /**
   * Ops in flight, by thread: undefined when the thread is idle. An invariant must not depend on which
   * thread runs what: `check --symmetry` evaluates it in one state per orbit of interchangeable threads.
   */
  readonly inFlight: readonly (string | undefined)[];
  readonly variant: string | null;
}

export interface Invariant<G, P = unknown> {
  readonly name: string;
  /** One sentence saying what must hold, citing its source. */
  readonly doc: string;
  /** Where it comes from: doc line, kernel function, or known bug. */
  readonly source: string;
  /** Optional: why the kernel keeps it (the lock, ordering or accounting rule); shown in the generated docs. */
  readonly why?: string;
  /** 'always': every reachable state; 'quiescent': states with no op in flight. */
  readonly when: 'always' | 'quiescent';
  /**
   * Optional: false when a scenario with these params can give it nothing to
   * check (e.g. per-node counters with one node). Such a scenario does not count
   * for its vacuity: a run of only such scenarios says it did not apply, instead
   * of failing it as never exercised. Omitted: it applies everywhere.
   */
  appliesTo?(params: P): boolean;
  /**
   * true: holds and was exercised; null: holds vacuously here (nothing to
   * check); false or a string: violated (the string explains why).
   */
  check(g: Readonly<G>, params: P, q: InvariantCtx): boolean | null | string;
}

/** Declare an invariant. A plain identity, kept so tooling (docs) can find them. */
export function invariant<G, P = unknown>(inv: Invariant<G, P>): Invariant<G, P> {
  return inv;
}

// ---------------------------------------------------------------------------
// Scenarios and variants
// ---------------------------------------------------------------------------

/** One alternative for an operation slot. */
export interface OpChoice {
  readonly op: string;
  readonly args: Args;
}

/** A thread runs its slots in order; each slot picks one of its alternatives. */
export type ThreadScript = readonly (readonly OpChoice[])[];

export interface Scenario<P = unknown> {
  readonly name: string;
  readonly description: string;
  readonly params: P;
  readonly threads: readonly ThreadScript[];
  /** Error injection budget: how many injected failures in one execution, and where. */
  readonly faults?: { readonly budget: number; readonly sites: readonly string[] };
  /** The kernel version the implementation models (a key of Subsystem.kernelVersions); default: the subsystem's. */
  readonly kernelVersion?: string;
  /**
   * Menu threads (see `menu()`): `minOps[t]` is the fewest ops thread t runs;
   * after that it may stop after any op, so every program of length
   * minOps[t]..slots is explored. A thread that may stop never counts as having
   * work left in a deadlock. Missing (or undefined for a thread): it runs all its slots.
   */
  readonly minOps?: readonly (number | undefined)[];
}

/**
 * A menu thread: up to `max` ops, each any of `alts` (every program of that
 * bound is explored when the scenario's `minOps` lets the thread stop early).
 * Shorter programs are prefixes of longer ones, so they add no states.
 */
export function menu(alts: readonly OpChoice[], max: number): ThreadScript {
  return Array.from({ length: max }, () => alts);
}

/**
 * A finding: a scenario in which the checker reports a violation of the
 * *correct* implementation (a window or error path of the kernel as
 * modelled). Not run by default; `mmcheck list` shows findings and
 * `mmcheck check SUB --scenario NAME` runs one.
 */
export type Finding<P = unknown> = Scenario<P> & {
  /** The violation kind expected (e.g. 'refinement', 'invariant'). */
  readonly expect: string;
};

export interface Variant {
  /** Named after its source: 'H11', 'HR-1', 'T8', 'CC-3', ... */
  readonly name: string;
  /** One line for `mmcheck list`. */
  readonly description: string;
  readonly source: string;
  /** Scenarios (by name) in which the bug must be found; default: all defaults. */
  readonly scenarios?: readonly string[];
}

/**
 * A kernel version an implementation can model (`--kernel-version`). Kernels
 * differ by fixes: a version lists the fixes it lacks, each named like the
 * variant that models the behaviour before the fix (the fixing commit id), so
 * under that version `t.bug(name)` is true and the impl keeps one code path
 * per behaviour, not one per version.
 */
export interface KernelVersion {
  readonly name: string;
  readonly description: string;
  /** Fixes this kernel does not have (variant names, i.e. fixing commit ids). */
  readonly lacks: readonly string[];
}

/**
 * Knob values by name (camelCase of the flag), for `customize`. The knobs
 * themselves, with their names and meanings, are declared by each subsystem
 * (`Subsystem.knobs`, checker/reshape.ts): the checker spells none of them.
 */
export type ScenarioOptions = Readonly<Record<string, number | undefined>>;

/** For `mmcheck run SUBSYS --script`: what to print after each step. */
export interface Observer<G, Ctx, P = unknown> {
  impl(g: Readonly<G>, params: P): Record<string, unknown>;
  spec(view: Ctx, params: P): Record<string, unknown>;
}

/**
 * Another implementation of a subsystem's spec (`--impl NAME`), built
 * differently (e.g. another kernel era's data structures). It brings its own
 * state, steps, abstraction, invariants, variants, observer and kernel
 * versions; the spec, op schemas, scenarios, knobs and params are the
 * subsystem's and stay unchanged, so both are judged against one spec.
 */
export interface ImplChoice<G = any, Ctx = any, P = any> {
  /** `--impl NAME`, e.g. 'folio'. */
  readonly name: string;
  /** One line: the design and kernel versions it models. */
  readonly description: string;
  readonly impl: ImplDef<G, P>;
  abstraction?(g: Readonly<G>, params: P): Ctx;
  readonly invariants: readonly Invariant<G, P>[];
  readonly variants: readonly Variant[];
  readonly findings?: readonly Finding<P>[];
  readonly observer?: Observer<G, Ctx, P>;
  readonly kernelVersions?: { readonly default: string; readonly versions: readonly KernelVersion[] };
}

export interface Subsystem<G = any, Ctx = any, P = any> {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly impl: ImplDef<G, P>;
  /** Every impl op's arguments (checker/op-schema.ts); registration checks both lists match. */
  readonly opSchemas?: OpSchemas<P>;
  readonly spec?: SpecDef<Ctx, P>;
  /** Required with a spec: implementation state to spec view (same shape as SpecDef.view). */
  abstraction?(g: Readonly<G>, params: P): Ctx;
  readonly invariants: readonly Invariant<G, P>[];
  /** Scenarios `npm run check` runs. */
  readonly scenarios: readonly Scenario<P>[];
  /**
   * Named sets of larger scenarios that `mmcheck check --profile NAME` runs
   * instead of the defaults (e.g. `deep`: menus and bigger pools that would
   * not fit the default run's time budget). Each must pass, like the defaults.
   */
  readonly profiles?: Readonly<Record<string, readonly Scenario<P>[]>>;
  readonly variants: readonly Variant[];
  /** Violations of the correct implementation found while modelling (see Finding). */
  readonly findings?: readonly Finding<P>[];
  /** How `mmcheck check SUB --FLAG N` grows or shrinks the default scenarios (checker/reshape.ts). */
  readonly knobs?: readonly Knob<P>[];
  /** Shape default scenarios from knob values (the knobs applied in order); unknown knobs are rejected. */
  customize?(base: Scenario<P>, opts: ScenarioOptions): Scenario<P>;
  /** Validate and normalize user-provided params (scenario/script files). Throw Error with a one-line message. */
  parseParams?(raw: unknown): P;
  readonly observer?: Observer<G, Ctx, P>;
  /** Kernel versions the implementation can model; the default is the newest upstream behaviour. */
  readonly kernelVersions?: { readonly default: string; readonly versions: readonly KernelVersion[] };
  /**
   * The name of the implementation above when the subsystem has others (`impls`), for `--impl NAME`.
   * On a subsystem returned by `selectImpl` (checker/impls.ts): the implementation selected.
   */
  readonly implName?: string;
  /** Other implementations of the same spec (`--impl NAME`; checker/impls.ts). `npm run check` runs every one. */
  readonly impls?: readonly ImplChoice[];
}
