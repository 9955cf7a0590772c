/**
 * The visited set of the parallel BFS: 64-bit fingerprints in one
 * SharedArrayBuffer that every worker thread inserts into at once, lock-free
 * (open addressing, linear probing, slots claimed with Atomics.compareExchange).
 *
 * Slot i is three Int32 words [fp0, fp1, tag]:
 *   fp0  0 = empty; a thread claims the slot by compare-and-swap 0 -> fp0
 *   fp1  0 = still being written; the claimer stores the tag, then publishes fp1
 *   tag  a key the strategy lowers with `lowerTag` (parallel BFS: the smallest
 *        discovering parent's state id + 1), so the outcome of a race between
 *        threads is the same whichever thread wins it
 *
 * A fingerprint half that is 0 is stored as 1 (`norm`): the table merges the
 * 2^33 fingerprints with a zero half into their neighbours, a 2^-31 share of
 * the 64-bit space that the collision estimate leaves out.
 *
 * The table does not grow while threads insert: the strategy sizes it between
 * levels and rebuilds it when a level would overfill it (the workers copy
 * disjoint ranges of the old table into the new one: copyRange, CMD.REHASH).
 */

/** A fingerprint half as stored: never 0 (0 marks an empty or unpublished word). */
export function norm(h: number): number {
  return h === 0 ? 1 : h | 0;
}

export class SharedFingerprintTable {
  readonly slots: Int32Array;
  readonly mask: number;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.slots = new Int32Array(buffer);
    const cap = this.slots.length / 3;
    if (!Number.isInteger(cap) || cap < 2 || (cap & (cap - 1)) !== 0)
      throw new Error(`shared fingerprint table: ${this.slots.length} words is not 3 x a power of two`);
    this.mask = cap - 1;
  }

  /** An empty table of 2^log2 slots. */
  static create(log2: number): SharedFingerprintTable {
    if (!Number.isInteger(log2) || log2 < 1 || log2 > 29) throw new Error(`shared fingerprint table: 2^${log2} slots`);
    return new SharedFingerprintTable(new SharedArrayBuffer(3 * 4 * 2 ** log2));
  }

  get capacity(): number {
    return this.mask + 1;
  }

  get bytes(): number {
    return this.slots.byteLength;
  }

  private home(a: number, b: number): number {
    return (a ^ Math.imul(b, 0x9e3779b1)) & this.mask;
  }

  /**
   * Insert the normalized fingerprint (a, b) (see `norm`). Returns the slot
   * when this call claimed it (its tag is `tag`), or ~slot (negative) when it
   * was present. Throws when the table is full.
   */
  insert(a: number, b: number, tag: number): number {
    const t = this.slots;
    let i = this.home(a, b);
    for (let probes = 0; probes <= this.mask; probes++) {
      const at = 3 * i;
      // plain reads while probing: fp0 and fp1 are written once (0 -> their value), so a non-zero word
      // read is final; a 0 may be stale, and is settled by the compare-and-swap or an atomic read
      let w = t[at]!;
      if (w === 0) {
        w = Atomics.compareExchange(t, at, 0, a);
        if (w === 0) {
          Atomics.store(t, at + 2, tag);
          Atomics.store(t, at + 1, b);
          return i;
        }
      }
      if (w === a) {
        let v = t[at + 1]!;
        // a match is read again atomically: it synchronizes with the claimer's store of fp1, after
        // its store of the tag, so this thread then sees the tag (lowerTag); 0: the claimer is
        // between its two stores
        if (v === 0 || v === b) {
          v = Atomics.load(t, at + 1);
          while (v === 0) v = Atomics.load(t, at + 1);
        }
        if (v === b) return ~i;
      }
      i = (i + 1) & this.mask;
    }
    throw new Error(`shared fingerprint table full (${this.capacity} slots)`);
  }

  /** The slot holding the normalized fingerprint (a, b), or -1. */
  find(a: number, b: number): number {
    const t = this.slots;
    let i = this.home(a, b);
    for (let probes = 0; probes <= this.mask; probes++) {
      const at = 3 * i;
      const w = Atomics.load(t, at);
      if (w === 0) return -1;
      if (w === a) {
        let v = Atomics.load(t, at + 1);
        while (v === 0) v = Atomics.load(t, at + 1);
        if (v === b) return i;
      }
      i = (i + 1) & this.mask;
    }
    return -1;
  }

  tag(slot: number): number {
    return Atomics.load(this.slots, 3 * slot + 2);
  }

  /**
   * Lower the slot's tag to `tag` when that is smaller; true when this call
   * lowered it. The slot must come from this thread's `insert` (which makes
   * its tag visible): a plain read then sees that tag or a lower one, and
   * only a tag to lower takes the atomic path.
   */
  lowerTag(slot: number, tag: number): boolean {
    const t = this.slots;
    const at = 3 * slot + 2;
    if (t[at]! <= tag) return false;
    for (;;) {
      const cur = Atomics.load(t, at);
      if (cur <= tag) return false;
      if (Atomics.compareExchange(t, at, cur, tag) === cur) return true;
    }
  }

  /**
   * A new table of 2^log2 slots with every entry whose tag passes `keep`
   * (single-threaded: no thread may insert meanwhile). Slot numbers change.
   */
  rebuilt(log2: number, keep: (tag: number) => boolean): SharedFingerprintTable {
    const out = SharedFingerprintTable.create(log2);
    const t = this.slots;
    const o = out.slots;
    for (let j = 0; j < t.length; j += 3) {
      const a = t[j]!;
      if (a === 0 || !keep(t[j + 2]!)) continue;
      const b = t[j + 1]!;
      let i = out.home(a, b);
      while (o[3 * i] !== 0) i = (i + 1) & out.mask;
      o[3 * i] = a;
      o[3 * i + 1] = b;
      o[3 * i + 2] = t[j + 2]!;
    }
    return out;
  }

  /**
   * Insert this table's entries of slots [from, end) whose tag is at most
   * `maxTag` into `to` (atomically: threads may copy disjoint ranges at once).
   * This table must not change meanwhile.
   */
  copyRange(to: SharedFingerprintTable, from: number, end: number, maxTag: number): void {
    const t = this.slots;
    for (let j = 3 * from; j < 3 * end; j += 3) {
      const a = t[j]!;
      if (a === 0 || t[j + 2]! > maxTag) continue;
      to.insert(a, t[j + 1]!, t[j + 2]!);
    }
  }

  /** Occupied slots (a scan: for tests and checks, not the hot path). */
  count(): number {
    let n = 0;
    for (let j = 0; j < this.slots.length; j += 3) if (this.slots[j] !== 0) n++;
    return n;
  }
}
