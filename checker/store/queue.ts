/**
 * The BFS frontier and the trace links, separate from the strategies.
 *
 * StateQueue packs queued vectors back to back in large Int32 chunks (no
 * per-state objects); consumed chunks are recycled. Links keeps, per distinct
 * state, its parent's index and the index of the successor that led to it
 * (5 bytes: the index fits a byte but in rare states with more than 254 successors), from which a counterexample is rebuilt by re-expansion.
 */

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
 * FIFO of variable-length Int32 vectors in large chunks; consumed chunks are
 * recycled. A vector whose values all fit 8 (16) bits is stored four (two) to
 * an int: queued states are most of a BFS's transient memory, and state
 * vectors are mostly small integers. Entry: [len | width code << 24, fp0, fp1, payload].
 */
export class StateQueue {
  private static readonly CHUNK = 1 << 18;
  private chunks: (Int32Array | null)[] = [];
  /** Consumed chunks kept for reuse (avoids allocating and zeroing fresh ones). */
  private spare: Int32Array[] = [];
  private fill: number[] = [];
  private wChunk = -1;
  private rChunk = 0;
  private rPos = 0;
  /** Unpacked form of the last vector shifted (valid until the next shift). */
  private scratch = new Int32Array(256);
  count = 0;
  peakInts = 0;
  private liveInts = 0;

  /** Append a vector with its fingerprint. */
  push(buf: Int32Array, len: number, fp0: number, fp1: number): void {
    if (len >= 1 << 24) throw new Error('state vector too long for the queue');
    const width = widthOf(buf, len);
    const words = width === 8 ? (len + 3) >> 2 : width === 16 ? (len + 1) >> 1 : len;
    const need = words + 3;
    if (this.wChunk < 0 || this.fill[this.wChunk]! + need > this.chunks[this.wChunk]!.length) {
      const reuse =
        this.spare.length > 0 && this.spare[this.spare.length - 1]!.length >= need ? this.spare.pop()! : undefined;
      this.chunks.push(reuse ?? new Int32Array(Math.max(StateQueue.CHUNK, need)));
      this.fill.push(0);
      this.wChunk = this.chunks.length - 1;
    }
    const c = this.chunks[this.wChunk]!;
    let p = this.fill[this.wChunk]!;
    c[p] = len | ((width >> 3) << 24); // width code 1, 2 or 4
    c[p + 1] = fp0;
    c[p + 2] = fp1;
    const q = p + 3;
    if (width === 8) {
      for (let i = 0, k = q; i < len; i += 4, k++)
        c[k] = (buf[i]! & 255) | ((buf[i + 1]! & 255) << 8) | ((buf[i + 2]! & 255) << 16) | (buf[i + 3]! << 24);
    } else if (width === 16) {
      for (let i = 0, k = q; i < len; i += 2, k++) c[k] = (buf[i]! & 0xffff) | (buf[i + 1]! << 16);
    } else for (let i = 0; i < len; i++) c[q + i] = buf[i]!;
    p += need;
    this.fill[this.wChunk] = p;
    this.count++;
    this.liveInts += need;
    if (this.liveInts > this.peakInts) this.peakInts = this.liveInts;
  }

  /** Next vector and its fingerprint (out.arr may be a scratch buffer, valid until the next shift). */
  shift(out: { arr: Int32Array; off: number; len: number; fp0: number; fp1: number }): void {
    while (this.rPos >= this.fill[this.rChunk]!) {
      if (this.spare.length < 4) this.spare.push(this.chunks[this.rChunk]!);
      this.chunks[this.rChunk] = null;
      this.rChunk++;
      this.rPos = 0;
    }
    const c = this.chunks[this.rChunk]!;
    const head = c[this.rPos]!;
    const len = head & 0xffffff;
    const width = (head >>> 24) * 8;
    const q = this.rPos + 3;
    out.fp0 = c[this.rPos + 1]! >>> 0;
    out.fp1 = c[this.rPos + 2]! >>> 0;
    out.len = len;
    let words = len;
    if (width === 32) {
      out.arr = c;
      out.off = q;
    } else {
      if (this.scratch.length < len + 4) this.scratch = new Int32Array(2 * len + 4);
      const s = this.scratch;
      if (width === 8) {
        words = (len + 3) >> 2;
        for (let k = 0, i = 0; k < words; k++, i += 4) {
          const w = c[q + k]!;
          s[i] = (w << 24) >> 24;
          s[i + 1] = (w << 16) >> 24;
          s[i + 2] = (w << 8) >> 24;
          s[i + 3] = w >> 24;
        }
      } else {
        words = (len + 1) >> 1;
        for (let k = 0, i = 0; k < words; k++, i += 2) {
          const w = c[q + k]!;
          s[i] = (w << 16) >> 16;
          s[i + 1] = w >> 16;
        }
      }
      out.arr = s;
      out.off = 0;
    }
    this.rPos = q + words;
    this.count--;
    this.liveInts -= words + 3;
  }
}

export class Links {
  parent = new Uint32Array(1 << 16);
  /** Successor index of each state's entering transition; 255 means "see `wide`" (rare: > 254 successors). */
  edge = new Uint8Array(1 << 16);
  private readonly wide = new Map<number, number>();
  set(id: number, parent: number, edge: number): void {
    if (id >= this.parent.length) {
      const p = new Uint32Array(this.parent.length * 2);
      p.set(this.parent);
      this.parent = p;
      const e = new Uint8Array(this.edge.length * 2);
      e.set(this.edge);
      this.edge = e;
    }
    this.parent[id] = parent;
    if (edge < 255) this.edge[id] = edge;
    else {
      this.edge[id] = 255;
      this.wide.set(id, edge);
    }
  }
  edgeOf(id: number): number {
    const e = this.edge[id]!;
    return e < 255 ? e : this.wide.get(id)!;
  }
  get bytes(): number {
    return this.parent.byteLength + this.edge.byteLength + this.wide.size * 16;
  }
}
