/* eslint-disable max-lines -- the interpreted schema and the codec compiled from it live together on purpose:
   a test compares them byte for byte, and splitting them would hide drift between the two */
/**
 * Schemas for plain-data states, compiled into a canonical integer encoding.
 *
 * An implementation's state is an ordinary TypeScript object. Its schema gives
 * the checker three things without any per-subsystem code:
 *   - `encode(value, w)`: a canonical Int32 encoding (the visited-state key),
 *   - `decode(r)`: the inverse, producing a fresh, mutable object,
 *   - `toItf(value)`: the value as an ITF expression (sets as `#set`, maps as `#map`).
 *
 * Every value is made of integers, booleans, enums, fixed arrays, bounded lists,
 * sets of small integers and records, so the encoding is a flat Int32 vector.
 */

export interface Writer {
  /** Append one 32-bit integer. */
  push(v: number): void;
}

export interface Reader {
  /** Read the next 32-bit integer. */
  next(): number;
}

export type ItfExpr = boolean | number | string | ItfExpr[] | { [k: string]: ItfExpr };

export interface Schema<T> {
  readonly kind: string;
  encode(v: T, w: Writer): void;
  decode(r: Reader): T;
  toItf(v: T): ItfExpr;
  /** Inverse of toItf, used by `replay` and trace tooling. Throws on malformed input. */
  fromItf(e: unknown, path: string): T;
  /** A type description for docs and ITF `#meta.varTypes`. */
  describe(): string;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

class IntSchema implements Schema<number> {
  readonly kind = 'int';
  encode(v: number, w: Writer): void {
    if ((v | 0) !== v)
      throw new SchemaError(`${v === undefined ? 'undefined' : JSON.stringify(v)} is not a 32-bit integer`);
    w.push(v);
  }
  decode(r: Reader): number {
    return r.next();
  }
  toItf(v: number): ItfExpr {
    return v;
  }
  fromItf(e: unknown, path: string): number {
    const n = itfInt(e);
    if (n === undefined) throw new SchemaError(`${path}: expected an integer`);
    return n;
  }
  describe(): string {
    return 'Int';
  }
}

/**
 * An integer field whose values have names (a kernel enum or #define set kept as
 * a number in the state so the impl code and the encoding stay plain ints).
 * Encodes exactly like S.int() (the codegen treats it as an IntSchema); its ITF
 * form is the name, so traces and the viewer show `V_LIVE`, not `1`. A value
 * outside the names is written as the bare integer.
 */
class NamedIntSchema extends IntSchema {
  constructor(readonly names: readonly string[]) {
    super();
  }
  override toItf(v: number): ItfExpr {
    return v >= 0 && v < this.names.length ? this.names[v]! : v;
  }
  override fromItf(e: unknown, path: string): number {
    if (typeof e === 'string') {
      const i = this.names.indexOf(e);
      if (i < 0) throw new SchemaError(`${path}: expected one of ${this.names.join('|')} or an integer`);
      return i;
    }
    return super.fromItf(e, path);
  }
  override describe(): string {
    return 'Str';
  }
}

class BoolSchema implements Schema<boolean> {
  readonly kind = 'bool';
  encode(v: boolean, w: Writer): void {
    if (v !== true && v !== false)
      throw new SchemaError(`${v === undefined ? 'undefined' : JSON.stringify(v)} is not a boolean`);
    w.push(v ? 1 : 0);
  }
  decode(r: Reader): boolean {
    return r.next() !== 0;
  }
  toItf(v: boolean): ItfExpr {
    return v;
  }
  fromItf(e: unknown, path: string): boolean {
    if (typeof e !== 'boolean') throw new SchemaError(`${path}: expected a boolean`);
    return e;
  }
  describe(): string {
    return 'Bool';
  }
}

class EnumSchema<E extends string> implements Schema<E> {
  readonly kind = 'enum';
  private readonly index = new Map<string, number>();
  constructor(readonly values: readonly E[]) {
    values.forEach((v, i) => this.index.set(v, i));
  }
  encode(v: E, w: Writer): void {
    const i = this.index.get(v);
    if (i === undefined) throw new SchemaError(`enum value '${v}' is not one of ${this.values.join('|')}`);
    w.push(i);
  }
  decode(r: Reader): E {
    return this.values[r.next()]!;
  }
  toItf(v: E): ItfExpr {
    return v;
  }
  fromItf(e: unknown, path: string): E {
    if (typeof e !== 'string' || !this.index.has(e))
      throw new SchemaError(`${path}: expected one of ${this.values.join('|')}`);
    return e as E;
  }
  describe(): string {
    return 'Str';
  }
}

/** Fixed-length array: no length prefix. */
class ArraySchema<T> implements Schema<T[]> {
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
class ListSchema<T> implements Schema<T[]> {
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
class IntSetSchema implements Schema<number[]> {
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

type Fields = Record<string, Schema<any>>;
type StructOf<F extends Fields> = { [K in keyof F]: Infer<F[K]> };

class StructSchema<F extends Fields> implements Schema<StructOf<F>> {
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

/**
 * A struct that compiles its codec on first use. Nested structs are inlined
 * into the root's generated code; the interpreted methods remain the
 * reference implementation (and serve readers that are not ArrayReaders).
 */
class CompiledStruct<F extends Fields> extends StructSchema<F> {
  private codec?: { encode(v: StructOf<F>, w: Writer): void; decode(r: ArrayReader): StructOf<F> };
  override encode(v: StructOf<F>, w: Writer): void {
    (this.codec ??= compileCodec(new StructSchema(this.fields))).encode(v, w);
  }
  override decode(r: Reader): StructOf<F> {
    if (!(r instanceof ArrayReader)) return super.decode(r);
    return (this.codec ??= compileCodec(new StructSchema(this.fields))).decode(r);
  }
}

export class SchemaError extends Error {}

/** Read an ITF integer: a JSON number or {"#bigint": "..."}. */
export function itfInt(e: unknown): number | undefined {
  if (typeof e === 'number' && Number.isInteger(e)) return e;
  const b = (e as { '#bigint'?: unknown })?.['#bigint'];
  if (typeof b === 'string' && /^-?[0-9]+$/.test(b)) {
    const n = Number(b);
    if (Number.isSafeInteger(n)) return n;
  }
  return undefined;
}

export const S = {
  int: (): Schema<number> => new IntSchema(),
  bool: (): Schema<boolean> => new BoolSchema(),
  enum: <E extends string>(...values: E[]): Schema<E> => new EnumSchema(values),
  /** An int whose values 0..names.length-1 have names: encoded as S.int(), shown by name in ITF. */
  named: (names: readonly string[]): Schema<number> => new NamedIntSchema(names),
  /** Fixed-length array of `length` elements. */
  array: <T>(elem: Schema<T>, length: number): Schema<T[]> => new ArraySchema(elem, length),
  /** Variable-length, order-significant list. */
  list: <T>(elem: Schema<T>): Schema<T[]> => new ListSchema(elem),
  /** Set of integers in [0, 30], held as a sorted array. */
  intSet: (): Schema<number[]> => new IntSetSchema(),
  struct: <F extends Fields>(fields: F): Schema<StructOf<F>> => new CompiledStruct(fields),
};

/** A growable Int32 writer, reused across calls to avoid allocation. */
export class IntBuffer implements Writer {
  buf: Int32Array;
  len = 0;
  constructor(capacity = 256) {
    this.buf = new Int32Array(capacity);
  }
  push(v: number): void {
    if (this.len === this.buf.length) {
      const nb = new Int32Array(this.buf.length * 2);
      nb.set(this.buf);
      this.buf = nb;
    }
    this.buf[this.len++] = v;
  }
  reset(): void {
    this.len = 0;
  }
  /** A copy of the written prefix. */
  toArray(): Int32Array {
    return this.buf.slice(0, this.len);
  }
}

export class ArrayReader implements Reader {
  pos: number;
  constructor(
    public buf: Int32Array,
    start = 0,
  ) {
    this.pos = start;
  }
  next(): number {
    return this.buf[this.pos++]!;
  }
}

// ---------------------------------------------------------------------------
// Code generation: a struct schema compiles itself (on first use) into two
// straight-line functions, so decode builds object literals with stable
// shapes and encode makes no virtual calls. Behaviour is identical to the
// interpreted methods above; schema.test.ts checks that.
// ---------------------------------------------------------------------------

interface Gen {
  helpers: unknown[];
  n: number;
}

function helper(g: Gen, h: unknown): string {
  g.helpers.push(h);
  return `h[${g.helpers.length - 1}]`;
}

const INT_CHECK = (path: string, x: string) => `if ((${x} | 0) !== ${x}) bad(${JSON.stringify(path)}, ${x});`;

function genDecode(s: Schema<any>, g: Gen): string {
  if (s instanceof IntSchema) return 'b[r.pos++]';
  if (s instanceof BoolSchema) return '(b[r.pos++] !== 0)';
  if (s instanceof EnumSchema) return `${helper(g, s.values)}[b[r.pos++]]`;
  if (s instanceof ArraySchema && s.length <= 32) {
    const items: string[] = [];
    for (let i = 0; i < s.length; i++) items.push(genDecode(s.elem, g));
    return `[${items.join(', ')}]`;
  }
  if (s instanceof StructSchema) {
    const fields = s.keys.map((k, i) => `${JSON.stringify(k)}: ${genDecode((s as any).schemas[i], g)}`);
    return `{${fields.join(', ')}}`;
  }
  if (s instanceof ListSchema || s instanceof ArraySchema) {
    // a loop calling a compiled element decoder
    const elem = compileCodec(s.elem).decode;
    const fixed = s instanceof ArraySchema ? s.length : -1;
    const loop = (r: ArrayReader) => {
      const n = fixed >= 0 ? fixed : r.buf[r.pos++]!;
      const out = new Array(n);
      for (let i = 0; i < n; i++) out[i] = elem(r);
      return out;
    };
    return `${helper(g, loop)}(r)`;
  }
  // sets and anything else: the interpreted decoder (it reads through r)
  return `${helper(g, s)}.decode(r)`;
}

function genEncode(s: Schema<any>, v: string, path: string, g: Gen): string {
  const x = `x${g.n++}`;
  if (s instanceof IntSchema) return `{ const ${x} = ${v}; ${INT_CHECK(path, x)} w.push(${x}); }`;
  if (s instanceof BoolSchema)
    return `{ const ${x} = ${v}; if (${x} !== true && ${x} !== false) bad(${JSON.stringify(path)}, ${x}); w.push(${x} ? 1 : 0); }`;
  if (s instanceof ArraySchema && s.length <= 32) {
    const parts = [
      `const ${x} = ${v};`,
      `if (!${x} || ${x}.length !== ${s.length}) bad(${JSON.stringify(path)}, ${x});`,
    ];
    for (let i = 0; i < s.length; i++) parts.push(genEncode(s.elem, `${x}[${i}]`, `${path}[${i}]`, g));
    return `{ ${parts.join(' ')} }`;
  }
  if (s instanceof StructSchema) {
    const parts = [
      `const ${x} = ${v};`,
      `if (${x} === null || typeof ${x} !== 'object') bad(${JSON.stringify(path)}, ${x});`,
    ];
    s.keys.forEach((k, i) =>
      parts.push(genEncode((s as any).schemas[i], `${x}[${JSON.stringify(k)}]`, `${path}.${k}`, g)),
    );
    return `{ ${parts.join(' ')} }`;
  }
  if (s instanceof ListSchema || s instanceof ArraySchema) {
    const elem = compileCodec(s.elem, `${path}[]`).encode;
    const fixed = s instanceof ArraySchema ? s.length : -1;
    const loop = (a: unknown[], w: Writer) => {
      if (!Array.isArray(a) || (fixed >= 0 && a.length !== fixed)) badValue(path, a);
      if (fixed < 0) w.push(a.length);
      for (let i = 0; i < a.length; i++) elem(a[i], w);
    };
    return `${helper(g, loop)}(${v}, w);`;
  }
  return `${helper(g, s)}.encode(${v}, w);`;
}

function badValue(path: string, v: unknown): never {
  throw new SchemaError(
    `${path || 'state'}: ${v === undefined ? 'undefined' : JSON.stringify(v)} does not fit the schema`,
  );
}

/** Compile a schema's encode/decode into straight-line code (used for struct roots). */
export function compileCodec<T>(s: Schema<T>, root = ''): { encode(v: T, w: Writer): void; decode(r: ArrayReader): T } {
  if (s instanceof CompiledStruct) s = new StructSchema((s as CompiledStruct<any>).fields) as unknown as Schema<T>;
  const g: Gen = { helpers: [], n: 0 };
  const dec = genDecode(s, g);
  const enc = genEncode(s, 'v', root, g);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const decode = new Function('h', `return function decode(r) { const b = r.buf; return ${dec}; };`)(g.helpers);
  const encode = new Function('h', 'bad', `return function encode(v, w) { ${enc} };`)(g.helpers, badValue);
  return { encode, decode };
}
