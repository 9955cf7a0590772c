/* eslint-disable max-lines -- the product state (impl x spec x linearizer) and its expansion share one hot
   loop over the packed vector; the step context (step-ctx.ts) and the shared-id tables (product-sharing.ts)
   are apart; splitting the expansion itself is to land with the encoded-state stepping of issue 13, so
   the hot path is measured by npm run bench when it moves */
/**
 * The product model explored by the checker: implementation state, threads
 * running scenario scripts, the fault-injection budget, and (with a spec) the
 * interned set of linearization configurations. One state is one Int32 vector:
 *
 *   [ linSet | faultsUsed | per thread: its control block's id | impl state... ]
 *
 * A thread's control block (slot, alt, pc, locals[L]) is interned in
 * `blocks` (store/block-table.ts): a thread costs the vector one word, however
 * many locals its ops declare.
 *
 * `expand` enumerates every successor of a state in a fixed order, so a
 * successor is identified by its index: that is how traces are stored and
 * replayed.
 */
import { canonicalOrder, IntArrayInterner } from './intern.js';
import { compileLocals, type LocalSlots } from './locals.js';
import { Linearizer, NO_SET } from './linearizer.js';
import type { Emit, Failure, Model, Successor } from './model.js';
import { evalInvariants } from './properties.js';
import type { InvariantStats, StepLabel, ThreadView, TraceState, ViolationKind } from './result.js';
import { ArrayReader, IntBuffer, type Schema } from './schema.js';
import { SpecAdapter, SpecError } from './spec-adapter.js';
import type { ProductCounters, ProductSharing } from './product-sharing.js';
import { LazySuccessor } from './product-successor.js';
import { Ctx, NO_SITES, Pruned } from './step-ctx.js';
import { RUN_PRUNED, StepMemo } from './step-memo.js';
import { BlockTable } from './store/block-table.js';
import { SharedInternTable } from './store/shared-intern.js';
import type {
  ArgValue,
  Args,
  Invariant,
  InvariantCtx,
  OpDef,
  RetValue,
  Scenario,
  StepDef,
  Subsystem,
} from './types.js';

export class ScenarioError extends Error {}
export type { Failure, Successor };
export { createProductSharing, type ProductCounters, type ProductSharing } from './product-sharing.js';

/** The implementation's state schema for these scenario parameters. */
export function implSchema<G, P>(sub: Subsystem<G, any, P>, params: P): Schema<G> {
  const s = sub.impl.state;
  return typeof s === 'function' ? s(params) : s;
}

interface CompiledOp {
  readonly name: string;
  readonly def: OpDef<any, any>;
  readonly steps: readonly StepDef<any, any>[];
  readonly stepIndex: ReadonlyMap<string, number>;
  readonly locals: readonly string[];
  /** Reused locals object handed to this op's steps (filled from the state before each call). */
  readonly l: Record<string, number>;
  /** Straight-line load/store of the locals from/to the state vector. */
  readonly slots: LocalSlots;
}

/** A step run's effect on its thread (its new control block's id); reused between runs. */
interface RunEffect {
  nextPc: number;
  ret: RetValue | undefined;
  injected: number;
  block: number;
}

interface CompiledAlt {
  readonly op: CompiledOp;
  readonly opName: string;
  readonly args: Args;
  /** Operation id in the spec adapter (-1 without spec). */
  readonly specOp: number;
  /** Set once some explored path started this alternative (a clause never started is vacuous). */
  ran: boolean;
}

/** The fixes a scenario's kernel version lacks (unknown version: a ScenarioError naming the known ones). */
function kernelLacks(sub: Subsystem<any, any, any>, version: string | undefined): ReadonlySet<string> {
  const kv = sub.kernelVersions;
  if (version === undefined) return new Set(kv?.versions.find((v) => v.name === kv.default)?.lacks ?? []);
  const v = kv?.versions.find((x) => x.name === version);
  if (!v)
    throw new ScenarioError(
      `${sub.name} does not model kernel version '${version}' (known: ${kv?.versions.map((x) => x.name).join(', ') || 'none'})`,
    );
  return new Set(v.lacks);
}

