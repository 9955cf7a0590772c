/**
 * Exhaustive breadth-first exploration of a product model (see product.ts).
 *
 * Visited states are 64-bit fingerprints in a typed-array table; per state the
 * explorer keeps only a parent index and the index of the successor that led
 * to it (6 bytes), and rebuilds a counterexample by re-expanding along that
 * path. BFS discovers every state at its shortest depth and all properties are
 * evaluated when a state or transition is discovered, so the first violation
 * found has a shortest trace.
 */
import { collisionProbability, FingerprintSet, zobrist, zobristFrom } from './fingerprint.js';
import { Product, type Failure } from './product.js';
import type { CheckResult, InvariantStats, StepLabel, StopReason, TraceState, Violation } from './result.js';
import type { Invariant, Scenario, Subsystem } from './types.js';

export interface Progress {
  readonly states: number;
  readonly transitions: number;
  readonly depth: number;
  readonly queue: number;
  readonly seconds: number;
  readonly statesPerSecond: number;
}

export interface CheckOptions {
  variant?: string | null;
  /** Stop (non-exhaustive) after this many distinct states. */
  maxStates?: number;
  /** Stop (non-exhaustive) after this many seconds. */
  timeLimitSeconds?: number;
  /** Called about once a second while running. */
  progress?: (p: Progress) => void;
  /** Shared watch word naming the step being run (see Product.watch). */
  watch?: Int32Array;
  /** Shared stop flag: when stop[0] becomes non-zero the search ends as 'interrupted' (SIGINT/SIGTERM). */
  stop?: Int32Array;
}

/** FIFO of variable-length Int32 vectors in large chunks; consumed chunks are released. */
class StateQueue {
  private static readonly CHUNK = 1 << 18;
  private chunks: (Int32Array | null)[] = [];
  /** Consumed chunks kept for reuse (avoids allocating and zeroing fresh ones). */
  private spare: Int32Array[] = [];
  private fill: number[] = [];
  private wChunk = -1;
  private rChunk = 0;
  private rPos = 0;
  count = 0;
  peakInts = 0;
  private liveInts = 0;

  /** Append a vector with its fingerprint: stored as [len, fp0, fp1, ...vector]. */
  push(buf: Int32Array, len: number, fp0: number, fp1: number): void {
    const need = len + 3;
    if (this.wChunk < 0 || this.fill[this.wChunk]! + need > this.chunks[this.wChunk]!.length) {
      const reuse = this.spare.length > 0 && this.spare[this.spare.length - 1]!.length >= need ? this.spare.pop()! : undefined;
      this.chunks.push(reuse ?? new Int32Array(Math.max(StateQueue.CHUNK, need)));
      this.fill.push(0);
      this.wChunk = this.chunks.length - 1;
    }
    const c = this.chunks[this.wChunk]!;
    let p = this.fill[this.wChunk]!;
    c[p] = len;
    c[p + 1] = fp0;
    c[p + 2] = fp1;
    for (let i = 0; i < len; i++) c[p + 3 + i] = buf[i]!;
    p += need;
    this.fill[this.wChunk] = p;
    this.count++;
    this.liveInts += need;
    if (this.liveInts > this.peakInts) this.peakInts = this.liveInts;
  }

  /** Next vector and its fingerprint. */
  shift(out: { arr: Int32Array; off: number; len: number; fp0: number; fp1: number }): void {
    while (this.rPos >= this.fill[this.rChunk]!) {
      if (this.spare.length < 4) this.spare.push(this.chunks[this.rChunk]!);
      this.chunks[this.rChunk] = null;
      this.rChunk++;
      this.rPos = 0;
    }
    const c = this.chunks[this.rChunk]!;
    const len = c[this.rPos]!;
    out.arr = c;
    out.fp0 = c[this.rPos + 1]! >>> 0;
    out.fp1 = c[this.rPos + 2]! >>> 0;
    out.off = this.rPos + 3;
    out.len = len;
    this.rPos += len + 3;
    this.count--;
    this.liveInts -= len + 3;
  }
}

/** Growable typed arrays for parent links. */
class Links {
  parent = new Uint32Array(1 << 16);
  edge = new Uint16Array(1 << 16);
  set(id: number, parent: number, edge: number): void {
    if (id >= this.parent.length) {
      const p = new Uint32Array(this.parent.length * 2);
      p.set(this.parent);
      this.parent = p;
      const e = new Uint16Array(this.edge.length * 2);
      e.set(this.edge);
      this.edge = e;
    }
    this.parent[id] = parent;
    this.edge[id] = edge;
  }
  get bytes(): number {
    return this.parent.byteLength + this.edge.byteLength;
  }
}

