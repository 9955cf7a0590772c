/**
 * The shared level-synchronous frontier of the parallel BFS.
 *
 * Each worker appends the states it newly discovers in level d to its own
 * growable SharedArrayBuffer (two per worker, alternating between levels), and
 * the lowered discovery keys of states another worker had claimed to a log,
 * which it folds into its map of lowered keys (`lows`, by table slot) at the
 * end of its part of the level. Between levels, the threads order level d+1
 * together (strategy/parallel-level.ts): each resolves the keys of its own
 * entries and sorts references to them into `bins` by parent range (counts in
 * `counts`), then each sorts one parent range, writing the order of level d+1
 * (pairs [buffer, offset]) into `order`, each rank's key into `ranked` and
 * each worker's share of the order into `owned` (see `owner`).
 * Buffer 0 holds the initial state.
 *
 * Entry: [head, fp0, fp1, slot, parent, edge, affinity, hint, payload...], the
 * vector packed as in the sequential queue (pack.ts). fp is the state's true
 * fingerprint (successors are fingerprinted incrementally from it); slot is
 * its slot in the shared fingerprint table; (parent, edge) the transition that
 * claimed it; affinity the model's (Successor.affinity, -1: none) and hint
 * the model's for its owner (Successor.hint, kept only when the thread that
 * found the state owns it: a hint is an id in that thread's model; -1: none).
 */

import { headLen, headWords, maxPackedWords, packHead, packInto, unpackFrom } from './pack.js';

const MAX_BYTES = 2 ** 31;
export const ENTRY_HEAD = 8;

/**
 * The worker that expands a state of affinity `affinity` (Successor.affinity)
 * and fingerprint lane `fp0` among `n`: by affinity, so that the states whose
 * expansion the same model caches serve (the product: one impl state) go to
 * one worker; by fingerprint when there is none.
 */
export function owner(affinity: number, fp0: number, n: number): number {
  return (Math.imul(affinity >= 0 ? affinity : fp0, 0x9e3779b1) >>> 0) % n;
}

/** A growable SharedArrayBuffer of `bytes` (up to 2 GiB). */
export function growableBuffer(bytes: number): SharedArrayBuffer {
  const Ctor = SharedArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => SharedArrayBuffer;
  return new Ctor(bytes, { maxByteLength: MAX_BYTES });
}

/**
 * A fixed-length Int32 view of all of `buf` as it is now. Views are fixed-length,
 * not length-tracking: on Node 20 an access through a length-tracking view of
 * a growable SharedArrayBuffer is some 30 times slower. A view is remade when
 * its thread grows the buffer, and by `Frontier.refresh` for growth by others.
 */
function viewOf(buf: SharedArrayBuffer): Int32Array {
  return new Int32Array(buf, 0, buf.byteLength >> 2);
}

/** A fixed-length byte view of the same bytes as `view`. */
function bytesOf(view: Int32Array): Uint8Array {
  return new Uint8Array(view.buffer, 0, view.byteLength);
}

/** `view`, or a new view of `buf` with room for `words` words (the buffer grown by doubling). */
export function ensureWords(buf: SharedArrayBuffer, view: Int32Array, words: number): Int32Array {
  if (words <= view.length) return view;
  if (words <= buf.byteLength >> 2) return viewOf(buf);
  const bytes = Math.min(MAX_BYTES, Math.max(2 * buf.byteLength, 4 * words));
  if (4 * words > bytes) throw new Error(`parallel BFS frontier: ${4 * words} bytes is past the 2 GiB buffer limit`);
  (buf as unknown as { grow(n: number): void }).grow(bytes);
  return viewOf(buf);
}

/** The buffers, structured-clonable for the workers. */
export interface FrontierBuffers {
  /** Buffer 0: the initial state; then two per worker (1 + 2w + parity). */
  readonly states: SharedArrayBuffer[];
  /** Per worker: lowered keys [slot, parent, edge]... */
  readonly logs: SharedArrayBuffer[];
  /** The current level's order: [buffer, offset] per state. */
  readonly order: SharedArrayBuffer;
  /** Indices into the order, each worker's share in a run of increasing indices (the runs in ctl). */
  readonly owned: SharedArrayBuffer;
  /** Per worker: its lowered keys by table slot, open addressing [slot + 1, parent, edge] (capacity in ctl W.LOWS). */
  readonly lows: SharedArrayBuffer[];
  /** Per (worker t, parent range k), at t * workers + k: offsets of t's entries whose parent is in range k. */
  readonly bins: SharedArrayBuffer[];
  /** Per (t, k): [entries in bin (t, k), then per worker w: how many of them w expands] (orderCountsAt). */
  readonly counts: SharedArrayBuffer;
  /** The current level's keys by rank: [parent, edge] per state. */
  readonly ranked: SharedArrayBuffer;
}

/** Where the counts of bin (t, k) start in FrontierBuffers.counts. */
export function orderCountsAt(t: number, k: number, workers: number): number {
  return (t * workers + k) * (workers + 1);
}

export function createFrontier(workers: number): FrontierBuffers {
  return {
    states: Array.from({ length: 1 + 2 * workers }, () => growableBuffer(1 << 16)),
    logs: Array.from({ length: workers }, () => growableBuffer(1 << 12)),
    order: growableBuffer(1 << 12),
    owned: growableBuffer(1 << 12),
    lows: Array.from({ length: workers }, () => growableBuffer(1 << 12)),
    bins: Array.from({ length: workers * workers }, () => growableBuffer(1 << 12)),
    counts: new SharedArrayBuffer(4 * workers * workers * (workers + 1)),
    ranked: growableBuffer(1 << 12),
  };
}

