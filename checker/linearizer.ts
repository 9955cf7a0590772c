/**
 * Linearizability against a (possibly nondeterministic) spec, as product
 * state: each explored state carries the id of a set of configurations
 * (spec state, per-thread status). The set is always closed under
 * "linearize any pending operation" and under the spec's internal steps.
 *
 * Thread status in a configuration:
 *   0            idle (no op in flight)
 *   2*opId + 1   invoked, not yet linearized
 *   2*retId + 2  linearized; the spec returned retId
 *
 * All set operations are memoized per (set, event), so steady-state cost is
 * one Map lookup per invocation/response.
 */
import type { SpecAdapter } from './spec-adapter.js';

export const NO_SET = -1;

export class Linearizer {
  private readonly configs: Int32Array[] = [];
  private readonly configIndex = new Map<string, number>();
  private readonly sets: Int32Array[] = [];
  private readonly setIndex = new Map<string, number>();
  private readonly memo = new Map<number, number>();
  readonly initialSet: number;

  constructor(
    readonly spec: SpecAdapter,
    readonly threads: number,
  ) {
    const c = new Int32Array(threads + 1);
    c[0] = spec.initialId;
    this.initialSet = this.closeAndIntern([this.internConfig(c)]);
  }

  get setCount(): number {
    return this.sets.length;
  }

  private internConfig(c: Int32Array): number {
    const key = c.join(',');
    let id = this.configIndex.get(key);
    if (id === undefined) {
      id = this.configs.length;
      this.configs.push(c);
      this.configIndex.set(key, id);
    }
    return id;
  }

  private internSet(ids: number[]): number {
    ids.sort((a, b) => a - b);
    const key = ids.join(',');
    let id = this.setIndex.get(key);
    if (id === undefined) {
      id = this.sets.length;
      this.sets.push(Int32Array.from(ids));
      this.setIndex.set(key, id);
    }
    return id;
  }

  /** Close a list of configuration ids under linearization and internal steps, then intern. */
  private closeAndIntern(start: number[]): number {
    const seen = new Set<number>(start);
    const work = [...start];
    const T = this.threads;
    const spec = this.spec;
    while (work.length > 0) {
      const cid = work.pop()!;
      const c = this.configs[cid]!;
      const specId = c[0]!;
      for (let t = 0; t < T; t++) {
        const st = c[t + 1]!;
        if ((st & 1) === 0) continue;
        const outs = spec.outcomes(specId, (st - 1) >> 1);
        for (let i = 0; i < outs.length; i += 2) {
          const n = c.slice();
          n[0] = outs[i]!;
          n[t + 1] = 2 * outs[i + 1]! + 2;
          const nid = this.internConfig(n);
          if (!seen.has(nid)) {
            seen.add(nid);
            work.push(nid);
          }
        }
      }
      if (spec.hasInternal) {
        const succ = spec.internalSuccessors(specId);
        for (let i = 0; i < succ.length; i++) {
          const n = c.slice();
          n[0] = succ[i]!;
          const nid = this.internConfig(n);
          if (!seen.has(nid)) {
            seen.add(nid);
            work.push(nid);
          }
        }
      }
    }
    return this.internSet([...seen]);
  }

  private memoized(setId: number, code: number, compute: () => number): number {
    const key = setId * 16777216 + code;
    let r = this.memo.get(key);
    if (r === undefined) {
      r = compute();
      this.memo.set(key, r);
    }
    return r;
  }

  /** Thread `tid` invokes operation `opId`. */
  invoke(setId: number, tid: number, opId: number): number {
    if (opId >= 1 << 19) throw new Error('too many distinct operations for the linearizer');
    return this.memoized(setId, ((0 * 8 + tid) << 19) | opId, () => {
      const out: number[] = [];
      for (const cid of this.sets[setId]!) {
        const n = this.configs[cid]!.slice();
        n[tid + 1] = 2 * opId + 1;
        out.push(this.internConfig(n));
      }
      return this.closeAndIntern(out);
    });
  }

  /** Thread `tid`'s operation returned `retId`; NO_SET when no linearization explains it. */
  respond(setId: number, tid: number, retId: number): number {
    if (retId >= 1 << 19) throw new Error('too many distinct return values for the linearizer');
    return this.memoized(setId, ((1 * 8 + tid) << 19) | retId, () => {
      const out: number[] = [];
      const want = 2 * retId + 2;
      for (const cid of this.sets[setId]!) {
        const c = this.configs[cid]!;
        if (c[tid + 1] !== want) continue;
        const n = c.slice();
        n[tid + 1] = 0;
        out.push(this.internConfig(n));
      }
      return out.length === 0 ? NO_SET : this.closeAndIntern(out);
    });
  }

  /** At quiescence: keep configurations whose spec state is `specId`; NO_SET if none. */
  quiesce(setId: number, specId: number): number {
    if (specId >= 1 << 19) {
      // Rare: very large spec state spaces. Compute without memoizing.
      return this.filterSpec(setId, specId);
    }
    return this.memoized(setId, ((2 * 8) << 19) | specId, () => this.filterSpec(setId, specId));
  }

  private filterSpec(setId: number, specId: number): number {
    const out: number[] = [];
    for (const cid of this.sets[setId]!) if (this.configs[cid]![0] === specId) out.push(cid);
    return out.length === 0 ? NO_SET : this.closeAndIntern(out);
  }

  /** Distinct spec states in a set (for traces). */
  specStates(setId: number): number[] {
    const s = new Set<number>();
    for (const cid of this.sets[setId]!) s.add(this.configs[cid]![0]!);
    return [...s].sort((a, b) => a - b);
  }

  /** Return values the spec allows for thread `tid` in this set (for messages). */
  allowedReturns(setId: number, tid: number): number[] {
    const s = new Set<number>();
    for (const cid of this.sets[setId]!) {
      const st = this.configs[cid]![tid + 1]!;
      if (st >= 2 && (st & 1) === 0) s.add((st - 2) >> 1);
    }
    return [...s];
  }
}

/** One event of a concurrent history, for `checkHistory`. */
export type HistoryEvent =
  | { readonly kind: 'invoke'; readonly tid: number; readonly op: string; readonly args?: Record<string, number | string | boolean> }
  | { readonly kind: 'return'; readonly tid: number; readonly ret: number | string | boolean | null };

/**
 * Is a complete or partial history linearizable against the spec? The same
 * machinery the explorer uses, applied to a recorded history (Lincheck-style).
 * Returns the index of the first event no linearization explains, or -1.
 */
export function checkHistory(spec: SpecAdapter, threads: number, history: readonly HistoryEvent[]): number {
  const lin = new Linearizer(spec, threads);
  let set = lin.initialSet;
  const pending: (number | undefined)[] = new Array(threads).fill(undefined);
  for (let i = 0; i < history.length; i++) {
    const e = history[i]!;
    if (e.tid < 0 || e.tid >= threads) throw new Error(`event ${i}: thread ${e.tid} out of range`);
    if (e.kind === 'invoke') {
      if (pending[e.tid] !== undefined) throw new Error(`event ${i}: thread ${e.tid} invokes while an op is pending`);
      const op = spec.opId(e.op, e.args ?? {});
      pending[e.tid] = op;
      set = lin.invoke(set, e.tid, op);
    } else {
      if (pending[e.tid] === undefined) throw new Error(`event ${i}: thread ${e.tid} returns with no op pending`);
      pending[e.tid] = undefined;
      set = lin.respond(set, e.tid, spec.retId(e.ret));
      if (set === NO_SET) return i;
    }
  }
  return -1;
}
