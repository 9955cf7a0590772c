/**
 * The successors of a product state: every thread's next step (an op in
 * flight) or every alternative of its next slot (no op in flight), in a fixed
 * order, each run through every choice sequence of its choose()/inject()
 * odometer (../step-ctx.ts), or replayed from the step memo (../step-memo.ts) when
 * the same step met the same impl state before. Each run becomes a
 * transition through transition.ts.
 */
import type { Emit } from '../model.js';
import type { VectorLayout } from './layout.js';
import type { CompiledAlt, CompiledScenario } from './scenario.js';
import type { RunEffect, Transitions } from './transition.js';
import { IntBuffer } from '../schema.js';
import { checkLocalStep } from '../por.js';
import { NO_SITES, Pruned, type Ctx } from '../step-ctx.js';
import { RUN_PRUNED, type StepMemo } from '../step-memo.js';
import type { StepDef } from '../types.js';

export class Expander<G extends object> {
  /** See Product.watch. */
  watch: Int32Array | undefined;
  /** Successors the last expand() emitted from threads that have work left (see CompiledScenario.mustRun). */
  mandatoryMoves = 0;
  /** Partial-order reduction (../por.ts): on when set; counts the expansions it reduced. */
  por: { reduced: number } | undefined;
  /** The step memo (undefined: off). */
  private memo: StepMemo | undefined;
  /** The impl state of the state being expanded, decoded on first use (read-only). */
  private g0: G | undefined;
  /** What the strategy says its step-memo id may be (expand's `hint`). */
  private curHint = -1;
  /** Whether the runs of the step being run are recorded for the memo. */
  private rec = false;
  private readonly implBuf = new IntBuffer(256);
  /** A run's effect on the thread (reused: valid until the next run). */
  private readonly run: RunEffect = { nextPc: 0, ret: undefined, injected: 0, block: 0 };

  constructor(
    private readonly sc: CompiledScenario<G>,
    private readonly layout: VectorLayout<G>,
    private readonly ctx: Ctx,
    private readonly tr: Transitions<G>,
    /** Preconditions broken on pruned paths, with counts (the Product's). */
    private readonly pruned: Map<string, number>,
  ) {
    this.stepWords = new Int32Array(layout.TW - 1);
  }

  get stepMemo(): StepMemo | undefined {
    return this.memo;
  }

  setStepMemo(memo: StepMemo | undefined): void {
    this.memo = memo;
    this.tr.memo = memo;
  }

  /**
   * Enumerate successors of the state at vec[off, off+len) (see Product.expand).
   */
  expand(vec: Int32Array, off: number, len: number, emit: Emit, wantLabels: boolean, hint: number): void {
    const tr = this.tr;
    this.g0 = undefined;
    this.curHint = hint;
    tr.begin(vec, off, len, emit, wantLabels);
    this.memo?.bound();
    this.mandatoryMoves = 0;
    if (this.por && this.expandLocal(vec, off, len, wantLabels)) return;
    const { layout, sc } = this;
    for (let t = 0; t < sc.T; t++) {
      const tb = layout.blockAt(vec, off, t);
      const bw = layout.blocks.words;
      const slot = bw[tb]!;
      const pc = bw[tb + 2]!;
      const before = tr.emitted;
      if (pc >= 0) {
        this.expandStep(vec, off, len, t, slot, bw[tb + 1]!, pc, wantLabels);
      } else {
        const slots = sc.alts[t]!;
        if (slot >= slots.length) continue;
        const alts = slots[slot]!;
        for (let a = 0; a < alts.length; a++) this.expandStep(vec, off, len, t, slot, a, -1, wantLabels);
      }
      if (pc >= 0 || slot < sc.mustRun[t]!) this.mandatoryMoves += tr.emitted - before;
    }
  }

