/**
 * Schema strictness, the compiled codec against the interpreted one on
 * nested lists and arrays, and incremental fingerprints of variable-length vectors.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { zobrist, zobristFrom } from '../../checker/fingerprint.js';
import { ArrayReader, IntBuffer, S, type Schema } from '../../checker/schema.js';

describe('schema strictness', () => {
  test('an intSet rejects members that are not integers', () => {
    const w = new IntBuffer(4);
    for (const bad of [1.5, Number.NaN, '3', true]) {
      expect(() => S.intSet().encode([bad as number], w)).toThrow();
      expect(() => S.struct({ s: S.intSet() }).encode({ s: [bad as number] }, w)).toThrow();
    }
  });

  // Interpreted reference: StructSchema.prototype methods (CompiledStruct overrides them).
  const interpreted = <T>(s: Schema<T>) => Object.getPrototypeOf(Object.getPrototypeOf(s)) as Schema<T>;
  const Deep = S.struct({
    big: S.array(S.int(), 40),
    lol: S.list(S.list(S.int())),
    aos: S.array(S.struct({ a: S.int(), b: S.bool(), c: S.list(S.enum('x', 'y')) }), 3),
    los: S.list(S.struct({ s: S.intSet(), q: S.array(S.list(S.int()), 2) })),
  });
  const arb = fc.record({
    big: fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { minLength: 40, maxLength: 40 }),
    lol: fc.array(fc.array(fc.integer({ min: -9, max: 9 }), { maxLength: 3 }), { maxLength: 3 }),
    aos: fc.array(
      fc.record({
        a: fc.integer({ min: -9, max: 9 }),
        b: fc.boolean(),
        c: fc.array(fc.constantFrom('x' as const, 'y' as const), { maxLength: 2 }),
      }),
      { minLength: 3, maxLength: 3 },
    ),
    los: fc.array(
      fc.record({
        s: fc.uniqueArray(fc.integer({ min: 0, max: 30 }), { maxLength: 4 }).map((a) => a.sort((x, y) => x - y)),
        q: fc.array(fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 2 }), { minLength: 2, maxLength: 2 }),
      }),
      { maxLength: 3 },
    ),
  });
  test('compiled codec equals the interpreted one on nested lists and arrays', () => {
    fc.assert(
      fc.property(arb, (v) => {
        const a = new IntBuffer(4);
        const b = new IntBuffer(4);
        Deep.encode(v, a);
        interpreted(Deep).encode.call(Deep, v, b);
        expect(a.toArray()).toEqual(b.toArray());
        expect(Deep.decode(new ArrayReader(a.toArray()))).toEqual(v);
        expect(
          interpreted(Deep).decode.call(Deep, {
            next: (
              (r) => () =>
                r.next()
            )(new ArrayReader(a.toArray())),
          }),
        ).toEqual(v);
      }),
    );
  });
});

describe('incremental fingerprints', () => {
  test('zobristFrom equals zobrist for vectors of different lengths', () => {
    const vec = fc.array(fc.integer({ min: -3, max: 3 }), { maxLength: 12 }).map((a) => Int32Array.from(a));
    fc.assert(
      fc.property(vec, vec, fc.integer({ min: 0, max: 3 }), (p, c, off) => {
        const padded = new Int32Array(p.length + off);
        padded.set(p, off);
        const fp = new Uint32Array(2);
        zobrist(p, 0, p.length, fp);
        const [pa, pb] = [fp[0]!, fp[1]!];
        const inc = new Uint32Array(2);
        zobristFrom(padded, off, p.length, pa, pb, c, c.length, inc);
        zobrist(c, 0, c.length, fp);
        expect([...inc]).toEqual([...fp]);
      }),
    );
  });
});
