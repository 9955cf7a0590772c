/**
 * Linearizability against a (possibly nondeterministic) spec, as product
 * state: each explored state carries the id of a set of configurations
 * (spec state, per-thread status). The set is always closed under
 * "linearize any pending operation" and under the spec's internal steps
 * (those that may happen at any time, and those a pending operation may take).
 *
 * Thread status in a configuration:
 *   0            idle (no op in flight)
 *   2*opId + 1   invoked, not yet linearized
 *   2*retId + 2  linearized; the spec returned retId
 *
 * All set operations are memoized per (set, event), so steady-state cost is
 * one Map lookup per invocation/response.
 */
import { IntArrayInterner } from './intern.js';
import type { SpecAdapter } from './spec-adapter.js';
import { PairMap } from './store/pair-map.js';
import type { SharedInternTable } from './store/shared-intern.js';

export const NO_SET = -1;

export class Linearizer {
  /** Configurations [specId, status_0, ..., status_{T-1}] by id. */
  private readonly configs: IntArrayInterner;
  /** Sets of configuration ids (sorted) by id. */
  private readonly sets: IntArrayInterner;
  /**
   * Per configuration: the ids of all configurations reachable by linearizing/internal steps (itself
   * included), sorted, at closArena[closAt[cid] - 1, + closLen[cid]) (closAt 0: not computed yet). One
   * arena, not an array each: bench thp-menu computes hundreds of thousands.
   */
  private closAt = new Int32Array(1024);
  private closLen = new Int32Array(1024);
  private closArena = new Int32Array(1 << 12);
  private closUsed = 0;
  /** A configuration being read (closure(), withStatus()): T + 1 words. */
  private readonly cur: Int32Array;
  /** A set's members being read (invoke, respond). */
  private members = new Int32Array(64);
  /** (set, event code) -> set (or NO_SET). */
  private readonly memo = new PairMap();
  /** Per-configuration memo for invoke/respond: (config, event) -> config. */
  private readonly configMemo = new PairMap();
  private readonly scratch: Int32Array;
  private mark = new Int32Array(1024);
  private gen = 0;
  readonly initialSet: number;

  /** `shared`: configuration and set ids from tables shared by the threads of a parallel search. */
  constructor(
    readonly spec: SpecAdapter,
    readonly threads: number,
    shared?: { readonly configs: SharedInternTable; readonly sets: SharedInternTable },
  ) {
    this.configs = new IntArrayInterner(shared?.configs);
    this.sets = new IntArrayInterner(shared?.sets);
    // memo codes pack the thread id in 3 bits (see invoke/respond)
    if (!(threads >= 1 && threads <= 8)) throw new Error(`the linearizer supports 1 to 8 threads, not ${threads}`);
    this.scratch = new Int32Array(threads + 1);
    this.cur = new Int32Array(threads + 1);
    this.scratch[0] = spec.initialId;
    this.initialSet = this.closeAndIntern([this.configs.intern(this.scratch)]);
  }

  get setCount(): number {
    return this.sets.size;
  }

  get memoSize(): number {
    return this.memo.size;
  }

  /** Configuration `cid` with thread t's status replaced (and optionally its spec state). */
  private withStatus(cid: number, t: number, status: number, specId = -1): number {
    const n = this.scratch;
    const at = this.configs.at(cid);
    const ar = this.configs.arena;
    for (let k = 0; k <= this.threads; k++) n[k] = ar[at + k]!;
    n[t + 1] = status;
    if (specId >= 0) n[0] = specId;
    return this.configs.intern(n);
  }

  /** closure()'s visited marks: configuration ids marked with the current `cgen`. */
  private cmark = new Int32Array(1024);
  private cgen = 0;
  private readonly corder: number[] = [];

  /** Add configuration `x` to the closure being built (closure()), unless it is in already. */
  private visit(x: number): void {
    if (x >= this.cmark.length) {
      const m = new Int32Array(Math.max(this.cmark.length * 2, x + 1));
      m.set(this.cmark);
      this.cmark = m;
    }
    if (this.cmark[x] === this.cgen) return;
    this.cmark[x] = this.cgen;
    this.corder.push(x);
  }

