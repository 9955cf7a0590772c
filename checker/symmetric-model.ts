/**
 * The product explored up to symmetry (symmetry.ts): a Model whose states are
 * canonical forms. Every successor the product emits is replaced by its
 * canonical form (no fingerprint delta: the strategy hashes the canonical
 * vector), and every newly discovered state adds its orbit size to
 * `unreduced`, so a complete run states the unreduced system's count.
 *
 * Counterexamples stay real traces of the unreduced system: a strategy's path
 * is a list of successor indices of canonical states, and `pick` follows it
 * from a real state, taking the first real successor whose canonical form is
 * the canonical successor the index names (same length, so BFS's shortest
 * stays shortest), with the real labels, thread ids and failure messages.
 */
import type { Emit, Failure, Model, Successor } from './model.js';
import type { Product } from './product.js';
import type { StepLabel, TraceState } from './result.js';
import { Canonicalizer } from './symmetry.js';

/** The tallies of a symmetric run: the product's, and the orbit sizes summed so far. */
interface SymmetricCounters {
  readonly inner: unknown;
  readonly unreduced: number;
}

export class SymmetricModel<G extends object = any> implements Model {
  readonly canon: Canonicalizer<G>;
  /** Sum of the orbit sizes of the states checked so far (checkState runs once per new state). */
  unreduced = 0;
  private readonly succ = { buf: new Int32Array(0), len: 0, impl: undefined as unknown, hint: -1, affinity: -1 } as {
    buf: Int32Array;
    len: number;
    impl: unknown;
    hint: number;
    affinity: number;
    failure?: Failure;
  };
  /** The vector last handed out and its orbit (checkState of that vector need not canonicalise again). */
  private lastBuf: Int32Array | undefined;
  private lastOrbit = 1;

  constructor(
    readonly inner: Product<G>,
    private readonly classes: readonly (readonly number[])[],
  ) {
    const permute = inner.sub.impl.permuteThreads;
    if (!permute) throw new Error(`internal: ${inner.sub.name} declares no thread permutation`);
    this.canon = new Canonicalizer<G>(inner, permute, classes);
  }

  get invariantStats() {
    return this.inner.invariantStats;
  }

  get hints(): boolean {
    return this.inner.hints;
  }

  get cacheMisses(): number {
    return this.inner.cacheMisses;
  }

  get cacheDrops(): number {
    return this.inner.cacheDrops;
  }

  get cachePeakBytes(): number {
    return this.inner.cachePeakBytes;
  }

  initial(): { vec: Int32Array; impl: unknown; failure?: Failure } {
    const init = this.inner.initial();
    const c = this.canon;
    c.canon(init.vec, 0, init.vec.length);
    const vec = c.buf.slice(0, c.len);
    this.lastBuf = vec;
    this.lastOrbit = c.orbit;
    return { vec, impl: c.perm === 0 ? init.impl : undefined, ...(init.failure ? { failure: init.failure } : {}) };
  }

  expand(vec: Int32Array, off: number, len: number, emit: Emit, wantLabels?: boolean, hint?: number): void {
    const c = this.canon;
    const out = this.succ;
    this.inner.expand(
      vec,
      off,
      len,
      (s: Successor, label: StepLabel | undefined) => {
        if (s.failure) {
          emit(s, label); // the transition itself failed: the search stops here
          return;
        }
        c.canon(s.buf, 0, s.len);
        if (c.perm === 0) {
          // already canonical: emit the product's successor itself, with its fingerprint delta, hint and affinity
          this.lastBuf = s.buf;
          this.lastOrbit = c.orbit;
          emit(s, label);
          return;
        }
        out.buf = c.buf;
        out.len = c.len;
        out.impl = c.implKept ? s.impl : undefined;
        out.hint = c.implKept ? (s.hint ?? -1) : -1;
        out.affinity = c.implKept ? (s.affinity ?? -1) : -1;
        this.lastBuf = c.buf;
        this.lastOrbit = c.orbit;
        emit(out, label);
      },
      wantLabels,
      hint,
    );
  }

