/** The packed form of queued vectors: exact round trip, sizes of each kind of value, the length limit. */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  headLen,
  headWords,
  MAX_PACKED_LEN,
  maxPackedWords,
  packHead,
  packInto,
  unpackFrom,
} from '../../checker/store/pack.js';

function packed(v: readonly number[]): { bytes: number; back: number[] } {
  const vec = Int32Array.from(v);
  const dst = new Uint8Array(4 * maxPackedWords(v.length) + 8).fill(0xee);
  const bytes = packInto(vec, 0, v.length, dst, 3);
  const out = new Int32Array(v.length);
  unpackFrom(dst, 3, v.length, out);
  return { bytes, back: Array.from(out) };
}

describe('pack', () => {
  test('round trip of any vector, within maxPackedWords', () => {
    const val = fc.oneof(fc.constant(0), fc.integer({ min: -100, max: 100 }), fc.integer());
    fc.assert(
      fc.property(fc.array(val, { maxLength: 300 }), (v) => {
        const { bytes, back } = packed(v);
        expect(back).toEqual(v);
        expect(bytes).toBeLessThanOrEqual(4 * maxPackedWords(v.length));
      }),
    );
  });

  test('bytes per value: 1 for -32..31, 2 up to 8191, 5 for the extremes; one byte per run of up to 65 zeros', () => {
    expect(packed([-32, 31, 0]).bytes).toBe(3);
    expect(packed([-33, 32, 8191, -8192]).bytes).toBe(8);
    expect(packed([8192]).bytes).toBe(3);
    expect(packed([-0x80000000, 0x7fffffff]).bytes).toBe(10);
    expect(packed(new Array<number>(65).fill(0)).bytes).toBe(1);
    expect(packed(new Array<number>(66).fill(0)).bytes).toBe(2);
    expect(packed([0, 0, 7, 0]).bytes).toBe(3);
  });

  test('head word: length and payload words; a longer vector is an error', () => {
    const h = packHead(MAX_PACKED_LEN, 0xffff, 'queue');
    expect([headLen(h), headWords(h)]).toEqual([MAX_PACKED_LEN, 0xffff]);
    expect(() => packHead(MAX_PACKED_LEN + 1, 1, 'queue')).toThrow('state vector too long for the queue');
  });
});