interface Found {
  readonly failure: Failure;
  /** State ids from the initial state to the last state before the failing transition/state. */
  readonly parent: number;
  /** Edge index of the failing transition from `parent`, or -1 when the failure is a state property of `parent`. */
  readonly edge: number;
}

export function checkScenario<G extends object, C, P>(
  sub: Subsystem<G, C, P>,
  scenario: Scenario<P>,
  opts: CheckOptions = {},
): CheckResult {
  const product = new Product<G>(sub, scenario, opts.variant ?? null);
  product.watch = opts.watch;
  const start = performance.now();
  const seen = new FingerprintSet(1 << 16);
  const links = new Links();
  const queue = new StateQueue();
  const fp = new Uint32Array(2);
  const stats: InvariantStats[] = product.invariants.map((inv) => ({
    name: inv.name,
    when: inv.when,
    checked: 0,
    nonTrivial: 0,
  }));

  let count = 0;
  let transitions = 0;
  let found: Found | undefined;

  const checkState = (vec: Int32Array, g: G): Failure | undefined =>
    evalInvariants(product.invariants, stats, g, scenario.params, product.invariantCtx(vec, 0));

  // initial state
  const init = product.initial();
  zobrist(init.vec, 0, init.vec.length, fp);
  seen.add(fp[0]!, fp[1]!);
  links.set(0, 0, 0);
  queue.push(init.vec, init.vec.length, fp[0]!, fp[1]!);
  count = 1;
  {
    const f = init.failure ?? checkState(init.vec, init.impl as G);
    if (f) found = { failure: f, parent: 0, edge: -1 };
  }

  const maxStates = opts.maxStates ?? Infinity;
  const timeLimitMs = (opts.timeLimitSeconds ?? Infinity) * 1000;
  let stop: StopReason = 'complete';
  let idx = 0;
  let levelEnd = 1;
  let depth = 0;
  let maxDepth = 0;
  let lastProgress = start;
  const cur = { arr: new Int32Array(0), off: 0, len: 0, fp0: 0, fp1: 0 };
  let edge = 0;

  const onSuccessor = (s: { buf: Int32Array; len: number; impl: unknown; failure?: Failure }): void => {
    if (found) return;
    transitions++;
    const e = edge++;
    if (e > 0xffff) throw new Error('more than 65535 successors of one state');
    if (s.failure) {
      found = { failure: s.failure, parent: idx, edge: e };
      return;
    }
    zobristFrom(cur.arr, cur.off, cur.len, cur.fp0, cur.fp1, s.buf, s.len, fp);
    if (!seen.add(fp[0]!, fp[1]!)) return;
    const id = count++;
    links.set(id, idx, e);
    queue.push(s.buf, s.len, fp[0]!, fp[1]!);
    if (depth + 1 > maxDepth) maxDepth = depth + 1;
    const f = checkState(s.buf, s.impl as G);
    if (f) found = { failure: f, parent: id, edge: -1 };
  };

  if (found) stop = 'violation';
  while (!found && queue.count > 0) {
    if (idx === levelEnd) {
      depth++;
      levelEnd = count;
    }
    queue.shift(cur);
    edge = 0;
    product.expand(cur.arr, cur.off, cur.len, onSuccessor);
    if (edge === 0 && !found) {
      // No successor at all: a deadlock unless every thread finished (or every move was pruned).
      const d = product.deadlocked(cur.arr, cur.off, product.decodeImpl(cur.arr, cur.off));
      if (d) found = { failure: d, parent: idx, edge: -1 };
    }
    idx++;
    if (found) {
      // A failure found while expanding depth d has a trace of length d + 1 (or d for a deadlock).
      // A deadlock in a not-yet-expanded state of depth d would be shorter: look for one.
      if (found.edge >= 0 || found.parent >= levelEnd) {
        const shorter = deadlockInLevel(product, queue, cur, idx, levelEnd);
        if (shorter) found = shorter;
      }
      stop = 'violation';
      break;
    }
    if (count >= maxStates) {
      stop = 'state-limit';
      break;
    }
    if ((idx & 1023) === 0) {
      if (opts.stop && opts.stop[0] !== 0) {
        stop = 'interrupted';
        break;
      }
      const now = performance.now();
      if (now - start > timeLimitMs) {
        stop = 'time-limit';
        break;
      }
      if (opts.progress && now - lastProgress >= 1000) {
        lastProgress = now;
        const sec = (now - start) / 1000;
        opts.progress({ states: count, transitions, depth, queue: queue.count, seconds: sec, statesPerSecond: count / sec });
      }
    }
  }
  const seconds = (performance.now() - start) / 1000;

  // taken before the counterexample is rebuilt: re-expanding its path would count pruned paths again
  const preconditions = [...product.pruned].map(([text, count]) => ({ text, count }));
  let violation: Violation | undefined;
  if (found) violation = buildViolation(product, links, found);

  return {
    subsystem: sub.name,
    scenario: scenario.name,
    scenarioDescription: scenario.description,
    variant: product.variant,
    bounds: {
      threads: product.T,
      opsPerThread: scenario.threads.map((t) => t.length),
      params: scenario.params,
      faultBudget: product.faultBudget,
      faultSites: product.faultSites,
      ...(product.faultBudget > 0 ? { faultSitesNeverReached: product.faultSitesNeverReached() } : {}),
      clausesNeverRun: product.clausesNeverRun(),
    },
    stopReason: stop,
    exhaustive: stop === 'complete',
    states: count,
    transitions,
    maxDepth,
    seconds,
    statesPerSecond: seconds > 0 ? count / seconds : count,
    collisionProbability: collisionProbability(count, transitions),
    bytesPerState: (seen.bytes + links.bytes) / count,
    peakFrontierBytes: queue.peakInts * 4,
    refinement: product.spec ? 'linearizability+abstraction' : 'none (no spec)',
    specStates: product.spec ? product.spec.views.size : 0,
    invariants: stats,
    preconditions,
    ...(violation ? { violation } : {}),
  };
}

