/**
 * The state properties of a product state: its invariants (with the context
 * an invariant sees: quiescence and the ops in flight) and deadlock (some
 * thread has work left and no such thread can move).
 */
import type { Failure } from '../model.js';
import type { VectorLayout } from './layout.js';
import type { CompiledScenario } from './scenario.js';
import { evalInvariants } from '../properties.js';
import type { InvariantStats } from '../result.js';
import type { Ctx } from '../step-ctx.js';
import type { StepMemo } from '../step-memo.js';
import { IntTable } from '../store/int-table.js';
import type { Invariant, InvariantCtx } from '../types.js';

export class ProductProperties<G extends object> {
  /** The context invariantCtx() hands out, reused (inFlight: one entry per thread, sized once). */
  private readonly qctx: { quiescent: boolean; inFlight: (string | undefined)[]; variant: string | null };

  /** Per alternative (alts[t][slot][alt]): its op's number + 1, the word of an in-flight thread in a context key. */
  private readonly opNo: Int32Array[][];
  /** The invariant context of the last invariantCtx() as T words (0: idle, else op number + 1), and its ids. */
  private readonly ctxKey: Int32Array;
  private readonly ctxIds = new IntTable();
  /** Non-vacuous counts before an evaluation whose outcome is cached. */
  private readonly before: Float64Array;

  constructor(
    private readonly sc: CompiledScenario<G>,
    private readonly layout: VectorLayout<G>,
    /** The step context enabled() is called with. */
    private readonly ctx: Ctx,
    readonly invariants: readonly Invariant<G, any>[],
    readonly invariantStats: InvariantStats[],
    private readonly params: unknown,
  ) {
    const opNos = new Map([...sc.ops.values()].map((op, i) => [op, i + 1]));
    this.opNo = sc.alts.map((slots) => slots.map((alts) => Int32Array.from(alts, (a) => opNos.get(a.op)!)));
    this.ctxKey = new Int32Array(sc.T);
    this.before = new Float64Array(invariants.length);
    this.qctx = { quiescent: true, inFlight: new Array<string | undefined>(sc.T).fill(undefined), variant: sc.variant };
  }

  /** Invariants of the state at vec[off...], whose impl state is `g` (undefined: decoded here). */
  check(vec: Int32Array, off: number, g: G | undefined): Failure | undefined {
    if (this.invariants.length === 0) return undefined;
    const impl = g ?? this.layout.decodeImpl(vec, off);
    return evalInvariants(this.invariants, this.invariantStats, impl, this.params, this.invariantCtx(vec, off));
  }

  /**
   * check() with the outcome cached in `memo` by (impl id, invariant
   * context), where `implId` is the state's impl step-memo id: a state whose
   * impl state and context were judged before, with no failure, counts the
   * same evaluations and non-vacuous ones again without decoding or running
   * an invariant. Up to 30 invariants (the outcome is a mask).
   */
  checkCached(vec: Int32Array, off: number, g: G | undefined, memo: StepMemo, implId: number): Failure | undefined {
    const invs = this.invariants;
    const n = invs.length;
    if (n === 0) return undefined;
    if (n > 30) return this.check(vec, off, g);
    const q = this.invariantCtx(vec, off);
    const slot = memo.invSlot(implId, this.ctxIds.intern(this.ctxKey, 0, this.sc.T));
    const known = memo.invGet(slot);
    const stats = this.invariantStats;
    if (known > 0) {
      const mask = known - 1;
      for (let i = 0; i < n; i++) {
        if (invs[i]!.when === 'quiescent' && !q.quiescent) continue;
        const st = stats[i]!;
        st.checked++;
        if ((mask >>> i) & 1) st.nonTrivial++;
      }
      return undefined;
    }
    const before = this.before;
    for (let i = 0; i < n; i++) before[i] = stats[i]!.nonTrivial;
    const f = evalInvariants(invs, stats, g ?? this.layout.decodeImpl(vec, off), this.params, q);
    if (f) return f;
    let mask = 0;
    for (let i = 0; i < n; i++) if (stats[i]!.nonTrivial !== before[i]) mask |= 1 << i;
    memo.invSet(slot, mask + 1);
    return undefined;
  }

