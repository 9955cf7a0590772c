/**
 * Visited-state stores, separate from the strategies that fill them.
 *
 *   exact     64-bit fingerprints in an open-addressing table (fingerprint.ts);
 *             a miss is possible only through a 64-bit collision, whose
 *             probability the result reports (TLC's optimistic estimate).
 *   bitstate  Holzmann's bitstate hashing (SPIN -DBITSTATE): k bits per state
 *             in a fixed array of m bits. Memory is fixed; a new state whose k
 *             bits are all set already is wrongly taken as visited and its
 *             subtree may be omitted. The omission estimate is measured, not
 *             assumed: each novel insert adds (fraction of bits set)^k, the
 *             chance that a state arriving then would have been dropped.
 */
import { FingerprintSet } from '../fingerprint.js';

export interface VisitedStore {
  readonly kind: 'exact' | 'bitstate';
  /** Insert a 64-bit fingerprint; true when it was not present. */
  add(h1: number, h2: number): boolean;
  readonly size: number;
  /** Bytes allocated for the store. */
  readonly bytes: number;
  /** Bitstate only: hash factor, bits per state and the expected number of omitted states. */
  omission?(): Omission;
}

export interface Omission {
  /** Bits available per stored state (SPIN's "hash factor"; best if > 100). */
  readonly hashFactor: number;
  readonly bitsPerState: number;
  /** Expected number of states wrongly taken as visited (sum of per-insert false-positive rates). */
  readonly expectedOmitted: number;
  /** Upper bound on the probability that at least one state was omitted (min(1, expectedOmitted)). */
  readonly probability: number;
}

/**
 * Exact fingerprints, with the fingerprints met last in a small direct-mapped
 * cache in front of the table (RECENT slots, 256 KiB: it stays in the CPU's
 * cache, where a probe of the table costs a miss). A BFS meets most known
 * states shortly after discovering them (the other orders of steps of
 * siblings expanded one after the other), so a successor found in the cache
 * needs no probe of the table. The cache holds only fingerprints the table
 * holds: a hit means present, a miss asks the table, so the set is the same.
 */
export class ExactStore implements VisitedStore {
  readonly kind = 'exact' as const;
  private static readonly RECENT_BITS = 15;
  private readonly set: FingerprintSet;
  private readonly recent = new Uint32Array(2 << ExactStore.RECENT_BITS);
  constructor(initialCapacity = 1 << 16) {
    this.set = new FingerprintSet(initialCapacity);
  }
  add(h1: number, h2: number): boolean {
    const r = this.recent;
    const i = 2 * (Math.imul(h1 ^ Math.imul(h2, 0x2c1b3c6d), 0x85ebca6b) >>> (32 - ExactStore.RECENT_BITS));
    // (0, 0) is also an empty slot: it always asks the table
    if (r[i] === h1 && r[i + 1] === h2 && (h1 | h2) !== 0) return false;
    const added = this.set.add(h1, h2);
    r[i] = h1;
    r[i + 1] = h2;
    return added;
  }
  get size(): number {
    return this.set.size;
  }
  get bytes(): number {
    return this.set.bytes;
  }
}

export class BitstateStore implements VisitedStore {
  readonly kind = 'bitstate' as const;
  private readonly bits: Int32Array;
  private readonly mask: number;
  private setBits = 0;
  private expected = 0;
  size = 0;
  /** `log2Bits`: the array holds 2^log2Bits bits (SPIN's -w). */
  constructor(
    readonly log2Bits: number,
    readonly k = 3,
  ) {
    if (!Number.isInteger(log2Bits) || log2Bits < 10 || log2Bits > 32)
      throw new Error(`bitstate: -w ${log2Bits} out of range 10..32`);
    if (!Number.isInteger(k) || k < 1 || k > 8) throw new Error(`bitstate: k ${k} out of range 1..8`);
    // bits are addressed as (word, bit): up to 2^34 bits = 2^29 words
    this.bits = new Int32Array(2 ** (log2Bits - 5));
    this.mask = 2 ** log2Bits - 1;
  }
  get bytes(): number {
    return this.bits.byteLength;
  }
  add(h1: number, h2: number): boolean {
    const m = this.mask + 1;
    // Kirsch-Mitzenmacher double hashing: bit_i = h1 + i * h2 (mod m), with h2 odd
    const step = (h2 | 1) >>> 0;
    let fresh = false;
    let pos = h1 % m;
    const stepM = step % m;
    const words = this.bits;
    for (let i = 0; i < this.k; i++) {
      const w = Math.floor(pos / 32);
      const b = 1 << (pos & 31);
      if ((words[w]! & b) === 0) {
        words[w]! |= b;
        this.setBits++;
        fresh = true;
      }
      pos += stepM;
      if (pos >= m) pos -= m;
    }
    if (fresh) {
      this.size++;
      this.expected += (this.setBits / m) ** this.k;
    }
    return fresh;
  }
  omission(): Omission {
    const m = this.mask + 1;
    return {
      hashFactor: this.size > 0 ? m / this.size : m,
      bitsPerState: this.k,
      expectedOmitted: this.expected,
      probability: Math.min(1, this.expected),
    };
  }
}
