/**
 * Dense ids for Int32 arrays, shared by threads: the first thread to intern a
 * value fixes its id for all of them, so ids a model writes into its state
 * vectors mean the same in every worker of a parallel search.
 *
 * One lock guards the table. A thread consults it only when its own cache
 * (intern.ts) misses, i.e. once per distinct value per thread, so the lock is
 * rare next to the search. Storage is growable SharedArrayBuffers:
 *   ctl    [lock, count, arena words used, log2 index slots]
 *   index  open addressing on the value's hash: id + 1 (0: empty)
 *   meta   per id: [arena offset, length, hash, aux]; aux is one word a user
 *          may attach to an id once (0: unset)
 *   arena  the values back to back
 */

const LOCK = 0,
  COUNT = 1,
  USED = 2,
  LOG2 = 3;
const MAX_BYTES = 1 << 30;

function growable(bytes: number): SharedArrayBuffer {
  const Ctor = SharedArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => SharedArrayBuffer;
  return new Ctor(bytes, { maxByteLength: MAX_BYTES });
}

function grow(buf: SharedArrayBuffer, bytes: number): void {
  const g = buf as unknown as { byteLength: number; grow(n: number): void };
  if (bytes > MAX_BYTES) throw new Error(`shared intern table: ${bytes} bytes is past the ${MAX_BYTES} limit`);
  if (bytes > g.byteLength) g.grow(bytes);
}

/** Room for `words` Int32 words in the growable buffer behind `view` (doubling). */
function ensure(buf: SharedArrayBuffer, view: Int32Array, words: number): void {
  if (words > view.length) grow(buf, Math.max(2 * view.byteLength, 4 * words));
}

/** The buffers of a table: structured-clonable, to hand to a worker thread. */
export interface SharedInternBuffers {
  readonly ctl: SharedArrayBuffer;
  readonly index: SharedArrayBuffer;
  readonly meta: SharedArrayBuffer;
  readonly arena: SharedArrayBuffer;
}

export class SharedInternTable {
  private readonly ctl: Int32Array;
  private readonly index: Int32Array;
  private readonly meta: Int32Array;
  private readonly arena: Int32Array;

  constructor(readonly buffers: SharedInternBuffers) {
    // length-tracking views: they see growth made by any thread
    this.ctl = new Int32Array(buffers.ctl);
    this.index = new Int32Array(buffers.index);
    this.meta = new Int32Array(buffers.meta);
    this.arena = new Int32Array(buffers.arena);
  }

  static create(): SharedInternTable {
    const b: SharedInternBuffers = {
      ctl: new SharedArrayBuffer(16),
      index: growable(4 << 10),
      meta: growable(16 << 10),
      arena: growable(64 << 10),
    };
    new Int32Array(b.ctl)[LOG2] = 10;
    return new SharedInternTable(b);
  }

  get size(): number {
    return Atomics.load(this.ctl, COUNT);
  }

  private lock(): void {
    while (Atomics.compareExchange(this.ctl, LOCK, 0, 1) !== 0) Atomics.wait(this.ctl, LOCK, 1, 1);
  }

  private unlock(): void {
    Atomics.store(this.ctl, LOCK, 0);
    Atomics.notify(this.ctl, LOCK, 1);
  }

  /** The id of a[off, off+len) (hash: any function of the values), adding it when new. */
  intern(a: Int32Array, off: number, len: number, hash: number): number {
    hash |= 0; // stored in an Int32 word
    this.lock();
    try {
      const mask = (1 << this.ctl[LOG2]!) - 1;
      let i = hash & mask;
      for (;;) {
        const e = this.index[i]!;
        if (e === 0) break;
        const id = e - 1;
        if (this.meta[4 * id + 2] === hash && this.same(id, a, off, len)) return id;
        i = (i + 1) & mask;
      }
      const id = this.ctl[COUNT]!;
      const used = this.ctl[USED]!;
      ensure(this.buffers.arena, this.arena, used + len);
      this.arena.set(a.subarray(off, off + len), used);
      ensure(this.buffers.meta, this.meta, 4 * (id + 1));
      const m = 4 * id;
      this.meta[m] = used;
      this.meta[m + 1] = len;
      this.meta[m + 2] = hash;
      this.meta[m + 3] = 0;
      this.ctl[USED] = used + len;
      this.index[i] = id + 1;
      Atomics.store(this.ctl, COUNT, id + 1);
      if (2 * (id + 1) > mask + 1) this.rehash();
      return id;
    } finally {
      this.unlock();
    }
  }

  private same(id: number, a: Int32Array, off: number, len: number): boolean {
    const m = 4 * id;
    if (this.meta[m + 1] !== len) return false;
    const at = this.meta[m]!;
    for (let k = 0; k < len; k++) if (this.arena[at + k] !== a[off + k]) return false;
    return true;
  }

  /** Double the index (under the lock). */
  private rehash(): void {
    const log2 = this.ctl[LOG2]! + 1;
    grow(this.buffers.index, 4 << log2);
    const mask = (1 << log2) - 1;
    this.index.fill(0);
    const n = this.ctl[COUNT]!;
    for (let id = 0; id < n; id++) {
      let i = this.meta[4 * id + 2]! & mask;
      while (this.index[i] !== 0) i = (i + 1) & mask;
      this.index[i] = id + 1;
    }
    this.ctl[LOG2] = log2;
  }

  /** A copy of the value with this id. */
  get(id: number): Int32Array {
    this.lock();
    try {
      if (!(id >= 0 && id < this.ctl[COUNT]!)) throw new Error(`shared intern table: no id ${id}`);
      const at = this.meta[4 * id]!;
      return this.arena.slice(at, at + this.meta[4 * id + 1]!);
    } finally {
      this.unlock();
    }
  }

  /** The word attached to `id` (0: none). */
  aux(id: number): number {
    this.lock();
    try {
      return this.meta[4 * id + 3]!;
    } finally {
      this.unlock();
    }
  }

  /** Attach `v` (non-zero) to `id` unless a word is attached already; returns the attached word. */
  attach(id: number, v: number): number {
    this.lock();
    try {
      const cur = this.meta[4 * id + 3]!;
      if (cur !== 0) return cur;
      this.meta[4 * id + 3] = v;
      return v;
    } finally {
      this.unlock();
    }
  }
}
