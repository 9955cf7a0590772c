/**
 * Ordering a level of the parallel BFS (parallel-bfs.ts) as the sequential
 * BFS numbers it, by (discovering parent, edge): by every thread together, in
 * two steps with a barrier between (orderKeys: each thread resolves the keys
 * of the states it claimed and bins them by parent range; orderRange: each
 * thread sorts one range of parents), or by the coordinator alone for the
 * levels it expands alone (orderNextLevel). Typed arrays in shared memory
 * only (store/frontier.ts): the workers are parked in their command loop.
 */
import { orderCountsAt, owner, type Frontier } from '../store/frontier.js';
import type { LevelStores } from './parallel-level.js';
import { C, W, WORKER_BASE } from './parallel-protocol.js';

/** Per thread: scratch of orderRange, kept between levels (grown by doubling). */
export class RangeScratch {
  /** Per entry of the range: its buffer, offset, parent, edge, the worker that expands it; the sort's index. */
  buf = new Int32Array(1 << 10);
  off = new Int32Array(1 << 10);
  par = new Int32Array(1 << 10);
  edg = new Int32Array(1 << 10);
  own = new Int32Array(1 << 10);
  idx = new Int32Array(1 << 10);
  bucket = new Int32Array(1 << 10);
  pos = new Int32Array(8);

  room(m: number, parents: number, n: number): void {
    if (m > this.buf.length) {
      const k = Math.max(m, 2 * this.buf.length);
      this.buf = new Int32Array(k);
      this.off = new Int32Array(k);
      this.par = new Int32Array(k);
      this.edg = new Int32Array(k);
      this.own = new Int32Array(k);
      this.idx = new Int32Array(k);
    }
    if (parents + 1 > this.bucket.length) this.bucket = new Int32Array(Math.max(parents + 1, 2 * this.bucket.length));
    if (n > this.pos.length) this.pos = new Int32Array(n);
  }
}
const scratch = new WeakMap<LevelStores, RangeScratch>();

/** A slot's home in a map of lowered keys of `mask` + 1 cells. */
function lowHome(slot: number, mask: number): number {
  const h = Math.imul(slot, 0x9e3779b1);
  return (h ^ (h >>> 16)) & mask;
}

/**
 * Fold thread w's log of lowered keys (W.LOG words of frontier.logs[w]) into
 * its map (frontier.lows[w], capacity in W.LOWS): per slot, the smallest
 * parent it logged, with that transition's edge. Each thread folds its own
 * log at the end of its part of a level (parallel-expand.ts), so no thread
 * waits for another's; orderKeys then reads every thread's map.
 */
export function foldLowered(ctl: Int32Array, f: Frontier, w: number): void {
  const base = WORKER_BASE + W.SIZE * w;
  const end = ctl[base + W.LOG]!;
  if (end === 0) {
    ctl[base + W.LOWS] = 0;
    return;
  }
  let cap = 16;
  while (cap < (2 * end) / 3) cap *= 2;
  const m = f.roomLows(w, 3 * cap);
  m.fill(0, 0, 3 * cap);
  const mask = cap - 1;
  const l = f.logs[w]!;
  for (let k = 0; k < end; k += 3) {
    const slot = l[k]!;
    const p = l[k + 1]!;
    for (let i = lowHome(slot, mask); ; i = (i + 1) & mask) {
      const at = 3 * i;
      const key = m[at]!;
      if (key === 0) {
        m[at] = slot + 1;
        m[at + 1] = p;
        m[at + 2] = l[k + 2]!;
        break;
      }
      if (key === slot + 1) {
        if (p < m[at + 1]!) {
          m[at + 1] = p;
          m[at + 2] = l[k + 2]!;
        }
        break;
      }
    }
  }
  ctl[base + W.LOWS] = cap;
}

/** The first parent of range k of n over a level of `size` parents (relative to its first). */
function rangeLo(k: number, size: number, n: number): number {
  return Math.floor((k * size) / n);
}

/** The range of parent q (relative to the level's first) among n over `size` parents. */
function rangeOf(q: number, size: number, n: number): number {
  let k = Math.min(n - 1, Math.floor((q * n) / size));
  while (k + 1 < n && rangeLo(k + 1, size, n) <= q) k++;
  while (k > 0 && rangeLo(k, size, n) > q) k--;
  return k;
}