  /** `hint`: the one this model emitted, the product's only where the impl state was kept (implKept). */
  checkState(vec: Int32Array, off: number, decoded: unknown, hint?: number): Failure | undefined {
    this.unreduced +=
      vec === this.lastBuf && off === 0 ? this.lastOrbit : this.canon.orbitOf(vec, off, this.canon.lengthAt(vec, off));
    return this.inner.checkState(vec, off, decoded, hint);
  }

  stuck(vec: Int32Array, off: number, len: number, successors?: number): Failure | undefined {
    return this.inner.stuck(vec, off, len, successors);
  }

  traceState(vec: Int32Array): TraceState {
    return this.inner.traceState(vec);
  }

  /**
   * From a real (not necessarily canonical) state, the first real successor
   * whose canonical form (and failure, if any) is that of the successor of
   * the state's canonical form that `want` selects.
   */
  pick(
    vec: Int32Array,
    want: (label: StepLabel, index: number) => boolean,
  ): { vec: Int32Array; label: StepLabel; impl: unknown; failure?: Failure } | undefined {
    const c = this.canon;
    c.canon(vec, 0, vec.length);
    const target = this.inner.pick(c.buf.slice(0, c.len), want);
    if (!target) return undefined;
    c.canon(target.vec, 0, target.vec.length);
    const goal = c.buf.slice(0, c.len);
    const prop = target.failure?.property;
    let hit: { vec: Int32Array; label: StepLabel; impl: unknown; failure?: Failure } | undefined;
    this.inner.expand(
      vec,
      0,
      vec.length,
      (s, label) => {
        if (hit || s.failure?.property !== prop) return;
        c.canon(s.buf, 0, s.len);
        if (c.len !== goal.length || goal.some((x, i) => c.buf[i] !== x)) return;
        hit = { vec: s.buf.slice(0, s.len), label: label!, impl: s.impl, ...(s.failure ? { failure: s.failure } : {}) };
      },
      true,
    );
    if (!hit) throw new Error('internal: symmetry: no real successor matches the canonical one (permuteThreads?)');
    return hit;
  }

  /**
   * The search's failure `f` in the real trace's thread ids: a failing
   * transition's as the real trace's last pick found it, a state's
   * (deadlock, invariant) evaluated again in the trace's last real state.
   */
  realFailure(f: Failure, last: { readonly vec: Int32Array; readonly failure?: Failure }): Failure {
    if (last.failure) return last.failure.property === f.property ? last.failure : f;
    const v = last.vec;
    const again =
      f.kind === 'deadlock'
        ? this.inner.stuck(v, 0, v.length)
        : f.kind === 'invariant'
          ? this.inner.checkState(v, 0, undefined)
          : undefined;
    return again?.property === f.property ? again : f;
  }

  counters(): SymmetricCounters {
    return { inner: this.inner.counters(), unreduced: this.unreduced };
  }

  restoreCounters(k: unknown): void {
    const s = k as SymmetricCounters;
    this.inner.restoreCounters(s.inner);
    this.unreduced = s.unreduced;
  }

  addCounters(k: unknown): void {
    const s = k as SymmetricCounters;
    this.inner.addCounters(s.inner);
    this.unreduced += s.unreduced;
  }

  /**
   * Clauses are run by whichever thread of a class the canonical states
   * move: a clause ran when it ran in any thread of its class.
   */
  mergeClauseRuns(): void {
    for (const cl of this.classes) {
      const slots = this.inner.alts[cl[0]!]!;
      slots.forEach((alts, s) =>
        alts.forEach((_a, a) => {
          const ran = cl.some((t) => this.inner.alts[t]![s]![a]!.ran);
          for (const t of cl) this.inner.alts[t]![s]![a]!.ran = ran;
        }),
      );
    }
  }
}
