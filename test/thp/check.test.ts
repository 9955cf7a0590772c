/**
 * Model checking: the correct implementation refines the spec in every default
 * scenario (exhaustively), and every variant is caught in each scenario it
 * names. Also: abstraction(init) is the spec's initial view for every
 * parameter shape, and every invariant is exercised somewhere.
 */
import { describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import type { CheckResult } from '../../checker/result.js';
import { init } from '../../impl/thp/page.js';
import { initialThp, thpView } from '../../spec/thp/machine.js';
import { abstraction, parseParams, thp } from '../../subsystems/thp/index.js';

const results = new Map<string, CheckResult>();
function correct(name: string): CheckResult {
  let r = results.get(name);
  if (!r) {
    const sc = thp.scenarios.find((s) => s.name === name)!;
    r = checkScenario(thp, sc, { variant: null, timeLimitSeconds: 120 });
    results.set(name, r);
  }
  return r;
}

describe('thp: correct implementation', () => {
  for (const sc of thp.scenarios) {
    test(`${sc.name}: exhaustive, no violation`, () => {
      const r = correct(sc.name);
      expect(r.violation?.message).toBeUndefined();
      expect(r.exhaustive).toBe(true);
      expect(r.refinement).toBe('linearizability+abstraction');
      expect(r.states).toBeGreaterThan(20);
    });
  }

  test('every invariant is non-vacuous in some default scenario', () => {
    const exercised = new Set<string>();
    for (const sc of thp.scenarios)
      for (const inv of correct(sc.name).invariants) if (inv.nonTrivial > 0) exercised.add(inv.name);
    expect([...exercised].sort()).toEqual(thp.invariants.map((i) => i.name).sort());
  });

  test('abstraction(init) equals the spec initial view for every parameter shape', () => {
    for (const kind of ['anon', 'file'] as const)
      for (const initial of ['none', 'pmd', 'forked'] as const)
        for (const nr of [2, 4, 8]) {
          const p = parseParams({ nr, mms: 3, kind, initial });
          expect(abstraction(init(p), p)).toEqual(thpView(initialThp(p)));
        }
  });
});

describe('thp: every variant is caught where it says', () => {
  for (const v of thp.variants) {
    expect(v.scenarios?.length ?? 0).toBeGreaterThan(0);
    for (const name of v.scenarios ?? []) {
      test(`${v.name} in ${name}`, () => {
        const sc = thp.scenarios.find((s) => s.name === name);
        expect(sc, `scenario ${name} exists`).toBeDefined();
        const r = checkScenario(thp, sc!, { variant: v.name, timeLimitSeconds: 120 });
        expect(r.violation).toBeDefined();
      });
    }
  }

  test('the variants are the known bugs the issue names', () => {
    expect(thp.variants.map((v) => v.name).sort()).toEqual(
      [
        'T10',
        'T3',
        'T8',
        'TH-1',
        'TH-4',
        'TH-5',
        'TH-6',
        'TH-8',
        '17839856fd58',
        '70e806e4e645',
        'd042035eaf5f',
        'a7f226604170',
        '6c287605fd56',
        '57efa1fe5957',
        'a8f97366452e',
        'ced108037c2a',
        '70cbc3cc78a9',
        '688272809fcc',
        'collapse-file-refcount',
        '99fa8a48203d',
        'feb889fb40fa',
        '84209e87c696',
        'vma-cut-before-pmd-split',
      ].sort(),
    );
  });

  test('T8 is caught by the v5.8 - v5.18 COW decision itself (no reader in cow-reuse-race), not by the v5.19+ one', () => {
    const sc = thp.scenarios.find((s) => s.name === 'cow-reuse-race')!;
    const r = checkScenario(thp, { ...sc, kernelVersion: '5.13' }, { variant: 'T8', timeLimitSeconds: 120 });
    expect(r.violation?.kind).toBe('linearizability');
    expect(r.violation?.message).toMatch(/wp_fault.*"reuse"/);
    /* since PG_anon_exclusive, do_huge_pmd_wp_page() reads no mapcount: the missing page lock is not seen here */
    expect(checkScenario(thp, sc, { variant: 'T8', timeLimitSeconds: 120 }).violation).toBeUndefined();
  });

  test('T3 is a false-negative mapcount mid PMD split', () => {
    const sc = thp.scenarios.find((s) => s.name === 'shared-split-unmap')!;
    const r = checkScenario(thp, sc, { variant: 'T3', timeLimitSeconds: 120 });
    expect(r.violation?.property).toBe('no-false-negative-mapcount');
  });

  test('a8f97366452e: the FOLL_FORCE write lands in the huge zero page, which another process reads', () => {
    const sc = thp.scenarios.find((s) => s.name === 'zero-page-force-write')!;
    const r = checkScenario(thp, sc, { variant: 'a8f97366452e', timeLimitSeconds: 120 });
    expect(r.violation?.kind).toBe('linearizability');
    expect(r.violation?.message).toMatch(/read.*5/);
  });

  test('ced108037c2a: MADV_DONTNEED misses the PMD NUMA balancing cleared, the THP stays mapped', () => {
    const sc = thp.scenarios.find((s) => s.name === 'dontneed-vs-numa')!;
    const r = checkScenario(thp, sc, { variant: 'ced108037c2a', timeLimitSeconds: 120 });
    expect(r.violation).toBeDefined();
    expect(r.violation?.kind).not.toBe('impl-error');
  });

  test('70cbc3cc78a9: GUP-fast pins from the table khugepaged detached, and the collapse then succeeds under the pin', () => {
    const sc = thp.scenarios.find((s) => s.name === 'gup-fast-vs-collapse')!;
    const r = checkScenario(thp, sc, { variant: '70cbc3cc78a9', timeLimitSeconds: 120 });
    expect(r.violation?.kind).toBe('linearizability');
    expect(r.violation?.message).toMatch(/collapse/);
  });

  test('T10: split sees the page still mapped after unmap_page', () => {
    const sc = thp.scenarios.find((s) => s.name === 'file-split-vs-munmap')!;
    const r = checkScenario(thp, sc, { variant: 'T10', timeLimitSeconds: 120 });
    expect(r.violation?.property).toBe('split-unmapped-after-unmap_page');
  });
});

describe('thp: regressions found by random scenarios', () => {
  test('a VMA unlinked by munmap and re-created by fork during a split rmap walk is still visited', () => {
    const op = (o: string, args: Record<string, number> = {}) => [{ op: o, args }];
    const sc = {
      name: 'refork-during-split',
      description: 'split walks mm0 (freeze), mm0 unmaps, mm1 forks into mm0, the walk reaches mm1',
      params: parseParams({ nr: 2, mms: 2, kind: 'anon', initial: 'forked' }),
      threads: [[op('split', { sub: 1 })], [op('munmap', { mm: 0, from: 0, to: 2 }), op('fork', { src: 1, dst: 0 })]],
    };
    const r = checkScenario(thp, sc, { timeLimitSeconds: 60 });
    expect(r.violation?.message).toBeUndefined();
    expect(r.exhaustive).toBe(true);
  });
});
