/**
 * The BFS frontier and the trace links, separate from the strategies.
 *
 * StateQueue packs queued vectors back to back in large Int32 chunks (no
 * per-state objects); consumed chunks are recycled. Links keeps, per distinct
 * state, its parent's index and the index of the successor that led to it
 * (6 bytes), from which a counterexample is rebuilt by re-expansion.
 */

export /** FIFO of variable-length Int32 vectors in large chunks; consumed chunks are released. */
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
export class Links {
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
