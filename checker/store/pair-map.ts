/**
 * A map from pairs of non-negative 32-bit integers to integers, in typed
 * arrays (open addressing, linear probing): no per-entry objects and no
 * heap-number keys, unlike a Map keyed by a*2^24 + b (the linearizer's memo,
 * looked up once per invocation and response of every transition).
 */
export class PairMap {
  /** Triples [a + 1, b, value] (a + 1 = 0: empty). */
  private slots = new Int32Array(3 << 10);
  private mask = (1 << 10) - 1;
  size = 0;

  /** The value of (a, b), or `missing`. */
  get(a: number, b: number, missing: number): number {
    const s = this.slots;
    let i = hash(a, b) & this.mask;
    for (;;) {
      const k = s[3 * i]!;
      if (k === 0) return missing;
      if (k === a + 1 && s[3 * i + 1] === b) return s[3 * i + 2]!;
      i = (i + 1) & this.mask;
    }
  }

  set(a: number, b: number, v: number): void {
    if (2 * (this.size + 1) > this.mask + 1) this.grow();
    const s = this.slots;
    let i = hash(a, b) & this.mask;
    for (;;) {
      const k = s[3 * i]!;
      if (k === 0) break;
      if (k === a + 1 && s[3 * i + 1] === b) {
        s[3 * i + 2] = v;
        return;
      }
      i = (i + 1) & this.mask;
    }
    s[3 * i] = a + 1;
    s[3 * i + 1] = b;
    s[3 * i + 2] = v;
    this.size++;
  }

  private grow(): void {
    const old = this.slots;
    const cap = 2 * (this.mask + 1);
    this.slots = new Int32Array(3 * cap);
    this.mask = cap - 1;
    this.size = 0;
    for (let i = 0; i < old.length; i += 3) if (old[i] !== 0) this.set(old[i]! - 1, old[i + 1]!, old[i + 2]!);
  }
}

function hash(a: number, b: number): number {
  let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b ^ 0x5bd1e995, 0x85ebca6b);
  h ^= h >>> 15;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 13);
}