export class Product<G extends object = any> implements Model {
  readonly T: number;
  readonly L: number;
  readonly HDR = 2;
  /** Words of a thread control block (slot, alt, pc, locals[L]), interned in `blocks`. */
  readonly TW: number;
  /** The thread control blocks by id (a vector holds the id, at HDR + t). */
  readonly blocks: BlockTable;
  readonly implOff: number;
  readonly ops: Map<string, CompiledOp>;
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
  /** Listed fault sites never reached by inject() so far. */
  faultSitesNeverReached(): string[] {
    return this.faultSites.filter((s) => !this.ctx.reached.has(s));
  }
  /**
   * Per thread, the slots it must run (scenario.minOps); past them it may stop,
   * so it never counts as having work left when judging a deadlock.
   */
  readonly mustRun: Int32Array;
  /** Some thread may stop early (a menu thread with min < max). */
  readonly hasMenus: boolean;
  /** Successors the last expand() emitted from threads that have work left (see `mustRun`). */
  mandatoryMoves = 0;
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
  watch: Int32Array | undefined;
  /** Preconditions broken on pruned paths, with counts. */
  readonly pruned = new Map<string, number>();
  private readonly out = new IntBuffer(1024);
  private readonly ctx: Ctx;
  private readonly reader = new ArrayReader(new Int32Array(0));
  /** Length of the state being expanded (a failing transition re-emits it unchanged). */
  private curLen = 0;

  // precomputes every table the hot loop reads (slots,
  // step ids, fault sites, interned spec views) once per scenario
  // eslint-disable-next-line max-lines-per-function -- see the comment above
  constructor(
    readonly sub: Subsystem<G, any, any>,
    readonly scenario: Scenario<any>,
    variant: string | null,
    sharing?: ProductSharing,
  ) {
    if (variant !== null && !sub.variants.some((v) => v.name === variant))
      throw new ScenarioError(
        `unknown variant '${variant}' for ${sub.name} (known: ${sub.variants.map((v) => v.name).join(', ') || 'none'})`,
      );
    this.variant = variant;
    try {
      this.schema = implSchema(sub, scenario.params);
    } catch (e) {
      throw new ScenarioError(`${sub.name}: state schema for these params: ${(e as Error).message}`);
    }
    if (scenario.threads.length === 0) throw new ScenarioError(`scenario '${scenario.name}' has no threads`);
    if (scenario.threads.length > 8) throw new ScenarioError(`scenario '${scenario.name}' has more than 8 threads`);
    this.T = scenario.threads.length;
    this.ops = new Map();
    let L = 0;
    for (const [name, def] of Object.entries(sub.impl.ops)) {
      if (def.steps.length === 0) throw new ScenarioError(`${sub.name}: op '${name}' has no steps`);
      const stepIndex = new Map<string, number>();
      def.steps.forEach((s, i) => {
        if (stepIndex.has(s.name)) throw new ScenarioError(`${sub.name}: op '${name}' has two steps named '${s.name}'`);
        stepIndex.set(s.name, i);
      });
      const locals = def.locals ?? [];
      const slots = compileLocals(locals);
      this.ops.set(name, { name, def, steps: def.steps, stepIndex, locals, l: slots.l, slots });
    }
    // Each thread reserves room for the most locals any op of *this scenario* uses.
    for (const script of scenario.threads)
      for (const slot of script) for (const c of slot) L = Math.max(L, this.ops.get(c.op)?.locals.length ?? 0);
    this.L = L;
    this.TW = 3 + L;
    this.implOff = this.HDR + this.T;
    this.lazy = new LazySuccessor(this.implOff);
    this.blocks = new BlockTable(this.TW, sharing && new SharedInternTable(sharing.blocks));
    this.scratch = new Int32Array(this.TW);
    if (sub.spec) {
      if (!sub.abstraction) throw new ScenarioError(`${sub.name}: a spec needs an abstraction function`);
      try {
        this.spec = new SpecAdapter(
          sub.spec,
          scenario.params,
          sharing && {
            views: new SharedInternTable(sharing.views),
            rets: new SharedInternTable(sharing.rets),
            contexts: new SharedInternTable(sharing.contexts),
          },
        );
      } catch (e) {
        throw new ScenarioError(`${sub.name}: ${(e as Error).message}`);
      }
    }
    this.alts = scenario.threads.map((script, t) =>
      script.map((slot, s) => {
        if (slot.length === 0)
          throw new ScenarioError(`scenario '${scenario.name}': thread ${t} slot ${s} has no alternatives`);
        return slot.map((choice) => {
          const op = this.ops.get(choice.op);
          if (!op)
            throw new ScenarioError(
              `scenario '${scenario.name}': unknown op '${choice.op}' for ${sub.name} (ops: ${[...this.ops.keys()].join(', ')})`,
            );
          return {
            op,
            opName: choice.op,
            args: Object.freeze({ ...choice.args }),
            specOp: this.spec ? this.spec.opId(choice.op, choice.args) : -1,
            ran: false,
          };
        });
      }),
    );
    if (this.spec)
      this.lin = new Linearizer(
        this.spec,
        this.T,
        sharing && { configs: new SharedInternTable(sharing.configs), sets: new SharedInternTable(sharing.sets) },
      );
    this.mustRun = Int32Array.from(scenario.threads, (script, t) => {
      const m = scenario.minOps?.[t];
      if (m === undefined || m === null) return script.length;
      if (!Number.isInteger(m) || m < 0)
        throw new ScenarioError(
          `scenario '${scenario.name}': minOps[${t}] must be a non-negative integer, got ${String(m)}`,
        );
      return Math.min(m, script.length); // --ops may have cut the script below its minimum: it runs every slot left
    });
    this.hasMenus = this.mustRun.some((m, t) => m < scenario.threads[t]!.length);
    this.invariants = sub.invariants;
    this.invariantStats = sub.invariants.map((inv) => ({ name: inv.name, when: inv.when, checked: 0, nonTrivial: 0 }));
    this.faultBudget = scenario.faults?.budget ?? 0;
    this.faultSites = scenario.faults?.sites ?? [];
    this.ctx = new Ctx(scenario.params, variant, new Set(this.faultSites));
    this.ctx.lacks = kernelLacks(sub, scenario.kernelVersion);
    this.setStepMemo(true);
  }

