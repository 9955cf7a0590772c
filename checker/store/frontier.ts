/**
 * The shared level-synchronous frontier of the parallel BFS.
 *
 * Each worker appends the states it newly discovers in level d to its own
 * growable SharedArrayBuffer (two per worker, alternating between levels), and
 * the lowered discovery keys of states another worker had claimed to a log.
 * Between levels, the coordinator writes the order of level d+1 (pairs
 * [buffer, offset]) into `order`, sorted by discovery key, which every worker
 * then reads. Buffer 0 holds the initial state.
 *
 * Entry: [len | width code << 24, fp0, fp1, slot, parent, edge, payload...],
 * the payload packed 4 (2) values to an int when they fit 8 (16) bits, as in
 * the sequential queue (store/queue.ts). fp is the state's true fingerprint
 * (successors are fingerprinted incrementally from it); slot is its slot in
 * the shared fingerprint table; (parent, edge) the transition that claimed it.
 */

const MAX_BYTES = 2 ** 31;
export const ENTRY_HEAD = 6;

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
}

export function createFrontier(workers: number): FrontierBuffers {
  return {
    states: Array.from({ length: 1 + 2 * workers }, () => growableBuffer(1 << 16)),
    logs: Array.from({ length: workers }, () => growableBuffer(1 << 12)),
    order: growableBuffer(1 << 12),
  };
}

/** Fewest bits per value that hold every value of buf[0, len): 8, 16 or 32. */
function widthOf(buf: Int32Array, len: number): 8 | 16 | 32 {
  let w: 8 | 16 | 32 = 8;
  for (let i = 0; i < len; i++) {
    const v = buf[i]!;
    if ((v << 24) >> 24 === v) continue;
    if ((v << 16) >> 16 !== v) return 32;
    w = 16;
  }
  return w;
}

/**
 * Views over a FrontierBuffers, one per thread. A thread calls `refresh`
 * before reading what other threads wrote (they may have grown the buffers).
 */
export class Frontier {
  readonly states: Int32Array[];
  readonly logs: Int32Array[];
  order: Int32Array;

  constructor(readonly buffers: FrontierBuffers) {
    this.states = buffers.states.map(viewOf);
    this.logs = buffers.logs.map(viewOf);
    this.order = viewOf(buffers.order);
  }

  /** Views over the buffers as other threads have grown them. */
  refresh(): void {
    const b = this.buffers;
    for (let i = 0; i < b.states.length; i++)
      if (this.states[i]!.length !== b.states[i]!.byteLength >> 2) this.states[i] = viewOf(b.states[i]!);
    for (let i = 0; i < b.logs.length; i++)
      if (this.logs[i]!.length !== b.logs[i]!.byteLength >> 2) this.logs[i] = viewOf(b.logs[i]!);
    if (this.order.length !== b.order.byteLength >> 2) this.order = viewOf(b.order);
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
  ): number {
    if (len >= 1 << 24) throw new Error('state vector too long for the frontier');
    const width = widthOf(vec, len);
    const words = width === 8 ? (len + 3) >> 2 : width === 16 ? (len + 1) >> 1 : len;
    const c = ensureWords(this.buffers.states[b]!, this.states[b]!, at + ENTRY_HEAD + words);
    this.states[b] = c;
    c[at] = len | ((width >> 3) << 24);
    c[at + 1] = fp0;
    c[at + 2] = fp1;
    c[at + 3] = slot;
    c[at + 4] = parent;
    c[at + 5] = edge;
    const q = at + ENTRY_HEAD;
    if (width === 8) {
      for (let i = 0, k = q; i < len; i += 4, k++)
        c[k] = (vec[i]! & 255) | ((vec[i + 1]! & 255) << 8) | ((vec[i + 2]! & 255) << 16) | (vec[i + 3]! << 24);
    } else if (width === 16) {
      for (let i = 0, k = q; i < len; i += 2, k++) c[k] = (vec[i]! & 0xffff) | (vec[i + 1]! << 16);
    } else for (let i = 0; i < len; i++) c[q + i] = vec[i]!;
    return q + words;
  }

  /** The word after the entry at (b, at). */
  next(b: number, at: number): number {
    const head = this.states[b]![at]!;
    const len = head & 0xffffff;
    const width = (head >>> 24) * 8;
    return at + ENTRY_HEAD + (width === 8 ? (len + 3) >> 2 : width === 16 ? (len + 1) >> 1 : len);
  }

  /** Unpack the entry at (b, at) into `out` (grown when short); returns its length. */
  read(b: number, at: number, out: { vec: Int32Array }): number {
    const c = this.states[b]!;
    const head = c[at]!;
    const len = head & 0xffffff;
    const width = (head >>> 24) * 8;
    if (out.vec.length < len + 4) out.vec = new Int32Array(2 * len + 4);
    const s = out.vec;
    const q = at + ENTRY_HEAD;
    if (width === 32) for (let i = 0; i < len; i++) s[i] = c[q + i]!;
    else if (width === 8) {
      const words = (len + 3) >> 2;
      for (let k = 0, i = 0; k < words; k++, i += 4) {
        const w = c[q + k]!;
        s[i] = (w << 24) >> 24;
        s[i + 1] = (w << 16) >> 24;
        s[i + 2] = (w << 8) >> 24;
        s[i + 3] = w >> 24;
      }
    } else {
      const words = (len + 1) >> 1;
      for (let k = 0, i = 0; k < words; k++, i += 2) {
        const w = c[q + k]!;
        s[i] = (w << 16) >> 16;
        s[i + 1] = w >> 16;
      }
    }
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

  /** Room for a level of `n` states in the order array. */
  reserveOrder(n: number): void {
    this.order = ensureWords(this.buffers.order, this.order, 2 * n);
  }
}
