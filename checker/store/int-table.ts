/**
 * Dense ids for Int32 arrays, all in typed arrays: the values back to back in
 * one arena, an open-addressing index of (hash, id + 1) pairs on a 32-bit
 * hash, exact comparison on a hash match. No per-value objects, so millions of
 * small arrays cost their words plus 20 bytes each (the step memo's impl
 * states and keys); a lookup touches the index and the value's words only.
 */
export class IntTable {
  /** Pairs [hash, id + 1] (id + 1 = 0: empty). */
  private index = new Int32Array(2 << 12);
  private mask = (1 << 12) - 1;
  /** Per id: arena offset, length, hash. */
  private start = new Int32Array(1 << 10);
  private lens = new Int32Array(1 << 10);
  private hashes = new Int32Array(1 << 10);
  /** The values back to back (read with `startOf`/`lenOf`). */
  arena = new Int32Array(1 << 14);
  private used = 0;
  size = 0;

  /** Words held (arena and per-id tables). */
  get words(): number {
    return this.used + 5 * this.size;
  }

  startOf(id: number): number {
    return this.start[id]!;
  }

  lenOf(id: number): number {
    return this.lens[id]!;
  }

  /** The id of a[off, off+len), adding a copy when new. */
  intern(a: Int32Array, off: number, len: number): number {
    let h = len;
    for (let i = off, end = off + len; i < end; i++) {
      h = Math.imul(h ^ a[i]!, 0x9e3779b1);
      h ^= h >>> 15;
    }
    h = Math.imul(h ^ (h >>> 13), 0x85ebca6b);
    h ^= h >>> 16;
    const idx = this.index;
    let i = h & this.mask;
    for (;;) {
      const e = idx[2 * i + 1]!;
      if (e === 0) break;
      if (idx[2 * i] === h && this.lens[e - 1] === len && this.same(e - 1, a, off, len)) return e - 1;
      i = (i + 1) & this.mask;
    }
    const id = this.size++;
    if (id === this.start.length) this.growIds();
    if (this.used + len > this.arena.length) {
      const na = new Int32Array(Math.max(2 * this.arena.length, this.used + len));
      na.set(this.arena.subarray(0, this.used));
      this.arena = na;
    }
    const ar = this.arena;
    const at = this.used;
    for (let k = 0; k < len; k++) ar[at + k] = a[off + k]!; // no subarray(): an object per new value
    this.start[id] = this.used;
    this.lens[id] = len;
    this.hashes[id] = h;
    this.used += len;
    idx[2 * i] = h;
    idx[2 * i + 1] = id + 1;
    if (2 * this.size > this.mask) this.rehash();
    return id;
  }

  /** Whether id `id` holds a[off, off+len) (false for an id not given yet). */
  holds(id: number, a: Int32Array, off: number, len: number): boolean {
    return id >= 0 && id < this.size && this.lens[id] === len && this.same(id, a, off, len);
  }

  private same(id: number, a: Int32Array, off: number, len: number): boolean {
    const ar = this.arena;
    const s = this.start[id]!;
    for (let k = 0; k < len; k++) if (ar[s + k] !== a[off + k]) return false;
    return true;
  }

  /**
   * Forget every value, keeping the allocated arrays: a table filled and
   * cleared again and again (the step memo past its cap) then neither
   * regrows from scratch, copying its arena at every doubling, nor leaves
   * tens of MiB of dropped arrays to the garbage collector.
   */
  clear(): void {
    this.index.fill(0);
    this.used = 0;
    this.size = 0;
  }

  private growIds(): void {
    const n = 2 * this.start.length;
    const grow = (x: Int32Array) => {
      const y = new Int32Array(n);
      y.set(x);
      return y;
    };
    this.start = grow(this.start);
    this.lens = grow(this.lens);
    this.hashes = grow(this.hashes);
  }

  private rehash(): void {
    const cap = 2 * (this.mask + 1);
    this.index = new Int32Array(2 * cap);
    this.mask = cap - 1;
    for (let id = 0; id < this.size; id++) {
      const h = this.hashes[id]!;
      let i = h & this.mask;
      while (this.index[2 * i + 1] !== 0) i = (i + 1) & this.mask;
      this.index[2 * i] = h;
      this.index[2 * i + 1] = id + 1;
    }
  }
}