  /** Where the closure of `cid` (see closAt) starts in closArena, computed on first use (closLen[cid] words). */
  private closure(cid: number): number {
    if (cid < this.closAt.length && this.closAt[cid]! > 0) return this.closAt[cid]! - 1;
    this.cgen++;
    const order = this.corder;
    order.length = 0;
    this.visit(cid);
    const T = this.threads;
    const spec = this.spec;
    for (let k = 0; k < order.length; k++) {
      const id = order[k]!;
      if (id !== cid && id < this.closAt.length && this.closAt[id]! > 0) {
        const at = this.closAt[id]! - 1;
        const n = this.closLen[id]!;
        for (let i = 0; i < n; i++) this.visit(this.closArena[at + i]!);
        continue;
      }
      // read the configuration out: interning below may move the arena
      const c = this.cur;
      const cat = this.configs.at(id);
      const car = this.configs.arena;
      for (let j = 0; j <= T; j++) c[j] = car[cat + j]!;
      const specId = c[0]!;
      for (let t = 0; t < T; t++) {
        const st = c[t + 1]!;
        if ((st & 1) === 0) continue;
        const outs = spec.outcomes(specId, (st - 1) >> 1);
        for (let i = 0; i < outs.length; i += 2) this.visit(this.withStatus(id, t, 2 * outs[i + 1]! + 2, outs[i]!));
        if (!spec.hasPendingInternal) continue;
        // steps the in-flight op may take before it linearizes (it stays pending)
        const pend = spec.pendingSuccessors(specId, (st - 1) >> 1);
        for (let i = 0; i < pend.length; i++) this.visit(this.withStatus(id, t, st, pend[i]!));
      }
      if (spec.hasInternal) {
        const succ = spec.internalSuccessors(specId);
        for (let i = 0; i < succ.length; i++) this.visit(this.withStatus(id, 0, c[1]!, succ[i]!));
      }
    }
    const sorted = Int32Array.from(order).sort();
    return this.keepClosure(cid, sorted);
  }

  /** Store `cl` as the closure of `cid`; where it starts in closArena. */
  private keepClosure(cid: number, cl: Int32Array): number {
    if (cid >= this.closAt.length) {
      const n = Math.max(2 * this.closAt.length, cid + 1);
      const a = new Int32Array(n);
      a.set(this.closAt);
      this.closAt = a;
      const l = new Int32Array(n);
      l.set(this.closLen);
      this.closLen = l;
    }
    const len = cl.length;
    if (this.closUsed + len > this.closArena.length) {
      const ar = new Int32Array(Math.max(2 * this.closArena.length, this.closUsed + len));
      ar.set(this.closArena.subarray(0, this.closUsed));
      this.closArena = ar;
    }
    const at = this.closUsed;
    this.closArena.set(cl, at);
    this.closUsed += len;
    this.closAt[cid] = at + 1;
    this.closLen[cid] = len;
    return at;
  }

  /** Union of the closures of `start`, interned as a set. */
  private closeAndIntern(start: ArrayLike<number>): number {
    const gen = ++this.gen;
    let out = this.union;
    let n = 0;
    for (let i = 0; i < start.length; i++) {
      const at = this.closure(start[i]!);
      const len = this.closLen[start[i]!]!;
      const cl = this.closArena;
      for (let j = at; j < at + len; j++) {
        const x = cl[j]!;
        if (x >= this.mark.length) {
          const m = new Int32Array(Math.max(this.mark.length * 2, x + 1));
          m.set(this.mark);
          this.mark = m;
        }
        if (this.mark[x] !== gen) {
          this.mark[x] = gen;
          if (n === out.length) {
            out = new Int32Array(2 * n);
            out.set(this.union);
            this.union = out;
          }
          out[n++] = x;
        }
      }
    }
    // sorted in place in the scratch array; interning copies it only when new
    return this.sets.intern(out.subarray(0, n).sort());
  }

  /** closeAndIntern()'s union, built in place. */
  private union = new Int32Array(256);

  /** `withStatus(cid, t, status)`, memoized per (configuration, event code). */
  private configEvent(cid: number, code: number, t: number, status: number): number {
    let r = this.configMemo.get(cid, code, -1);
    if (r < 0) {
      r = this.withStatus(cid, t, status);
      this.configMemo.set(cid, code, r);
    }
    return r;
  }

  /** Thread `tid` invokes operation `opId`. */
  invoke(setId: number, tid: number, opId: number): number {
    if (opId >= 1 << 19) throw new Error('too many distinct operations for the linearizer');
    const code = (tid << 19) | opId; // kind 0 (invoke) in the bits above the tid
    const known = this.memo.get(setId, code, -2);
    if (known !== -2) return known;
    const n = this.readSet(setId);
    const set = this.members;
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.configEvent(set[i]!, code, tid, 2 * opId + 1);
    const r = this.closeAndIntern(out);
    this.memo.set(setId, code, r);
    return r;
  }

