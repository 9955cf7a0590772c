/**
 * The product model explored by the checker, one Model (model.ts):
 * implementation state, threads running scenario scripts, the
 * fault-injection budget, and (with a spec) the interned set of
 * linearization configurations. One state is one Int32 vector
 * (product/layout.ts):
 *
 *   [ linSet | faultsUsed | per thread: its control block's id | impl state... ]
 *
 * Its parts, each with one job: product/scenario.ts compiles the scenario,
 * product/expand.ts enumerates successors by running (or replaying) steps,
 * product/transition.ts turns a run into a transition (linearization,
 * refinement, fingerprint delta), product/properties.ts judges states
 * (invariants, deadlock), product/trace.ts decodes states and labels for
 * traces, product/counters.ts exchanges tallies with a parallel search's threads.
 *
 * `expand` enumerates every successor of a state in a fixed order, so a
 * successor is identified by its index: that is how traces are stored and
 * replayed.
 */
import { NO_SET } from './linearizer.js';
import type { Emit, Failure, Model, Successor } from './model.js';
import { AbstractionCache } from './product/abstraction.js';
import { addCounters, restoreCounters, takeCounters, type ProductCounters, type Tallies } from './product/counters.js';
import { Expander } from './product/expand.js';
import { VectorLayout } from './product/layout.js';
import { ProductProperties } from './product/properties.js';
import { compileScenario, fmtArgs, ScenarioError, type CompiledAlt } from './product/scenario.js';
import type { ProductSharing } from './product/sharing.js';
import { traceStateOf } from './product/trace.js';
import { Transitions } from './product/transition.js';
import type { InvariantStats, StepLabel, TraceState } from './result.js';
import { IntBuffer, type Schema } from './schema.js';
import type { SpecAdapter } from './spec-adapter.js';
import { Ctx } from './step-ctx.js';
import { StepMemo } from './step-memo.js';
import type { BlockTable } from './store/block-table.js';
import type { Invariant, InvariantCtx, Scenario, Subsystem } from './types.js';
import type { Linearizer } from './linearizer.js';

export type { Failure, Successor };
export { createProductSharing, type ProductSharing } from './product/sharing.js';
export type { ProductCounters } from './product/counters.js';
export { fmtArgs, implSchema, ScenarioError } from './product/scenario.js';

export class Product<G extends object = any> implements Model {
  readonly T: number;
  readonly L: number;
  /** Header words: the linearization set id and the faults used (VectorLayout.HDR). */
  readonly HDR: number;
  /** Words of a thread control block (slot, alt, pc, locals[L]), interned in `blocks`. */
  readonly TW: number;
  /** The thread control blocks by id (a vector holds the id, at HDR + t). */
  readonly blocks: BlockTable;
  readonly implOff: number;
  /** alts[t][slot][alt] */
  readonly alts: CompiledAlt[][][];
  readonly spec?: SpecAdapter;
  readonly lin?: Linearizer;
  readonly invariants: readonly Invariant<G, any>[];
  readonly invariantStats: InvariantStats[];
  readonly variant: string | null;
  readonly faultBudget: number;
  readonly faultSites: readonly string[];
  /** The implementation state schema for this scenario. */
  readonly schema: Schema<G>;
  /**
   * Per thread, the slots it must run (scenario.minOps); past them it may stop,
   * so it never counts as having work left when judging a deadlock.
   */
  readonly mustRun: Int32Array;
  /** Some thread may stop early (a menu thread with min < max). */
  readonly hasMenus: boolean;
  /** Preconditions broken on pruned paths, with counts. */
  readonly pruned = new Map<string, number>();
  private readonly layout: VectorLayout<G>;
  private readonly ctx: Ctx;
  private readonly abs: AbstractionCache<G> | undefined;
  private readonly props: ProductProperties<G>;
  private readonly expander: Expander<G>;
  private readonly tallies: Tallies;

  constructor(
    readonly sub: Subsystem<G, any, any>,
    readonly scenario: Scenario<any>,
    variant: string | null,
    sharing?: ProductSharing,
  ) {
    const sc = compileScenario<G>(sub, scenario, variant, sharing);
    this.variant = sc.variant;
    this.schema = sc.schema;
    this.T = sc.T;
    this.L = sc.L;
    this.alts = sc.alts;
    if (sc.spec) this.spec = sc.spec;
    if (sc.lin) this.lin = sc.lin;
    this.mustRun = sc.mustRun;
    this.hasMenus = sc.hasMenus;
    this.faultBudget = sc.faultBudget;
    this.faultSites = sc.faultSites;
    const layout = new VectorLayout<G>(sc.T, sc.L, sc.schema, sharing?.blocks);
    this.layout = layout;
    this.HDR = layout.HDR;
    this.TW = layout.TW;
    this.implOff = layout.implOff;
    this.blocks = layout.blocks;
    this.invariants = sub.invariants;
    this.invariantStats = sub.invariants.map((inv) => ({
      name: inv.name,
      when: inv.when,
      checked: 0,
      nonTrivial: 0,
      ...(inv.appliesTo && !inv.appliesTo(scenario.params) ? { applicable: false as const } : {}),
    }));
    this.ctx = new Ctx(scenario.params, variant, new Set(this.faultSites));
    this.ctx.lacks = sc.lacks;
    this.abs =
      sc.spec &&
      new AbstractionCache<G>(sub.abstraction!, scenario.params, sc.spec, (a, at) => layout.decodeImplAt(a, at));
    const tr = new Transitions<G>(layout, sc.alts, this.ctx, sc.lin, sc.spec, this.abs);
    this.expander = new Expander<G>(sc, layout, this.ctx, tr, this.pruned);
    this.props = new ProductProperties<G>(sc, layout, this.ctx, this.invariants, this.invariantStats, scenario.params);
    this.tallies = {
      invariantStats: this.invariantStats,
      pruned: this.pruned,
      alts: sc.alts,
      reached: this.ctx.reached,
    };
    this.setStepMemo(true);
  }

