/**
 * The schema interface every state schema implements, the Int32 writer and
 * reader the encodings go through, and the ITF integer reader shared by the
 * scalar and container schemas (see ../schema.ts for the overview).
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
  /** Room for `n` integers in buf (the written prefix is kept). */
  reserve(n: number): void {
    if (n <= this.buf.length) return;
    const nb = new Int32Array(Math.max(n, 2 * this.buf.length));
    nb.set(this.buf.subarray(0, this.len));
    this.buf = nb;
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
