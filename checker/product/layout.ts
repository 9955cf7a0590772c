/**
 * The layout of a product state vector, and reading it:
 *
 *   [ linSet | faultsUsed | per thread: its control block's id | impl state... ]
 *
 * A thread's control block (slot, alt, pc, locals[L]) is interned in
 * `blocks` (../store/block-table.ts): a thread costs the vector one word, however
 * many locals its ops declare. The impl state is the schema's encoding.
 */
import type { CompiledOp } from './scenario.js';
import { ArrayReader, type Schema } from '../schema.js';
import type { Ctx } from '../step-ctx.js';
import { BlockTable } from '../store/block-table.js';
import { SharedInternTable, type SharedInternBuffers } from '../store/shared-intern.js';
import type { Args } from '../types.js';

export class VectorLayout<G> {
  /** Header words: the linearization set id and the faults used. */
  readonly HDR = 2;
  /** Words of a thread control block (slot, alt, pc, locals[L]), interned in `blocks`. */
  readonly TW: number;
  /** Where the impl state starts. */
  readonly implOff: number;
  /** The thread control blocks by id (a vector holds the id, at HDR + t). */
  readonly blocks: BlockTable;
  private readonly reader = new ArrayReader(new Int32Array(0));
  private readonly idleIds: number[] = [];
  /** A control block being built (interned before it is stored). */
  private readonly scratch: Int32Array;

  constructor(
    readonly T: number,
    readonly L: number,
    readonly schema: Schema<G>,
    sharedBlocks?: SharedInternBuffers,
  ) {
    this.TW = 3 + L;
    this.implOff = this.HDR + T;
    this.blocks = new BlockTable(this.TW, sharedBlocks && new SharedInternTable(sharedBlocks));
    this.scratch = new Int32Array(this.TW);
  }

  /** The id of the control block of a thread about to start `slot` (no op in flight). */
  idleBlock(slot: number): number {
    let id = this.idleIds[slot];
    if (id === undefined) {
      const b = this.scratch;
      for (let k = 0; k < this.TW; k++) b[k] = 0;
      b[0] = slot;
      b[2] = -1;
      id = this.blocks.intern(b, 0);
      this.idleIds[slot] = id;
    }
    return id;
  }

  /** The id of the control block of a thread in `slot`'s alternative `alt` at step `pc` with these locals. */
  runningBlock(slot: number, alt: number, pc: number, locals: Int32Array): number {
    // loops, not fill()/set(): builtin calls cost more than a few words (once per step run)
    const b = this.scratch;
    const n = locals.length;
    b[0] = slot;
    b[1] = alt;
    b[2] = pc;
    for (let k = 0; k < n; k++) b[3 + k] = locals[k]!;
    for (let k = 3 + n; k < this.TW; k++) b[k] = 0;
    return this.blocks.intern(b, 0);
  }

  /** Control block `id` moved to `slot`'s alternative `alt` (the same pc and locals). */
  movedBlock(id: number, slot: number, alt: number): number {
    const b = this.scratch;
    const base = this.blocks.base(id);
    const w = this.blocks.words;
    for (let k = 0; k < this.TW; k++) b[k] = w[base + k]!;
    b[0] = slot;
    b[1] = alt;
    return this.blocks.intern(b, 0);
  }

  /** Where thread t's control block (slot, alt, pc, locals) of the state at vec[off...] starts in blocks.words. */
  blockAt(vec: Int32Array, off: number, t: number): number {
    return this.blocks.base(vec[off + this.HDR + t]!);
  }

  /** Thread t's slot in the state at vec[off...]. */
  slotOf(vec: Int32Array, off: number, t: number): number {
    const b = this.blockAt(vec, off, t);
    return this.blocks.words[b]!;
  }

  /** Thread t's pc in the state at vec[off...] (-1: no op in flight). */
  pcOf(vec: Int32Array, off: number, t: number): number {
    const b = this.blockAt(vec, off, t);
    return this.blocks.words[b + 2]!;
  }

  /** The impl state of the state vector at vec[off...]. */
  decodeImpl(vec: Int32Array, off: number): G {
    return this.decodeImplAt(vec, off + this.implOff);
  }

  /**
   * The impl state of the state vector at vec[off...], in one of two values of
   * the layout's own, reused (`which` 0: the state being expanded, read by
   * enabled(); 1: the value a step runs on): valid until the next call for the
   * same `which`, and never to be kept (a fresh decodeImpl() for anything kept).
   * Falls back to decodeImpl() for a schema without a reusing decoder.
   */
  decodeImplReused(vec: Int32Array, off: number, which: 0 | 1): G {
    const d = (this.reusing ??= this.makeReusing())[which];
    if (!d) return this.decodeImpl(vec, off);
    const r = this.reader;
    r.buf = vec;
    r.pos = off + this.implOff;
    const g = d(r);
    this.roots[which] = g;
    return g;
  }

  /** Whether `g` is one of decodeImplReused()'s values (to be copied, not kept). */
  isReused(g: unknown): boolean {
    return g !== undefined && (g === this.roots[0] || g === this.roots[1]);
  }

  private reusing: ((r: ArrayReader) => G)[] | undefined;
  /** The values decodeImplReused() returned last (each call returns the same one). */
  private readonly roots: (G | undefined)[] = [undefined, undefined];

  private makeReusing(): ((r: ArrayReader) => G)[] {
    const sch = this.schema as Schema<G> & { reusingDecoder?: () => (r: ArrayReader) => G };
    if (typeof sch.reusingDecoder !== 'function') return [];
    return [sch.reusingDecoder(), sch.reusingDecoder()];
  }

  /** The impl state encoded at a[at...]. */
  decodeImplAt(a: Int32Array, at: number): G {
    const r = this.reader;
    r.buf = a;
    r.pos = at;
    return this.schema.decode(r);
  }

  /** Hand `ctx` thread t's args and locals for a step of `op` in the state at vec[off...] (fresh: zeroed). */
  setupCtx(ctx: Ctx, vec: Int32Array, off: number, t: number, op: CompiledOp, args: Args, fresh: boolean): void {
    ctx.tid = t;
    ctx.args = args;
    // fresh: the locals are zeros, the thread's block is not read
    if (fresh) op.slots.load(this.blocks.words, 0, true);
    else op.slots.load(this.blocks.words, this.blockAt(vec, off, t) + 3, false);
    ctx.l = op.l;
  }
}