  /** Listed fault sites never reached by inject() so far. */
  faultSitesNeverReached(): string[] {
    return this.faultSites.filter((s) => !this.ctx.reached.has(s));
  }

  /** Scenario clauses (thread, slot, alternative) no explored path started: vacuous. */
  clausesNeverRun(): string[] {
    const out: string[] = [];
    this.alts.forEach((slots, t) =>
      slots.forEach((alts, s) =>
        alts.forEach((a) => {
          if (!a.ran) out.push(`T${t} slot ${s}: ${a.opName}(${fmtArgs(a.args)})`);
        }),
      ),
    );
    return out;
  }

  /**
   * Optional shared watch word for a supervisor (cli/ runs the search in a worker it may
   * terminate): [thread, slot, alt, step, running] of the step being executed, so a step
   * that never returns can be named from outside.
   */
  get watch(): Int32Array | undefined {
    return this.expander.watch;
  }
  set watch(w: Int32Array | undefined) {
    this.expander.watch = w;
  }

  // ---- tallies (Model.counters; product/counters.ts) ------------------------

  /** Invariant evaluations, pruned paths, clauses started and fault sites reached so far. */
  counters(): ProductCounters {
    return takeCounters(this.tallies);
  }

  /** Set the tallies back to `c` (taken from this Product earlier). */
  restoreCounters(c: unknown): void {
    restoreCounters(this.tallies, c as ProductCounters);
    this.expander.stepMemo?.clear(); // a memoized step would not reach its fault sites again
  }

  /** Add the tallies of another Product of the same scenario (a parallel search's worker). */
  addCounters(c: unknown): void {
    addCounters(this.tallies, c as ProductCounters);
  }

  // ---- the vector (product/layout.ts) ---------------------------------------

  /** Thread t's pc in the state at vec[off...] (-1: no op in flight). */
  pcOf(vec: Int32Array, off: number, t: number): number {
    return this.layout.pcOf(vec, off, t);
  }

  decodeImpl(vec: Int32Array, off = 0): G {
    return this.layout.decodeImpl(vec, off);
  }

  /** The initial state vector and its decoded impl state. */
  initial(): { vec: Int32Array; impl: G; failure?: Failure } {
    let g: G;
    try {
      g = this.sub.impl.init(this.scenario.params);
    } catch (e) {
      throw new ScenarioError(`${this.sub.name}: init threw: ${(e as Error).message}`);
    }
    const w = new IntBuffer(1024);
    let set = this.lin ? this.lin.initialSet : 0;
    let failure: Failure | undefined;
    if (this.lin) {
      const q = this.lin.quiesce(set, this.abs!.id(g));
      if (q === NO_SET) {
        failure = {
          kind: 'refinement',
          property: 'refinement',
          message: 'the initial implementation state does not abstract to the initial spec state',
        };
      } else set = q;
    }
    w.push(set);
    w.push(0);
    const idle = this.layout.idleBlock(0);
    for (let t = 0; t < this.T; t++) w.push(idle);
    this.schema.encode(g, w);
    return { vec: w.toArray(), impl: g, failure };
  }

  // ---- expansion (product/expand.ts) ------------------------------------------

  /**
   * Enumerate successors of the state at vec[off, off+len). Calls `emit` once
   * per successor in a fixed order; `label` is computed only when
   * `wantLabels` is set. Without labels, a step met before in the same impl
   * state is replayed from the step memo (step-memo.ts) instead of run;
   * `hint` is the state's Successor.hint (its impl state's memo id, checked before use).
   */
  expand(vec: Int32Array, off: number, len: number, emit: Emit, wantLabels = false, hint = -1): void {
    this.expander.expand(vec, off, len, emit, wantLabels, hint);
  }

  /** Partial-order reduction (por.ts): expand one thread's thread-local step alone where one is in flight. */
  setPor(on: boolean): void {
    this.expander.por = on ? { reduced: 0 } : undefined;
  }

