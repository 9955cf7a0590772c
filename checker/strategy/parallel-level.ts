/**
 * The coordinator's work between the levels of the parallel BFS
 * (parallel-bfs.ts): order the next level as the sequential BFS numbers it,
 * and run a stopping level again sequentially.
 */
import { FingerprintSet, successorFingerprint } from '../fingerprint.js';
import type { Failure, Model, Successor } from '../model.js';
import type { StopReason } from '../result.js';
import type { Links } from '../store/queue.js';
import { norm, type SharedFingerprintTable } from '../store/shared-visited.js';
import { owner, type Frontier } from '../store/frontier.js';
import { LoweredKeys } from '../store/lowered-keys.js';
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

/** Scratch of orderNextLevel, kept between levels (grown by doubling). */
class OrderScratch {
  /** Per entry: its buffer, offset, parent and edge. */
  buf = new Int32Array(1 << 12);
  off = new Int32Array(1 << 12);
  par = new Int32Array(1 << 12);
  edg = new Int32Array(1 << 12);
  idx = new Int32Array(1 << 12);
  /** Per entry: the worker that expands it. */
  own = new Int32Array(1 << 12);
  bucket = new Int32Array(1 << 12);
  readonly lowered = new LoweredKeys();

  room(m: number, parents: number): void {
    if (m > this.buf.length) {
      const n = Math.max(m, 2 * this.buf.length);
      this.buf = new Int32Array(n);
      this.off = new Int32Array(n);
      this.par = new Int32Array(n);
      this.edg = new Int32Array(n);
      this.idx = new Int32Array(n);
      this.own = new Int32Array(n);
    }
    if (parents + 1 > this.bucket.length) this.bucket = new Int32Array(Math.max(parents + 1, 2 * this.bucket.length));
  }
}
const scratch = new WeakMap<LevelStores, OrderScratch>();

/** The smallest lowered key per slot in the workers' logs (store/lowered-keys.ts). */
function loweredKeys(co: LevelStores, lowered: LoweredKeys): void {
  let records = 0;
  for (let w = 0; w < co.n; w++) records += co.ctl[WORKER_BASE + W.SIZE * w + W.LOG]! / 3;
  lowered.room(co.table.capacity, records);
  for (let w = 0; w < co.n; w++) {
    const l = co.frontier.logs[w]!;
    const end = co.ctl[WORKER_BASE + W.SIZE * w + W.LOG]!;
    for (let k = 0; k < end; k += 3) lowered.add(l[k]!, l[k + 1]!, l[k + 2]!);
  }
}

/**
 * Level d+1 in sequential order from the workers' buffers; fills links and
 * each worker's share (frontier.owned, by `owner`); returns its size.
 * Serial work between levels: typed arrays only (the workers are parked:
 * their writes happened before their DONE). A state's discovering parent is
 * the smallest of its entry's (the claim) and of the logged lowerings of its
 * tag: a lowering is logged whenever it succeeds, so the smallest logged one
 * is the tag the table ended with, and the table need not be read.
 */
export function orderNextLevel(co: LevelStores, start: number, size: number, count: number, parity: number): number {
  const f = co.frontier;
  f.refresh(); // the workers may have grown their buffers
  const n = co.n;
  let m = 0;
  for (let w = 0; w < n; w++) m += co.ctl[WORKER_BASE + W.SIZE * w + W.COUNT]!;
  let sc = scratch.get(co);
  if (!sc) scratch.set(co, (sc = new OrderScratch()));
  sc.room(m, size);
  const { buf, off, par, edg, idx, own, bucket, lowered } = sc;
  loweredKeys(co, lowered);
  const keys = lowered.keys;
  bucket.fill(0, 0, size + 1);
  const shares = new Int32Array(n + 1);
  let k = 0;
  for (let w = 0; w < n; w++) {
    const b = 1 + 2 * w + parity;
    const fill = co.ctl[WORKER_BASE + W.SIZE * w + W.FILL]!;
    const c = f.states[b]!;
    for (let at = 0; at < fill; at = f.next(b, at)) {
      let p = c[at + 4]!;
      let e = c[at + 5]!;
      const q = lowered.find(c[at + 3]!);
      if (q >= 0) {
        p = keys[q + 1]!;
        e = keys[q + 2]!;
      }
      if (!(p >= start && p < start + size)) throw new Error(`parallel BFS: parent ${p} outside the level`);
      buf[k] = b;
      off[k] = at;
      par[k] = p;
      edg[k] = e;
      const w = owner(c[at + 6]!, c[at + 1]!, n);
      own[k] = w;
      shares[w + 1]!++;
      bucket[p - start + 1]!++;
      k++;
    }
  }
  lowered.clear();
  if (k !== m) throw new Error(`parallel BFS: ${k} entries in the buffers, ${m} claimed`);
  // counting sort by parent (ids start .. start+size), then by edge within a parent
  for (let i = 0; i < size; i++) bucket[i + 1]! += bucket[i]!;
  for (let j = 0; j < m; j++) idx[bucket[par[j]! - start]!++] = j;
  // bucket[i] is now the end of parent i's run; runs are short: insertion sort by edge
  let runStart = 0;
  for (let i = 0; i < size; i++) {
    const runEnd = bucket[i]!;
    for (let a = runStart + 1; a < runEnd; a++) {
      const j = idx[a]!;
      let q = a - 1;
      while (q >= runStart && edg[idx[q]!]! > edg[j]!) {
        idx[q + 1] = idx[q]!;
        q--;
      }
      idx[q + 1] = j;
    }
    runStart = runEnd;
  }
  f.reserveOrder(m);
  const o = f.order;
  const owned = f.owned;
  for (let w = 0; w < n; w++) {
    shares[w + 1]! += shares[w]!;
    co.ctl[WORKER_BASE + W.SIZE * w + W.BEGIN] = shares[w]!;
    co.ctl[WORKER_BASE + W.SIZE * w + W.END] = shares[w + 1]!;
  }
  for (let r = 0; r < m; r++) {
    const j = idx[r]!;
    o[2 * r] = buf[j]!;
    o[2 * r + 1] = off[j]!;
    owned[shares[own[j]!]!++] = r;
    co.links.set(count + r, par[j]!, edg[j]!);
  }
  return m;
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
