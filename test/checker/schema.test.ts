/**
 * Schemas: decode(encode(x)) == x for generated values, the compiled codec is
 * byte-identical to the interpreted one, and values that do not fit the schema
 * are rejected instead of being silently truncated.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ArrayReader, IntBuffer, S, SchemaError, compileCodec, type Schema } from '../../checker/schema.js';
import { FingerprintSet, fingerprint } from '../../checker/fingerprint.js';
import { Interner } from '../../checker/intern.js';

const Region = S.struct({ from: S.int(), to: S.int() });
const State = S.struct({
  free: S.int(),
  flags: S.array(S.bool(), 3),
  mode: S.enum('shared', 'private', 'noreserve'),
  regions: S.list(Region),
  idx: S.intSet(),
  nested: S.struct({ a: S.int(), b: S.array(S.int(), 2) }),
});

const arbState = fc.record({
  free: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  flags: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
  mode: fc.constantFrom('shared' as const, 'private' as const, 'noreserve' as const),
  regions: fc.array(fc.record({ from: fc.integer({ min: 0, max: 9 }), to: fc.integer({ min: 0, max: 9 }) }), {
    maxLength: 4,
  }),
  idx: fc.uniqueArray(fc.integer({ min: 0, max: 30 }), { maxLength: 6 }).map((a) => a.sort((x, y) => x - y)),
  nested: fc.record({ a: fc.integer({ min: -5, max: 5 }), b: fc.array(fc.integer(), { minLength: 2, maxLength: 2 }) }),
});

function enc<T>(s: Schema<T>, v: T): Int32Array {
  const w = new IntBuffer(4);
  s.encode(v, w);
  return w.toArray();
}

describe('schema codec', () => {
  test('round trip', () => {
    fc.assert(
      fc.property(arbState, (v) => {
        const e = enc(State, v);
        expect(State.decode(new ArrayReader(e))).toEqual(v);
      }),
    );
  });

  test('compiled codec equals the interpreted one', () => {
    const compiled = compileCodec(State);
    fc.assert(
      fc.property(arbState, (v) => {
        const w = new IntBuffer(4);
        compiled.encode(v, w);
        const interpreted = new IntBuffer(4);
        // the interpreted StructSchema.encode (the prototype CompiledStruct overrides)
        const structProto = Object.getPrototypeOf(Object.getPrototypeOf(State));
        expect(structProto.encode).not.toBe((State as any).encode);
        structProto.encode.call(State, v, interpreted);
        expect(w.toArray()).toEqual(interpreted.toArray());
        expect(compiled.decode(new ArrayReader(w.toArray()))).toEqual(v);
      }),
    );
  });

  test('ITF round trip', () => {
    fc.assert(
      fc.property(arbState, (v) => {
        expect(State.fromItf(JSON.parse(JSON.stringify(State.toItf(v))), 's')).toEqual(v);
      }),
    );
  });

  test('values that do not fit are rejected, not truncated', () => {
    const base = {
      free: 1,
      flags: [true, false, true],
      mode: 'shared' as const,
      regions: [],
      idx: [],
      nested: { a: 0, b: [0, 0] },
    };
    expect(() => enc(State, { ...base, free: 1.5 })).toThrow(SchemaError);
    expect(() => enc(State, { ...base, free: undefined as unknown as number })).toThrow(/free/);
    expect(() => enc(State, { ...base, flags: [true] })).toThrow(SchemaError);
    expect(() => enc(State, { ...base, mode: 'bogus' as 'shared' })).toThrow(/bogus/);
    expect(() => enc(State, { ...base, idx: [31] })).toThrow(SchemaError);
    expect(() => enc(State, { ...base, nested: { a: 2 ** 40, b: [0, 0] } })).toThrow(/nested\.a/);
  });
});

describe('fingerprints', () => {
  test('the table agrees with a Set on random fingerprints, across growth', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 3 })), { maxLength: 3000 }),
        (pairs) => {
          const t = new FingerprintSet(4);
          const s = new Set<string>();
          for (const [a, b] of pairs) {
            const added = t.add(a >>> 0, b >>> 0);
            expect(added).toBe(!s.has(`${a},${b}`));
            s.add(`${a},${b}`);
          }
          expect(t.size).toBe(s.size);
          for (const [a, b] of pairs) expect(t.has(a, b)).toBe(true);
        },
      ),
    );
  });

  test('(0,0) is a storable fingerprint', () => {
    const t = new FingerprintSet(4);
    expect(t.add(0, 0)).toBe(true);
    expect(t.add(0, 0)).toBe(false);
    expect(t.has(0, 0)).toBe(true);
  });

  test('the hash depends on every element and on the length', () => {
    const out = new Uint32Array(2);
    const seen = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const v = new Int32Array(8);
      v[i] = 1;
      fingerprint(v, 0, 8, out);
      seen.add(`${out[0]},${out[1]}`);
    }
    fingerprint(new Int32Array(7), 0, 7, out);
    seen.add(`${out[0]},${out[1]}`);
    fingerprint(new Int32Array(8), 0, 8, out);
    seen.add(`${out[0]},${out[1]}`);
    expect(seen.size).toBe(10);
  });
});

describe('interning', () => {
  test('deep-equal values get the same id regardless of key order', () => {
    const i = new Interner();
    const a = i.intern({ x: 1, s: [1, 2], m: { p: true } });
    const b = i.intern({ m: { p: true }, s: [1, 2], x: 1 });
    const c = i.intern({ x: 1, s: [2, 1], m: { p: true } });
    const d = i.intern({ x: '1', s: [1, 2], m: { p: true } });
    expect(a).toBe(b);
    expect(new Set([a, c, d]).size).toBe(3);
  });
});

describe('incremental (Zobrist) fingerprints', () => {
  test('the keys are the same with and without the precomputed position keys (fingerprints did not move)', async () => {
    const { zobrist, z1, z2 } = await import('../../checker/fingerprint.js');
    // values of the closed form fmix(v ^ fmix(i + c)) before the tables (checker/fingerprint.ts POS1/POS2)
    expect([z1(5000, 3) >>> 0, z2(5000, 3) >>> 0, z1(-1, 22) >>> 0, z2(4095, -7) >>> 0, z1(4096, 9) >>> 0]).toEqual([
      3169883842, 2786477179, 3066494147, 2146595585, 3122938714,
    ]);
    const fp = new Uint32Array(2);
    zobrist(Int32Array.from([0, 1, -1, 7, 123456, -99, 3, 0, 2, 5]), 0, 10, fp);
    expect([...fp]).toEqual([3011564417, 104406034]);
    const big = new Int32Array(5000);
    for (let i = 0; i < 5000; i++) big[i] = ((i * 7919) % 13) - 6;
    zobrist(big, 0, 5000, fp);
    expect([...fp]).toEqual([2618928769, 523301104]);
  });

  test('zobristFrom(parent) equals the full fingerprint, for any parent', async () => {
    const { zobrist, zobristFrom } = await import('../../checker/fingerprint.js');
    const vec = fc.array(fc.integer({ min: -4, max: 4 }), { maxLength: 12 });
    fc.assert(
      fc.property(vec, vec, (p, c) => {
        const pa = Int32Array.from(p);
        const ca = Int32Array.from(c);
        const fp = new Uint32Array(2);
        zobrist(pa, 0, pa.length, fp);
        const [a, b] = [fp[0]!, fp[1]!];
        const inc = new Uint32Array(2);
        zobristFrom(pa, 0, pa.length, a, b, ca, ca.length, inc);
        zobrist(ca, 0, ca.length, fp);
        expect([...inc]).toEqual([...fp]);
      }),
    );
  });

  test('no collisions among all 4^6 vectors of length 6 and their prefixes', async () => {
    const { zobrist } = await import('../../checker/fingerprint.js');
    const seen = new Set<string>();
    const fp = new Uint32Array(2);
    let n = 0;
    for (let len = 0; len <= 6; len++) {
      const v = new Int32Array(len);
      for (let k = 0; k < 4 ** len; k++) {
        for (let i = 0, x = k; i < len; i++, x >>= 2) v[i] = x & 3;
        zobrist(v, 0, len, fp);
        seen.add(`${fp[0]},${fp[1]}`);
        n++;
      }
    }
    expect(seen.size).toBe(n);
  });
});
