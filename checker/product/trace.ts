/**
 * A product state and transition as a trace shows them: a step's label
 * (thread, op, args, step, choices, faults injected, return value) and a
 * state decoded to plain data (impl state, each thread's op, pc and locals,
 * with a spec the abstraction and the spec states the linearizations allow).
 */
import { canonicalOrder } from '../intern.js';
import type { Linearizer } from '../linearizer.js';
import type { CompiledAlt } from './scenario.js';
import type { VectorLayout } from './layout.js';
import type { StepLabel, ThreadView, TraceState } from '../result.js';
import type { SpecAdapter } from '../spec-adapter.js';
import type { Ctx } from '../step-ctx.js';
import type { RetValue } from '../types.js';

/** The label of the run `ctx` just made of alternative `altIdx`'s step `stepIdx`. */
export function stepLabel(
  alts: CompiledAlt[][][],
  ctx: Ctx,
  t: number,
  slot: number,
  altIdx: number,
  stepIdx: number,
  invoked: boolean,
  ret: RetValue | undefined,
): StepLabel {
  const alt = alts[t]![slot]![altIdx]!;
  return {
    tid: t,
    op: alt.opName,
    args: alt.args,
    slot,
    alt: altIdx,
    step: alt.op.steps[stepIdx]!.name,
    choices: ctx.choices(),
    injected: [...ctx.injected],
    invoked,
    ...(ret !== undefined ? { ret } : {}),
  };
}

/** With a spec: what a trace state shows of refinement. */
export interface TraceRefinement<G> {
  readonly lin: Linearizer;
  readonly spec: SpecAdapter;
  readonly abstraction: (g: G, params: any) => unknown;
  readonly params: unknown;
}

/** The state vector `vec` decoded to plain data. */
export function traceStateOf<G>(
  vec: Int32Array,
  layout: VectorLayout<G>,
  alts: CompiledAlt[][][],
  refinement: TraceRefinement<G> | undefined,
): TraceState {
  const impl = layout.decodeImpl(vec, 0);
  const threads: ThreadView[] = [];
  for (let t = 0; t < layout.T; t++) {
    const tb = layout.blockAt(vec, 0, t);
    const bw = layout.blocks.words;
    const slot = bw[tb]!;
    const pc = bw[tb + 2]!;
    const nslots = alts[t]!.length;
    if (pc >= 0) {
      const alt = alts[t]![slot]![bw[tb + 1]!]!;
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
  if (refinement) {
    const { lin, spec } = refinement;
    try {
      out.abstract = refinement.abstraction(impl, refinement.params);
    } catch (e) {
      out.abstract = `abstraction threw: ${(e as Error).message}`;
    }
    // canonical order, not intern-id order: ids depend on discovery order (and, with --workers, on timing)
    out.spec = canonicalOrder(lin.specStates(vec[0]!).map((id) => spec.views.get(id)));
  }
  return out;
}
