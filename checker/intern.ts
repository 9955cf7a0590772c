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
 * ids by a 53-bit hash with exact comparison on collision: no string keys.
 */
export class IntArrayInterner {
  private readonly index = new Map<number, number | number[]>();
  /** By id; with a shared table, only the ids this thread has seen (use `get`). */
  readonly items: Int32Array[] = [];
  private readonly fp = new Uint32Array(2);

  /** `shared`: take ids from a table shared by threads (see Interner). */
  constructor(private readonly shared?: SharedInternTable) {}

  get size(): number {
    return this.shared ? this.shared.size : this.items.length;
  }

  /** The array with this id. */
  get(id: number): Int32Array {
    return this.items[id] ?? this.fetch(id);
  }

  private fetch(id: number): Int32Array {
    if (!this.shared) throw new Error(`no interned array ${id}`);
    const a = this.shared.get(id);
    this.items[id] = a;
    fingerprint(a, 0, a.length, this.fp);
    this.remember(this.fp[0]! + (this.fp[1]! & 0x1fffff) * 4294967296, id);
    return a;
  }

  private remember(key: number, id: number): void {
    const hit = this.index.get(key);
    if (hit === undefined) this.index.set(key, id);
    else if (typeof hit === 'number') this.index.set(key, [hit, id]);
    else hit.push(id);
  }

  /** The id of a[0, len), copying it when new. */
  intern(a: Int32Array, len: number = a.length): number {
    return this.internAt(a, 0, len);
  }

  /** The id of a[off, off+len), copying it when new. */
  internAt(a: Int32Array, off: number, len: number): number {
    fingerprint(a, off, len, this.fp);
    const key = this.fp[0]! + (this.fp[1]! & 0x1fffff) * 4294967296;
    const hit = this.index.get(key);
    if (hit !== undefined) {
      if (typeof hit === 'number') {
        if (sameInts(this.items[hit]!, a, off, len)) return hit;
      } else {
        for (const id of hit) if (sameInts(this.items[id]!, a, off, len)) return id;
      }
    }
    const id = this.shared ? this.shared.intern(a, off, len, this.fp[0]!) : this.items.length;
    this.items[id] = a.slice(off, off + len);
    if (hit === undefined) this.index.set(key, id);
    else if (typeof hit === 'number') this.index.set(key, [hit, id]);
    else hit.push(id);
    return id;
  }
}

function sameInts(x: Int32Array, a: Int32Array, off: number, len: number): boolean {
  if (x.length !== len) return false;
  for (let i = 0; i < len; i++) if (x[i] !== a[off + i]) return false;
  return true;
}
