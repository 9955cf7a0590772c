/**
 * Container schemas: fixed arrays, length-prefixed lists, sets of small
 * integers (one bit mask) and records. These are the interpreted codecs; the
 * straight-line codecs in codegen.ts are generated from them and must agree
 * with them bit for bit (test/checker/schema.test.ts).
 */
import { itfInt, SchemaError, type Infer, type ItfExpr, type Reader, type Schema, type Writer } from './core.js';

/** Fixed-length array: no length prefix. */
export class ArraySchema<T> implements Schema<T[]> {
  readonly kind = 'array';
  constructor(
    readonly elem: Schema<T>,
    readonly length: number,
  ) {}
  encode(v: T[], w: Writer): void {
    if (v.length !== this.length) throw new SchemaError(`fixed array of length ${this.length} has length ${v.length}`);
    for (let i = 0; i < this.length; i++) this.elem.encode(v[i]!, w);
  }
  decode(r: Reader): T[] {
    const out = new Array<T>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.elem.decode(r);
    return out;
  }
  toItf(v: T[]): ItfExpr {
    return v.map((x) => this.elem.toItf(x));
  }
  fromItf(e: unknown, path: string): T[] {
    if (!Array.isArray(e) || e.length !== this.length)
      throw new SchemaError(`${path}: expected a list of length ${this.length}`);
    return e.map((x, i) => this.elem.fromItf(x, `${path}[${i}]`));
  }
  describe(): string {
    return `Seq(${this.elem.describe()})`;
  }
}

/** Variable-length list (length-prefixed). Order is significant. */
export class ListSchema<T> implements Schema<T[]> {
  readonly kind = 'list';
  constructor(readonly elem: Schema<T>) {}
  encode(v: T[], w: Writer): void {
    w.push(v.length);
    for (let i = 0; i < v.length; i++) this.elem.encode(v[i]!, w);
  }
  decode(r: Reader): T[] {
    const n = r.next();
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = this.elem.decode(r);
    return out;
  }
  toItf(v: T[]): ItfExpr {
    return v.map((x) => this.elem.toItf(x));
  }
  fromItf(e: unknown, path: string): T[] {
    if (!Array.isArray(e)) throw new SchemaError(`${path}: expected a list`);
    return e.map((x, i) => this.elem.fromItf(x, `${path}[${i}]`));
  }
  describe(): string {
    return `Seq(${this.elem.describe()})`;
  }
}

/**
 * A set of small non-negative integers kept as a sorted array. Encoded as a
 * 31-bit mask when all members are < 31, which is the common case; the schema
 * requires members in [0, 31).
 */
export class IntSetSchema implements Schema<number[]> {
  readonly kind = 'intset';
  encode(v: number[], w: Writer): void {
    let m = 0;
    for (let i = 0; i < v.length; i++) {
      const x = v[i]!;
      if (!Number.isInteger(x) || x < 0 || x > 30)
        throw new SchemaError(`intset member ${JSON.stringify(x) ?? String(x)} is not an integer in [0, 30]`);
      m |= 1 << x;
    }
    w.push(m);
  }
  decode(r: Reader): number[] {
    let m = r.next();
    const out: number[] = [];
    for (let i = 0; m !== 0; i++, m >>>= 1) if (m & 1) out.push(i);
    return out;
  }
  toItf(v: number[]): ItfExpr {
    return { '#set': [...v].sort((a, b) => a - b) };
  }
  fromItf(e: unknown, path: string): number[] {
    const items = (e as { '#set'?: unknown })?.['#set'];
    if (!Array.isArray(items)) throw new SchemaError(`${path}: expected {"#set": [...]}`);
    const out = items.map((x, i) => {
      const n = itfInt(x);
      if (n === undefined) throw new SchemaError(`${path}[${i}]: expected an integer`);
      return n;
    });
    return [...new Set(out)].sort((a, b) => a - b);
  }
  describe(): string {
    return 'Set(Int)';
  }
}

export type Fields = Record<string, Schema<any>>;
export type StructOf<F extends Fields> = { [K in keyof F]: Infer<F[K]> };

export class StructSchema<F extends Fields> implements Schema<StructOf<F>> {
  readonly kind = 'struct';
  readonly keys: (keyof F & string)[];
  private readonly schemas: Schema<any>[];
  constructor(readonly fields: F) {
    this.keys = Object.keys(fields) as (keyof F & string)[];
    this.schemas = this.keys.map((k) => fields[k]!);
  }
  encode(v: StructOf<F>, w: Writer): void {
    const keys = this.keys;
    const schemas = this.schemas;
    for (let i = 0; i < keys.length; i++) schemas[i]!.encode((v as any)[keys[i]!], w);
  }
  decode(r: Reader): StructOf<F> {
    const out: any = {};
    const keys = this.keys;
    const schemas = this.schemas;
    for (let i = 0; i < keys.length; i++) out[keys[i]!] = schemas[i]!.decode(r);
    return out;
  }
  toItf(v: StructOf<F>): ItfExpr {
    const out: Record<string, ItfExpr> = {};
    for (let i = 0; i < this.keys.length; i++) {
      const k = this.keys[i]!;
      out[k] = this.schemas[i]!.toItf((v as any)[k]);
    }
    return out;
  }
  fromItf(e: unknown, path: string): StructOf<F> {
    if (typeof e !== 'object' || e === null || Array.isArray(e)) throw new SchemaError(`${path}: expected a record`);
    const out: any = {};
    for (let i = 0; i < this.keys.length; i++) {
      const k = this.keys[i]!;
      if (!(k in (e as object))) throw new SchemaError(`${path}: missing field '${k}'`);
      out[k] = this.schemas[i]!.fromItf((e as any)[k], `${path}.${k}`);
    }
    return out;
  }
  describe(): string {
    return `[${this.keys.map((k, i) => `${k}: ${this.schemas[i]!.describe()}`).join(', ')}]`;
  }
}