/**
 * Views over a FrontierBuffers, one per thread. A thread calls `refresh`
 * before reading what other threads wrote (they may have grown the buffers).
 */
export class Frontier {
  readonly states: Int32Array[];
  /** Byte views of `states` (the packed payloads). */
  private readonly bytes: Uint8Array[];
  readonly logs: Int32Array[];
  order: Int32Array;
  owned: Int32Array;
  readonly lows: Int32Array[];
  readonly bins: Int32Array[];
  readonly counts: Int32Array;
  ranked: Int32Array;

  constructor(readonly buffers: FrontierBuffers) {
    this.states = buffers.states.map(viewOf);
    this.bytes = this.states.map(bytesOf);
    this.logs = buffers.logs.map(viewOf);
    this.order = viewOf(buffers.order);
    this.owned = viewOf(buffers.owned);
    this.lows = buffers.lows.map(viewOf);
    this.bins = buffers.bins.map(viewOf);
    this.counts = new Int32Array(buffers.counts);
    this.ranked = viewOf(buffers.ranked);
  }

  private setStates(b: number, view: Int32Array): void {
    if (view === this.states[b]) return;
    this.states[b] = view;
    this.bytes[b] = bytesOf(view);
  }

  /** Views over the buffers as other threads have grown them. */
  refresh(): void {
    const b = this.buffers;
    for (let i = 0; i < b.states.length; i++)
      if (this.states[i]!.length !== b.states[i]!.byteLength >> 2) this.setStates(i, viewOf(b.states[i]!));
    for (let i = 0; i < b.logs.length; i++)
      if (this.logs[i]!.length !== b.logs[i]!.byteLength >> 2) this.logs[i] = viewOf(b.logs[i]!);
    if (this.order.length !== b.order.byteLength >> 2) this.order = viewOf(b.order);
    if (this.owned.length !== b.owned.byteLength >> 2) this.owned = viewOf(b.owned);
    for (let i = 0; i < b.lows.length; i++)
      if (this.lows[i]!.length !== b.lows[i]!.byteLength >> 2) this.lows[i] = viewOf(b.lows[i]!);
    for (let i = 0; i < b.bins.length; i++)
      if (this.bins[i]!.length !== b.bins[i]!.byteLength >> 2) this.bins[i] = viewOf(b.bins[i]!);
    if (this.ranked.length !== b.ranked.byteLength >> 2) this.ranked = viewOf(b.ranked);
  }

  /** Room for `words` words in worker w's map of lowered keys (its view remade). */
  roomLows(w: number, words: number): Int32Array {
    return (this.lows[w] = ensureWords(this.buffers.lows[w]!, this.lows[w]!, words));
  }

  /** Append `at` to bin i at word `fill`; returns the next free word. */
  bin(i: number, fill: number, at: number): number {
    let v = this.bins[i]!;
    if (fill >= v.length) v = this.bins[i] = ensureWords(this.buffers.bins[i]!, v, fill + 1);
    v[fill] = at;
    return fill + 1;
  }

  /** Append an entry to states buffer `b` at word `at`; returns the next free word. */
  push(
    b: number,
    at: number,
    vec: Int32Array,
    len: number,
    fp0: number,
    fp1: number,
    slot: number,
    parent: number,
    edge: number,
    affinity: number,
    hint: number,
  ): number {
    const most = ENTRY_HEAD + maxPackedWords(len);
    this.setStates(b, ensureWords(this.buffers.states[b]!, this.states[b]!, at + most));
    const c = this.states[b]!;
    const words = (packInto(vec, 0, len, this.bytes[b]!, 4 * (at + ENTRY_HEAD)) + 3) >> 2;
    c[at] = packHead(len, words, 'frontier');
    c[at + 1] = fp0;
    c[at + 2] = fp1;
    c[at + 3] = slot;
    c[at + 4] = parent;
    c[at + 5] = edge;
    c[at + 6] = affinity;
    c[at + 7] = hint;
    return at + ENTRY_HEAD + words;
  }

  /** The word after the entry at (b, at). */
  next(b: number, at: number): number {
    return at + ENTRY_HEAD + headWords(this.states[b]![at]!);
  }

  /** Unpack the entry at (b, at) into `out` (grown when short); returns its length. */
  read(b: number, at: number, out: { vec: Int32Array }): number {
    const len = headLen(this.states[b]![at]!);
    if (out.vec.length < len + 4) out.vec = new Int32Array(2 * len + 4);
    unpackFrom(this.bytes[b]!, 4 * (at + ENTRY_HEAD), len, out.vec);
    return len;
  }

  /** Append a lowered key to worker w's log at word `at`; returns the next free word. */
  log(w: number, at: number, slot: number, parent: number, edge: number): number {
    const l = ensureWords(this.buffers.logs[w]!, this.logs[w]!, at + 3);
    this.logs[w] = l;
    l[at] = slot;
    l[at + 1] = parent;
    l[at + 2] = edge;
    return at + 3;
  }

  /** Room for a level of `n` states in the order array and in `owned`. */
  reserveOrder(n: number): void {
    this.order = ensureWords(this.buffers.order, this.order, 2 * n);
    this.owned = ensureWords(this.buffers.owned, this.owned, n);
    this.ranked = ensureWords(this.buffers.ranked, this.ranked, 2 * n);
  }
}
