/**
 * Interning of plain-data values (spec views, abstractions) to dense integer
 * ids, by a canonical binary encoding: object keys sorted, numbers exact.
 * Equal values (deep, key-order-insensitive) get equal ids. Off the hot path
 * except at quiescent states, where it interns abstraction(impl).
 */
import { fingerprint } from './fingerprint.js';
import { IntBuffer } from './schema.js';
import type { SharedInternTable } from './store/shared-intern.js';

const T_NULL = 0,
  T_FALSE = 1,
  T_TRUE = 2,
  T_INT = 3,
  T_FLOAT = 4,
  T_STR = 5,
  T_ARR = 6,
  T_OBJ = 7,
  T_UNDEF = 8;

const f64 = new Float64Array(1);
const f64i = new Int32Array(f64.buffer);

/** Canonical encoding of plain data (null, boolean, number, string, array, plain object). */
export function canonicalEncode(v: unknown, w: IntBuffer): void {
  switch (typeof v) {
    case 'number':
      if (Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff) {
        w.push(T_INT);
        w.push(v);
      } else {
        f64[0] = v;
        w.push(T_FLOAT);
        w.push(f64i[0]!);
        w.push(f64i[1]!);
      }
      return;
    case 'boolean':
      w.push(v ? T_TRUE : T_FALSE);
      return;
    case 'string':
      w.push(T_STR);
      w.push(v.length);
      for (let i = 0; i < v.length; i++) w.push(v.charCodeAt(i));
      return;
    case 'undefined':
      w.push(T_UNDEF);
      return;
    case 'object':
      if (v === null) {
        w.push(T_NULL);
        return;
      }
      if (Array.isArray(v)) {
        w.push(T_ARR);
        w.push(v.length);
        for (let i = 0; i < v.length; i++) canonicalEncode(v[i], w);
        return;
      }
      {
        // Map, Set, Date, class instances: Object.keys would see none of their contents
        const proto = Object.getPrototypeOf(v);
        if (proto !== Object.prototype && proto !== null)
          throw new TypeError(
            `not plain data: ${(v as object).constructor?.name ?? 'object'} (use arrays and plain objects)`,
          );
        const keys = Object.keys(v).sort();
        w.push(T_OBJ);
        w.push(keys.length);
        for (const k of keys) {
          canonicalEncode(k, w);
          canonicalEncode((v as Record<string, unknown>)[k], w);
        }
      }
      return;
    default:
      throw new TypeError(`not plain data: ${typeof v}`);
  }
}

/**
 * The values in their canonical order (lexicographic on canonicalEncode),
 * independent of the order or ids they were interned with: a trace lists
 * spec states this way, so it is the same for every run and worker count.
 */
export function canonicalOrder<T>(values: readonly T[]): T[] {
  const keyed = values.map((v) => {
    const w = new IntBuffer();
    canonicalEncode(v, w);
    return { v, k: w.toArray() };
  });
  keyed.sort((a, b) => {
    const n = Math.min(a.k.length, b.k.length);
    for (let i = 0; i < n; i++) if (a.k[i] !== b.k[i]) return a.k[i]! - b.k[i]!;
    return a.k.length - b.k.length;
  });
  return keyed.map((x) => x.v);
}

/** The value canonicalEncode wrote at a[pos.at] (pos.at moves past it). */
export function canonicalDecode(a: Int32Array, pos: { at: number }): unknown {
  const tag = a[pos.at++]!;
  switch (tag) {
    case T_NULL:
      return null;
    case T_FALSE:
      return false;
    case T_TRUE:
      return true;
    case T_UNDEF:
      return undefined;
    case T_INT:
      return a[pos.at++]!;
    case T_FLOAT:
      f64i[0] = a[pos.at++]!;
      f64i[1] = a[pos.at++]!;
      return f64[0]!;
    case T_STR: {
      const n = a[pos.at++]!;
      let s = '';
      for (let i = 0; i < n; i++) s += String.fromCharCode(a[pos.at++]!);
      return s;
    }
    case T_ARR: {
      const n = a[pos.at++]!;
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) out.push(canonicalDecode(a, pos));
      return out;
    }
    case T_OBJ: {
      const n = a[pos.at++]!;
      const out: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        const k = canonicalDecode(a, pos) as string;
        out[k] = canonicalDecode(a, pos);
      }
      return out;
    }
    default:
      throw new Error(`canonicalDecode: bad tag ${tag} at ${pos.at - 1}`);
  }
}

