/**
 * A map from triples of 32-bit integers to one integer, the key and its value
 * side by side in one typed array (open addressing, linear probing): the step
 * memo's entries (step-memo.ts), looked up once per thread and state expanded.
 *
 * A lookup reads one 16-byte slot where IntTable (int-table.ts) would read its
 * index, the key's length and its words in the arena, and the memo then a
 * separate entries array: four scattered reads per key became one (profile of
 * bench hugetlb-4x6: IntTable.intern under StepMemo.keyId was 14.6% of the run).
 */
export class KeyTable {
  /** Slots [a + 1, b, c, value] (a + 1 = 0: empty). */
  private slots = new Int32Array(4 << 12);
  private mask = (1 << 12) - 1;
  size = 0;
  /** The bits of c that pick a neighbour slot instead of entering the hash (see the constructor). */
  private readonly nearMask: number;

  /**
   * `nearShift`, `nearBits`: keys that differ only in those bits of c start
   * their probes in neighbouring slots (the hash of the rest plus those bits),
   * so that a run of such keys looked up one after the other (the step memo:
   * every alternative a thread may start in one state) reads one or two
   * cache lines instead of one each. 0 bits: c is hashed whole.
   */
  constructor(
    private readonly nearShift = 0,
    nearBits = 0,
  ) {
    this.nearMask = nearBits === 0 ? 0 : ((1 << nearBits) - 1) << nearShift;
  }

  private start(a: number, b: number, c: number): number {
    const near = c & this.nearMask;
    return hash(a, b, c ^ near) + (near >>> this.nearShift);
  }

  /** Words held. */
  get words(): number {
    return this.slots.length;
  }

  /**
   * The slot of key (a, b, c), added with value 0 when new; `a` must be
   * non-negative. Valid for `get`/`set` until the next call of `slot`.
   */
  slot(a: number, b: number, c: number): number {
    if (2 * (this.size + 1) > this.mask + 1) this.grow();
    const s = this.slots;
    const a1 = a + 1;
    let i = this.start(a, b, c) & this.mask;
    for (;;) {
      const k = s[4 * i]!;
      if (k === 0) break;
      if (k === a1 && s[4 * i + 1] === b && s[4 * i + 2] === c) return 4 * i;
      i = (i + 1) & this.mask;
    }
    s[4 * i] = a1;
    s[4 * i + 1] = b;
    s[4 * i + 2] = c;
    s[4 * i + 3] = 0;
    this.size++;
    return 4 * i;
  }

  get(slot: number): number {
    return this.slots[slot + 3]!;
  }

  /** fn(a, b, c, value) for every key, in slot order (the step memo's eviction copies what it keeps). */
  forEach(fn: (a: number, b: number, c: number, v: number) => void): void {
    const s = this.slots;
    for (let j = 0; j < s.length; j += 4) if (s[j] !== 0) fn(s[j]! - 1, s[j + 1]!, s[j + 2]!, s[j + 3]!);
  }

  set(slot: number, v: number): void {
    this.slots[slot + 3] = v;
  }

  private grow(): void {
    const old = this.slots;
    const cap = 2 * (this.mask + 1);
    const s = new Int32Array(4 * cap);
    const mask = cap - 1;
    for (let j = 0; j < old.length; j += 4) {
      const a1 = old[j]!;
      if (a1 === 0) continue;
      let i = this.start(a1 - 1, old[j + 1]!, old[j + 2]!) & mask;
      while (s[4 * i] !== 0) i = (i + 1) & mask;
      s[4 * i] = a1;
      s[4 * i + 1] = old[j + 1]!;
      s[4 * i + 2] = old[j + 2]!;
      s[4 * i + 3] = old[j + 3]!;
    }
    this.slots = s;
    this.mask = mask;
  }
}

function hash(a: number, b: number, c: number): number {
  let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b ^ 0x5bd1e995, 0x85ebca6b) ^ Math.imul(c ^ 0x27d4eb2d, 0xc2b2ae35);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return h ^ (h >>> 13);
}
