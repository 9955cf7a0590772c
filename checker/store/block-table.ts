/**
 * Dense ids for fixed-width Int32 blocks (a product's thread control blocks:
 * slot, alternative, pc, locals), so a state vector holds one word per
 * thread instead of the block itself. The words of id `i` are
 * words[i * width, +width), read through `base(i)`.
 *
 * Alone, ids are a local IntTable's (store/int-table.ts). With a shared table
 * (a parallel search, store/shared-intern.ts) the ids are the shared table's,
 * so one vector means one state in every worker; this table is then a cache
 * that consults the shared one only for a block it has not met yet.
 */
import { IntTable } from './int-table.js';
import { grown } from './grown.js';
import type { SharedInternTable } from './shared-intern.js';

export class BlockTable {
  /** By id: its words at [id * width, +width). Reallocated on growth: read after base(). */
  words: Int32Array<ArrayBuffer>;
  /** Shared mode: by id, whether its words are here. */
  private have = new Uint8Array(0);
  private readonly local = new IntTable();
  /** By local IntTable id: the id (shared mode; alone they are equal). */
  private toId: Int32Array<ArrayBuffer> = new Int32Array(256);

  constructor(
    readonly width: number,
    private readonly shared?: SharedInternTable,
  ) {
    this.words = new Int32Array(Math.max(1, width) * 256);
  }

  /** The id of a[off, off+width), adding it when new. */
  intern(a: Int32Array, off: number): number {
    const w = this.width;
    const n = this.local.size;
    const li = this.local.intern(a, off, w);
    if (li < n) return this.shared ? this.toId[li]! : li;
    let id = li;
    if (this.shared) {
      let h = w;
      for (let i = off; i < off + w; i++) h = Math.imul(h ^ a[i]!, 0x9e3779b1);
      id = this.shared.intern(a, off, w, h);
      if (li >= this.toId.length) this.toId = grown(this.toId, li + 1);
      this.toId[li] = id;
    }
    this.put(id, a, off);
    return id;
  }

  /** Where the words of `id` start in `words`. */
  base(id: number): number {
    if (this.shared && !(id < this.have.length && this.have[id] === 1)) this.fetch(id);
    return id * this.width;
  }

  private put(id: number, a: Int32Array, off: number): void {
    const w = this.width;
    if ((id + 1) * w > this.words.length) this.words = grown(this.words, (id + 1) * w);
    for (let k = 0; k < w; k++) this.words[id * w + k] = a[off + k]!;
    if (this.shared) {
      if (id >= this.have.length) {
        const h = new Uint8Array(Math.max(2 * this.have.length, id + 1, 256));
        h.set(this.have);
        this.have = h;
      }
      this.have[id] = 1;
    }
  }

  /** A block another worker interned: copy it here (and into the local cache). */
  private fetch(id: number): void {
    const v = this.shared!.get(id);
    const n = this.local.size;
    const li = this.local.intern(v, 0, this.width);
    if (li >= n) {
      if (li >= this.toId.length) this.toId = grown(this.toId, li + 1);
      this.toId[li] = id;
    }
    this.put(id, v, 0);
  }
}