/**
 * Maps plain values to dense ids 0, 1, 2, ... in first-seen order. With a
 * shared table (store/shared-intern.ts) the ids are those of the table, the
 * same in every thread using it; this object then caches what its thread saw.
 */
export class Interner<T = unknown> {
  private readonly buf = new IntBuffer(256);
  private readonly fp = new Uint32Array(2);
  private readonly index = new Map<number, number | number[]>();
  private readonly encodings: Int32Array[] = [];
  readonly values: T[] = [];

  constructor(private readonly shared?: SharedInternTable) {}

  get size(): number {
    return this.shared ? this.shared.size : this.values.length;
  }

  /** The id of `v`, adding it if new. */
  intern(v: T): number {
    const buf = this.buf;
    buf.reset();
    canonicalEncode(v, buf);
    fingerprint(buf.buf, 0, buf.len, this.fp);
    const key = this.fp[0]! + (this.fp[1]! & 0x1fffff) * 4294967296;
    const hit = this.index.get(key);
    if (hit !== undefined) {
      if (typeof hit === 'number') {
        if (this.same(hit)) return hit;
      } else {
        for (const id of hit) if (this.same(id)) return id;
      }
    }
    const id = this.shared ? this.shared.intern(buf.buf, 0, buf.len, this.fp[0]!) : this.values.length;
    this.values[id] = v;
    this.encodings[id] = buf.toArray();
    if (hit === undefined) this.index.set(key, id);
    else if (typeof hit === 'number') this.index.set(key, [hit, id]);
    else hit.push(id);
    return id;
  }

  private same(id: number): boolean {
    const e = this.encodings[id]!;
    const b = this.buf;
    if (e.length !== b.len) return false;
    for (let i = 0; i < e.length; i++) if (e[i] !== b.buf[i]) return false;
    return true;
  }

  get(id: number): T {
    if (id in this.values || !this.shared) return this.values[id]!;
    // interned by another thread: decode the shared encoding, and remember it
    const e = this.shared.get(id);
    const v = canonicalDecode(e, { at: 0 }) as T;
    this.values[id] = v;
    this.encodings[id] = e;
    fingerprint(e, 0, e.length, this.fp);
    const key = this.fp[0]! + (this.fp[1]! & 0x1fffff) * 4294967296;
    const hit = this.index.get(key);
    if (hit === undefined) this.index.set(key, id);
    else if (typeof hit === 'number') this.index.set(key, [hit, id]);
    else hit.push(id);
    return v;
  }
}

/**
 * Interns small Int32 arrays (linearization configurations and sets) to dense
 * ids: an open-addressing index of [hash, id + 1] pairs in one Int32Array, on
 * a 32-bit hash, with exact comparison on a hash match. No Map, no string or
 * heap-number keys (the Map on a 53-bit fingerprint it replaces was 6% of
 * bench thp-menu, under the linearizer's configuration and set interning).
 * The arrays are kept back to back in one arena, not as an Int32Array each:
 * bench thp-menu interns hundreds of thousands of configurations, and an
 * object per array (about 200 bytes with its buffer) made them most of the
 * JavaScript heap and of the garbage collector's work.
 */
export class IntArrayInterner {
  /** Pairs [hash, id + 1] (id + 1 = 0: empty). */
  private index = new Int32Array(2 << 10);
  private mask = (1 << 10) - 1;
  /** Ids in the index. */
  private indexed = 0;
  /** Per id: its offset in `arena` + 1 (0: not here, another thread's: fetched from the shared table on first use). */
  private starts = new Int32Array(1 << 10);
  private lens = new Int32Array(1 << 10);
  /** The arrays back to back, read at at(id) for lenOf(id) words; reallocated when it grows (read it after at()/intern()). */
  arena = new Int32Array(1 << 12);
  private used = 0;
  /** Arrays interned here (the next id when not shared). */
  private count = 0;
  private readonly fp = new Uint32Array(2);

  /** `shared`: take ids from a table shared by threads (see Interner). */
  constructor(private readonly shared?: SharedInternTable) {}

  get size(): number {
    return this.shared ? this.shared.size : this.count;
  }

  /** Where the array with this id starts in `arena` (lenOf(id) words). */
  at(id: number): number {
    const s = id >= 0 && id < this.starts.length ? this.starts[id]! : 0;
    return s > 0 ? s - 1 : this.fetch(id);
  }

