/**
 * The BFS frontier and the trace links, separate from the strategies.
 *
 * StateQueue packs queued vectors (pack.ts) back to back in large Int32
 * chunks (no per-state objects); consumed chunks are recycled. Links keeps, per distinct
 * state, its parent's index and the index of the successor that led to it
 * (5 bytes: the index fits a byte but in rare states with more than 254 successors), from which a counterexample is rebuilt by re-expansion.
 */
import { headLen, headWords, maxPackedWords, packHead, packInto, unpackFrom } from './pack.js';

/**
 * FIFO of variable-length Int32 vectors in large chunks; consumed chunks are
 * recycled. Vectors are packed (pack.ts): queued states are most of a BFS's
 * transient memory. Entry: [head, fp0, fp1, payload words], or with `hints`
 * [head, fp0, fp1, hint, payload words]: the model's Successor.hint, handed
 * back to its expand() (a word per queued state only for models that give one).
 */
export class StateQueue {
  private static readonly CHUNK = 1 << 18;
  private chunks: (Int32Array | null)[] = [];
  /** Byte views of `chunks`. */
  private bytes: (Uint8Array | null)[] = [];
  /**
   * Consumed chunks, all kept for reuse: the queue then never holds more
   * than its peak, and drops no garbage (a dropped chunk's memory stays in
   * the RSS until a major GC, and toy-large churns 60 MiB of chunks).
   */
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
  /** Words before an entry's payload. */
  private readonly H: number;

  constructor(readonly hints = false) {
    this.H = hints ? 4 : 3;
  }

  /** Append a vector with its fingerprint and the model's hint for it (kept with `hints`). */
  push(buf: Int32Array, len: number, fp0: number, fp1: number, hint = -1): void {
    const H = this.H;
    const most = H + maxPackedWords(len);
    if (this.wChunk < 0 || this.fill[this.wChunk]! + most > this.chunks[this.wChunk]!.length) {
      const reuse =
        this.spare.length > 0 && this.spare[this.spare.length - 1]!.length >= most ? this.spare.pop()! : undefined;
      const c = reuse ?? new Int32Array(Math.max(StateQueue.CHUNK, most));
      this.chunks.push(c);
      this.bytes.push(new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
      this.fill.push(0);
      this.wChunk = this.chunks.length - 1;
    }
    const c = this.chunks[this.wChunk]!;
    const p = this.fill[this.wChunk]!;
    const words = (packInto(buf, 0, len, this.bytes[this.wChunk]!, 4 * (p + H)) + 3) >> 2;
    c[p] = packHead(len, words, 'queue');
    c[p + 1] = fp0;
    c[p + 2] = fp1;
    if (H === 4) c[p + 3] = hint;
    this.fill[this.wChunk] = p + H + words;
    this.count++;
    this.liveInts += H + words;
    if (this.liveInts > this.peakInts) this.peakInts = this.liveInts;
  }

  /** Next vector, its fingerprint and hint (-1 without `hints`; out.arr is a scratch buffer, valid until the next shift). */
  shift(out: { arr: Int32Array; off: number; len: number; fp0: number; fp1: number; hint: number }): void {
    while (this.rPos >= this.fill[this.rChunk]!) {
      this.spare.push(this.chunks[this.rChunk]!);
      this.chunks[this.rChunk] = null;
      this.bytes[this.rChunk] = null;
      this.rChunk++;
      this.rPos = 0;
    }
    const c = this.chunks[this.rChunk]!;
    const head = c[this.rPos]!;
    const len = headLen(head);
    const words = headWords(head);
    out.fp0 = c[this.rPos + 1]! >>> 0;
    out.fp1 = c[this.rPos + 2]! >>> 0;
    const H = this.H;
    out.hint = H === 4 ? c[this.rPos + 3]! : -1;
    out.len = len;
    if (this.scratch.length < len) this.scratch = new Int32Array(2 * len);
    unpackFrom(this.bytes[this.rChunk]!, 4 * (this.rPos + H), len, this.scratch);
    out.arr = this.scratch;
    out.off = 0;
    this.rPos += H + words;
    this.count--;
    this.liveInts -= H + words;
  }
}

/**
 * Links in chunks of 2^16 states: growing never copies, so the run's peak does
 * not hold an old and a new array at once (the doubling arrays did: 5 MiB of
 * toy-large's peak), and the last chunk is the only one part-empty.
 */
export class Links {
  private static readonly BITS = 16;
  private static readonly MASK = (1 << Links.BITS) - 1;
  private readonly parents: Uint32Array[] = [];
  /** Successor index of each state's entering transition; 255 means "see `wide`" (rare: > 254 successors). */
  private readonly edges: Uint8Array[] = [];
  private readonly wide = new Map<number, number>();
  set(id: number, parent: number, edge: number): void {
    const c = id >>> Links.BITS;
    while (c >= this.parents.length) {
      this.parents.push(new Uint32Array(1 << Links.BITS));
      this.edges.push(new Uint8Array(1 << Links.BITS));
    }
    const k = id & Links.MASK;
    this.parents[c]![k] = parent;
    if (edge < 255) this.edges[c]![k] = edge;
    else {
      this.edges[c]![k] = 255;
      this.wide.set(id, edge);
    }
  }
  parentOf(id: number): number {
    return this.parents[id >>> Links.BITS]![id & Links.MASK]!;
  }
  edgeOf(id: number): number {
    const e = this.edges[id >>> Links.BITS]![id & Links.MASK]!;
    return e < 255 ? e : this.wide.get(id)!;
  }
  get bytes(): number {
    return this.parents.length * 5 * (1 << Links.BITS) + this.wide.size * 16;
  }
}