  /**
   * The invariant context of a state (its key in `ctxKey`). The returned object is reused by the
   * next call: invariants must not keep it.
   */
  invariantCtx(vec: Int32Array, off: number): InvariantCtx {
    const q = this.qctx;
    const { layout, sc } = this;
    q.variant = sc.variant;
    const key = this.ctxKey;
    let quiescent = true;
    for (let t = 0; t < sc.T; t++) {
      const tb = layout.blockAt(vec, off, t);
      const bw = layout.blocks.words;
      if (bw[tb + 2]! >= 0) {
        quiescent = false;
        q.inFlight[t] = sc.alts[t]![bw[tb]!]![bw[tb + 1]!]!.opName;
        key[t] = this.opNo[t]![bw[tb]!]![bw[tb + 1]!]!;
      } else {
        q.inFlight[t] = undefined;
        key[t] = 0;
      }
    }
    q.quiescent = quiescent;
    return q;
  }

  /**
   * Whether thread `t` can move in state `vec` (whose impl state is `g`).
   * A thread that finished its script cannot.
   */
  threadEnabled(vec: Int32Array, off: number, g: G, t: number): boolean {
    const { layout, ctx } = this;
    const tb = layout.blockAt(vec, off, t);
    const bw = layout.blocks.words;
    const slot = bw[tb]!;
    const pc = bw[tb + 2]!;
    if (pc >= 0) {
      const alt = this.sc.alts[t]![slot]![bw[tb + 1]!]!;
      const step = alt.op.steps[pc]!;
      if (!step.enabled) return true;
      layout.setupCtx(ctx, vec, off, t, alt.op, alt.args, false);
      return step.enabled(g, ctx);
    }
    const slots = this.sc.alts[t]!;
    if (slot >= slots.length) return false;
    for (const alt of slots[slot]!) {
      const step = alt.op.steps[0]!;
      if (!step.enabled) return true;
      layout.setupCtx(ctx, vec, off, t, alt.op, alt.args, true);
      if (step.enabled(g, ctx)) return true;
    }
    return false;
  }

  /** Whether thread t has work left: an op in flight, or a slot it must still run. */
  hasWork(vec: Int32Array, off: number, t: number): boolean {
    const tb = this.layout.blockAt(vec, off, t);
    const bw = this.layout.blocks.words;
    return bw[tb + 2]! >= 0 || bw[tb]! < this.sc.mustRun[t]!;
  }

  /**
   * Deadlock: some thread has work left and no such thread can move. A menu
   * thread past its minimum may stop instead of moving (that is one of the
   * programs explored), so whether it could move does not matter.
   */
  deadlocked(vec: Int32Array, off: number, g: G): Failure | undefined {
    const T = this.sc.T;
    let unfinished = false;
    for (let t = 0; t < T; t++) {
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
    for (let t = 0; t < T; t++) {
      const tb = this.layout.blockAt(vec, off, t);
      const bw = this.layout.blocks.words;
      const slot = bw[tb]!;
      const pc = bw[tb + 2]!;
      if (pc >= 0) {
        const alt = this.sc.alts[t]![slot]![bw[tb + 1]!]!;
        stuck.push(`T${t} blocked in ${alt.opName} at ${alt.op.steps[pc]!.name}`);
      } else if (slot < this.sc.mustRun[t]!) stuck.push(`T${t} cannot start slot ${slot}`);
      else if (slot < this.sc.alts[t]!.length) stuck.push(`T${t} stopped (menu)`);
    }
    return { kind: 'deadlock', property: 'deadlock', message: `no thread can move: ${stuck.join('; ')}` };
  }
}