  /** Expansions the partial-order reduction reduced so far (0 when off). */
  get porReduced(): number {
    return this.expander.por?.reduced ?? 0;
  }

  /** Model.hints: with the memo on, a successor's hint is its impl state's memo id. */
  get hints(): boolean {
    return this.expander.stepMemo !== undefined;
  }

  /** Model.cacheMisses: the step memo's misses so far (0 with the memo off). */
  get cacheMisses(): number {
    return this.expander.stepMemo?.misses ?? 0;
  }

  /** Model.cacheDrops: the step memo's evictions so far (StepMemo.bound). */
  get cacheDrops(): number {
    return this.expander.stepMemo?.drops ?? 0;
  }

  /** Model.cachePeakBytes: the most the step memo held (0 with the memo off). */
  get cachePeakBytes(): number {
    return 4 * (this.expander.stepMemo?.peakWords ?? 0);
  }

  /** Whether the step memo is on (Product.setStepMemo). */
  get stepMemoOn(): boolean {
    return this.expander.stepMemo !== undefined;
  }

  /**
   * Turn the step memo off or on (counts are the same either way; tests
   * compare them). `true` keeps it off for impl states shorter than
   * StepMemo.MIN_IMPL words, where decoding and running a step costs less than
   * the memo's table lookups (bench: toy-large); 'always' turns it on anyway.
   * It stays off when the memo's keys have no room for the scenario (StepMemo.fits).
   */
  setStepMemo(on: boolean | 'always'): void {
    const implLen = this.initialImplLen();
    const fits = StepMemo.fits(this.T, Math.max(...this.alts.flat().map((a) => a.length)), this.faultBudget);
    this.expander.setStepMemo(
      fits && (on === 'always' || (on && implLen >= StepMemo.MIN_IMPL)) ? new StepMemo() : undefined,
    );
  }

  /** Words of the initial impl state's encoding (a guide to every state's). */
  private initialImplLen(): number {
    const w = new IntBuffer(64);
    try {
      this.schema.encode(this.sub.impl.init(this.scenario.params), w);
    } catch {
      return 0; // initial() reports it
    }
    return w.len;
  }

  /**
   * The first successor of `vec` (a standalone state vector) whose label
   * satisfies `want(label, index)`, copied out, with how many successors
   * `vec` has (`of`); undefined when none does.
   */
  pick(
    vec: Int32Array,
    want: (label: StepLabel, index: number) => boolean,
  ): { vec: Int32Array; label: StepLabel; impl: G; failure?: Failure; of: number } | undefined {
    let hit: { vec: Int32Array; label: StepLabel; impl: G; failure?: Failure; of: number } | undefined;
    let k = 0;
    this.expand(
      vec,
      0,
      vec.length,
      (s, lab) => {
        const i = k++;
        if (!hit && lab && want(lab, i))
          hit = {
            vec: s.buf.slice(0, s.len),
            label: lab,
            impl: s.impl as G,
            ...(s.failure ? { failure: s.failure } : {}),
            of: 0,
          };
      },
      true,
    );
    if (hit) hit.of = k;
    return hit;
  }

  // ---- properties (product/properties.ts) -------------------------------------

  /**
   * The invariant context of a state. The returned object is reused by the
   * next call: invariants must not keep it.
   */
  invariantCtx(vec: Int32Array, off: number): InvariantCtx {
    return this.props.invariantCtx(vec, off);
  }

  /** Deadlock: some thread has work left and no such thread can move. */
  deadlocked(vec: Int32Array, off: number, g: G): Failure | undefined {
    return this.props.deadlocked(vec, off, g);
  }

  /**
   * Model: invariants of a newly discovered state (decoded is its impl state;
   * hint its Successor.hint: with the step memo on, the outcome is cached by
   * its impl state's memo id and invariant context).
   */
  checkState(vec: Int32Array, off: number, decoded: unknown, hint = -1): Failure | undefined {
    const memo = this.expander.stepMemo;
    if (hint >= 0 && memo) return this.props.checkCached(vec, off, decoded as G | undefined, memo, hint);
    return this.props.check(vec, off, decoded as G | undefined);
  }

  /**
   * Model: a deadlock after expansion. Only a state with no successor (or,
   * with menu threads that may stop, none from a thread with work left) can be one.
   */
  stuck(vec: Int32Array, off: number, _len: number, successors?: number): Failure | undefined {
    if (successors !== undefined && successors > 0 && !(this.hasMenus && this.expander.mandatoryMoves === 0))
      return undefined;
    return this.props.deadlocked(vec, off, this.decodeImpl(vec, off));
  }

  // ---- traces (product/trace.ts) ------------------------------------------------

  traceState(vec: Int32Array): TraceState {
    const r =
      this.lin && this.spec
        ? { lin: this.lin, spec: this.spec, abstraction: this.sub.abstraction!, params: this.scenario.params }
        : undefined;
    return traceStateOf(vec, this.layout, this.alts, r);
  }
}
