/**
 * 64-bit fingerprints of Int32 state vectors and an open-addressing visited
 * table in typed arrays (no Set: V8 caps a Set at 2^24 entries).
 */

/** Two independent 32-bit murmur3-style hashes of buf[off, off+len). */
export function fingerprint(buf: Int32Array, off: number, len: number, out: Uint32Array): void {
  let h1 = 0x9747b28c ^ len;
  let h2 = 0x5bd1e995 ^ Math.imul(len, 0x27d4eb2f);
  for (let i = off, end = off + len; i < end; i++) {
    const v = buf[i]!;
    let k = Math.imul(v, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h1 ^= k;
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
    let j = Math.imul(v ^ 0x7f4a7c15, 0x85ebca6b);
    j = (j << 17) | (j >>> 15);
    j = Math.imul(j, 0xc2b2ae35);
    h2 ^= j;
    h2 = (h2 << 11) | (h2 >>> 21);
    h2 = (Math.imul(h2, 9) + 0x52dce729) | 0;
  }
  // fmix32 finalizers
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h1 = Math.imul(h1, 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  h2 ^= h2 >>> 16;
  h2 = Math.imul(h2, 0x7feb352d);
  h2 ^= h2 >>> 15;
  h2 = Math.imul(h2, 0x846ca68b);
  h2 ^= h2 >>> 16;
  out[0] = h1 >>> 0;
  out[1] = h2 >>> 0;
}

/**
 * Incremental fingerprints (Zobrist hashing): the 64-bit fingerprint of a
 * vector is the XOR over positions i of z(i, v[i]), plus a term for the
 * length, where z is a strong 64-bit mix of (position, value). A successor
 * differs from its parent in a few positions, so its fingerprint costs one
 * comparison per int and two mixes per changed int, instead of hashing the
 * whole vector.
 */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}
function fmix2(h: number): number {
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  h = Math.imul(h, 0x297a2d39);
  h ^= h >>> 15;
  return h;
}
/** Positions whose keys are precomputed (POS1/POS2; position -1, the length term, included). */
const POS = 1 << 12;
/** Per position i (at i + 1): the position's key of lane 1, fmix(i + 0x6a09e667). */
const POS1 = new Int32Array(POS + 1);
/** Per position i (at i + 1): the position's key of lane 2. */
const POS2 = new Int32Array(POS + 1);
for (let i = -1; i < POS; i++) {
  POS1[i + 1] = fmix(i + 0x6a09e667);
  POS2[i + 1] = fmix2(Math.imul(i, 0x9e3779b1) + 0xbb67ae85);
}
/** Lane 1 of z(i, v): fmix(v ^ fmix(i + 0x6a09e667)), the position's part from POS1 when precomputed. */
export function z1(i: number, v: number): number {
  return fmix(v ^ (i >= -1 && i < POS ? POS1[i + 1]! : fmix(i + 0x6a09e667)));
}
/** Lane 2 of z(i, v), independent of lane 1. */
export function z2(i: number, v: number): number {
  return fmix2((v + 0x3c6ef372) ^ (i >= -1 && i < POS ? POS2[i + 1]! : fmix2(Math.imul(i, 0x9e3779b1) + 0xbb67ae85)));
}

/** Full Zobrist fingerprint of buf[off, off+len). */
export function zobrist(buf: Int32Array, off: number, len: number, out: Uint32Array): void {
  let a = z1(-1, len);
  let b = z2(-1, len);
  for (let i = 0; i < len; i++) {
    const v = buf[off + i]!;
    a ^= z1(i, v);
    b ^= z2(i, v);
  }
  out[0] = a >>> 0;
  out[1] = b >>> 0;
}

/**
 * Fingerprint of `cur[0, curLen)` from the fingerprint (pa, pb) of its parent
 * `par[poff, poff+parLen)`: equal to zobrist(cur) whatever the two vectors.
 */
export function zobristFrom(
  par: Int32Array,
  poff: number,
  parLen: number,
  pa: number,
  pb: number,
  cur: Int32Array,
  curLen: number,
  out: Uint32Array,
): void {
  zobristRange(par, poff, parLen, cur, 0, curLen, 0, pa, pb, out);
}

/**
 * (a, b) XOR the fingerprint change of a vector whose words from `base` on go
 * from par[poff, poff+parLen) to cur[coff, coff+curLen) (its length from
 * base+parLen to base+curLen), the words before `base` unchanged.
 */
export function zobristRange(
  par: Int32Array,
  poff: number,
  parLen: number,
  cur: Int32Array,
  coff: number,
  curLen: number,
  base: number,
  a: number,
  b: number,
  out: Uint32Array,
): void {
  if (parLen !== curLen) {
    a ^= z1(-1, base + parLen) ^ z1(-1, base + curLen);
    b ^= z2(-1, base + parLen) ^ z2(-1, base + curLen);
  }
  const common = parLen < curLen ? parLen : curLen;
  for (let i = 0; i < common; i++) {
    const p = par[poff + i]!;
    const c = cur[coff + i]!;
    if (p !== c) {
      a ^= z1(base + i, p) ^ z1(base + i, c);
      b ^= z2(base + i, p) ^ z2(base + i, c);
    }
  }
  for (let i = common; i < parLen; i++) {
    const p = par[poff + i]!;
    a ^= z1(base + i, p);
    b ^= z2(base + i, p);
  }
  for (let i = common; i < curLen; i++) {
    const c = cur[coff + i]!;
    a ^= z1(base + i, c);
    b ^= z2(base + i, c);
  }
  out[0] = a >>> 0;
  out[1] = b >>> 0;
}

/**
 * The fingerprint of successor `s` of the state par[poff, poff+parLen) whose
 * fingerprint is (pa, pb): from the model's delta when it gives one (without
 * reading `s.buf`), else by zobristFrom. Equal to zobrist(s.buf) either way.
 */
export function successorFingerprint(
  par: Int32Array,
  poff: number,
  parLen: number,
  pa: number,
  pb: number,
  s: {
    readonly buf: Int32Array;
    readonly len: number;
    readonly hasDelta?: boolean;
    readonly d0?: number;
    readonly d1?: number;
  },
  out: Uint32Array,
): void {
  if (s.hasDelta === true) {
    out[0] = (pa ^ s.d0!) >>> 0;
    out[1] = (pb ^ s.d1!) >>> 0;
  } else zobristFrom(par, poff, parLen, pa, pb, s.buf, s.len, out);
}

/**
 * Open-addressing (linear probing) set of 64-bit fingerprints stored as pairs
 * of Uint32. The all-zero pair marks an empty slot; the fingerprint (0, 0)
 * itself is kept in a separate flag, so all 2^64 fingerprints are distinct.
 *
 * The set is SHARDS tables, picked by the top bits of the second half, each
 * growing on its own: a table doubles by copying into a new one, so while it
 * grows both are live, and for one table that transient (the old half
 * again) came on top of everything else at the peak of a run (toy-large:
 * 8 MiB of its 115 MiB peak RSS). Shards cut it to a sixteenth.
 */
export class FingerprintSet {
  private static readonly SHARD_BITS = 4;
  private readonly tables: Uint32Array[] = [];
  private readonly masks: Int32Array;
  private readonly limits: Int32Array;
  private readonly sizes: Int32Array;
  size = 0;
  private hasZero = false;
  /** High load keeps bytes per state low; linear probing stays cheap because a probe run is a few cache lines. */
  static readonly MAX_LOAD = 0.9;

  constructor(initialCapacity = 1 << 16) {
    const n = 1 << FingerprintSet.SHARD_BITS;
    let cap = 2;
    while (cap * n < initialCapacity) cap <<= 1;
    this.masks = new Int32Array(n).fill(cap - 1);
    this.limits = new Int32Array(n).fill(Math.floor(cap * FingerprintSet.MAX_LOAD));
    this.sizes = new Int32Array(n);
    for (let s = 0; s < n; s++) this.tables.push(new Uint32Array(cap * 2));
  }

  get capacity(): number {
    let c = 0;
    for (const m of this.masks) c += m + 1;
    return c;
  }

  get bytes(): number {
    let b = 0;
    for (const t of this.tables) b += t.byteLength;
    return b;
  }

  /** Insert; returns true when the fingerprint was not present. */
  add(h1: number, h2: number): boolean {
    if (h1 === 0 && h2 === 0) {
      if (this.hasZero) return false;
      this.hasZero = true;
      this.size++;
      return true;
    }
    const s = h2 >>> (32 - FingerprintSet.SHARD_BITS);
    const t = this.tables[s]!;
    const mask = this.masks[s]!;
    let i = (h1 ^ Math.imul(h2, 0x9e3779b1)) & mask;
    for (;;) {
      const a = t[2 * i]!;
      const b = t[2 * i + 1]!;
      if (a === 0 && b === 0) break;
      if (a === h1 && b === h2) return false;
      i = (i + 1) & mask;
    }
    t[2 * i] = h1;
    t[2 * i + 1] = h2;
    this.size++;
    if (++this.sizes[s]! > this.limits[s]!) this.grow(s);
    return true;
  }

  has(h1: number, h2: number): boolean {
    if (h1 === 0 && h2 === 0) return this.hasZero;
    const s = h2 >>> (32 - FingerprintSet.SHARD_BITS);
    const t = this.tables[s]!;
    const mask = this.masks[s]!;
    let i = (h1 ^ Math.imul(h2, 0x9e3779b1)) & mask;
    for (;;) {
      const a = t[2 * i]!;
      const b = t[2 * i + 1]!;
      if (a === 0 && b === 0) return false;
      if (a === h1 && b === h2) return true;
      i = (i + 1) & mask;
    }
  }

  private grow(s: number): void {
    const old = this.tables[s]!;
    const cap = (this.masks[s]! + 1) * 2;
    const t = new Uint32Array(cap * 2);
    const mask = cap - 1;
    for (let j = 0; j < old.length; j += 2) {
      const a = old[j]!;
      const b = old[j + 1]!;
      if (a === 0 && b === 0) continue;
      let i = (a ^ Math.imul(b, 0x9e3779b1)) & mask;
      while (t[2 * i] !== 0 || t[2 * i + 1] !== 0) i = (i + 1) & mask;
      t[2 * i] = a;
      t[2 * i + 1] = b;
    }
    this.tables[s] = t;
    release(old);
    this.masks[s] = mask;
    this.limits[s] = Math.floor(cap * FingerprintSet.MAX_LOAD);
  }
}

/**
 * Free a typed array's memory now. A table outlives a few scavenges, so its
 * ArrayBuffer sits in the old generation and dropping it frees its memory only
 * at the next full GC, which may be tens of MiB of garbage later (toy-large:
 * 8 MiB of outgrown shard tables at its peak). Transferring the buffer moves
 * the memory to a fresh, young, unreferenced ArrayBuffer, which the next
 * scavenge (milliseconds away) frees; `a` is left detached (length 0).
 */
function release(a: Uint32Array): void {
  structuredClone(a.buffer, { transfer: [a.buffer] });
}

/**
 * TLC's "calculated (optimistic)" fingerprint collision probability:
 * distinct * (generated - distinct) / 2^64.
 */
export function collisionProbability(distinct: number, generated: number): number {
  return (distinct * Math.max(0, generated - distinct)) / 2 ** 64;
}
