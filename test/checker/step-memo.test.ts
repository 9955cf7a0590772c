/**
 * The step memo (checker/step-memo.ts) changes nothing a result says: with it
 * on, off, or dropped every few expansions, every subsystem's scenarios and
 * variants give the same counts, tallies, verdicts and counterexamples.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import type { CheckResult } from '../../checker/result.js';
import { StepMemo } from '../../checker/step-memo.js';
import { done, invariant } from '../../checker/types.js';
import { registry } from '../../subsystems/index.js';
import { G, tiny } from '../fixtures/tiny.js';

/**
 * A result without its timings, its queue's size (with the memo on, each
 * queued state also keeps its impl state's memo id: Successor.hint, a word)
 * and the memo's own figures (work, not the answer).
 */
function same(r: CheckResult): unknown {
  const { seconds: _s, statesPerSecond: _p, peakFrontierBytes: _q, search, ...rest } = r;
  const { stepMemo: _m, ...s } = search ?? {};
  return { ...rest, search: s };
}

const LIMIT = { maxStates: 15_000 };
const cases = registry.flatMap((sub) => [
  ...sub.scenarios.slice(0, 2).map((scenario) => ({ sub, scenario, variant: null as string | null })),
  ...sub.variants.slice(0, 2).map((v) => ({
    sub,
    scenario: sub.scenarios.find((s) => s.name === v.scenarios?.[0]) ?? sub.scenarios[0]!,
    variant: v.name,
  })),
]);