  /** Thread `tid`'s operation returned `retId`; NO_SET when no linearization explains it. */
  respond(setId: number, tid: number, retId: number): number {
    if (retId >= 1 << 19) throw new Error('too many distinct return values for the linearizer');
    const code = ((1 * 8 + tid) << 19) | retId;
    const known = this.memo.get(setId, code, -2);
    if (known !== -2) return known;
    const want = 2 * retId + 2;
    const out: number[] = [];
    const n = this.readSet(setId);
    const set = this.members;
    for (let i = 0; i < n; i++) {
      const cid = set[i]!;
      const at = this.configs.at(cid); // first: a shared table's fetch may move the arena
      if (this.configs.arena[at + tid + 1] !== want) continue;
      out.push(this.configEvent(cid, code, tid, 0));
    }
    const r = out.length === 0 ? NO_SET : this.closeAndIntern(out);
    this.memo.set(setId, code, r);
    return r;
  }

  /** At quiescence: keep configurations whose spec state is `specId`; NO_SET if none. */
  quiesce(setId: number, specId: number): number {
    if (specId >= 1 << 19) return this.filterSpec(setId, specId);
    const code = ((2 * 8) << 19) | specId;
    const known = this.memo.get(setId, code, -2);
    if (known !== -2) return known;
    const r = this.filterSpec(setId, specId);
    this.memo.set(setId, code, r);
    return r;
  }

  /** Copy the members of set `setId` into `members`; how many. */
  private readSet(setId: number): number {
    const at = this.sets.at(setId);
    const n = this.sets.lenOf(setId);
    if (n > this.members.length) this.members = new Int32Array(Math.max(2 * this.members.length, n));
    const ar = this.sets.arena;
    const m = this.members;
    for (let i = 0; i < n; i++) m[i] = ar[at + i]!;
    return n;
  }

  private filterSpec(setId: number, specId: number): number {
    const out: number[] = [];
    const n = this.readSet(setId);
    const set = this.members;
    for (let i = 0; i < n; i++) {
      const at = this.configs.at(set[i]!); // first: a shared table's fetch may move the arena
      if (this.configs.arena[at] === specId) out.push(set[i]!);
    }
    return out.length === 0 ? NO_SET : this.closeAndIntern(out);
  }

  /**
   * The set with its threads renumbered, thread t's status moved to thread `to[t]` (symmetry
   * reduction, symmetry.ts); memoized per (set, `key`), a caller's fixed number for `to`. The spec
   * never sees a thread id, so a permuted closed set is closed: interned as is.
   */
  permuteSet(setId: number, to: ArrayLike<number>, key: number): number {
    const known = this.permMemo.get(setId, key, -1);
    if (known >= 0) return known;
    const set = this.sets.get(setId);
    const out = new Int32Array(set.length);
    const n = this.scratch;
    for (let i = 0; i < set.length; i++) {
      const c = this.configs.get(set[i]!);
      n[0] = c[0]!;
      for (let t = 0; t < this.threads; t++) n[to[t]! + 1] = c[t + 1]!;
      out[i] = this.configs.intern(n);
    }
    const r = this.sets.intern(out.sort());
    this.permMemo.set(setId, key, r);
    return r;
  }
  private readonly permMemo = new PairMap();

  /** Distinct spec states in a set (for traces). */
  specStates(setId: number): number[] {
    const s = new Set<number>();
    for (const cid of this.sets.get(setId)) s.add(this.configs.get(cid)[0]!);
    return [...s].sort((a, b) => a - b);
  }

  /** Return values the spec allows for thread `tid` in this set (for messages). */
  allowedReturns(setId: number, tid: number): number[] {
    const s = new Set<number>();
    for (const cid of this.sets.get(setId)) {
      const st = this.configs.get(cid)[tid + 1]!;
      if (st >= 2 && (st & 1) === 0) s.add((st - 2) >> 1);
    }
    return [...s];
  }
}

/** One event of a concurrent history, for `checkHistory`. */
export type HistoryEvent =
  | {
      readonly kind: 'invoke';
      readonly tid: number;
      readonly op: string;
      readonly args?: Record<string, number | string | boolean>;
    }
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
