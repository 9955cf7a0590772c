/**
 * Scalar schemas: 32-bit integers, named integers (kernel enums kept as
 * numbers), booleans and string enums. Each encodes to one Int32.
 */
import { itfInt, SchemaError, type ItfExpr, type Reader, type Schema, type Writer } from './core.js';

export class IntSchema implements Schema<number> {
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
export class NamedIntSchema extends IntSchema {
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

export class BoolSchema implements Schema<boolean> {
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

export class EnumSchema<E extends string> implements Schema<E> {
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
