/**
 * A product successor's fingerprint delta (checker/product/successor.ts) is
 * exact: the parent's Zobrist fingerprint XOR the delta is the Zobrist
 * fingerprint of the successor's vector, whether the impl part comes from
 * the step memo's per-impl parts or from comparing the impl states, over
 * the first few thousand states of scenarios of every subsystem.
 */
import { describe, expect, test } from 'vitest';
import { zobrist } from '../../checker/fingerprint.js';
import { Product } from '../../checker/product.js';
import { registry } from '../../subsystems/index.js';

const cases = registry.flatMap((sub) => sub.scenarios.slice(0, 2).map((scenario) => ({ sub, scenario })));

/** Walk `max` states breadth-first; every successor's delta-derived fingerprint must be its vector's. */
function walk(p: Product, max: number): { checked: number; bad: number; withDelta: number } {
  const fp = new Uint32Array(2);
  const seen = new Set<string>();
  const queue: Int32Array[] = [p.initial().vec];
  let checked = 0;
  let bad = 0;
  let withDelta = 0;
  for (let q = 0; q < queue.length && queue.length < max; q++) {
    const v = queue[q]!;
    zobrist(v, 0, v.length, fp);
    const pa = fp[0]!;
    const pb = fp[1]!;
    p.expand(v, 0, v.length, (s) => {
      if (s.failure) return;
      checked++;
      if (s.hasDelta !== true) return;
      withDelta++;
      const a = (pa ^ s.d0!) >>> 0;
      const b = (pb ^ s.d1!) >>> 0;
      const out = s.buf.slice(0, s.len);
      zobrist(out, 0, out.length, fp);
      if (fp[0] !== a || fp[1] !== b) bad++;
      const k = out.join(',');
      if (!seen.has(k)) {
        seen.add(k);
        queue.push(out);
      }
    });
  }
  return { checked, bad, withDelta };
}

describe('successor fingerprint deltas', () => {
  test.each(cases.map((c) => [`${c.sub.name}/${c.scenario.name}`, c] as const))(
    '%s: exact with the step memo on and off',
    (_n, c) => {
      for (const memo of ['always', false] as const) {
        const p = new Product(c.sub, c.scenario, null);
        p.setStepMemo(memo);
        const r = walk(p, 3000);
        expect(r.checked).toBeGreaterThan(0);
        expect(r.withDelta).toBe(r.checked);
        expect(r.bad).toBe(0);
      }
    },
  );
});