/**
 * Step 1 of ordering a level (CMD.ORDER_KEYS), by thread t over the entries
 * it claimed (its buffer of the level): each entry's discovering key becomes
 * the smallest of its claim and of the lowerings every thread logged for its
 * slot (their maps: a lowering is logged whenever it succeeds, so the smallest
 * logged is the tag the table ended with, and the table need not be read);
 * the entry's offset goes into bin (t, k) of its parent's range k, counted
 * per worker that will expand it. Needs every thread's part of the level and
 * its fold done (the barrier before the command).
 */
export function orderKeys(ctl: Int32Array, f: Frontier, n: number, t: number): void {
  const start = ctl[C.START]!;
  const size = ctl[C.SIZE]!;
  const b = 1 + 2 * t + ctl[C.PARITY]!;
  const fill = ctl[WORKER_BASE + W.SIZE * t + W.FILL]!;
  const counts = f.counts;
  counts.fill(0, orderCountsAt(t, 0, n), orderCountsAt(t + 1, 0, n));
  const c = f.states[b]!;
  for (let at = 0; at < fill; at = f.next(b, at)) {
    let p = c[at + 4]!;
    let e = c[at + 5]!;
    const slot = c[at + 3]!;
    for (let u = 0; u < n; u++) {
      const cap = ctl[WORKER_BASE + W.SIZE * u + W.LOWS]!;
      if (cap === 0) continue;
      const m = f.lows[u]!;
      const mask = cap - 1;
      for (let i = lowHome(slot, mask); ; i = (i + 1) & mask) {
        const key = m[3 * i]!;
        if (key === 0) break;
        if (key === slot + 1) {
          if (m[3 * i + 1]! < p) {
            p = m[3 * i + 1]!;
            e = m[3 * i + 2]!;
          }
          break;
        }
      }
    }
    if (!(p >= start && p < start + size)) throw new Error(`parallel BFS: parent ${p} outside the level`);
    c[at + 4] = p;
    c[at + 5] = e;
    const k = rangeOf(p - start, size, n);
    const row = orderCountsAt(t, k, n);
    counts[row] = f.bin(t * n + k, counts[row]!, at);
    counts[row + 1 + owner(c[at + 6]!, c[at + 1]!, n)]!++;
  }
}

/**
 * Step 2 of ordering a level (CMD.ORDER_RANGE), by thread k over the entries
 * whose parent is in range k (bins (*, k)): sorted by (parent, edge), the
 * order in which the sequential BFS numbers states, they take ranks after
 * those of ranges 0..k-1; each rank's [buffer, offset] goes into
 * frontier.order, its key into frontier.ranked, and the rank into the share
 * of frontier.owned of the worker that will expand it (a worker's share runs
 * range by range: increasing ranks). Needs every thread's step 1 done, and
 * frontier.reserveOrder for the level's states.
 */