  /**
   * Partial-order reduction (../por.ts): the runs of the first thread whose
   * step in flight is thread-local here, alone; false when no thread's is.
   */
  private expandLocal(vec: Int32Array, off: number, len: number, wantLabels: boolean): boolean {
    const { layout, sc, ctx } = this;
    const bw = layout.blocks.words;
    for (let t = 0; t < sc.T; t++) {
      const tb = layout.blockAt(vec, off, t);
      const pc = bw[tb + 2]!;
      if (pc < 0) continue;
      const slot = bw[tb]!;
      const altIdx = bw[tb + 1]!;
      const alt = sc.alts[t]![slot]![altIdx]!;
      const step = alt.op.steps[pc]!;
      if (!step.threadLocal) continue;
      const v = checkLocalStep(alt.op.steps, alt.op.stepIndex, pc, ctx, () =>
        layout.setupCtx(ctx, vec, off, t, alt.op, alt.args, false),
      );
      if (v === 'full') continue;
      if (v !== 'local') {
        this.tr.move(t, slot, altIdx, pc, false);
        this.tr.emitFailure(new Error(v.breach));
      } else this.expandStep(vec, off, len, t, slot, altIdx, pc, wantLabels);
      this.mandatoryMoves = this.tr.emitted;
      this.por!.reduced++;
      return true;
    }
    return false;
  }

  private expandStep(
    vec: Int32Array,
    off: number,
    len: number,
    t: number,
    slot: number,
    altIdx: number,
    pc: number,
    wantLabels: boolean,
  ): void {
    const alt = this.sc.alts[t]![slot]![altIdx]!;
    const invoked = pc < 0;
    const stepIdx = invoked ? 0 : pc;
    const tr = this.tr;
    tr.move(t, slot, altIdx, stepIdx, invoked);
    const memo = wantLabels ? undefined : this.memo;
    let key = -1;
    let stepKey = -1;
    this.rec = false;
    if (memo) {
      const implOff = this.layout.implOff;
      if (tr.curImpl < 0) tr.curImpl = memo.implIdHinted(this.curHint, vec, off + implOff, len - implOff);
      const faults = vec[off + 1]!;
      const block = vec[off + this.layout.HDR + t]!;
      key = memo.keyId(tr.curImpl, t, altIdx, faults, block);
      let at = memo.entry(key);
      if (at === -2) {
        // not met in this slot: maybe in another one
        stepKey = memo.stepKeyId(tr.curImpl, t, this.stepId(memo, alt, block), faults);
        const from = memo.stepEntry(stepKey);
        if (from >= 0) {
          this.moveEntry(memo, from, slot, altIdx);
          memo.commit(key, true, false);
          at = memo.entry(key);
        }
      }
      if (at >= 0) {
        this.replay(memo, at, alt, invoked);
        return;
      }
      if (at === -2) {
        this.rec = true;
        memo.begin();
      }
    }
    this.runStep(vec, off, t, slot, altIdx, alt, stepIdx, invoked, wantLabels);
    if (key >= 0 && memo!.entry(key) === -2) {
      const memoizable = this.rec && !tr.failed;
      memo!.commit(key, memoizable);
      if (memoizable) memo!.setStepEntry(stepKey, key);
    }
    this.rec = false;
  }

  /** [clause, pc, locals...] of a thread at control block `block` about to run alternative `alt`. */
  private readonly stepWords: Int32Array;

  /** The step memo's id of the step a thread at control block `block` runs next in alternative `alt`. */
  private stepId(memo: StepMemo, alt: CompiledAlt, block: number): number {
    const blocks = this.layout.blocks;
    const b = blocks.base(block);
    const w = blocks.words;
    const s = this.stepWords;
    s[0] = alt.clause;
    for (let k = 2; k < this.layout.TW; k++) s[k - 1] = w[b + k]!; // pc, then the locals
    return memo.stepId(s, s.length);
  }

  /** Record the entry at `from` (another slot's) with its control blocks moved to `slot`'s alternative `altIdx`. */
  private moveEntry(memo: StepMemo, from: number, slot: number, altIdx: number): void {
    const runs = memo.runs;
    const layout = this.layout;
    const n = runs[from]!;
    let p = from + 1;
    memo.begin();
    for (let i = 0; i < n; i++) {
      if (runs[p] === RUN_PRUNED) {
        memo.recordPrunedId(runs[p + 1]!);
        p += 2;
        continue;
      }
      const nextPc = runs[p + 1]!;
      const block = nextPc < 0 ? layout.idleBlock(slot + 1) : layout.movedBlock(runs[p + 5]!, slot, altIdx);
      memo.recordMoved(runs, p, block);
      p += 6;
    }
  }

