/**
 * Symmetry reduction over identical threads (issue 13, section 4). Threads
 * whose scripts are equal (the same slots, alternatives and arguments, the
 * same minimum of a menu) are interchangeable when every place a thread id
 * appears in a product state is renumbered with them:
 *
 *   - the thread words of the vector (the control blocks: slot, alt, pc, locals);
 *   - the linearization set (each configuration's per-thread status:
 *     Linearizer.permuteSet); the spec itself never sees a thread id;
 *   - the implementation state, by its own declaration
 *     (ImplDef.permuteThreads: lock owners `tid + 1` and the like). An
 *     implementation without one gets no reduction, and the result says so.
 *
 * A state's canonical form is the least image, in a fixed order of the
 * vector's words (thread words, then the rest), over every permutation that
 * maps each class onto itself; its orbit size is the group's size over the
 * number of permutations that fix it, so the canonical states' orbit sizes
 * sum to the unreduced state count exactly. Block and set ids are interned
 * once and never change, so the order is fixed for the whole run.
 */
import { ArrayReader, IntBuffer, type Schema } from './schema.js';
import type { Linearizer } from './linearizer.js';
import type { Scenario, Subsystem, ThreadPermutation } from './types.js';

/** The most permutations a group may have (6 interchangeable threads). */
export const MAX_GROUP = 720;

/** Threads with equal scripts and minimum, in classes of two or more (each in thread order). */
export function threadClasses(scenario: Scenario): number[][] {
  const keys = scenario.threads.map((t, i) => JSON.stringify([t, scenario.minOps?.[i] ?? null]));
  const classes: number[][] = [];
  keys.forEach((k, i) => {
    const c = classes.find((x) => keys[x[0]!] === k);
    if (c) c.push(i);
    else classes.push([i]);
  });
  return classes.filter((c) => c.length > 1);
}

/** Every renumbering of T threads that maps each class onto itself (`to` arrays), the identity first. */
export function classPermutations(T: number, classes: readonly (readonly number[])[]): Int32Array[] {
  let perms: Int32Array[] = [Int32Array.from({ length: T }, (_, t) => t)];
  for (const c of classes) {
    const next: Int32Array[] = [];
    for (const order of permutationsOf(c))
      for (const p of perms) {
        const q = p.slice();
        c.forEach((t, i) => (q[t] = order[i]!));
        next.push(q);
      }
    perms = next;
  }
  return perms;
}

function permutationsOf(xs: readonly number[]): number[][] {
  if (xs.length <= 1) return [[...xs]];
  const out: number[][] = [];
  xs.forEach((x, i) => {
    for (const rest of permutationsOf([...xs.slice(0, i), ...xs.slice(i + 1)])) out.push([x, ...rest]);
  });
  return out;
}

/** Whether symmetry reduction applies to a scenario: its classes, or why not. */
export function planSymmetry(
  sub: Subsystem,
  scenario: Scenario,
): { readonly classes: number[][]; readonly group: number } | { readonly reason: string } {
  const classes = threadClasses(scenario);
  const group = classes.reduce((n, c) => n * factorial(c.length), 1);
  const who = sub.implName !== undefined ? `${sub.name} --impl ${sub.implName}` : sub.name;
  if (!sub.impl.permuteThreads)
    return { reason: `${who}: the implementation declares no thread permutation (ImplDef.permuteThreads)` };
  if (classes.length === 0) return { reason: 'no two threads run the same program' };
  if (group > MAX_GROUP)
    return { reason: `${group} permutations of interchangeable threads; at most ${MAX_GROUP} are enumerated` };
  return { classes, group };
}

function factorial(n: number): number {
  return n <= 1 ? 1 : n * factorial(n - 1);
}

/** The permutation handed to ImplDef.permuteThreads (one object, its `to` replaced per use). */
export class Renumbering implements ThreadPermutation {
  to: ArrayLike<number> = [];
  /** Set when a thread id was renumbered (a state without any is its own image). */
  met = false;
  tid(t: number): number {
    this.met = true;
    const u = this.to[t];
    if (u === undefined) throw new Error(`symmetry: thread id ${t} out of range`);
    return u;
  }
  owner(v: number): number {
    return v > 0 ? this.tid(v - 1) + 1 : v;
  }
}

/** What the canonicaliser reads of the product. */
export interface ProductShape<G> {
  readonly T: number;
  readonly HDR: number;
  readonly implOff: number;
  readonly schema: Schema<G>;
  readonly lin?: Linearizer;
}

/** Canonical forms of product state vectors (see the file comment). */
export class Canonicalizer<G = unknown> {
  /** The permutations (`to` arrays), identity first, and their inverses. */
  readonly perms: readonly Int32Array[];
  private readonly from: readonly Int32Array[];
  private readonly ren = new Renumbering();
  private readonly reader = new ArrayReader(new Int32Array(0));
  private bufs = [new IntBuffer(256), new IntBuffer(256)];
  /** After `canon`: the canonical vector (valid until the next call) ... */
  buf: Int32Array = new Int32Array(0);
  len = 0;
  /** ... the permutation (index into `perms`) that maps the input onto it, and its orbit size. */
  perm = 0;
  orbit = 1;
  /** Whether the canonical vector's impl state is the input's, word for word (its decoded form and memo id hold). */
  implKept = true;

