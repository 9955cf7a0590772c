/**
 * The shared stores under real concurrency: worker threads insert the same
 * fingerprints and intern the same arrays in different orders at once. Every
 * fingerprint is claimed by exactly one thread, the tag ends at the smallest
 * any thread offered, and every thread gets the same dense id for a value.
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, test } from 'vitest';
import { fingerprint } from '../../checker/fingerprint.js';
import { SharedInternTable } from '../../checker/store/shared-intern.js';
import { norm, SharedFingerprintTable } from '../../checker/store/shared-visited.js';

const WORKER = new URL('./shared-stores.worker.ts', import.meta.url).href;

function run(data: Record<string, unknown>, workers: number): Promise<any[]> {
  const start = new Int32Array(new SharedArrayBuffer(4));
  const src = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(WORKER)}); })`;
  const ps = Array.from({ length: workers }, (_, seed) => {
    const w = new Worker(src, { eval: true, workerData: { ...data, start, seed } });
    return new Promise<any>((res, rej) => {
      w.once('message', (m) => {
        res(m);
        void w.terminate();
      });
      w.once('error', rej);
    });
  });
  Atomics.store(start, 0, 1);
  Atomics.notify(start, 0);
  return Promise.all(ps);
}

describe('shared stores', () => {
  test('SharedFingerprintTable: 3 threads, each fingerprint claimed once, tags at their minimum', async () => {
    const n = 40_000;
    const t = SharedFingerprintTable.create(17);
    const out = await run({ kind: 'fp', table: t.buffer, n }, 3);
    const distinct = n >> 1;
    expect(out.reduce((s, r) => s + r.claimed, 0)).toBe(distinct);
    expect(t.count()).toBe(distinct);
    const fp = new Uint32Array(2);
    for (let k = 0; k < distinct; k++) {
      fingerprint(Int32Array.of(k), 0, 1, fp);
      const slot = t.find(norm(fp[0]!), norm(fp[1]!));
      expect(slot).toBeGreaterThanOrEqual(0);
      // value k is offered as v = k and v = k + n/2, by seeds 0..2
      let min = Infinity;
      for (const v of [k, k + distinct])
        for (let s = 0; s < 3; s++) min = Math.min(min, 1000 + ((v * 7 + s * 13) % 997));
      expect(t.tag(slot)).toBe(min);
    }
    fingerprint(Int32Array.of(-5), 0, 1, fp);
    expect(t.find(norm(fp[0]!), norm(fp[1]!))).toBe(-1);
  }, 60_000);

  test('SharedFingerprintTable: rebuilt keeps the entries asked for; a full table throws', () => {
    const t = SharedFingerprintTable.create(4);
    for (let i = 1; i <= 10; i++) expect(t.insert(i, i * 3, i)).toBeGreaterThanOrEqual(0);
    expect(t.insert(4, 12, 0)).toBeLessThan(0);
    const r = t.rebuilt(6, (tag) => tag <= 5);
    expect(r.count()).toBe(5);
    expect(r.find(5, 15)).toBeGreaterThanOrEqual(0);
    expect(r.find(6, 18)).toBe(-1);
    for (let i = 11; i <= 16; i++) t.insert(i, i, i);
    expect(() => t.insert(99, 99, 0)).toThrow(/full/);
  });

  test('SharedInternTable: 3 threads interning the same arrays in different orders agree on dense ids', async () => {
    const n = 3000;
    const t = SharedInternTable.create();
    const out = await run({ kind: 'intern', intern: t.buffers, n }, 3);
    expect(out[1].ids).toEqual(out[0].ids);
    expect(out[2].ids).toEqual(out[0].ids);
    expect(new Set(out[0].ids).size).toBe(n);
    expect(Math.max(...out[0].ids)).toBe(n - 1);
    expect(t.size).toBe(n);
    const v = 1234;
    expect(Array.from(t.get(out[0].ids[v]))).toEqual(Array.from({ length: 1 + (v % 5) }, (_, i) => v * 10 + i));
    expect(t.attach(7, 5)).toBe(5);
    expect(t.attach(7, 9)).toBe(5);
    expect(t.aux(7)).toBe(5);
  }, 60_000);
});
