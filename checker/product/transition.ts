/**
 * A step's run turned into a product transition (expand.ts runs the
 * steps): with a spec, the linearization set after the invocation and the
 * response (none left: a linearizability failure) and, at quiescence, after
 * the abstraction filter (none left: a refinement failure); then the
 * successor's fingerprint delta, handed to the strategy as a LazySuccessor
 * (successor.ts). A step or spec that throws is a failing transition
 * to the unchanged state.
 */
import type { Linearizer } from '../linearizer.js';
import { NO_SET } from '../linearizer.js';
import type { Emit, Failure } from '../model.js';
import type { AbstractionCache } from './abstraction.js';
import type { VectorLayout } from './layout.js';
import { fmtArgs, type CompiledAlt } from './scenario.js';
import { LazySuccessor } from './successor.js';
import { stepLabel } from './trace.js';
import type { StepLabel, ViolationKind } from '../result.js';
import { IntBuffer } from '../schema.js';
import { SpecError, type SpecAdapter } from '../spec-adapter.js';
import type { Ctx } from '../step-ctx.js';
import type { StepMemo } from '../step-memo.js';
import type { RetValue } from '../types.js';

/** A step run's effect on its thread (its new control block's id); reused between runs. */
export interface RunEffect {
  nextPc: number;
  ret: RetValue | undefined;
  injected: number;
  block: number;
}

const NO_VEC = new Int32Array(0);
const NOOP: Emit = () => {};

export class Transitions<G> {
  /** The step memo (undefined: off); read for impl ids' fingerprint parts and abstraction ids. */
  memo: StepMemo | undefined;
  /** Successors emitted so far (counts every emit, failures included). */
  emitted = 0;
  /** Set when a transition of the step being run failed (it is then not memoized). */
  failed = false;
  // the state being expanded (begin)
  private vec: Int32Array = NO_VEC;
  private off = 0;
  /** Its length (a failing transition re-emits it unchanged). */
  private len = 0;
  private emit: Emit = NOOP;
  private wantLabels = false;
  /** Its impl state's step-memo id (-1: not yet interned; set by the expander). */
  curImpl = -1;
  /** Its impl part of the fingerprint (curZ < 0: not yet computed). */
  private curZ = -1;
  private curZa = 0;
  private curZb = 0;
  // the step being run (move)
  private t = 0;
  private slot = 0;
  private altIdx = 0;
  private alt: CompiledAlt | undefined;
  private stepIdx = 0;
  private invoked = false;
  /** A failure of the transition being built. */
  private failure: Failure | undefined;
  /** The successor handed to strategies (built lazily). */
  private readonly lazy: LazySuccessor;
  private readonly out = new IntBuffer(1024);

  constructor(
    private readonly layout: VectorLayout<G>,
    private readonly alts: CompiledAlt[][][],
    private readonly ctx: Ctx,
    private readonly lin: Linearizer | undefined,
    private readonly spec: SpecAdapter | undefined,
    private readonly abs: AbstractionCache<G> | undefined,
  ) {
    this.lazy = new LazySuccessor(layout.implOff);
  }

  /** Start expanding the state at vec[off, off+len). */
  begin(vec: Int32Array, off: number, len: number, emit: Emit, wantLabels: boolean): void {
    this.vec = vec;
    this.off = off;
    this.len = len;
    this.emit = emit;
    this.wantLabels = wantLabels;
    this.curImpl = -1;
    this.curZ = -1;
  }

  /** Start running thread t's step `stepIdx` of alternative `altIdx` of `slot` (invoked: the op starts). */
  move(t: number, slot: number, altIdx: number, stepIdx: number, invoked: boolean): void {
    this.t = t;
    this.slot = slot;
    this.altIdx = altIdx;
    this.alt = this.alts[t]![slot]![altIdx]!;
    this.stepIdx = stepIdx;
    this.invoked = invoked;
    this.failed = false;
  }

  private label(ret: RetValue | undefined): StepLabel | undefined {
    if (!this.wantLabels) return undefined;
    return stepLabel(this.alts, this.ctx, this.t, this.slot, this.altIdx, this.stepIdx, this.invoked, ret);
  }

