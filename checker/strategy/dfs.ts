/**
 * Depth-first search over any Model with memory bounded by the visited store
 * and the depth: the stack holds, per level, the successors of that state not
 * yet entered (vectors packed in one growable Int32Array) and nothing else.
 * With a bitstate store the visited set is a fixed number of bytes, as SPIN's
 * default DFS with -DBITSTATE. Counterexamples are NOT shortest (the result
 * says so); `maxDepth` truncates the search, and a truncated run is not
 * exhaustive (stopReason 'depth-limit').
 */
import { zobrist, zobristFrom } from '../fingerprint.js';
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

export function dfs(model: Model, visited: VisitedStore, limits: SearchLimits & { maxDepth?: number } = {}): SearchOutcome {
  const ticker = new Ticker(limits);
  const arena = new Arena();
  const fp = new Uint32Array(2);
  const depthLimit = limits.maxDepth ?? Infinity;
  const maxStates = limits.maxStates ?? Infinity;
  let [states, transitions, maxDepth, truncated] = [1, 0, 0, false];
  let stop: StopReason = 'complete';
  let found: { failure: Failure; path: number[] } | undefined;
  // frames; the arena offsets of every frame's successors; the edges entered from the initial state
  const [stack, offsets, path]: [Frame[], number[], number[]] = [[], [], []];

  const init = model.initial();
  zobrist(init.vec, 0, init.vec.length, fp);
  visited.add(fp[0]!, fp[1]!);
  const f0 = init.failure ?? model.checkState(init.vec, 0, init.impl);
  if (f0) found = { failure: f0, path: [] };

  /** Expand the vector at arena offset `at` into a new frame; false when a failure was found. */
  const enter = (at: number): void => {
    const buf = arena.buf;
    const len = buf[at]!;
    const pfp0 = buf[at + 1]! >>> 0;
    const pfp1 = buf[at + 2]! >>> 0;
    const frame: Frame = { first: offsets.length, next: offsets.length, end: offsets.length, base: arena.top, edges: [] };
    let edge = 0;
    const depth = stack.length + 1;
    const onSuccessor = (s: Successor): void => {
      if (found) return;
      transitions++;
      const e = edge++;
      if (s.failure) {
        found = { failure: s.failure, path: [...path, e] };
        return;
      }
      const pb = arena.buf; // may have moved by a push
      zobristFrom(pb, at + 3, len, pfp0, pfp1, s.buf, s.len, fp);
      if (!visited.add(fp[0]!, fp[1]!)) return;
      states++;
      if (depth > maxDepth) maxDepth = depth;
      const f = model.checkState(s.buf, 0, s.impl);
      if (f) {
        found = { failure: f, path: [...path, e] };
        return;
      }
      offsets.push(arena.push(s.buf, s.len, fp[0]!, fp[1]!));
      frame.edges.push(e);
    };
    model.expand(arena.buf, at + 3, len, onSuccessor);
    if (!found) {
      const d = model.stuck(arena.buf, at + 3, len, edge);
      if (d) found = { failure: d, path: [...path] };
    }
    frame.end = offsets.length;
    stack.push(frame);
  };

  if (!found) enter(arena.push(init.vec, init.vec.length, fp[0]!, fp[1]!));
  let n = 0;
  while (!found && stack.length > 0) {
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
    enter(offsets[i]!);
    if (states >= maxStates) {
      stop = 'state-limit';
      break;
    }
    if ((++n & 1023) === 0 && ticker.tick(() => ({ states, transitions, depth: stack.length, queue: offsets.length }))) {
      stop = 'time-limit';
      break;
    }
  }
  if (found) stop = 'violation';
  else if (stop === 'complete' && truncated) stop = 'depth-limit';
  return outcome(stop, states, transitions, maxDepth, found, visited, 0, arena.peak * 4, false);
}
