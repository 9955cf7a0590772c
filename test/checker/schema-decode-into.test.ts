/**
 * The reusing decoder (compileDecodeInto, CompiledStruct.reusingDecoder): every
 * call returns the same object, holding exactly what decode() would build,
 * whatever the caller did to the previous value (a step runs on it: it
 * replaces fields, changes elements, aliases arrays); it reads the same words.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ArrayReader, IntBuffer, S, type Schema } from '../../checker/schema.js';
import { compileDecodeInto } from '../../checker/schema/codegen.js';

const Page = S.struct({ nid: S.int(), flags: S.array(S.bool(), 2) });
const State = S.struct({
  free: S.int(),
  flags: S.array(S.bool(), 3),
  mode: S.enum('shared', 'private', 'noreserve'),
  regions: S.list(S.struct({ from: S.int(), to: S.int() })),
  idx: S.intSet(),
  pages: S.array(Page, 2),
  nested: S.struct({ a: S.int(), b: S.array(S.int(), 2) }),
});
type St = typeof State extends Schema<infer T> ? T : never;

const arbPage = fc.record({ nid: fc.integer({ min: -3, max: 3 }), flags: fc.tuple(fc.boolean(), fc.boolean()) });
const arbState: fc.Arbitrary<St> = fc.record({
  free: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  flags: fc.tuple(fc.boolean(), fc.boolean(), fc.boolean()),
  mode: fc.constantFrom('shared' as const, 'private' as const, 'noreserve' as const),
  regions: fc.array(fc.record({ from: fc.integer({ min: 0, max: 9 }), to: fc.integer({ min: 0, max: 9 }) }), {
    maxLength: 3,
  }),
  idx: fc.uniqueArray(fc.integer({ min: 0, max: 30 }), { maxLength: 4 }).map((a) => a.sort((x, y) => x - y)),
  pages: fc.tuple(arbPage, arbPage),
  nested: fc.record({ a: fc.integer({ min: -5, max: 5 }), b: fc.tuple(fc.integer(), fc.integer()) }),
}) as fc.Arbitrary<St>;

function enc(v: St): Int32Array {
  const w = new IntBuffer(4);
  State.encode(v, w);
  return w.toArray();
}

/** What a step may do to the value it runs on. */
function scribble(g: any, k: number): void {
  switch (k % 6) {
    case 0:
      g.flags[1] = !g.flags[1];
      g.free++;
      break;
    case 1:
      g.flags = [true, true, true]; // a field replaced by a fresh array
      g.pages[0].flags[0] = !g.pages[0].flags[0];
      break;
    case 2:
      g.nested.b = g.pages[1].flags; // aliasing inside the state
      g.pages[1] = g.pages[0];
      break;
    case 3:
      g.regions.push({ from: 1, to: 2 });
      g.idx.push(29);
      break;
    case 4:
      g.nested = { a: 99, b: [7, 7] };
      g.mode = 'private';
      break;
    default:
      break;
  }
}

describe('reusing decoder', () => {
  test('equals decode() on every call, whatever the caller did to the last value', () => {
    const into = compileDecodeInto(State);
    fc.assert(
      fc.property(fc.array(fc.tuple(arbState, fc.nat()), { minLength: 1, maxLength: 8 }), (xs) => {
        let first: unknown;
        for (const [v, k] of xs) {
          const e = enc(v);
          const g = into(new ArrayReader(e));
          first ??= g;
          expect(g).toBe(first); // one value, reused
          expect(g).toEqual(State.decode(new ArrayReader(e)));
          expect(g).toEqual(v);
          scribble(g, k);
        }
      }),
    );
  });

  test('reads exactly the words decode() reads, from any position', () => {
    const into = compileDecodeInto(State);
    fc.assert(
      fc.property(arbState, fc.nat({ max: 5 }), (v, pad) => {
        const e = enc(v);
        const buf = new Int32Array(pad + e.length + 3).fill(-7);
        buf.set(e, pad);
        const r = new ArrayReader(buf, pad);
        const r2 = new ArrayReader(buf, pad);
        expect(into(r)).toEqual(State.decode(r2));
        expect(r.pos).toBe(r2.pos);
        expect(r.pos).toBe(pad + e.length);
      }),
    );
  });

  test('two decoders do not share their values', () => {
    const a = (State as any).reusingDecoder() as (r: ArrayReader) => St;
    const b = (State as any).reusingDecoder() as (r: ArrayReader) => St;
    const va = enc({ ...sample(), free: 1 });
    const vb = enc({ ...sample(), free: 2 });
    const ga = a(new ArrayReader(va));
    const gb = b(new ArrayReader(vb));
    expect(ga).not.toBe(gb);
    expect(ga.flags).not.toBe(gb.flags);
    expect(ga.free).toBe(1);
    expect(gb.free).toBe(2);
  });

  test('a property added to a reused struct throws instead of surviving into the next call', () => {
    const into = compileDecodeInto(State);
    const g = into(new ArrayReader(enc(sample()))) as any;
    expect(() => {
      'use strict';
      g.extra = 1;
    }).toThrow(TypeError);
    expect(() => {
      g.nested.extra = 1;
    }).toThrow(TypeError);
  });
});

function sample(): St {
  return {
    free: 0,
    flags: [false, true, false],
    mode: 'shared',
    regions: [{ from: 0, to: 1 }],
    idx: [3],
    pages: [
      { nid: 0, flags: [true, false] },
      { nid: 1, flags: [false, false] },
    ],
    nested: { a: 1, b: [2, 3] },
  } as St;
}
