/** The stores: the packed queue returns exactly what was pushed; trace links keep wide edges; bitstate counts. */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Links, StateQueue } from '../../checker/store/queue.js';
import { BitstateStore, ExactStore } from '../../checker/store/visited.js';

describe('stores', () => {
  test('StateQueue: FIFO round trip of vectors of every size of value and runs of zeros (boundaries included), with or without hints', () => {
    const val = fc.oneof(
      fc.constant(0),
      fc.constant(0),
      fc.integer({ min: -128, max: 127 }),
      fc.integer({ min: -32768, max: 32767 }),
      fc.integer({ min: -0x80000000, max: 0x7fffffff }),
      fc.constantFrom(-129, 128, -32769, 32768, -1, 0, -33, -32, 31, 32, 63, 64, 8191, 8192),
    );
    fc.assert(
      fc.property(
        fc.array(fc.array(val, { maxLength: 200 }), { minLength: 1, maxLength: 50 }),
        fc.boolean(),
        (vecs, hints) => {
          const q = new StateQueue(hints);
          vecs.forEach((v, i) => q.push(Int32Array.from(v), v.length, i, ~i >>> 0, i - 1));
          const out = { arr: new Int32Array(0), off: 0, len: 0, fp0: 0, fp1: 0, hint: 0 };
          vecs.forEach((v, i) => {
            q.shift(out);
            expect(Array.from(out.arr.subarray(out.off, out.off + out.len))).toEqual(v);
            expect([out.fp0, out.fp1, out.hint]).toEqual([i, ~i >>> 0, hints ? i - 1 : -1]);
          });
          expect(q.count).toBe(0);
        },
      ),
    );
  });

  test('StateQueue: small values take a quarter of the room, runs of zeros a byte per 65', () => {
    const q = new StateQueue();
    q.push(new Int32Array(40).fill(5), 40, 0, 0);
    expect(q.peakInts).toBe(3 + 10);
    const z = new StateQueue();
    z.push(new Int32Array(200), 200, 0, 0); // 65 + 65 + 65 + 5: 4 bytes
    expect(z.peakInts).toBe(3 + 1);
    const h = new StateQueue(true);
    h.push(new Int32Array(40).fill(5), 40, 0, 0, 7);
    expect(h.peakInts).toBe(4 + 10);
  });

  test('Links: edges above 254 survive', () => {
    const l = new Links();
    for (let i = 0; i < 70_000; i++) l.set(i, i >> 1, i % 1000);
    for (const i of [0, 254, 255, 999, 69_999]) expect(l.edgeOf(i)).toBe(i % 1000);
    expect(l.parentOf(69_999)).toBe(34_999);
    expect(l.parentOf(65_536)).toBe(32_768);
  });

  test('ExactStore and BitstateStore agree on a small set; bitstate reports its omission estimate', () => {
    const e = new ExactStore(16);
    const b = new BitstateStore(20);
    for (let i = 0; i < 1000; i++) {
      const h1 = Math.imul(i, 0x9e3779b1) >>> 0;
      const h2 = Math.imul(i ^ 0x5bd1e995, 0x85ebca6b) >>> 0;
      expect(e.add(h1, h2)).toBe(true);
      expect(b.add(h1, h2)).toBe(true);
      expect(e.add(h1, h2)).toBe(false);
      expect(b.add(h1, h2)).toBe(false);
    }
    expect(b.size).toBe(1000);
    const o = b.omission();
    expect(o.hashFactor).toBeCloseTo(2 ** 20 / 1000);
    expect(o.expectedOmitted).toBeGreaterThan(0);
    expect(o.probability).toBeLessThan(1e-3);
    expect(() => new BitstateStore(40)).toThrow('out of range');
  });

  test('ExactStore (its recent-fingerprint cache in front of the table) answers as a set: re-adds, (0, 0), and fingerprints sharing a cache slot', () => {
    const e = new ExactStore(16);
    const ref = new Set<string>();
    let seed = 12345;
    const rnd = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    // 200k adds over 150k distinct fingerprints, half of them with h1 equal (so they share cache slots with others)
    for (let i = 0; i < 200_000; i++) {
      const k = rnd() % 150_000;
      const h1 = k % 2 === 0 ? 7 : Math.imul(k, 0x9e3779b1) >>> 0;
      const h2 = k === 0 ? 0 : Math.imul(k ^ 0x5bd1e995, 0x85ebca6b) >>> 0;
      const pair = k === 1 ? [0, 0] : [h1, h2];
      const key = pair.join(',');
      expect(e.add(pair[0]!, pair[1]!)).toBe(!ref.has(key));
      ref.add(key);
    }
    expect(e.size).toBe(ref.size);
  });
});
