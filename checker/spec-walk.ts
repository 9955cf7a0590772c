/**
 * Walks the spec alone along a sequential script: the set of spec states a
 * user may be in after each step, and every outcome (return value, next spec
 * state) the spec allows for the next operation.
 *
 * Used by `mmcheck run --spec-only` (print what the spec allows), by
 * `mmcheck run --keep-going` (compare the implementation at every step and go
 * on after a disagreement) and by `mmcheck conform` (judge a real kernel's
 * observations against the spec). Not a hot path: one script at a time, with
 * the adapter's memoized transitions underneath.
 */
import { SpecAdapter } from './spec-adapter.js';
import type { Args, RetValue, SpecDef } from './types.js';

/** One outcome the spec allows for an operation. */
export interface SpecOutcome {
  readonly ret: RetValue;
  /** Spec-state id after the operation (before internal steps). */
  readonly next: number;
}

export class SpecWalker {
  readonly adapter: SpecAdapter;

  constructor(spec: SpecDef<unknown, unknown>, params: unknown) {
    this.adapter = new SpecAdapter(spec, params);
  }

  /** The initial spec states (internal steps included). */
  initial(): number[] {
    return this.close([this.adapter.initialId]);
  }

  /**
   * `ids` and every state reachable from them by internal spec steps, sorted;
   * with `pendingOp`, also by the steps that operation may take while in flight.
   */
  close(ids: readonly number[], pendingOp?: number): number[] {
    const seen = new Set<number>(ids);
    const work = [...ids];
    const spec = this.adapter;
    while (work.length > 0) {
      const id = work.pop()!;
      const pend = pendingOp === undefined || !spec.hasPendingInternal ? [] : spec.pendingSuccessors(id, pendingOp);
      for (const n of [...spec.internalSuccessors(id), ...pend]) {
        if (seen.has(n)) continue;
        seen.add(n);
        work.push(n);
      }
    }
    return [...seen].sort((a, b) => a - b);
  }

  /**
   * Every (ret, next) the spec allows for `op(args)` from any of `states`
   * (deduplicated), including after steps the op takes while in flight.
   */
  outcomes(states: readonly number[], op: string, args: Args): SpecOutcome[] {
    const opId = this.adapter.opId(op, args);
    const out: SpecOutcome[] = [];
    const seen = new Set<string>();
    const from = this.adapter.hasPendingInternal ? this.close(states, opId) : states;
    for (const s of from) {
      const flat = this.adapter.outcomes(s, opId);
      for (let i = 0; i < flat.length; i += 2) {
        const key = `${flat[i]}:${flat[i + 1]}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ next: flat[i]!, ret: this.adapter.rets.get(flat[i + 1]!) });
      }
    }
    return out;
  }

  /** The spec view of a state id. */
  view(id: number): unknown {
    return this.adapter.views.get(id);
  }

  /** Spec-state id of a view (interned; equal ids mean equal views). */
  idOf(view: unknown): number {
    return this.adapter.internView(view);
  }
}

/** Return values compare by value: the spec and the implementation share one encoding. */
export function sameRet(a: RetValue, b: RetValue): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}
