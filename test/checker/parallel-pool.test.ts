/**
 * The parallel BFS's worker pool (checker/strategy/parallel-pool.ts) and its
 * partition of a level (store/frontier.ts owner, by Successor.affinity):
 * searches after the first reuse the workers and give the sequential answer;
 * a search that ends before its workers start leaves the pool usable; another
 * worker count replaces the pool; the product's affinity is a function of the
 * impl state alone (not of the thread's step-memo ids), so the same impl
 * state goes to the same worker whichever worker found it.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { checkScenario, checkScenarioParallel } from '../../checker/check.js';
import { createProductSharing, Product } from '../../checker/product.js';
import type { CheckResult } from '../../checker/result.js';
import type { Lead } from '../../checker/strategy/parallel-bfs.js';
import { owner } from '../../checker/store/frontier.js';
import type { Scenario, Subsystem } from '../../checker/types.js';
import { registry } from '../../subsystems/index.js';

const registryModule = new URL('../../subsystems/index.ts', import.meta.url).href;
const hugetlb = registry.find((s) => s.name === 'hugetlb')!;

function answer(r: CheckResult) {
  return {
    states: r.states,
    transitions: r.transitions,
    maxDepth: r.maxDepth,
    stop: r.stopReason,
    invariants: r.invariants,
    preconditions: r.preconditions,
    violation: r.violation && { property: r.violation.property, transitions: r.violation.trace.transitions },
  };
}

/** hugetlb's default scenarios with sizes in [lo, hi] states, with their sequential answers. */
function sized(lo: number, hi: number) {
  return hugetlb.scenarios
    .map((scenario) => ({ scenario, seq: checkScenario(hugetlb, scenario, { maxStates: hi + 1 }) }))
    .filter((x) => x.seq.exhaustive && x.seq.states >= lo && x.seq.states <= hi);
}

const par = (s: Subsystem, scenario: Scenario, workers: number, lead: Lead = 0) =>
  checkScenarioParallel(s, scenario, { workers, registryModule, parallel: { lead } });

const linux = process.platform === 'linux';

describe('parallel BFS worker pool', () => {
  test('later searches reuse the workers; another count replaces them; answers stay sequential', async () => {
    const [a, b] = sized(300, 6_000);
    if (!a || !b) throw new Error('hugetlb has no two default scenarios of 300..6,000 states');
    const runs: [typeof a, number, boolean][] = [
      [a, 2, false],
      [b, 2, true],
      [a, 2, true],
      [b, 3, false],
      [a, 3, true],
      [a, 2, false],
    ];
    for (const [x, n, reused] of runs) {
      const r = await par(hugetlb, x.scenario, n);
      expect(answer(r), `${x.scenario.name}, ${n} workers`).toEqual(answer(x.seq));
      if (linux) {
        expect(r.search?.threadCpu?.reused, `${x.scenario.name}, ${n} workers`).toBe(reused);
        expect(r.search!.threadCpu!.expanded.reduce((s, e) => s + e, 0)).toBe(r.states);
        // a worker's model is new for each search: one that expanded a state missed in its step memo
        const t = r.search!.threadCpu!;
        expect(t.cacheMisses).toHaveLength(n);
        t.expanded.forEach((e, w) => e > 0 && expect(t.cacheMisses![w]).toBeGreaterThan(0));
      }
    }
  }, 300_000);

  test('a search that ends before its workers start leaves the pool usable', async () => {
    const tiny = sized(1, 200)[0];
    const big = sized(300, 6_000)[0]!;
    expect(tiny, 'a hugetlb scenario under 200 states').toBeDefined();
    // 'auto': the coordinator expands levels itself until the workers are ready (here, likely all of them)
    for (let i = 0; i < 3; i++)
      expect(answer(await par(hugetlb, tiny!.scenario, 2, 'auto'))).toEqual(answer(tiny!.seq));
    expect(answer(await par(hugetlb, big.scenario, 2))).toEqual(answer(big.seq));
  }, 300_000);

  test('in a plain process, a search after one that ended before its workers started still runs', () => {
    // vitest keeps the event loop alive; a program using the library has only the pool's workers, which an
    // idle pool unrefs: they must be ref'd again before the next search waits for their last reports.
    const script = fileURLToPath(new URL('../fixtures/pool-two-searches.ts', import.meta.url));
    const seq = ['out-put-pages-min-only', 'pin-imu-fail'].map(
      (name) =>
        checkScenario(
          hugetlb,
          hugetlb.scenarios.find((s) => s.name === name)!,
        ).states,
    );
    const p = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 120_000 });
    expect({ status: p.status, stdout: p.stdout.trim() }).toEqual({ status: 0, stdout: seq.join(' ') });
  }, 180_000);
});

describe('the partition of a level', () => {
  test('owner() is a worker index, the same for the same affinity, by fingerprint without one', () => {
    for (const n of [1, 2, 3, 7])
      for (const aff of [-1, 0, 1, 12345, 0x7fffffff]) {
        const w = owner(aff, 99, n);
        expect(w).toBeGreaterThanOrEqual(0);
        expect(w).toBeLessThan(n);
        expect(owner(aff, aff >= 0 ? 7 : 99, n)).toBe(w);
      }
    const spread = new Set(Array.from({ length: 64 }, (_, i) => owner(i * 7919, 0, 2)));
    expect(spread.size).toBe(2);
  });

  test("a product successor's affinity depends on its impl state only, not on the order states were met", () => {
    const x = sized(300, 6_000)[0]!;
    const implOff = new Product(hugetlb, x.scenario, null).implOff;
    /** Affinity by impl state (its words as text) over the first `max` states, expanded in `order`. */
    const walk = (p: Product, vecs: Int32Array[]): Map<string, number> => {
      const by = new Map<string, number>();
      for (const v of vecs)
        p.expand(v, 0, v.length, (s) => {
          if (s.failure || s.affinity === undefined || s.affinity < 0) return;
          const k = s.buf.slice(implOff, s.len).join(',');
          const seen = by.get(k);
          if (seen !== undefined) expect(s.affinity, 'one impl state, one affinity').toBe(seen);
          by.set(k, s.affinity);
        });
      return by;
    };
    // three products sharing their id tables, as a parallel search's threads do; the first 300 states breadth-first
    const sharing = createProductSharing();
    const p0 = new Product(hugetlb, x.scenario, null, sharing);
    const states: Int32Array[] = [p0.initial().vec];
    const keys = new Set([states[0]!.join(',')]);
    for (let q = 0; q < states.length && states.length < 300; q++)
      p0.expand(states[q]!, 0, states[q]!.length, (s) => {
        const v = s.buf.slice(0, s.len);
        if (s.failure || keys.has(v.join(','))) return;
        keys.add(v.join(','));
        states.push(v);
      });
    const fwd = walk(new Product(hugetlb, x.scenario, null, sharing), states);
    const back = walk(new Product(hugetlb, x.scenario, null, sharing), [...states].reverse());
    expect(fwd.size).toBeGreaterThan(10);
    expect(new Set(fwd.values()).size).toBeGreaterThan(1);
    expect(back).toEqual(fwd);
  });
});
