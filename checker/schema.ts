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
 *
 * One concern per file under schema/: core.ts (the Schema interface, Int32
 * writer and reader), scalars.ts, containers.ts, and codegen.ts (the compiled
 * struct codec). This module is the public face: `S` and the re-exports.
 */
import { NamedIntSchema, IntSchema, BoolSchema, EnumSchema } from './schema/scalars.js';
import { ArraySchema, IntSetSchema, ListSchema, type Fields, type StructOf } from './schema/containers.js';
import { CompiledStruct } from './schema/codegen.js';
import type { Schema } from './schema/core.js';

export {
  ArrayReader,
  IntBuffer,
  itfInt,
  SchemaError,
  type Infer,
  type ItfExpr,
  type Reader,
  type Schema,
  type Writer,
} from './schema/core.js';
export { compileCodec } from './schema/codegen.js';

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
