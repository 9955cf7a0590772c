/**
 * IntTable (checker/store/int-table.ts), dense ids for Int32 arrays: ids in
 * order of first sight, the same id for equal values through growth, and
 * clear() (the step memo past its cap) forgetting every value while keeping
 * its arrays: ids start at 0 again, no old value is found or held.
 */
import { describe, expect, test } from 'vitest';
import { IntTable } from '../../checker/store/int-table.js';

/** Values of lengths 0..40 with small words, some repeated. */
function values(n: number, seed: number): Int32Array[] {
  const out: Int32Array[] = [];
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const len = seed % 41;
    const v = new Int32Array(len);
    for (let k = 0; k < len; k++) v[k] = ((seed >>> (k % 24)) % 7) - 3 + (i % 50);
    out.push(v);
  }
  return out;
}

function check(t: IntTable, vs: Int32Array[]): void {
  const ref = new Map<string, number>();
  for (const v of vs) {
    const k = v.join(',') + `/${v.length}`;
    const want = ref.get(k) ?? ref.size;
    ref.set(k, want);
    // the value sits inside a larger array, at an offset
    const host = new Int32Array(v.length + 5).fill(99);
    host.set(v, 3);
    expect(t.intern(host, 3, v.length)).toBe(want);
  }
  expect(t.size).toBe(ref.size);
  for (const v of vs) {
    const id = ref.get(v.join(',') + `/${v.length}`)!;
    expect(Array.from(t.arena.subarray(t.startOf(id), t.startOf(id) + t.lenOf(id)))).toEqual(Array.from(v));
    expect(t.holds(id, v, 0, v.length)).toBe(true);
  }
}

describe('IntTable', () => {
  test('ids in order of first sight, equal values one id, through growth', () => {
    check(new IntTable(), values(20_000, 7));
  });

  test('clear() forgets every value: ids from 0 again, old ids neither found nor held', () => {
    const t = new IntTable();
    const first = values(20_000, 7);
    check(t, first);
    const grown = t.arena.length;
    t.clear();
    expect(t.size).toBe(0);
    expect(t.words).toBe(0);
    expect(t.arena.length).toBe(grown); // its arrays are kept
    for (const v of first.slice(0, 50)) expect(t.holds(0, v, 0, v.length)).toBe(false);
    const second = values(5_000, 99);
    check(t, second);
    // a value of the first round only, interned now, gets the next id, not its old one
    const onlyFirst = first.find((v) => !second.some((w) => w.join(',') === v.join(',') && w.length === v.length))!;
    expect(t.intern(onlyFirst, 0, onlyFirst.length)).toBe(t.size - 1);
  });
});
