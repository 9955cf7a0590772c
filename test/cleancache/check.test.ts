/**
 * Model checking cleancache: the correct implementation refines the spec in
 * every default scenario, exhaustively; every variant is caught in the
 * scenarios it names; CC-8 is reported as a broken precondition, not a bug.
 */
import { describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import type { CheckResult } from '../../checker/result.js';
import { CC8_PRECONDITION, DIO_PRECONDITION } from '../../impl/cleancache/ops.js';
import { abstraction, cleancache, customize, parseParams } from '../../subsystems/cleancache/index.js';
import { cleancacheView } from '../../spec/cleancache/machine.js';
import { initialTransition } from 'xstate';

const byName = (n: string) => cleancache.scenarios.find((s) => s.name === n)!;

/** One exhaustive run per default scenario, shared by the tests below. */
const correct = new Map<string, CheckResult>();
const run = (name: string) => {
  let r = correct.get(name);
  if (!r) {
    r = checkScenario(cleancache, byName(name), { variant: null });
    correct.set(name, r);
  }
  return r;
};

describe('cleancache: correct implementation', () => {
  for (const s of cleancache.scenarios) {
    test(`${s.name} passes exhaustively`, () => {
      const r = run(s.name);
      expect(r.violation?.message).toBeUndefined();
      expect(r.exhaustive).toBe(true);
      expect(r.refinement).toBe('linearizability+abstraction');
      if (s.name !== 'api-unserialized') expect(r.preconditions).toEqual([]);
    });
  }

  test('CC-8: unserialized put and invalidate is reported as a broken precondition and is not a bug', () => {
    const r = run('api-unserialized');
    expect(r.violation).toBeUndefined();
    expect(r.exhaustive).toBe(true);
    expect(r.preconditions.map((p) => p.text)).toEqual([CC8_PRECONDITION]);
    expect(r.preconditions[0]!.count).toBeGreaterThan(0);
  });

  test('a racing buffered read during O_DIRECT is pruned as a precondition, not reported', () => {
    const base = byName('fs-odirect');
    const s = {
      ...base,
      name: 'dio-vs-read',
      threads: [
        base.threads[0]!,
        [[{ op: 'read', args: { f: 0, idx: 0 } }], [{ op: 'evict', args: { f: 0, idx: 0 } }]],
      ],
    };
    const r = checkScenario(cleancache, s, { variant: null });
    expect(r.violation).toBeUndefined();
    expect(r.preconditions.map((p) => p.text)).toEqual([DIO_PRECONDITION]);
  });

  test('every invariant is exercised by some default scenario', () => {
    const nonTrivial = new Map<string, number>();
    for (const s of cleancache.scenarios) {
      const r = run(s.name);
      for (const i of r.invariants) nonTrivial.set(i.name, (nonTrivial.get(i.name) ?? 0) + i.nonTrivial);
    }
    for (const inv of cleancache.invariants) expect(nonTrivial.get(inv.name), inv.name).toBeGreaterThan(0);
  });
});

describe('cleancache: variants', () => {
  for (const v of cleancache.variants) {
    for (const sn of v.scenarios!) {
      test(`${v.name} is caught in ${sn}`, () => {
        const r = checkScenario(cleancache, byName(sn), { variant: v.name });
        expect(r.violation).toBeDefined();
        expect(['invariant', 'linearizability', 'refinement']).toContain(r.violation!.kind);
      });
    }
  }

  test('the system property alone catches 55635ba76ef9: a read returns data older than the last write', () => {
    const specOnly = { ...cleancache, invariants: [] };
    const r = checkScenario(specOnly, byName('fs-odirect'), { variant: '55635ba76ef9' });
    expect(r.violation?.kind).toBe('linearizability');
    expect(r.violation!.message).toMatch(/read\(f=0, idx=0\) returned 1, .*spec allows: 2/);
  });

  test('the system property alone catches CC-9: the page read back past EOF reappears when a write extends the file', () => {
    const specOnly = { ...cleancache, invariants: [] };
    const r = checkScenario(specOnly, byName('fs-truncate-read'), { variant: 'CC-9' });
    expect(r.violation?.kind).toMatch(/refinement|linearizability/);
  });

  test('the system property alone catches 730633f0b7f9: a read between the punch and the block freeing brings the old data back', () => {
    const specOnly = { ...cleancache, invariants: [] };
    const r = checkScenario(specOnly, byName('fs-punch-read'), { variant: '730633f0b7f9' });
    expect(r.violation?.kind).toMatch(/refinement|linearizability/);
  });

  test('6ff38bd40230 is seen by the invariant only: the new file is empty, so its reads stop at EOF before cleancache', () => {
    const specOnly = { ...cleancache, invariants: [] };
    expect(checkScenario(specOnly, byName('fs-unlink'), { variant: '6ff38bd40230' }).violation).toBeUndefined();
    const r = checkScenario(cleancache, byName('fs-unlink'), { variant: '6ff38bd40230' });
    expect(r.violation?.property).toBe('cc-no-stale-data');
  });

  test('the system property alone catches remove-mapping-dirty-first: the pinned store is lost from the file', () => {
    const specOnly = { ...cleancache, invariants: [] };
    const r = checkScenario(specOnly, byName('fs-gup-reclaim'), { variant: 'remove-mapping-dirty-first' });
    expect(r.violation?.kind).toMatch(/refinement|linearizability/);
  });

  test('reclaim racing a pinned store: the reference freeze fails or the re-test of PageDirty keeps the page', () => {
    // without the pin's reference, __remove_mapping runs in shrink_page_list's step; with it, it is a step of its own
    const r = run('fs-gup-reclaim');
    expect(r.violation).toBeUndefined();
    const s = byName('fs-gup-reclaim');
    const noPin = { ...s, name: 'no-pin', threads: [s.threads[0]!.slice(0, 1), s.threads[1]!] };
    const r2 = checkScenario(cleancache, noPin, { variant: 'remove-mapping-dirty-first' });
    expect(r2.violation).toBeUndefined(); // the variant needs the get_user_pages reference
  });

  test('the backend-contract bugs are refinement failures of the spec alone', () => {
    const specOnly = { ...cleancache, invariants: [] };
    for (const v of ['CC-1', 'CC-2', 'CC-3', 'CC-5', 'CC-6']) {
      const sn = cleancache.variants.find((x) => x.name === v)!.scenarios![0]!;
      const r = checkScenario(specOnly, byName(sn), { variant: v });
      expect(r.violation?.kind, v).toMatch(/refinement|linearizability/);
    }
  });
});

describe('cleancache: invariants without the spec', () => {
  test('every variant is also caught by an invariant alone (no spec, no abstraction)', () => {
    const { spec: _spec, abstraction: _abs, ...invOnly } = cleancache;
    const expected: Record<string, string> = {
      'CC-1': 'cc-no-stale-data',
      'CC-2': 'get-get-coherency',
      'CC-3': 'exclusive-get',
      'CC-5': 'sb-pools-consistent',
      'CC-6': 'sb-pools-consistent',
      '6ff38bd40230': 'cc-no-stale-data',
      'CC-9': 'cc-no-stale-data',
      '730633f0b7f9': 'cc-no-stale-data',
      '55635ba76ef9': 'cc-no-stale-data',
      '53d85c985665': 'sb-pools-consistent',
      'remove-mapping-dirty-first': 'cc-no-stale-data',
    };
    for (const v of cleancache.variants) {
      const r = checkScenario(invOnly, byName(v.scenarios![0]!), { variant: v.name });
      expect(r.refinement).toBe('none (no spec)');
      expect(r.violation?.kind, v.name).toBe('invariant');
      expect(r.violation!.property, v.name).toBe(expected[v.name]);
    }
  });
});

describe('cleancache: mapping and parameters', () => {
  test("the abstraction of the initial state is the spec's initial view", () => {
    for (const s of cleancache.scenarios) {
      const g = cleancache.impl.init(s.params);
      const [snap] = initialTransition(cleancache.spec!.machine, cleancache.spec!.input(s.params));
      expect(abstraction(g, s.params), s.name).toEqual(cleancacheView(snap as never));
    }
  });

  test('parseParams fills defaults and rejects bad input with one-line messages', () => {
    expect(parseParams({ mode: 'fs' }).nsb).toBe(0);
    expect(parseParams({}).mode).toBe('api');
    const bad: [unknown, RegExp][] = [
      [[], /expected an object/],
      [{ mode: 'x' }, /mode: expected "api" or "fs"/],
      [{ pages: 0 }, /pages: expected an integer in \[1, 4\]/],
      [{ registered: 'yes' }, /registered: expected true or false/],
      [{ bogus: 1 }, /unknown parameter 'bogus'/],
      [{ mode: 'fs', files: 3, inodes: 2 }, /inodes: need at least one inode per file/],
      [{ maxPools: 4, keys: 4, pages: 4 }, /at most 31 backend handles/],
    ];
    for (const [raw, re] of bad) {
      let msg = '';
      try {
        parseParams(raw);
      } catch (e) {
        msg = (e as Error).message;
      }
      expect(msg).toMatch(re);
      expect(msg).not.toContain('\n');
    }
  });

  test('customize reshapes threads, ops, capacity and pages, and rejects bad values', () => {
    const s = customize(byName('fs-readwrite'), { threads: 2, ops: 2, pool: 3, fileSize: 2 });
    expect(s.threads.length).toBe(2);
    expect(s.threads.every((t) => t.length === 2)).toBe(true);
    expect(s.params.capacity).toBe(3);
    expect(s.params.pages).toBe(2);
    expect(() => customize(byName('fs-readwrite'), { threads: 9 })).toThrow(/--threads: expected 1..4/);
    expect(() => customize(byName('fs-readwrite'), { pool: 0 })).toThrow(/^--pool: expected 1..8\b.*, got 0$/);
    expect(() => customize(byName('fs-readwrite'), { fileSize: 5 })).toThrow(/^--file-size: expected 1..4, got 5$/);
  });
});