describe('step memo', () => {
  const cap = StepMemo.CAP_WORDS;
  const keep = StepMemo.KEEP;
  afterEach(() => {
    StepMemo.CAP_WORDS = cap;
    StepMemo.KEEP = keep;
  });

  test('an eviction keeps the entries of the impl states expanded last: fewer steps run again than dropping everything, same result', () => {
    const thp = registry.find((s) => s.name === 'thp')!;
    const scenario = thp.scenarios.find((s) => s.name === 'anon-mix')!;
    const opts = { maxStates: 40_000, stepMemo: 'always' as const };
    const off = checkScenario(thp, scenario, { ...opts, stepMemo: false });
    const whole = checkScenario(thp, scenario, opts);
    expect(whole.search?.stepMemo?.drops).toBe(0);
    StepMemo.CAP_WORDS = 1 << 18;
    const evicting = checkScenario(thp, scenario, opts);
    StepMemo.KEEP = 0; // keep nothing: every eviction drops the whole memo (the old bound)
    const dropping = checkScenario(thp, scenario, opts);
    for (const r of [whole, evicting, dropping]) expect(same(r)).toEqual(same(off));
    const e = evicting.search!.stepMemo!;
    const d = dropping.search!.stepMemo!;
    expect(e.drops).toBeGreaterThan(2);
    expect(d.drops).toBeGreaterThan(2);
    expect(e.misses).toBeLessThan(d.misses);
    expect(e.misses).toBeGreaterThan(whole.search!.stepMemo!.misses);
    expect(e.peakMiB).toBeLessThanOrEqual(1.1); // 2^18 words = 1 MiB, passed by one expansion's entries at most
  });

  test('there are scenarios and variants of several subsystems to compare', () => {
    expect(new Set(cases.map((c) => c.sub.name)).size).toBeGreaterThanOrEqual(3);
    expect(cases.some((c) => c.variant !== null)).toBe(true);
  });

  test.each(cases.map((c) => [`${c.sub.name}/${c.scenario.name}/${c.variant ?? 'correct'}`, c] as const))(
    '%s: same result with the memo on, off, and dropped often',
    (_n, c) => {
      const opts = { ...LIMIT, variant: c.variant };
      const off = checkScenario(c.sub, c.scenario, { ...opts, stepMemo: false });
      const on = checkScenario(c.sub, c.scenario, { ...opts, stepMemo: 'always' });
      expect(same(on)).toEqual(same(off));
      StepMemo.CAP_WORDS = 64;
      const dropped = checkScenario(c.sub, c.scenario, { ...opts, stepMemo: 'always' });
      expect(same(dropped)).toEqual(same(off));
    },
  );

  test('a replayed step counts its pruned runs again', () => {
    // T0 walks through two steps that leave x alone, so T1's step 'b' meets the same impl state with
    // T0 in three places: run once, replayed twice; each run prunes one of its two branches
    const sub = tiny({
      n: {
        doc: 'n',
        steps: [
          { name: 'n1', run: () => 'n2' },
          { name: 'n2', run: () => done(null) },
        ],
      },
      b: { doc: 'b', steps: [{ name: 'b', run: (_g, t) => (t.assume(t.choose(2) === 0, 'P'), done(null)) }] },
    });
    const s = {
      name: 's',
      description: 's',
      params: null,
      threads: [[[{ op: 'n', args: {} }]], [[{ op: 'b', args: {} }]]],
    };
    const off = checkScenario(sub, s, { stepMemo: false });
    const on = checkScenario(sub, s, { stepMemo: 'always' });
    expect(off.preconditions).toEqual([{ text: 'P', count: 3 }]);
    expect(same(on)).toEqual(same(off));
  });

  test('a step met in another slot in the same impl state is moved from that slot, not run again', () => {
    // T0 runs op a in both of its slots; nothing changes x, so slot 1 meets every impl state slot 0 met
    let runs = 0;
    const sub = tiny({
      a: {
        doc: 'a',
        locals: ['c'],
        steps: [
          { name: 'a1', run: (_g, t) => (runs++, (t.l.c = 7), 'a2') },
          { name: 'a2', run: (_g, t) => done(t.l.c!) },
        ],
      },
      n: {
        doc: 'n',
        steps: [
          { name: 'n1', run: () => 'n2' },
          { name: 'n2', run: () => done(null) },
        ],
      },
    });
    const s = {
      name: 's',
      description: 's',
      params: null,
      threads: [[[{ op: 'a', args: {} }], [{ op: 'a', args: {} }]], [[{ op: 'n', args: {} }]]],
    };
    const off = checkScenario(sub, s, { stepMemo: false });
    const offRuns = runs;
    runs = 0;
    const on = checkScenario(sub, s, { stepMemo: 'always' });
    expect(same(on)).toEqual(same(off));
    expect(offRuns).toBeGreaterThan(2);
    expect(runs).toBe(1); // one impl state, one thread: a1 ran once for both slots
  });

  test('alternatives with different args in two slots do not share memo entries', () => {
    // slot 0 writes 1, slot 1 writes 2: moving slot 0's entry to slot 1 would leave x = 1
    const sub = tiny(
      {
        w: { doc: 'w', steps: [{ name: 'w', run: (g, t) => ((g.x = t.args.v as number), done(null)) }] },
        r: { doc: 'r', steps: [{ name: 'r', run: () => done(null) }] },
      },
      [invariant<G, null>({ name: 'not-two', doc: 'x != 2', source: 'test', when: 'always', check: (g) => g.x !== 2 })],
    );
    const s = {
      name: 's',
      description: 's',
      params: null,
      threads: [
        [
          [{ op: 'w', args: { v: 1 } }],
          [
            { op: 'w', args: { v: 1 } },
            { op: 'w', args: { v: 2 } },
          ],
        ],
        [[{ op: 'r', args: {} }]],
      ],
    };
    const on = checkScenario(sub, s, { stepMemo: 'always' });
    expect(on.violation?.property).toBe('not-two');
    expect(same(on)).toEqual(same(checkScenario(sub, s, { stepMemo: false })));
  });

  test('a failing step is not memoized: the failure is found with the memo on', () => {
    const sub = tiny(
      {
        n: {
          doc: 'n',
          steps: [
            { name: 'n1', run: () => 'n2' },
            { name: 'n2', run: () => done(null) },
          ],
        },
        b: { doc: 'b', steps: [{ name: 'b', run: (g, t) => (t.choose(2) === 1 ? 'nowhere' : done(null)) }] },
      },
      [invariant<G, null>({ name: 'small', doc: 'x < 5', source: 'test', when: 'always', check: (g) => g.x < 5 })],
    );
    const s = {
      name: 's',
      description: 's',
      params: null,
      threads: [[[{ op: 'n', args: {} }]], [[{ op: 'b', args: {} }]]],
    };
    const on = checkScenario(sub, s, { stepMemo: 'always' });
    expect(on.violation?.kind).toBe('impl-error');
    expect(same(on)).toEqual(same(checkScenario(sub, s, { stepMemo: false })));
  });

  test('invariant outcomes are cached by impl state and invariant context: a state repeating the impl state in another context is judged again', () => {
    // x = 1 is first met with T0 idle (the invariant is vacuous there), then with T0's op n in flight, where it fails
    const sub = tiny(
      {
        n: {
          doc: 'n',
          steps: [
            { name: 'n1', run: () => 'n2' },
            { name: 'n2', run: () => done(null) },
          ],
        },
        w: { doc: 'w', steps: [{ name: 'w', run: (g) => ((g.x = 1), done(null)) }] },
      },
      [
        invariant<G, null>({
          name: 'n-sees-zero',
          doc: 'x is 0 while n is in flight',
          source: 'test',
          when: 'always',
          check: (g, _p, q) => (q.inFlight[0] === 'n' ? g.x === 0 || 'x set while n in flight' : null),
        }),
      ],
    );
    const s = {
      name: 's',
      description: 's',
      params: null,
      threads: [[[{ op: 'n', args: {} }]], [[{ op: 'w', args: {} }]]],
    };
    const on = checkScenario(sub, s, { stepMemo: 'always' });
    expect(on.violation?.property).toBe('n-sees-zero');
    expect(same(on)).toEqual(same(checkScenario(sub, s, { stepMemo: false })));
  });
});
