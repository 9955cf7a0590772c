/**
 * The coordinator's work between the levels of the parallel BFS
 * (parallel-bfs.ts), but for ordering the next level (parallel-order.ts):
 * share out the first level, run a stopping level again sequentially, and
 * rebuild a trace from the links.
 */
import { FingerprintSet, successorFingerprint } from '../fingerprint.js';
import type { Failure, Model, Successor } from '../model.js';
import type { StopReason } from '../result.js';
import type { Links } from '../store/queue.js';
import { norm, type SharedFingerprintTable } from '../store/shared-visited.js';
import type { Frontier } from '../store/frontier.js';
import { W, WORKER_BASE } from './parallel-protocol.js';
import type { Ticker } from './search.js';

export interface Found {
  readonly failure: Failure;
  /** The last state before the failure (or the failing state itself when edge < 0). */
  readonly parent: number;
  readonly edge: number;
}

/** What the level functions use of the coordinator. */
export interface LevelStores {
  readonly ctl: Int32Array;
  readonly frontier: Frontier;
  readonly table: SharedFingerprintTable;
  readonly links: Links;
  /** Workers. */
  readonly n: number;
}

/** The first level (the initial state, order index 0): worker 0's share. */
export function shareFirstLevel(co: LevelStores): void {
  co.frontier.owned[0] = 0;
  for (let w = 0; w < co.n; w++) {
    co.ctl[WORKER_BASE + W.SIZE * w + W.BEGIN] = 0;
    co.ctl[WORKER_BASE + W.SIZE * w + W.END] = w === 0 ? 1 : 0;
  }
}

/**
 * The sequential BFS's pass over one level (ids start .. start+size), from
 * the level's first state: used when the parallel pass hit a failure or the
 * state limit, so the stop is the sequential one.
 */
export function rerunLevel(
  co: LevelStores,
  model: Model,
  start: number,
  size: number,
  depth: number,
  transitions0: number,
  maxStates: number,
  ticker: Ticker,
): { stop: StopReason; count: number; transitions: number; maxDepth: number; found?: Found } {
  const f = co.frontier;
  f.refresh();
  const t = co.table;
  const local = new FingerprintSet(1 << 12);
  const cur = { vec: new Int32Array(256) };
  const fp = new Uint32Array(2);
  let count = start + size;
  let transitions = transitions0;
  let maxDepth = depth;
  let found: Found | undefined;
  let idx = start;
  let len = 0;
  let pfp0 = 0;
  let pfp1 = 0;
  let edge = 0;
  const onSuccessor = (s: Successor): void => {
    if (found) return;
    transitions++;
    const e = edge++;
    if (s.failure) {
      found = { failure: s.failure, parent: idx, edge: e };
      return;
    }
    successorFingerprint(cur.vec, 0, len, pfp0, pfp1, s, fp);
    const a = norm(fp[0]!);
    const b = norm(fp[1]!);
    const slot = t.find(a, b);
    if (slot >= 0 && t.tag(slot) <= start) return; // visited in an earlier level
    if (!local.add(a >>> 0, b >>> 0)) return;
    const id = count++;
    co.links.set(id, idx, e);
    maxDepth = depth + 1;
    const bad = model.checkState(s.buf, 0, s.impl, s.hint);
    if (bad) found = { failure: bad, parent: id, edge: -1 };
  };
  const load = (i: number): number => {
    const b = f.order[2 * i]!;
    const at = f.order[2 * i + 1]!;
    len = f.read(b, at, cur);
    pfp0 = f.states[b]![at + 1]! >>> 0;
    pfp1 = f.states[b]![at + 2]! >>> 0;
    return len;
  };
  let stop: StopReason = 'complete';
  for (let i = 0; i < size; i++) {
    idx = start + i;
    load(i);
    edge = 0;
    model.expand(cur.vec, 0, len, onSuccessor);
    const d = found ? undefined : model.stuck(cur.vec, 0, len, edge);
    if (d) found = { failure: d, parent: idx, edge: -1 };
    if (found) {
      // as bfs.ts: a deadlock among the level's unexpanded states is shorter than a failure one level down
      if (found.edge >= 0 || found.parent >= start + size)
        found = deadlockAfter(model, i, size, start, load, cur) ?? found;
      stop = 'violation';
      break;
    }
    if (count >= maxStates) {
      stop = 'state-limit';
      break;
    }
    const why =
      ((idx + 1) & 1023) === 0 ? ticker.tick(() => ({ states: count, transitions, depth, queue: 0 })) : undefined;
    if (why) {
      stop = why;
      break;
    }
  }
  return { stop, count, transitions, maxDepth, ...(found ? { found } : {}) };
}

export function pathTo(links: Links, found: Found): number[] {
  const path: number[] = [];
  for (let id = found.parent; id !== 0; id = links.parentOf(id)) path.push(links.edgeOf(id));
  path.reverse();
  if (found.edge >= 0) path.push(found.edge);
  return path;
}

/** The first deadlocked state among the level's states after index i (bfs.ts deadlockInLevel). */
function deadlockAfter(
  model: Model,
  i: number,
  size: number,
  start: number,
  load: (i: number) => number,
  cur: { vec: Int32Array },
): Found | undefined {
  for (let j = i + 1; j < size; j++) {
    const len = load(j);
    const d = model.stuck(cur.vec.slice(0, len), 0, len);
    if (d) return { failure: d, parent: start + j, edge: -1 };
  }
  return undefined;
}