  /** Words of the array with this id (after at(id)). */
  lenOf(id: number): number {
    return this.lens[id]!;
  }

  /** A copy of the array with this id. */
  get(id: number): Int32Array {
    const s = this.at(id);
    return this.arena.slice(s, s + this.lens[id]!);
  }

  private fetch(id: number): number {
    if (!this.shared) throw new Error(`no interned array ${id}`);
    const a = this.shared.get(id);
    const h = hashInts(a, 0, a.length);
    const slot = this.probe(h, a, 0, a.length);
    const at = this.store(id, a, 0, a.length);
    this.remember(slot, h, id);
    return at;
  }

  /** Copy a[off, off+len) into the arena as id `id`; its offset. */
  private store(id: number, a: Int32Array, off: number, len: number): number {
    if (id >= this.starts.length) {
      const n = Math.max(2 * this.starts.length, id + 1);
      const s = new Int32Array(n);
      s.set(this.starts);
      this.starts = s;
      const l = new Int32Array(n);
      l.set(this.lens);
      this.lens = l;
    }
    if (this.used + len > this.arena.length) {
      const ar = new Int32Array(Math.max(2 * this.arena.length, this.used + len));
      ar.set(this.arena.subarray(0, this.used));
      this.arena = ar;
    }
    const ar = this.arena;
    const at = this.used;
    for (let k = 0; k < len; k++) ar[at + k] = a[off + k]!;
    this.used += len;
    this.starts[id] = at + 1;
    this.lens[id] = len;
    this.count++;
    return at;
  }

  /** The index slot holding a[off, off+len) (its id + 1 at 2 * slot + 1), or the empty slot where it goes. */
  private probe(h: number, a: Int32Array, off: number, len: number): number {
    const idx = this.index;
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const e = idx[2 * i + 1]!;
      if (e === 0 || (idx[2 * i] === h && this.same(e - 1, a, off, len))) return i;
      i = (i + 1) & mask;
    }
  }

  private same(id: number, a: Int32Array, off: number, len: number): boolean {
    if (this.lens[id] !== len) return false;
    const ar = this.arena;
    const s = this.starts[id]! - 1;
    for (let k = 0; k < len; k++) if (ar[s + k] !== a[off + k]) return false;
    return true;
  }

  private remember(slot: number, h: number, id: number): void {
    this.index[2 * slot] = h;
    this.index[2 * slot + 1] = id + 1;
    if (2 * ++this.indexed > this.mask) this.rehash();
  }

  private rehash(): void {
    const old = this.index;
    const cap = 2 * (this.mask + 1);
    const idx = new Int32Array(2 * cap);
    const mask = cap - 1;
    for (let j = 0; j < old.length; j += 2) {
      if (old[j + 1] === 0) continue;
      let i = old[j]! & mask;
      while (idx[2 * i + 1] !== 0) i = (i + 1) & mask;
      idx[2 * i] = old[j]!;
      idx[2 * i + 1] = old[j + 1]!;
    }
    this.index = idx;
    this.mask = mask;
  }

  /** The id of a[0, len), copying it when new. */
  intern(a: Int32Array, len: number = a.length): number {
    return this.internAt(a, 0, len);
  }

  /** The id of a[off, off+len), copying it when new. */
  internAt(a: Int32Array, off: number, len: number): number {
    const h = hashInts(a, off, len);
    const slot = this.probe(h, a, off, len);
    const e = this.index[2 * slot + 1]!;
    if (e !== 0) return e - 1;
    let id = this.count;
    if (this.shared) {
      fingerprint(a, off, len, this.fp);
      id = this.shared.intern(a, off, len, this.fp[0]!);
    }
    this.store(id, a, off, len);
    this.remember(slot, h, id);
    return id;
  }
}

/** A 32-bit hash of a[off, off+len) for IntArrayInterner's index. */
function hashInts(a: Int32Array, off: number, len: number): number {
  let h = Math.imul(len, 0x27d4eb2f);
  for (let i = off, end = off + len; i < end; i++) {
    h = Math.imul(h ^ a[i]!, 0x9e3779b1);
    h ^= h >>> 15;
  }
  h = Math.imul(h ^ (h >>> 13), 0x85ebca6b);
  return h ^ (h >>> 16);
}
