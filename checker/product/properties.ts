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
import type { Invariant, InvariantCtx } from '../types.js';

export class ProductProperties<G extends object> {
  private readonly qctx: { quiescent: boolean; inFlight: (string | undefined)[]; variant: string | null } = {
    quiescent: true,
    inFlight: [],
    variant: null,
  };

  constructor(
    private readonly sc: CompiledScenario<G>,
    private readonly layout: VectorLayout<G>,
    /** The step context enabled() is called with. */
    private readonly ctx: Ctx,
    readonly invariants: readonly Invariant<G, any>[],
    readonly invariantStats: InvariantStats[],
    private readonly params: unknown,
  ) {}

  /** Invariants of the state at vec[off...], whose impl state is `g` (undefined: decoded here). */
  check(vec: Int32Array, off: number, g: G | undefined): Failure | undefined {
    if (this.invariants.length === 0) return undefined;
    const impl = g ?? this.layout.decodeImpl(vec, off);
    return evalInvariants(this.invariants, this.invariantStats, impl, this.params, this.invariantCtx(vec, off));
  }

  /**
   * The invariant context of a state. The returned object is reused by the
   * next call: invariants must not keep it.
   */
  invariantCtx(vec: Int32Array, off: number): InvariantCtx {
    const q = this.qctx;
    const { layout, sc } = this;
    q.variant = sc.variant;
    q.inFlight.length = sc.T;
    let quiescent = true;
    for (let t = 0; t < sc.T; t++) {
      const tb = layout.blockAt(vec, off, t);
      const bw = layout.blocks.words;
      if (bw[tb + 2]! >= 0) {
        quiescent = false;
        q.inFlight[t] = sc.alts[t]![bw[tb]!]![bw[tb + 1]!]!.opName;
      } else q.inFlight[t] = undefined;
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
