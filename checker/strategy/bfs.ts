/**
 * Breadth-first search over any Model: the first violation found has a
 * shortest trace. Every property is evaluated when a state or transition is
 * discovered; a deadlock found one level earlier than a transition failure
 * wins (the rest of the current level is scanned for one).
 *
 * Stores: the visited set (exact or bitstate), the packed FIFO of vectors with
 * their fingerprints, and 5 bytes of trace links per distinct state.
 */
import { successorFingerprint, zobrist } from '../fingerprint.js';
import type { Failure, Model, Successor } from '../model.js';
import type { StopReason } from '../result.js';
import { Links, StateQueue } from '../store/queue.js';
import type { VisitedStore } from '../store/visited.js';
import { Ticker, type SearchLimits, type SearchOutcome } from './search.js';

interface Found {
  readonly failure: Failure;
  /** The last state before the failure (or the failing state itself when edge < 0). */
  readonly parent: number;
  /** Index of the failing transition from `parent`, or -1 for a property of `parent`. */
  readonly edge: number;
}

export function bfs(model: Model, visited: VisitedStore, limits: SearchLimits = {}): SearchOutcome {
  const ticker = new Ticker(limits);
  const links = new Links();
  const queue = new StateQueue(model.hints === true);
  const fp = new Uint32Array(2);
  let transitions = 0;
  let found: Found | undefined = seed(model, visited, links, queue);
  let count = 1;

  const maxStates = limits.maxStates ?? Infinity;
  let stop: StopReason = 'complete';
  let idx = 0;
  let levelEnd = 1;
  let depth = 0;
  let maxDepth = 0;
  const cur = { arr: new Int32Array(0), off: 0, len: 0, fp0: 0, fp1: 0, hint: -1 };
  let edge = 0;

  const onSuccessor = (s: Successor): void => {
    if (found) return;
    transitions++;
    const e = edge++;
    if (s.failure) {
      found = { failure: s.failure, parent: idx, edge: e };
      return;
    }
    successorFingerprint(cur.arr, cur.off, cur.len, cur.fp0, cur.fp1, s, fp);
    if (!visited.add(fp[0]!, fp[1]!)) return;
    const id = count++;
    links.set(id, idx, e);
    queue.push(s.buf, s.len, fp[0]!, fp[1]!, s.hint);
    if (depth + 1 > maxDepth) maxDepth = depth + 1;
    const f = model.checkState(s.buf, 0, s.impl, s.hint);
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
    model.expand(cur.arr, cur.off, cur.len, onSuccessor, false, cur.hint);
    if (!found) {
      const d = model.stuck(cur.arr, cur.off, cur.len, edge);
      if (d) found = { failure: d, parent: idx, edge: -1 };
    }
    idx++;
    if (found) {
      // A failure found while expanding depth d has a trace of length d + 1 (or d for a deadlock).
      // A deadlock in a not-yet-expanded state of depth d would be shorter: look for one.
      if (found.edge >= 0 || found.parent >= levelEnd) {
        const shorter = deadlockInLevel(model, queue, cur, idx, levelEnd);
        if (shorter) found = shorter;
      }
      stop = 'violation';
      break;
    }
    if (count >= maxStates) {
      stop = 'state-limit';
      break;
    }
    const why =
      (idx & 1023) === 0 ? ticker.tick(() => ({ states: count, transitions, depth, queue: queue.count })) : undefined;
    if (why) {
      stop = why;
      break;
    }
  }
  return outcome(
    stop,
    count,
    transitions,
    maxDepth,
    found && { failure: found.failure, path: pathTo(links, found) },
    visited,
    links.bytes,
    queue.peakInts * 4,
  );
}

/** A strategy's outcome from its counters and stores. */
export function outcome(
  stop: StopReason,
  states: number,
  transitions: number,
  maxDepth: number,
  found: SearchOutcome['found'],
  visited: VisitedStore,
  linkBytes: number,
  peakFrontierBytes: number,
  shortest = visited.kind === 'exact',
): SearchOutcome {
  return {
    stop,
    states,
    transitions,
    maxDepth,
    ...(found ? { found } : {}),
    storeBytes: visited.bytes + linkBytes,
    peakFrontierBytes,
    visitedKind: visited.kind,
    ...(visited.omission ? { omission: visited.omission() } : {}),
    shortest,
  };
}

/** Store the initial state as state 0; its failure, if it has one. */
function seed(model: Model, visited: VisitedStore, links: Links, queue: StateQueue): Found | undefined {
  const fp = new Uint32Array(2);
  const init = model.initial();
  zobrist(init.vec, 0, init.vec.length, fp);
  visited.add(fp[0]!, fp[1]!);
  links.set(0, 0, 0);
  queue.push(init.vec, init.vec.length, fp[0]!, fp[1]!);
  const f = init.failure ?? model.checkState(init.vec, 0, init.impl);
  return f ? { failure: f, parent: 0, edge: -1 } : undefined;
}

/** The first deadlocked state among queue entries idx .. levelEnd-1 (the rest of the current level). */
function deadlockInLevel(
  model: Model,
  queue: StateQueue,
  cur: { arr: Int32Array; off: number; len: number; fp0: number; fp1: number; hint: number },
  idx: number,
  levelEnd: number,
): Found | undefined {
  for (let id = idx; id < levelEnd && queue.count > 0; id++) {
    queue.shift(cur);
    const vec = cur.arr.slice(cur.off, cur.off + cur.len);
    const d = model.stuck(vec, 0, vec.length);
    if (d) return { failure: d, parent: id, edge: -1 };
  }
  return undefined;
}

/** Successor indices from the initial state to the failure, from the parent links. */
function pathTo(links: Links, found: Found): number[] {
  const path: number[] = [];
  for (let id = found.parent; id !== 0; id = links.parentOf(id)) path.push(links.edgeOf(id));
  path.reverse();
  if (found.edge >= 0) path.push(found.edge);
  return path;
}
