/**
 * The lowered discovery keys of one level of the parallel BFS, by table slot:
 * the smallest (parent, edge) logged for each slot whose state was met first
 * from a later parent (store/frontier.ts logs; a fifth of a level's states in
 * bench hugetlb-4x6 with 2 workers). Typed arrays only: the Map it replaces
 * was most of the coordinator's time between levels.
 *
 *   mark  one bit per table slot: the slot has an entry (a cheap test for the
 *         four in five states that have none)
 *   low   open addressing on the slot: [slot + 1 (0: empty), parent, edge]
 *
 * `clear` empties both for the next level.
 */
export class LoweredKeys {
  private mark = new Int32Array(1 << 7);
  private low = new Int32Array(3 << 12);
  private size = 0;

  /** Room for slots 0 .. slots-1 and `records` logged keys (call when empty). */
  room(slots: number, records: number): void {
    if ((slots >>> 5) + 1 > this.mark.length) this.mark = new Int32Array((slots >>> 5) + 1);
    let cap = this.low.length / 3;
    while (cap < 2 * records) cap *= 2;
    if (3 * cap !== this.low.length) this.low = new Int32Array(3 * cap);
  }

  private home(slot: number): number {
    return Math.imul(slot, 0x9e3779b1) & (this.low.length / 3 - 1);
  }

  /** Log record (slot, parent, edge): kept when its parent is the slot's smallest so far (the first such record). */
  add(slot: number, parent: number, edge: number): void {
    const low = this.low;
    const mask = low.length / 3 - 1;
    this.mark[slot >>> 5]! |= 1 << (slot & 31);
    for (let i = this.home(slot); ; i = (i + 1) & mask) {
      const at = 3 * i;
      const key = low[at]!;
      if (key === 0) {
        low[at] = slot + 1;
        low[at + 1] = parent;
        low[at + 2] = edge;
        this.size++;
        return;
      }
      if (key === slot + 1) {
        if (parent < low[at + 1]!) {
          low[at + 1] = parent;
          low[at + 2] = edge;
        }
        return;
      }
    }
  }

  /** The word of the slot's entry in `keys` ([slot + 1, parent, edge]), or -1 when it has none. */
  find(slot: number): number {
    if ((this.mark[slot >>> 5]! & (1 << (slot & 31))) === 0) return -1;
    const low = this.low;
    const mask = low.length / 3 - 1;
    for (let i = this.home(slot); ; i = (i + 1) & mask) {
      const key = low[3 * i]!;
      if (key === slot + 1) return 3 * i;
      if (key === 0) return -1;
    }
  }

  get keys(): Int32Array {
    return this.low;
  }

  /** Empty (the slots' bits and the entries). */
  clear(): void {
    if (this.size === 0) return;
    const low = this.low;
    for (let at = 0; at < low.length; at += 3) if (low[at] !== 0) this.mark[(low[at]! - 1) >>> 5] = 0;
    low.fill(0);
    this.size = 0;
  }
}
