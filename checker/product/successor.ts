/**
 * One successor of a product state (../product.ts), as handed to a strategy:
 * its fingerprint delta is computed from what the transition changed (the
 * linearization set, the faults used, the moving thread's block id, the impl
 * state), and its vector is built only when a strategy reads `buf`, that is
 * for a state not seen before. Most transitions reach a known state: they
 * cost neither a copy of the vector nor a comparison of it with its parent.
 *
 *   vector: [ linSet | faultsUsed | per thread: control block id | impl state... ]
 *
 * The delta is exact: parent fingerprint XOR (d0, d1) = zobrist(buf)
 * (../fingerprint.ts). The impl part is either the XOR of the two impl states'
 * cached parts (`implParts`, by step-memo id) or a word-by-word comparison.
 * One object is reused for every successor: valid until the next one.
 */
import { z1, z2, zobristRange } from '../fingerprint.js';
import type { Failure, Successor } from '../model.js';
import { IntBuffer } from '../schema.js';

const EMPTY = new Int32Array(0);

export class LazySuccessor implements Successor {
  impl: unknown = undefined;
  failure: Failure | undefined = undefined;
  readonly hasDelta = true;
  d0 = 0;
  d1 = 0;
  /** The successor's impl state's step-memo id (-1: none), handed back to Product.expand. */
  hint = -1;
  /** Model Successor.affinity: its impl state's part of the fingerprint (lane 1, 31 bits) when known, else -1. */
  affinity = -1;
  // the parent vector
  private par: Int32Array = EMPTY;
  private poff = 0;
  // what the transition wrote
  private set = 0;
  private faults = 0;
  /** The moving thread's word, and its new control block id. */
  private tb = 0;
  private block = 0;
  private im: Int32Array = EMPTY;
  private imAt = 0;
  private imLen = 0;
  private built = false;
  private readonly out = new IntBuffer(256);

  constructor(
    /** Words before the impl state. */
    private readonly implOff: number,
  ) {}

  get len(): number {
    return this.implOff + this.imLen;
  }

  get buf(): Int32Array {
    if (!this.built) this.build();
    return this.out.buf;
  }

  /** The thread whose block id is word `tb` of par[poff...] moved to control block `block`. */
  reset(par: Int32Array, poff: number, tb: number, block: number, im: Int32Array, imAt: number, imLen: number): void {
    this.par = par;
    this.poff = poff;
    this.tb = tb;
    this.block = block;
    this.im = im;
    this.imAt = imAt;
    this.imLen = imLen;
    this.built = false;
    this.failure = undefined;
  }

  /**
   * The header (linearization set, faults used) and the fingerprint delta.
   * (pa, pb) / (sa, sb): the parent's / successor's impl part of the
   * fingerprint when both are known (`known`), else the impl states are compared.
   */
  finish(set: number, faults: number, known: boolean, pa: number, pb: number, sa: number, sb: number): void {
    this.set = set;
    this.faults = faults;
    const par = this.par;
    const o = this.poff;
    let a = 0;
    let b = 0;
    if (par[o] !== set) {
      a ^= z1(0, par[o]!) ^ z1(0, set);
      b ^= z2(0, par[o]!) ^ z2(0, set);
    }
    if (par[o + 1] !== faults) {
      a ^= z1(1, par[o + 1]!) ^ z1(1, faults);
      b ^= z2(1, par[o + 1]!) ^ z2(1, faults);
    }
    const tb = this.tb;
    const p = par[o + tb]!;
    const c = this.block;
    if (p !== c) {
      a ^= z1(tb, p) ^ z1(tb, c);
      b ^= z2(tb, p) ^ z2(tb, c);
    }
    if (known) {
      a ^= pa ^ sa;
      b ^= pb ^ sb;
    } else {
      const po = o + this.implOff;
      zobristRange(par, po, this.parImplLen, this.im, this.imAt, this.imLen, this.implOff, 0, 0, this.dz);
      a ^= this.dz[0]!;
      b ^= this.dz[1]!;
    }
    this.d0 = a;
    this.d1 = b;
  }

  /** The impl states' delta, when compared word by word. */
  private readonly dz = new Uint32Array(2);

  /** Words of the parent's impl state (set by the product before `finish`). */
  parImplLen = 0;

  private build(): void {
    const w = this.out;
    const implOff = this.implOff;
    const n = implOff + this.imLen;
    w.reset();
    w.reserve(n);
    const b = w.buf;
    const par = this.par;
    const o = this.poff;
    b[0] = this.set;
    b[1] = this.faults;
    for (let i = 2; i < implOff; i++) b[i] = par[o + i]!;
    b[this.tb] = this.block;
    const im = this.im;
    const at = this.imAt;
    for (let i = 0; i < this.imLen; i++) b[implOff + i] = im[at + i]!;
    w.len = n;
    this.built = true;
  }
}