/** The first deadlocked state among queue entries idx .. levelEnd-1 (the rest of the current level). */
function deadlockInLevel<G extends object>(
  product: Product<G>,
  queue: StateQueue,
  cur: { arr: Int32Array; off: number; len: number; fp0: number; fp1: number },
  idx: number,
  levelEnd: number,
): Found | undefined {
  for (let id = idx; id < levelEnd && queue.count > 0; id++) {
    queue.shift(cur);
    const vec = cur.arr.slice(cur.off, cur.off + cur.len);
    const d = product.deadlocked(vec, 0, product.decodeImpl(vec, 0));
    if (d) return { failure: d, parent: id, edge: -1 };
  }
  return undefined;
}

export function evalInvariants<G, P>(
  invs: readonly Invariant<G, P>[],
  stats: InvariantStats[],
  g: G,
  params: P,
  q: { quiescent: boolean; inFlight: readonly (string | undefined)[]; variant: string | null },
): Failure | undefined {
  for (let i = 0; i < invs.length; i++) {
    const inv = invs[i]!;
    if (inv.when === 'quiescent' && !q.quiescent) continue;
    const st = stats[i]!;
    st.checked++;
    let r: boolean | null | string;
    try {
      r = inv.check(g, params, q);
    } catch (e) {
      return { kind: 'impl-error', property: inv.name, message: `invariant ${inv.name} threw: ${(e as Error).message}` };
    }
    if (r === true) st.nonTrivial++;
    else if (r === null) continue;
    else
      return {
        kind: 'invariant',
        property: inv.name,
        message: typeof r === 'string' ? `${inv.name}: ${r}` : `${inv.name} does not hold (${inv.doc})`,
      };
  }
  return undefined;
}

/** Rebuild the trace to a failure by re-expanding along the stored parent links. */
function buildViolation<G extends object>(product: Product<G>, links: Links, found: Found): Violation {
  const path: number[] = [];
  for (let id = found.parent; id !== 0; id = links.parent[id]!) path.push(links.edge[id]!);
  path.reverse();
  if (found.edge >= 0) path.push(found.edge);
  const { states, transitions } = followEdges(product, path);
  return { kind: found.failure.kind, property: found.failure.property, message: found.failure.message, trace: { states, transitions } };
}

/** Re-execute a path of successor indices from the initial state. */
export function followEdges<G extends object>(
  product: Product<G>,
  path: readonly number[],
): { states: TraceState[]; transitions: StepLabel[] } {
  let vec = product.initial().vec;
  const states: TraceState[] = [product.traceState(vec)];
  const transitions: StepLabel[] = [];
  for (const want of path) {
    const hit = product.pick(vec, (_l, i) => i === want);
    if (!hit) throw new Error('internal: counterexample path is not reproducible (nondeterministic step?)');
    vec = hit.vec;
    transitions.push(hit.label);
    states.push(product.traceState(vec));
  }
  return { states, transitions };
}