  // ---- tallies (Model.counters) -----------------------------------------

  /** Invariant evaluations, pruned paths, clauses started and fault sites reached so far. */
  counters(): ProductCounters {
    return {
      invariants: this.invariantStats.map((s) => [s.checked, s.nonTrivial] as const),
      pruned: [...this.pruned],
      ran: this.alts.flat(2).map((a) => a.ran),
      reached: [...this.ctx.reached],
    };
  }

  /** Set the tallies back to `c` (taken from this Product earlier). */
  restoreCounters(c: unknown): void {
    const k = c as ProductCounters;
    this.invariantStats.forEach((s, i) => {
      s.checked = k.invariants[i]![0];
      s.nonTrivial = k.invariants[i]![1];
    });
    this.pruned.clear();
    for (const [t, n] of k.pruned) this.pruned.set(t, n);
    this.alts.flat(2).forEach((a, i) => (a.ran = k.ran[i]!));
    this.ctx.reached.clear();
    for (const r of k.reached) this.ctx.reached.add(r);
    this.memo?.clear(); // a memoized step would not reach its fault sites again
  }

  /** Add the tallies of another Product of the same scenario (a parallel search's worker). */
  addCounters(c: unknown): void {
    const k = c as ProductCounters;
    this.invariantStats.forEach((s, i) => {
      s.checked += k.invariants[i]![0];
      s.nonTrivial += k.invariants[i]![1];
    });
    for (const [t, n] of k.pruned) this.pruned.set(t, (this.pruned.get(t) ?? 0) + n);
    this.alts.flat(2).forEach((a, i) => (a.ran ||= k.ran[i]!));
    for (const r of k.reached) this.ctx.reached.add(r);
  }

  // ---- encoding helpers -------------------------------------------------

  /** The id of the control block of a thread about to start `slot` (no op in flight). */
  private idleBlock(slot: number): number {
    let id = this.idleIds[slot];
    if (id === undefined) {
      const b = this.scratch;
      b.fill(0);
      b[0] = slot;
      b[2] = -1;
      id = this.blocks.intern(b, 0);
      this.idleIds[slot] = id;
    }
    return id;
  }
  private readonly idleIds: number[] = [];
  /** A control block being built (interned before it is stored). */
  private readonly scratch: Int32Array;

  /** Where thread t's control block (slot, alt, pc, locals) of the state at vec[off...] starts in blocks.words. */
  blockAt(vec: Int32Array, off: number, t: number): number {
    return this.blocks.base(vec[off + this.HDR + t]!);
  }

  /** Thread t's slot in the state at vec[off...]. */
  slotOf(vec: Int32Array, off: number, t: number): number {
    const b = this.blockAt(vec, off, t);
    return this.blocks.words[b]!;
  }

  /** Thread t's pc in the state at vec[off...] (-1: no op in flight). */
  pcOf(vec: Int32Array, off: number, t: number): number {
    const b = this.blockAt(vec, off, t);
    return this.blocks.words[b + 2]!;
  }

  decodeImpl(vec: Int32Array, off = 0): G {
    return this.decodeImplAt(vec, off + this.implOff);
  }

  /** The impl state encoded at a[at...]. */
  private decodeImplAt(a: Int32Array, at: number): G {
    const r = this.reader;
    r.buf = a;
    r.pos = at;
    return this.schema.decode(r);
  }