  constructor(
    private readonly p: ProductShape<G>,
    private readonly permute: (g: G, p: ThreadPermutation) => void,
    classes: readonly (readonly number[])[],
  ) {
    this.perms = classPermutations(p.T, classes);
    this.from = this.perms.map((to) => {
      const f = new Int32Array(to.length);
      to.forEach((u, t) => (f[u] = t));
      return f;
    });
  }

  /** The canonical form of vec[off, off+len) into `buf`/`len`, with `perm` and `orbit`. */
  canon(vec: Int32Array, off: number, len: number): void {
    const { HDR, T } = this.p;
    let best = vec;
    let bo = off;
    let bl = len;
    let bestK = 0;
    let ties = 1;
    let spare = 0;
    this.probed = false;
    for (let k = 1; k < this.perms.length; k++) {
      const f = this.from[k]!;
      let c = 0;
      for (let u = 0; u < T && c === 0; u++) c = vec[off + HDR + f[u]!]! - best[bo + HDR + u]!;
      if (c > 0) continue;
      const img = this.image(vec, off, len, k, this.bufs[spare]!);
      if (c === 0) c = compareRest(img.buf, img.len, best, bo, bl, HDR + T);
      if (c > 0) continue;
      if (c === 0) {
        ties++;
        continue;
      }
      best = img.buf;
      bo = 0;
      bl = img.len;
      bestK = k;
      ties = 1;
      spare ^= 1;
    }
    // an input at offset 0 that is already canonical is handed back as it is (no copy)
    if (bestK === 0 && off !== 0) {
      const out = this.bufs[spare]!;
      out.reset();
      out.reserve(len);
      out.buf.set(vec.subarray(off, off + len));
      out.len = len;
      best = out.buf;
      bl = len;
    }
    this.buf = best;
    this.len = bl;
    this.perm = bestK;
    this.implKept = bestK === 0 || (this.probed && this.fixed);
    this.orbit = this.perms.length / ties;
  }

  /**
   * The image of vec[off, off+len) under permutation k, written into `w`.
   * The impl state is renumbered only when it holds a thread id: the first
   * image of a `canon` call probes it (`probed`, `fixed`).
   */
  image(vec: Int32Array, off: number, len: number, k: number, w: IntBuffer): IntBuffer {
    const { HDR, T, implOff, lin } = this.p;
    const to = this.perms[k]!;
    const f = this.from[k]!;
    w.reset();
    w.push(lin ? lin.permuteSet(vec[off]!, to, k) : vec[off]!);
    for (let i = 1; i < HDR; i++) w.push(vec[off + i]!);
    for (let u = 0; u < T; u++) w.push(vec[off + HDR + f[u]!]!);
    if (this.probed && this.fixed) {
      w.reserve(len);
      w.buf.set(vec.subarray(off + implOff, off + len), implOff);
      w.len = len;
      return w;
    }
    const r = this.reader;
    r.buf = vec;
    r.pos = off + implOff;
    const g = this.p.schema.decode(r);
    if (r.pos !== off + len) throw new Error('internal: symmetry: the impl state is not the rest of the vector');
    const ren = this.ren;
    ren.to = to;
    ren.met = false;
    this.permute(g, ren);
    if (!this.probed) {
      this.probed = true;
      this.fixed = !ren.met;
    }
    this.p.schema.encode(g, w);
    return w;
  }
  /** Whether the impl state of the current `canon` call was probed, and found to hold no thread id. */
  private probed = false;
  private fixed = false;

  /** The image of vec[off, off+len) under permutation k (perms[k]), into `w` (tests and traces). */
  imageOf(vec: Int32Array, off: number, len: number, k: number, w: IntBuffer): IntBuffer {
    this.probed = false;
    return this.image(vec, off, len, k, w);
  }

  /** Whether the impl state at vec[off, off+len) holds a thread id (the declaration met one). */
  holdsThreadId(vec: Int32Array, off: number, len: number): boolean {
    this.imageOf(vec, off, len, 0, this.bufs[0]!);
    return !this.fixed;
  }

  /** The length of the state vector at vec[off...] (its impl state decoded to find its end). */
  lengthAt(vec: Int32Array, off: number): number {
    const r = this.reader;
    r.buf = vec;
    r.pos = off + this.p.implOff;
    this.p.schema.decode(r);
    return r.pos - off;
  }

  /** The orbit size of the state at vec[off, off+len) (a canonicalisation's by-product). */
  orbitOf(vec: Int32Array, off: number, len: number): number {
    this.canon(vec, off, len);
    return this.orbit;
  }
}

/**
 * a[0, al) against b[bo, bo+bl) in the canonical order's second part: the
 * words before `skip` (the header), then the words from `skip` on (the
 * thread words are equal when this is called), shorter first.
 */
function compareRest(a: Int32Array, al: number, b: Int32Array, bo: number, bl: number, skip: number): number {
  for (let i = 0; i < skip; i++) if (a[i] !== b[bo + i]) return a[i]! - b[bo + i]!;
  if (al !== bl) return al - bl;
  for (let i = skip; i < al; i++) if (a[i] !== b[bo + i]) return a[i]! - b[bo + i]!;
  return 0;
}
