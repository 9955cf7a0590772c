/**
 * The fingerprints met last, in a small direct-mapped cache (2^15 slots of two
 * words, 256 KiB: it stays in the CPU's cache, where a probe of a visited
 * table costs a miss). A BFS meets most known states shortly after
 * discovering them (the other orders of steps of siblings expanded one after
 * the other), so a successor found here needs no probe of the table. Holds
 * only what its owner put in the table: a hit means present, a miss asks the
 * table. (0, 0) is also an empty slot, so it never hits.
 */
const BITS = 15;

export class RecentFingerprints {
  private readonly slots = new Uint32Array(2 << BITS);
  private at = 0;

  /** Whether (h1, h2) was noted last in its slot; remembers the slot for `note`. */
  has(h1: number, h2: number): boolean {
    const r = this.slots;
    const i = 2 * (Math.imul(h1 ^ Math.imul(h2, 0x2c1b3c6d), 0x85ebca6b) >>> (32 - BITS));
    this.at = i;
    return r[i] === h1 && r[i + 1] === h2 && (h1 | h2) !== 0;
  }

  /** Note (h1, h2), which the last `has` asked about, in its slot. */
  note(h1: number, h2: number): void {
    this.slots[this.at] = h1;
    this.slots[this.at + 1] = h2;
  }

  /** Forget everything (the table lost entries). */
  clear(): void {
    this.slots.fill(0);
  }
}
