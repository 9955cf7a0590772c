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
import { RecentFingerprints } from './recent-fingerprints.js';

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

/** Exact fingerprints, with the fingerprints met last (RecentFingerprints) in front of the table: the same set. */
export class ExactStore implements VisitedStore {
  readonly kind = 'exact' as const;
  private readonly set: FingerprintSet;
  private readonly recent = new RecentFingerprints();
  constructor(initialCapacity = 1 << 16) {
    this.set = new FingerprintSet(initialCapacity);
  }
  add(h1: number, h2: number): boolean {
    if (this.recent.has(h1, h2)) return false;
    const added = this.set.add(h1, h2);
    this.recent.note(h1, h2);
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
