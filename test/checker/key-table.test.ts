/**
 * KeyTable (checker/store/key-table.ts), the step memo's entries by key,
 * against a Map: every key keeps its own value through the table's growth,
 * keys that differ in one word only are distinct, and a new key reads 0.
 */
import { describe, expect, test } from 'vitest';
import { KeyTable } from '../../checker/store/key-table.js';

describe('KeyTable', () => {
  test.each([
    ['c hashed whole', () => new KeyTable()],
    ['near bits 3..18 of c (the step memo)', () => new KeyTable(3, 16)],
  ])('%s: agrees with a Map over 20,000 keys (many growths), negative words included', (_n, make) => {
    const t = make();
    const ref = new Map<string, number>();
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const wrong: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      // small dense words, as the memo's impl and block ids are, and the packed third word with its sign bit
      const a = rnd(3000);
      const b = rnd(40);
      const c = rnd(4) | (rnd(3) << 3) | (rnd(2) << 31);
      const k = `${a},${b},${c}`;
      const s = t.slot(a, b, c);
      if (t.get(s) !== (ref.get(k) ?? 0)) wrong.push(k);
      t.set(s, i + 1);
      ref.set(k, i + 1);
    }
    expect(wrong).toEqual([]);
    expect(t.size).toBe(ref.size);
    for (const [k, v] of ref) {
      const [a, b, c] = k.split(',').map(Number) as [number, number, number];
      if (t.get(t.slot(a, b, c)) !== v) wrong.push(k);
    }
    expect(wrong).toEqual([]);
    expect(t.size).toBe(ref.size);
  });

  test('keys one word apart are distinct', () => {
    const t = new KeyTable();
    t.set(t.slot(0, 0, 0), 7);
    expect(t.get(t.slot(1, 0, 0))).toBe(0);
    expect(t.get(t.slot(0, 1, 0))).toBe(0);
    expect(t.get(t.slot(0, 0, 1))).toBe(0);
    expect(t.get(t.slot(0, 0, -1))).toBe(0);
    expect(t.get(t.slot(0, 0, 0))).toBe(7);
    expect(t.size).toBe(5);
  });

  test('keys that differ only in the near bits of c start in neighbouring slots, and stay distinct', () => {
    const t = new KeyTable(3, 16);
    const words = 4 * 4096; // the table's first size: no growth below
    const c = (alt: number) => 2 | (alt << 3) | (1 << 19);
    const s0 = t.slot(70, 11, c(0));
    t.set(s0, 100);
    for (let alt = 1; alt < 6; alt++) {
      const s = t.slot(70, 11, c(alt));
      expect((s - s0 + words) % words).toBe(4 * alt);
      t.set(s, 100 + alt);
    }
    for (let alt = 0; alt < 6; alt++) expect(t.get(t.slot(70, 11, c(alt)))).toBe(100 + alt);
    expect(t.get(t.slot(70, 11, c(6)))).toBe(0);
    expect(t.size).toBe(7);
  });
});