  /** The initial state vector and its decoded impl state. */
  initial(): { vec: Int32Array; impl: G; failure?: Failure } {
    let g: G;
    try {
      g = this.sub.impl.init(this.scenario.params);
    } catch (e) {
      throw new ScenarioError(`${this.sub.name}: init threw: ${(e as Error).message}`);
    }
    const w = this.out;
    w.reset();
    let set = this.lin ? this.lin.initialSet : 0;
    let failure: Failure | undefined;
    if (this.lin) {
      const abs = this.abstractId(g);
      const q = this.lin.quiesce(set, abs);
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
    const idle = this.idleBlock(0);
    for (let t = 0; t < this.T; t++) w.push(idle);
    this.schema.encode(g, w);
    return { vec: w.toArray(), impl: g, failure };
  }

  /**
   * abstraction(g) interned, cached by g's encoding w[off, len): the
   * abstraction is a function of the encoded state (anything else would also
   * break deduplication), and the same impl state recurs at quiescence under
   * many thread and linearization states. Exact keys (no hash-only match);
   * the cache is dropped when it grows past ABS_CACHE entries, bounding memory.
   */
  private abstractIdCached(g: G | undefined, implId: number, a: Int32Array, at: number, len: number): number {
    const memo = implId >= 0 ? this.memo : undefined;
    if (memo) {
      const known = memo.absId(implId);
      if (known >= 0) return known;
    }
    const k = this.absKeys.internAt(a, at, len);
    let id = this.absIds[k];
    if (id === undefined) {
      id = this.abstractId(g ?? this.decodeImplAt(a, at));
      this.absIds[k] = id;
      if (this.absKeys.size >= Product.ABS_CACHE) {
        this.absKeys = new IntArrayInterner();
        this.absIds = [];
      }
    }
    if (memo) memo.setAbsId(implId, id);
    return id;
  }
  private static readonly ABS_CACHE = 1 << 17;
  private absKeys = new IntArrayInterner();
  private absIds: number[] = [];

  private abstractId(g: G): number {
    let abs: unknown;
    try {
      abs = this.sub.abstraction!(g, this.scenario.params);
    } catch (e) {
      throw new SpecError(`abstraction threw: ${(e as Error).message}`);
    }
    return this.spec!.internView(abs);
  }

  // ---- expansion ----------------------------------------------------------

  /** The step a thread would take next for alternative `altIdx` (or its current op). */
  private setupCtx(vec: Int32Array, off: number, t: number, op: CompiledOp, args: Args, fresh: boolean): void {
    const ctx = this.ctx;
    ctx.tid = t;
    ctx.args = args;
    const b = this.blockAt(vec, off, t);
    op.slots.load(this.blocks.words, b + 3, fresh);
    ctx.l = op.l;
  }

  /**
   * Whether thread `t` can move in state `vec` (whose impl state is `g`).
   * A thread that finished its script cannot.
   */
  threadEnabled(vec: Int32Array, off: number, g: G, t: number): boolean {
    const tb = this.blockAt(vec, off, t);
    const bw = this.blocks.words;
    const slot = bw[tb]!;
    const pc = bw[tb + 2]!;
    if (pc >= 0) {
      const alt = this.alts[t]![slot]![bw[tb + 1]!]!;
      const step = alt.op.steps[pc]!;
      if (!step.enabled) return true;
      this.setupCtx(vec, off, t, alt.op, alt.args, false);
      return step.enabled(g, this.ctx);
    }
    const slots = this.alts[t]!;
    if (slot >= slots.length) return false;
    for (const alt of slots[slot]!) {
      const step = alt.op.steps[0]!;
      if (!step.enabled) return true;
      this.setupCtx(vec, off, t, alt.op, alt.args, true);
      if (step.enabled(g, this.ctx)) return true;
    }
    return false;
  }

  /** Whether thread t has work left: an op in flight, or a slot it must still run. */
  hasWork(vec: Int32Array, off: number, t: number): boolean {
    const tb = this.blockAt(vec, off, t);
    const bw = this.blocks.words;
    return bw[tb + 2]! >= 0 || bw[tb]! < this.mustRun[t]!;
  }

  /**
   * Deadlock: some thread has work left and no such thread can move. A menu
   * thread past its minimum may stop instead of moving (that is one of the
   * programs explored), so whether it could move does not matter.
   */
  deadlocked(vec: Int32Array, off: number, g: G): Failure | undefined {
    let unfinished = false;
    for (let t = 0; t < this.T; t++) {
      if (!this.hasWork(vec, off, t)) continue;
      unfinished = true;
      try {
        if (this.threadEnabled(vec, off, g, t)) return undefined;
      } catch {
        return undefined; // an enabled() that throws is reported when the state is expanded
      }
    }
    if (!unfinished) return undefined;
    const stuck: string[] = [];
    for (let t = 0; t < this.T; t++) {
      const tb = this.blockAt(vec, off, t);
      const bw = this.blocks.words;
      const slot = bw[tb]!;
      const pc = bw[tb + 2]!;
      if (pc >= 0) {
        const alt = this.alts[t]![slot]![bw[tb + 1]!]!;
        stuck.push(`T${t} blocked in ${alt.opName} at ${alt.op.steps[pc]!.name}`);
      } else if (slot < this.mustRun[t]!) stuck.push(`T${t} cannot start slot ${slot}`);
      else if (slot < this.alts[t]!.length) stuck.push(`T${t} stopped (menu)`);
    }
    return { kind: 'deadlock', property: 'deadlock', message: `no thread can move: ${stuck.join('; ')}` };
  }

  /** Model: invariants of a newly discovered state (decoded is its impl state). */
  checkState(vec: Int32Array, off: number, decoded: unknown): Failure | undefined {
    if (this.invariants.length === 0) return undefined;
    return evalInvariants(
      this.invariants,
      this.invariantStats,
      (decoded as G | undefined) ?? this.decodeImpl(vec, off),
      this.scenario.params,
      this.invariantCtx(vec, off),
    );
  }

  /**
   * Model: a deadlock after expansion. Only a state with no successor (or,
   * with menu threads that may stop, none from a thread with work left) can be one.
   */
  stuck(vec: Int32Array, off: number, _len: number, successors?: number): Failure | undefined {
    if (successors !== undefined && successors > 0 && !(this.hasMenus && this.mandatoryMoves === 0)) return undefined;
    return this.deadlocked(vec, off, this.decodeImpl(vec, off));
  }

  /**
   * Enumerate successors of the state at vec[off, off+len). Calls `emit` once
   * per successor in a fixed order; `label` is computed only when
   * `wantLabels` is set. Without labels, a step met before in the same impl
   * state is replayed from the step memo (step-memo.ts) instead of run;
   * `hint` is the state's Successor.hint (its impl state's memo id, checked before use).
   */
  expand(vec: Int32Array, off: number, len: number, emit: Emit, wantLabels = false, hint = -1): void {
    this.g0 = undefined;
    this.curImpl = -1;
    this.curHint = hint;
    this.curZ = -1;
    this.memo?.bound();
    this.curLen = len;
    this.mandatoryMoves = 0;
    for (let t = 0; t < this.T; t++) {
      const tb = this.blockAt(vec, off, t);
      const bw = this.blocks.words;
      const slot = bw[tb]!;
      const pc = bw[tb + 2]!;
      const before = this.emitted;
      if (pc >= 0) {
        this.expandStep(vec, off, len, t, slot, bw[tb + 1]!, pc, emit, wantLabels);
      } else {
        const slots = this.alts[t]!;
        if (slot >= slots.length) continue;
        const alts = slots[slot]!;
        for (let a = 0; a < alts.length; a++) this.expandStep(vec, off, len, t, slot, a, -1, emit, wantLabels);
      }
      if (pc >= 0 || slot < this.mustRun[t]!) this.mandatoryMoves += this.emitted - before;
    }
  }
  /** Successors emitted so far (counts every emit, failures included). */
  private emitted = 0;
  /** The impl state of the state being expanded, decoded on first use (read-only). */
  private g0: G | undefined;
  /** Its step-memo id (-1: not yet interned). */
  private curImpl = -1;
  /** What the strategy says its step-memo id may be (expand's `hint`). */
  private curHint = -1;
  /** Its impl part of the fingerprint (curZ < 0: not yet computed). */
  private curZ = -1;
  private curZa = 0;
  private curZb = 0;
  /** The successor handed to strategies (built lazily; product-successor.ts). */
  private readonly lazy: LazySuccessor;
  /** The step memo (undefined: off). */
  private memo: StepMemo | undefined;
  /** Model.hints: with the memo on, a successor's hint is its impl state's memo id. */
  get hints(): boolean {
    return this.memo !== undefined;
  }
  /** Whether the runs of the step being run are recorded for the memo (false: not recording, or failed). */
  private rec = false;
  private readonly implBuf = new IntBuffer(256);

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
    this.memo = fits && (on === 'always' || (on && implLen >= StepMemo.MIN_IMPL)) ? new StepMemo() : undefined;
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

  /** Step-memo drops so far (see StepMemo.CAP). */
  get stepMemoDrops(): number {
    return this.memo?.drops ?? 0;
  }

  private expandStep(
    vec: Int32Array,
    off: number,
    len: number,
    t: number,
    slot: number,
    altIdx: number,
    pc: number,
    emit: Emit,
    wantLabels: boolean,
  ): void {
    const alt = this.alts[t]![slot]![altIdx]!;
    const invoked = pc < 0;
    const stepIdx = invoked ? 0 : pc;
    const memo = wantLabels ? undefined : this.memo;
    let key = -1;
    this.rec = false;
    if (memo) {
      if (this.curImpl < 0) this.curImpl = memo.implIdHinted(this.curHint, vec, off + this.implOff, len - this.implOff);
      key = memo.keyId(this.curImpl, t, altIdx, vec[off + 1]!, vec[off + this.HDR + t]!);
      const at = memo.entry(key);
      if (at >= 0) {
        this.replay(memo, at, vec, off, t, slot, altIdx, alt, stepIdx, invoked, emit);
        return;
      }
      if (at === -2) {
        this.rec = true;
        memo.begin();
      }
    }
    this.runStep(vec, off, t, slot, altIdx, alt, stepIdx, invoked, emit, wantLabels);
    if (key >= 0 && memo!.entry(key) === -2) memo!.commit(key, this.rec);
    this.rec = false;
  }

  /** Emit the memoized runs of a step. */
  private replay(
    memo: StepMemo,
    at: number,
    vec: Int32Array,
    off: number,
    t: number,
    slot: number,
    altIdx: number,
    alt: CompiledAlt,
    stepIdx: number,
    invoked: boolean,
    emit: Emit,
  ): void {
    const runs = memo.runs;
    const n = runs[at]!;
    let p = at + 1;
    const s = this.run;
    for (let i = 0; i < n; i++) {
      if (runs[p] === RUN_PRUNED) {
        const text = memo.texts[runs[p + 1]!]!;
        this.pruned.set(text, (this.pruned.get(text) ?? 0) + 1);
        p += 2;
        continue;
      }
      if (invoked) alt.ran = true;
      s.nextPc = runs[p + 1]!;
      const r = runs[p + 2]!;
      s.ret = r < 0 ? undefined : memo.rets[r];
      s.injected = runs[p + 3]!;
      const impl = runs[p + 4]!;
      s.block = runs[p + 5]!;
      p += 6;
      const im = memo.impls;
      this.successor(
        vec,
        off,
        undefined,
        t,
        slot,
        altIdx,
        alt,
        stepIdx,
        invoked,
        s,
        im.arena,
        im.startOf(impl),
        im.lenOf(impl),
        impl,
        emit,
        false,
      );
    }
  }

  /** Run a step's every choice sequence (recording them in `rec` when set). */
  private runStep(
    vec: Int32Array,
    off: number,
    t: number,
    slot: number,
    altIdx: number,
    alt: CompiledAlt,
    stepIdx: number,
    invoked: boolean,
    emit: Emit,
    wantLabels: boolean,
  ): void {
    const step = alt.op.steps[stepIdx]!;
    const ctx = this.ctx;
    const watch = this.watch;
    if (watch) {
      watch[0] = t;
      watch[1] = slot;
      watch[2] = altIdx;
      watch[3] = stepIdx;
      watch[4] = 1;
    }
    if (step.enabled) {
      this.setupCtx(vec, off, t, alt.op, alt.args, invoked);
      let ok: boolean;
      try {
        ok = step.enabled((this.g0 ??= this.decodeImpl(vec, off)), ctx);
      } catch (e) {
        this.emitFailure(vec, off, t, slot, altIdx, stepIdx, invoked, emit, wantLabels, e);
        return;
      }
      if (!ok) return;
    }
    const faultsUsed = vec[off + 1]!;
    ctx.resetScript();
    do {
      ctx.cpos = 0;
      ctx.injected = NO_SITES as string[];
      ctx.faultsLeft = this.faultBudget - faultsUsed;
      this.setupCtx(vec, off, t, alt.op, alt.args, invoked);
      const g = this.decodeImpl(vec, off);
      let res: ReturnType<StepDef<G>['run']>;
      try {
        res = step.run(g, ctx);
      } catch (e) {
        if (e instanceof Pruned) {
          this.pruned.set(e.text, (this.pruned.get(e.text) ?? 0) + 1);
          if (this.rec) this.memo!.recordPruned(e.text);
          continue;
        }
        this.emitFailure(vec, off, t, slot, altIdx, stepIdx, invoked, emit, wantLabels, e);
        continue;
      }
      if (invoked) alt.ran = true;
      this.emitResult(vec, off, g, t, slot, altIdx, alt, stepIdx, invoked, res, emit, wantLabels);
    } while (ctx.nextScript());
    if (watch) watch[4] = 0;
  }

  private label(
    t: number,
    slot: number,
    altIdx: number,
    stepIdx: number,
    invoked: boolean,
    ret: RetValue | undefined,
  ): StepLabel {
    const alt = this.alts[t]![slot]![altIdx]!;
    const lab: StepLabel = {
      tid: t,
      op: alt.opName,
      args: alt.args,
      slot,
      alt: altIdx,
      step: alt.op.steps[stepIdx]!.name,
      choices: this.ctx.choices(),
      injected: [...this.ctx.injected],
      invoked,
      ...(ret !== undefined ? { ret } : {}),
    };
    return lab;
  }

  private emitFailure(
    vec: Int32Array,
    off: number,
    t: number,
    slot: number,
    altIdx: number,
    stepIdx: number,
    invoked: boolean,
    emit: Emit,
    wantLabels: boolean,
    e: unknown,
  ): void {
    this.rec = false; // a step that failed is not memoized: it runs (and fails) every time
    const alt = this.alts[t]![slot]![altIdx]!;
    const stepName = alt.op.steps[stepIdx]!.name;
    const w = this.out;
    w.reset();
    for (let i = off; i < off + this.curLen; i++) w.push(vec[i]!);
    const kind: ViolationKind = e instanceof SpecError ? 'spec-error' : 'impl-error';
    this.emitted++;
    emit(
      {
        buf: w.buf,
        len: w.len,
        impl: this.decodeImpl(vec, off),
        failure: {
          kind,
          property: kind,
          message: `${alt.opName}(${fmtArgs(alt.args)}) step ${stepName} threw: ${(e as Error)?.message ?? String(e)}`,
        },
      },
      wantLabels ? this.label(t, slot, altIdx, stepIdx, invoked, undefined) : undefined,
    );
  }

  /** A run's result: its next pc and return value checked, its impl state encoded and recorded, then emitted. */
  private emitResult(
    vec: Int32Array,
    off: number,
    g: G,
    t: number,
    slot: number,
    altIdx: number,
    alt: CompiledAlt,
    stepIdx: number,
    invoked: boolean,
    res: string | { readonly ret: RetValue },
    emit: Emit,
    wantLabels: boolean,
  ): void {
    const fail = (e: Error) => this.emitFailure(vec, off, t, slot, altIdx, stepIdx, invoked, emit, wantLabels, e);
    let nextPc: number;
    let ret: RetValue | undefined;
    if (typeof res === 'string') {
      const n = alt.op.stepIndex.get(res);
      if (n === undefined) return fail(new Error(`returned unknown next step '${res}'`));
      nextPc = n;
    } else if (res && typeof res === 'object' && 'ret' in res) {
      nextPc = -1;
      ret = res.ret;
    } else return fail(new Error(`returned ${String(res)}; expected a step name or done(value)`));
    const ib = this.implBuf;
    ib.reset();
    try {
      this.schema.encode(g, ib);
    } catch (e) {
      return fail(new Error(`state does not fit its schema after the step: ${(e as Error).message}`));
    }
    const s = this.run;
    s.nextPc = nextPc;
    s.ret = ret;
    s.injected = this.ctx.injected.length;
    if (nextPc < 0) s.block = this.idleBlock(slot + 1);
    else {
      const b = this.scratch;
      const loc = alt.op.slots.s;
      b.fill(0);
      b[0] = slot;
      b[1] = altIdx;
      b[2] = nextPc;
      b.set(loc, 3);
      s.block = this.blocks.intern(b, 0);
    }
    let id = -1;
    if (this.rec) id = this.memo!.recordDone(nextPc, ret, s.injected, ib.buf, ib.len, s.block);
    else if (this.memo && !wantLabels) id = this.memo.implId(ib.buf, 0, ib.len);
    this.successor(vec, off, g, t, slot, altIdx, alt, stepIdx, invoked, s, ib.buf, 0, ib.len, id, emit, wantLabels);
  }

  /** A run's effect on the thread and the impl state (reused: valid until the next run). */
  private readonly run: RunEffect = {
    nextPc: 0,
    ret: undefined,
    injected: 0,
    block: 0,
  };

  // one successor: linearization, the vector, refinement at quiescence,
  // in the order the hot loop needs them; splitting costs a call per transition (see npm run bench)
  // eslint-disable-next-line max-lines-per-function -- see the comment above
  private successor(
    vec: Int32Array,
    off: number,
    g: G | undefined,
    t: number,
    slot: number,
    altIdx: number,
    alt: CompiledAlt,
    stepIdx: number,
    invoked: boolean,
    s: RunEffect,
    impl: Int32Array,
    implAt: number,
    implLen: number,
    succImpl: number,
    emit: Emit,
    wantLabels: boolean,
  ): void {
    const { nextPc, ret } = s;
    let failure: Failure | undefined;
    // linearization set
    let set = vec[off]!;
    const lin = this.lin;
    if (lin) {
      try {
        if (invoked) set = lin.invoke(set, t, alt.specOp);
        if (nextPc < 0) {
          const retId = this.spec!.retId(ret === undefined ? null : ret);
          const before = set;
          set = lin.respond(set, t, retId);
          if (set === NO_SET) {
            const allowed = lin.allowedReturns(before, t).map((r) => JSON.stringify(this.spec!.rets.get(r)));
            failure = {
              kind: 'linearizability',
              property: 'linearizability',
              message: `T${t} ${alt.opName}(${fmtArgs(alt.args)}) returned ${JSON.stringify(ret)}, but no linearization of the history allows it (spec allows: ${allowed.length ? allowed.join(', ') : 'nothing: the op is not enabled in any linearization'})`,
            };
            set = before;
          }
        }
      } catch (e) {
        this.emitFailure(vec, off, t, slot, altIdx, stepIdx, invoked, emit, wantLabels, e);
        return;
      }
    }

    // the successor: the parent's vector with thread t's block and the impl state replaced (built when read)
    const ls = this.lazy;
    ls.reset(vec, off, this.HDR + t, s.block, impl, implAt, implLen);
    if (nextPc < 0 && lin && !failure) {
      let quiescent = true;
      for (let u = 0; u < this.T; u++) {
        if (u !== t && this.pcOf(vec, off, u) >= 0) {
          quiescent = false;
          break;
        }
      }
      if (quiescent) {
        try {
          const abs = this.abstractIdCached(g, succImpl, impl, implAt, implLen);
          const q = lin.quiesce(set, abs);
          if (q === NO_SET) {
            failure = {
              kind: 'refinement',
              property: 'refinement',
              message: `at quiescence, abstraction(impl) matches none of the ${lin.specStates(set).length} spec state(s) that linearizations of the history allow`,
            };
          } else set = q;
        } catch (e) {
          this.emitFailure(vec, off, t, slot, altIdx, stepIdx, invoked, emit, wantLabels, e);
          return;
        }
      }
    }
    const memo = this.memo;
    const known = memo !== undefined && succImpl >= 0 && this.curImpl >= 0;
    let sa = 0;
    let sb = 0;
    if (known) {
      sa = memo.implZ(succImpl, this.implOff);
      sb = memo.zb;
      if (this.curZ < 0) {
        this.curZa = memo.implZ(this.curImpl, this.implOff);
        this.curZb = memo.zb;
        this.curZ = 1;
      }
    } else ls.parImplLen = this.curLen - this.implOff;
    ls.finish(set, vec[off + 1]! + s.injected, known, this.curZa, this.curZb, sa, sb);
    ls.impl = g;
    ls.failure = failure;
    ls.hint = succImpl;
    this.emitted++;
    emit(ls, wantLabels ? this.label(t, slot, altIdx, stepIdx, invoked, ret) : undefined);
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

  // ---- properties ---------------------------------------------------------

  private readonly qctx: { quiescent: boolean; inFlight: (string | undefined)[]; variant: string | null } = {
    quiescent: true,
    inFlight: [],
    variant: null,
  };

  /**
   * The invariant context of a state. The returned object is reused by the
   * next call: invariants must not keep it.
   */
  invariantCtx(vec: Int32Array, off: number): InvariantCtx {
    const q = this.qctx;
    q.variant = this.variant;
    q.inFlight.length = this.T;
    let quiescent = true;
    for (let t = 0; t < this.T; t++) {
      const tb = this.blockAt(vec, off, t);
      const bw = this.blocks.words;
      if (bw[tb + 2]! >= 0) {
        quiescent = false;
        q.inFlight[t] = this.alts[t]![bw[tb]!]![bw[tb + 1]!]!.opName;
      } else q.inFlight[t] = undefined;
    }
    q.quiescent = quiescent;
    return q;
  }

  // ---- decoding for traces ------------------------------------------------

  traceState(vec: Int32Array): TraceState {
    const impl = this.decodeImpl(vec, 0);
    const threads: ThreadView[] = [];
    for (let t = 0; t < this.T; t++) {
      const tb = this.blockAt(vec, 0, t);
      const bw = this.blocks.words;
      const slot = bw[tb]!;
      const pc = bw[tb + 2]!;
      const nslots = this.alts[t]!.length;
      if (pc >= 0) {
        const alt = this.alts[t]![slot]![bw[tb + 1]!]!;
        const locals: Record<string, number> = {};
        alt.op.locals.forEach((n, i) => (locals[n] = bw[tb + 3 + i]!));
        threads.push({
          tid: t,
          slot,
          op: alt.opName,
          args: alt.args,
          pc: alt.op.steps[pc]!.name,
          locals,
          finished: false,
        });
      } else threads.push({ tid: t, slot, finished: slot >= nslots });
    }
    const out: { -readonly [K in keyof TraceState]: TraceState[K] } = { impl, threads, faultsUsed: vec[1]! };
    if (this.lin && this.spec) {
      try {
        out.abstract = this.sub.abstraction!(impl, this.scenario.params);
      } catch (e) {
        out.abstract = `abstraction threw: ${(e as Error).message}`;
      }
      // canonical order, not intern-id order: ids depend on discovery order (and, with --workers, on timing)
      out.spec = canonicalOrder(this.lin.specStates(vec[0]!).map((id) => this.spec!.views.get(id)));
    }
    return out;
  }
}

export function fmtArgs(a: Args): string {
  return Object.entries(a)
    .map(([k, v]) => `${k}=${v as ArgValue}`)
    .join(', ');
}