  /** The step threw `e` (or returned nonsense): a failing transition to the unchanged state. */
  emitFailure(e: unknown): void {
    this.failed = true; // a step that failed is not memoized: it runs (and fails) every time
    const alt = this.alt!;
    const stepName = alt.op.steps[this.stepIdx]!.name;
    const w = this.out;
    w.reset();
    const vec = this.vec;
    for (let i = this.off; i < this.off + this.len; i++) w.push(vec[i]!);
    const kind: ViolationKind = e instanceof SpecError ? 'spec-error' : 'impl-error';
    this.emitted++;
    this.emit(
      {
        buf: w.buf,
        len: w.len,
        impl: this.layout.decodeImpl(vec, this.off),
        failure: {
          kind,
          property: kind,
          message: `${alt.opName}(${fmtArgs(alt.args)}) step ${stepName} threw: ${(e as Error)?.message ?? String(e)}`,
        },
      },
      this.label(undefined),
    );
  }

  /**
   * The transition of a run with effect `s` whose impl state is encoded at
   * impl[implAt, +implLen) (decoded `g` when the run made it; step-memo id
   * `succImpl`, -1: none).
   */
  emitRun(g: G | undefined, s: RunEffect, impl: Int32Array, implAt: number, implLen: number, succImpl: number): void {
    const vec = this.vec;
    const off = this.off;
    this.failure = undefined;
    let set = vec[off]!;
    const lin = this.lin;
    if (lin) {
      try {
        set = this.linearize(lin, set, s);
        if (s.nextPc < 0 && !this.failure && this.quiescentAfter())
          set = this.refine(lin, set, g, succImpl, impl, implAt, implLen);
      } catch (e) {
        this.emitFailure(e);
        return;
      }
    }
    // the successor: the parent's vector with thread t's block and the impl state replaced (built when read)
    const ls = this.lazy;
    ls.reset(vec, off, this.layout.HDR + this.t, s.block, impl, implAt, implLen);
    const memo = this.memo;
    const known = memo !== undefined && succImpl >= 0 && this.curImpl >= 0;
    let sa = 0;
    let sb = 0;
    if (known) {
      const implOff = this.layout.implOff;
      sa = memo.implZ(succImpl, implOff);
      sb = memo.zb;
      if (this.curZ < 0) {
        this.curZa = memo.implZ(this.curImpl, implOff);
        this.curZb = memo.zb;
        this.curZ = 1;
      }
    } else ls.parImplLen = this.len - this.layout.implOff;
    ls.finish(set, vec[off + 1]! + s.injected, known, this.curZa, this.curZb, sa, sb);
    ls.impl = g;
    ls.failure = this.failure;
    ls.hint = succImpl;
    ls.affinity = known ? sa >>> 1 : -1;
    this.emitted++;
    this.emit(ls, this.label(s.ret));
  }

  /** The linearization set after the run's invocation and response (a linearizability failure in `failure`). */
  private linearize(lin: Linearizer, set: number, s: RunEffect): number {
    const t = this.t;
    const alt = this.alt!;
    if (this.invoked) set = lin.invoke(set, t, alt.specOp);
    if (s.nextPc >= 0) return set;
    const spec = this.spec!;
    const ret = s.ret;
    const next = lin.respond(set, t, spec.retId(ret === undefined ? null : ret));
    if (next !== NO_SET) return next;
    const allowed = lin.allowedReturns(set, t).map((r) => JSON.stringify(spec.rets.get(r)));
    this.failure = {
      kind: 'linearizability',
      property: 'linearizability',
      message: `T${t} ${alt.opName}(${fmtArgs(alt.args)}) returned ${JSON.stringify(ret)}, but no linearization of the history allows it (spec allows: ${allowed.length ? allowed.join(', ') : 'nothing: the op is not enabled in any linearization'})`,
    };
    return set;
  }

  /** Whether no thread but the moving one (whose op just returned) has an op in flight. */
  private quiescentAfter(): boolean {
    const { vec, off, layout } = this;
    for (let u = 0; u < layout.T; u++) if (u !== this.t && layout.pcOf(vec, off, u) >= 0) return false;
    return true;
  }

  /** At quiescence: the linearizations whose spec state is abstraction(impl) (none: a refinement failure in `failure`). */
  private refine(
    lin: Linearizer,
    set: number,
    g: G | undefined,
    succImpl: number,
    impl: Int32Array,
    implAt: number,
    implLen: number,
  ): number {
    // the abstraction's value is kept (interned): from a fresh decode, never from the layout's reused one
    const own = g !== undefined && !this.layout.isReused(g) ? g : undefined;
    const abs = this.abs!.idCached(own, this.memo, succImpl, impl, implAt, implLen);
    const q = lin.quiesce(set, abs);
    if (q !== NO_SET) return q;
    this.failure = {
      kind: 'refinement',
      property: 'refinement',
      message: `at quiescence, abstraction(impl) matches none of the ${lin.specStates(set).length} spec state(s) that linearizations of the history allow`,
    };
    return set;
  }
}