  /** Emit the memoized runs of a step. */
  private replay(memo: StepMemo, at: number, alt: CompiledAlt, invoked: boolean): void {
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
      this.tr.emitRun(undefined, s, im.arena, im.startOf(impl), im.lenOf(impl), impl);
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
    wantLabels: boolean,
  ): void {
    const step = alt.op.steps[stepIdx]!;
    const { ctx, layout, tr } = this;
    const watch = this.watch;
    if (watch) {
      watch[0] = t;
      watch[1] = slot;
      watch[2] = altIdx;
      watch[3] = stepIdx;
      watch[4] = 1;
    }
    if (step.enabled) {
      layout.setupCtx(ctx, vec, off, t, alt.op, alt.args, invoked);
      let ok: boolean;
      try {
        ok = step.enabled((this.g0 ??= layout.decodeImplReused(vec, off, 0)), ctx);
      } catch (e) {
        tr.emitFailure(e);
        return;
      }
      if (!ok) return;
    }
    const faultsUsed = vec[off + 1]!;
    ctx.resetScript();
    do {
      ctx.cpos = 0;
      ctx.injected = NO_SITES as string[];
      ctx.faultsLeft = this.sc.faultBudget - faultsUsed;
      layout.setupCtx(ctx, vec, off, t, alt.op, alt.args, invoked);
      // a successor's decoded impl state is handed on only until the next one (Model: valid until the next callback)
      const g = wantLabels ? layout.decodeImpl(vec, off) : layout.decodeImplReused(vec, off, 1);
      let res: ReturnType<StepDef<G>['run']>;
      try {
        res = step.run(g, ctx);
      } catch (e) {
        if (e instanceof Pruned) {
          this.pruned.set(e.text, (this.pruned.get(e.text) ?? 0) + 1);
          if (this.rec && !tr.failed) this.memo!.recordPruned(e.text);
          continue;
        }
        tr.emitFailure(e);
        continue;
      }
      if (invoked) alt.ran = true;
      this.emitResult(g, slot, altIdx, alt, stepIdx, res, wantLabels);
    } while (ctx.nextScript());
    if (watch) watch[4] = 0;
  }

  /** A run's result: its next pc and return value checked, its impl state encoded and recorded, then emitted. */
  private emitResult(
    g: G,
    slot: number,
    altIdx: number,
    alt: CompiledAlt,
    stepIdx: number,
    res: ReturnType<StepDef<G>['run']>,
    wantLabels: boolean,
  ): void {
    const tr = this.tr;
    const s = this.run;
    if (typeof res === 'string') {
      // most steps name the next one in the list: one string comparison instead of a Map lookup
      const nx = alt.op.steps[stepIdx + 1];
      const n = nx !== undefined && nx.name === res ? stepIdx + 1 : alt.op.stepIndex.get(res);
      if (n === undefined) return tr.emitFailure(new Error(`returned unknown next step '${res}'`));
      s.nextPc = n;
      s.ret = undefined;
    } else if (res && typeof res === 'object' && 'ret' in res) {
      s.nextPc = -1;
      s.ret = res.ret;
    } else return tr.emitFailure(new Error(`returned ${String(res)}; expected a step name or done(value)`));
    const ib = this.implBuf;
    ib.reset();
    try {
      this.sc.schema.encode(g, ib);
    } catch (e) {
      return tr.emitFailure(new Error(`state does not fit its schema after the step: ${(e as Error).message}`));
    }
    s.injected = this.ctx.injected.length;
    s.block =
      s.nextPc < 0 ? this.layout.idleBlock(slot + 1) : this.layout.runningBlock(slot, altIdx, s.nextPc, alt.op.slots.s);
    let id = -1;
    if (this.rec && !tr.failed) id = this.memo!.recordDone(s.nextPc, s.ret, s.injected, ib.buf, ib.len, s.block);
    else if (this.memo && !wantLabels) id = this.memo.implId(ib.buf, 0, ib.len);
    tr.emitRun(g, s, ib.buf, 0, ib.len, id);
  }
}
