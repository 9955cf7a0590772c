/**
 * Depth-first search over any Model with memory bounded by the visited store
 * and the depth: the stack holds, per level, the successors of that state not
 * yet entered (vectors packed in one growable Int32Array) and nothing else.
 * With a bitstate store the visited set is a fixed number of bytes, as SPIN's
 * default DFS with -DBITSTATE. Counterexamples are NOT shortest (the result
 * says so); `maxDepth` truncates the search, and a truncated run is not
 * exhaustive (stopReason 'depth-limit').
 */
import { successorFingerprint, zobrist } from '../fingerprint.js';
import type { Failure, Model, Successor } from '../model.js';
import type { StopReason } from '../result.js';
import type { VisitedStore } from '../store/visited.js';
import { outcome } from './bfs.js';
import { Ticker, type SearchLimits, type SearchOutcome } from './search.js';

/** One level of the stack: successors [first, end) in the arena; next = the one to enter next. */
interface Frame {
  first: number;
  next: number;
  end: number;
  /** Arena offset where this frame's vectors start (the frame owns arena[base, top)). */
  base: number;
  /** Successor index (in expand order) of each entry, to rebuild the path. */
  edges: number[];
}

class Arena {
  buf = new Int32Array(1 << 16);
  top = 0;
  peak = 0;
  /** Append [len, fp0, fp1, ...vec]; returns its offset. */
  push(v: Int32Array, len: number, fp0: number, fp1: number): number {
    const need = len + 3;
    if (this.top + need > this.buf.length) {
      const b = new Int32Array(Math.max(this.buf.length * 2, this.top + need));
      b.set(this.buf.subarray(0, this.top));
      this.buf = b;
    }
    const at = this.top;
    this.buf[at] = len;
    this.buf[at + 1] = fp0;
    this.buf[at + 2] = fp1;
    this.buf.set(v.subarray(0, len), at + 3);
    this.top += need;
    if (this.top > this.peak) this.peak = this.top;
    return at;
  }
}

export function dfs(
  model: Model,
  visited: VisitedStore,
  limits: SearchLimits & { maxDepth?: number } = {},
): SearchOutcome {
  return new DfsRun(model, visited, limits).run();
}

class DfsRun {
  private readonly ticker: Ticker;
  private readonly arena = new Arena();
  private readonly fp = new Uint32Array(2);
  private states = 1;
  private transitions = 0;
  private maxDepth = 0;
  private found: { failure: Failure; path: number[] } | undefined;
  /** The frames, the arena offsets of every frame's successors, the edges entered from the initial state. */
  private readonly stack: Frame[] = [];
  private readonly offsets: number[] = [];
  private readonly path: number[] = [];

  constructor(
    private readonly model: Model,
    private readonly visited: VisitedStore,
    private readonly limits: SearchLimits & { maxDepth?: number },
  ) {
    this.ticker = new Ticker(limits);
  }

  run(): SearchOutcome {
    const { model, visited, fp, stack, offsets, path, arena } = this;
    const depthLimit = this.limits.maxDepth ?? Infinity;
    const maxStates = this.limits.maxStates ?? Infinity;
    let truncated = false;
    let stop: StopReason = 'complete';
    const init = model.initial();
    zobrist(init.vec, 0, init.vec.length, fp);
    visited.add(fp[0]!, fp[1]!);
    const f0 = init.failure ?? model.checkState(init.vec, 0, init.impl);
    if (f0) this.found = { failure: f0, path: [] };
    else this.enter(arena.push(init.vec, init.vec.length, fp[0]!, fp[1]!));
    let n = 0;
    while (!this.found && stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.next >= top.end || stack.length >= depthLimit) {
        if (top.next < top.end) truncated = true;
        stack.pop();
        offsets.length = top.first;
        arena.top = top.base;
        path.pop();
        continue;
      }
      const i = top.next++;
      path.push(top.edges[i - top.first]!);
      this.enter(offsets[i]!);
      if (this.states >= maxStates) {
        stop = 'state-limit';
        break;
      }
      const progress = () => ({
        states: this.states,
        transitions: this.transitions,
        depth: stack.length,
        queue: offsets.length,
      });
      const why = (++n & 1023) === 0 ? this.ticker.tick(progress) : undefined;
      if (why) {
        stop = why;
        break;
      }
    }
    if (this.found) stop = 'violation';
    else if (stop === 'complete' && truncated) stop = 'depth-limit';
    return outcome(stop, this.states, this.transitions, this.maxDepth, this.found, visited, 0, arena.peak * 4, false);
  }

  /** Expand the vector at arena offset `at` into a new frame of its unvisited successors. */
  private enter(at: number): void {
    const { arena, fp, visited, model, offsets, path } = this;
    const len = arena.buf[at]!;
    const pfp0 = arena.buf[at + 1]! >>> 0;
    const pfp1 = arena.buf[at + 2]! >>> 0;
    const n = offsets.length;
    const frame: Frame = { first: n, next: n, end: n, base: arena.top, edges: [] };
    let edge = 0;
    const depth = this.stack.length + 1;
    const onSuccessor = (s: Successor): void => {
      if (this.found) return;
      this.transitions++;
      const e = edge++;
      if (s.failure) {
        this.found = { failure: s.failure, path: [...path, e] };
        return;
      }
      successorFingerprint(arena.buf, at + 3, len, pfp0, pfp1, s, fp); // arena.buf may have moved by a push
      if (!visited.add(fp[0]!, fp[1]!)) return;
      this.states++;
      if (depth > this.maxDepth) this.maxDepth = depth;
      const f = model.checkState(s.buf, 0, s.impl, s.hint);
      if (f) {
        this.found = { failure: f, path: [...path, e] };
        return;
      }
      offsets.push(arena.push(s.buf, s.len, fp[0]!, fp[1]!));
      frame.edges.push(e);
    };
    model.expand(arena.buf, at + 3, len, onSuccessor);
    if (!this.found) {
      const d = model.stuck(arena.buf, at + 3, len, edge);
      if (d) this.found = { failure: d, path: [...path] };
    }
    frame.end = offsets.length;
    this.stack.push(frame);
  }
}