export function orderRange(ctl: Int32Array, f: Frontier, n: number, k: number, sc: RangeScratch): void {
  const start = ctl[C.START]!;
  const size = ctl[C.SIZE]!;
  const parity = ctl[C.PARITY]!;
  const lo = start + rangeLo(k, size, n);
  const hi = start + rangeLo(k + 1, size, n);
  const counts = f.counts;
  // this range's first rank, its entries, and each worker's next position in owned
  let rank = 0;
  let mk = 0;
  for (let t = 0; t < n; t++) {
    for (let q = 0; q < k; q++) rank += counts[orderCountsAt(t, q, n)]!;
    mk += counts[orderCountsAt(t, k, n)]!;
  }
  sc.room(mk, hi - lo, n);
  const { buf, off, par, edg, own, idx, bucket, pos } = sc;
  let before = 0;
  for (let w = 0; w < n; w++) {
    let mine = 0;
    let earlier = 0;
    for (let t = 0; t < n; t++)
      for (let q = 0; q < n; q++) {
        const x = counts[orderCountsAt(t, q, n) + 1 + w]!;
        mine += x;
        if (q < k) earlier += x;
      }
    pos[w] = before + earlier;
    before += mine;
  }
  bucket.fill(0, 0, hi - lo + 1);
  let j = 0;
  for (let t = 0; t < n; t++) {
    const b = 1 + 2 * t + parity;
    const c = f.states[b]!;
    const bin = f.bins[t * n + k]!;
    const fill = counts[orderCountsAt(t, k, n)]!;
    for (let i = 0; i < fill; i++) {
      const at = bin[i]!;
      const p = c[at + 4]!;
      buf[j] = b;
      off[j] = at;
      par[j] = p;
      edg[j] = c[at + 5]!;
      own[j] = owner(c[at + 6]!, c[at + 1]!, n);
      bucket[p - lo + 1]!++;
      j++;
    }
  }
  // counting sort by parent, then by edge within a parent (runs are short: insertion sort)
  const parents = hi - lo;
  for (let i = 0; i < parents; i++) bucket[i + 1]! += bucket[i]!;
  for (let x = 0; x < mk; x++) idx[bucket[par[x]! - lo]!++] = x;
  let runStart = 0;
  for (let i = 0; i < parents; i++) {
    const runEnd = bucket[i]!;
    for (let a = runStart + 1; a < runEnd; a++) {
      const x = idx[a]!;
      let q = a - 1;
      while (q >= runStart && edg[idx[q]!]! > edg[x]!) {
        idx[q + 1] = idx[q]!;
        q--;
      }
      idx[q + 1] = x;
    }
    runStart = runEnd;
  }
  const order = f.order;
  const owned = f.owned;
  const ranked = f.ranked;
  for (let r = 0; r < mk; r++) {
    const x = idx[r]!;
    const g = rank + r;
    order[2 * g] = buf[x]!;
    order[2 * g + 1] = off[x]!;
    ranked[2 * g] = par[x]!;
    ranked[2 * g + 1] = edg[x]!;
    owned[pos[own[x]!]!++] = g;
  }
}

/** The level's states (every thread's claims). */
export function levelStates(ctl: Int32Array, n: number): number {
  let m = 0;
  for (let w = 0; w < n; w++) m += ctl[WORKER_BASE + W.SIZE * w + W.COUNT]!;
  return m;
}

/**
 * After both steps (by the coordinator): each worker's share of the next
 * level (W.BEGIN, W.END). Checks that the bins hold every claim. The trace
 * links come from frontier.ranked (copyLinks), which stays until the next
 * level is ordered.
 */
export function finishOrder(co: LevelStores, m: number): void {
  const { ctl, n } = co;
  const f = co.frontier;
  const counts = f.counts;
  let binned = 0;
  let at = 0;
  for (let w = 0; w < n; w++) {
    let mine = 0;
    for (let t = 0; t < n; t++)
      for (let q = 0; q < n; q++) {
        if (w === 0) binned += counts[orderCountsAt(t, q, n)]!;
        mine += counts[orderCountsAt(t, q, n) + 1 + w]!;
      }
    ctl[WORKER_BASE + W.SIZE * w + W.BEGIN] = at;
    at += mine;
    ctl[WORKER_BASE + W.SIZE * w + W.END] = at;
  }
  if (binned !== m || at !== m) throw new Error(`parallel BFS: ${binned} entries binned, ${at} shared, ${m} claimed`);
}

/** The trace links of the ordered level's m states, ids count .. count+m-1, from frontier.ranked. */
export function copyLinks(co: LevelStores, count: number, m: number): void {
  const ranked = co.frontier.ranked;
  const links = co.links;
  for (let r = 0; r < m; r++) links.set(count + r, ranked[2 * r]!, ranked[2 * r + 1]!);
}

/**
 * Level d+1 in sequential order, by this thread alone (the levels the
 * coordinator expands alone, and tests): both steps for every thread's part,
 * then finishOrder and the trace links; returns its size. Every thread's log must be folded
 * (foldLowered: expandLevel does it for its thread).
 */
export function orderNextLevel(co: LevelStores, start: number, size: number, count: number, parity: number): number {
  const f = co.frontier;
  f.refresh(); // the workers may have grown their buffers
  const { ctl, n } = co;
  ctl[C.START] = start;
  ctl[C.SIZE] = size;
  ctl[C.PARITY] = parity;
  const m = levelStates(ctl, n);
  for (let t = 0; t < n; t++) orderKeys(ctl, f, n, t);
  f.reserveOrder(m);
  let sc = scratch.get(co);
  if (!sc) scratch.set(co, (sc = new RangeScratch()));
  for (let k = 0; k < n; k++) orderRange(ctl, f, n, k, sc);
  finishOrder(co, m);
  copyLinks(co, count, m);
  return m;
}
