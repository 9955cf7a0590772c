/**
 * The checker on tiny systems whose state spaces are counted by hand in the
 * comments. These pin down BFS, deduplication, blocking, deadlock detection,
 * branching (choose/inject), pruning (assume), linearizability and refinement.
 */
import { describe, expect, test } from 'vitest';
import { assign, setup } from 'xstate';
import { checkScenario } from '../../checker/check.js';
import { S } from '../../checker/schema.js';
import { done, invariant, type Scenario, type Subsystem } from '../../checker/types.js';

const Counter = S.struct({ x: S.int(), lock: S.int() });
type Counter = { x: number; lock: number };

/** Spec: an atomic fetch-and-increment counter. */
const counterSpec = setup({
  types: {} as { context: { x: number; ret?: number }; events: { type: 'inc' } | { type: 'get' } },
}).createMachine({
  context: { x: 0, ret: undefined },
  on: {
    inc: { actions: assign({ x: ({ context }) => context.x + 1, ret: ({ context }) => context.x }) },
    get: { actions: assign({ ret: ({ context }) => context.x }) },
  },
});

function counter(locked: boolean, withSpec: boolean): Subsystem<Counter, { x: number }, null> {
  return {
    name: 'counter',
    title: 'counter',
    description: 'fetch-and-increment in two steps',
    impl: {
      state: Counter,
      init: () => ({ x: 0, lock: 0 }),
      ops: {
        inc: {
          doc: 'tmp = x; x = tmp + 1; return tmp',
          locals: ['tmp'],
          steps: [
            {
              name: 'read',
              enabled: (g) => !locked || g.lock === 0,
              run: (g, t) => {
                if (locked) g.lock = t.tid + 1;
                t.l.tmp = g.x;
                return 'write';
              },
            },
            {
              name: 'write',
              run: (g, t) => {
                g.x = t.l.tmp! + 1;
                if (locked) g.lock = 0;
                return done(t.l.tmp!);
              },
            },
          ],
        },
      },
    },
    ...(withSpec
      ? { spec: { machine: counterSpec, input: () => ({}) }, abstraction: (g: Counter) => ({ x: g.x }) }
      : {}),
    invariants: [
      invariant<Counter, null>({
        name: 'x-counts-incs',
        doc: 'At quiescence x equals the number of completed increments.',
        source: 'test',
        when: 'quiescent',
        check: (g, _p, q) => (q.inFlight.every((o) => o === undefined) ? g.x <= 2 : null),
      }),
    ],
    scenarios: [],
    variants: [],
  };
}

const twoIncs: Scenario<null> = {
  name: 'two-incs',
  description: 'two threads, one inc each',
  params: null,
  threads: [[[{ op: 'inc', args: {} }]], [[{ op: 'inc', args: {} }]]],
};

describe('explorer on hand-counted systems', () => {
  test('racy increment without spec: 12 states, 14 transitions, depth 4', () => {
    // (T0, T1, x) with Ti in {I, R(tmp), D}: (I,I,0) (R0,I,0) (I,R0,0) (D,I,1) (R0,R0,0) (I,D,1)
    // (D,R1,1) (D,R0,1) (R0,D,1) (R1,D,1) (D,D,2) (D,D,1)
    const r = checkScenario(counter(false, false), twoIncs);
    expect(r.violation).toBeUndefined();
    expect(r.states).toBe(12);
    expect(r.transitions).toBe(14);
    expect(r.maxDepth).toBe(4);
    expect(r.exhaustive).toBe(true);
    expect(r.refinement).toBe('none (no spec)');
  });

  test('racy increment against an atomic spec: linearizability violation in 4 steps', () => {
    const r = checkScenario(counter(false, true), twoIncs);
    expect(r.violation?.kind).toBe('linearizability');
    expect(r.violation?.trace.transitions.length).toBe(4);
    expect(r.exhaustive).toBe(false);
    const steps = r.violation!.trace.transitions.map((l) => l.step);
    expect(steps.slice(0, 2)).toEqual(['read', 'read']);
    expect(r.violation!.trace.transitions[3]!.ret).toBe(0);
  });

  test('locked increment refines the spec: 8 states', () => {
    // lock serializes: (I,I,0) (R0,I,0) (I,R0,0) (D,I,1) (I,D,1) (D,R1,1) (R1,D,1) (D,D,2)
    const r = checkScenario(counter(true, true), twoIncs);
    expect(r.violation).toBeUndefined();
    expect(r.states).toBe(8);
    expect(r.exhaustive).toBe(true);
    expect(r.invariants[0]!.nonTrivial).toBeGreaterThan(0);
  });

  test('state limit makes a run non-exhaustive', () => {
    const r = checkScenario(counter(false, false), twoIncs, { maxStates: 5 });
    expect(r.exhaustive).toBe(false);
    expect(r.stopReason).toBe('state-limit');
  });

  test('same command, same counts', () => {
    const a = checkScenario(counter(true, true), twoIncs);
    const b = checkScenario(counter(true, true), twoIncs);
    expect([a.states, a.transitions, a.maxDepth]).toEqual([b.states, b.transitions, b.maxDepth]);
  });
});

describe('blocking and deadlock', () => {
  const Locks = S.struct({ a: S.int(), b: S.int() });
  type Locks = { a: number; b: number };
  const lockOrder = (): Subsystem<Locks, unknown, null> => ({
    name: 'locks',
    title: 'locks',
    description: 'two locks',
    impl: {
      state: Locks,
      init: () => ({ a: 0, b: 0 }),
      ops: {
        ab: {
          doc: 'lock a then b',
          steps: [
            { name: 'lock_a', enabled: (g) => g.a === 0, run: (g, t) => ((g.a = t.tid + 1), 'lock_b') },
            { name: 'lock_b', enabled: (g) => g.b === 0, run: (g, t) => ((g.b = t.tid + 1), 'unlock') },
            { name: 'unlock', run: (g) => ((g.a = 0), (g.b = 0), done()) },
          ],
        },
        ba: {
          doc: 'lock b then a',
          steps: [
            { name: 'lock_b', enabled: (g) => g.b === 0, run: (g, t) => ((g.b = t.tid + 1), 'lock_a') },
            { name: 'lock_a', enabled: (g) => g.a === 0, run: (g, t) => ((g.a = t.tid + 1), 'unlock') },
            { name: 'unlock', run: (g) => ((g.a = 0), (g.b = 0), done()) },
          ],
        },
      },
    },
    invariants: [],
    scenarios: [],
    variants: [],
  });
  const sc = (second: string): Scenario<null> => ({
    name: 'abba',
    description: '',
    params: null,
    threads: [[[{ op: 'ab', args: {} }]], [[{ op: second, args: {} }]]],
  });

  test('ABBA lock order deadlocks in 2 steps', () => {
    const r = checkScenario(lockOrder(), sc('ba'));
    expect(r.violation?.kind).toBe('deadlock');
    expect(r.violation?.trace.transitions.length).toBe(2);
    expect(r.violation?.message).toMatch(/T0 blocked in ab at lock_b/);
  });

  test('same lock order never deadlocks', () => {
    const r = checkScenario(lockOrder(), sc('ab'));
    expect(r.violation).toBeUndefined();
    expect(r.exhaustive).toBe(true);
  });
});

describe('branching steps', () => {
  const One = S.struct({ v: S.int(), failed: S.int() });
  type One = { v: number; failed: number };
  const sub: Subsystem<One, unknown, null> = {
    name: 'branch',
    title: 'branch',
    description: '',
    impl: {
      state: One,
      init: () => ({ v: 0, failed: 0 }),
      ops: {
        pick: {
          doc: 'choose among three values; alloc may fail',
          steps: [
            {
              name: 'pick',
              run: (g, t) => {
                if (t.inject('alloc')) {
                  g.failed++;
                  return done('ENOMEM');
                }
                const c = t.choose(3);
                t.assume(c !== 2, 'never picks 2');
                g.v = 10 + c;
                return done(c);
              },
            },
          ],
        },
      },
    },
    invariants: [],
    scenarios: [],
    variants: [],
  };
  const sc = (budget: number): Scenario<null> => ({
    name: 'pick',
    description: '',
    params: null,
    threads: [[[{ op: 'pick', args: {} }]]],
    faults: { budget, sites: ['alloc'] },
  });

  test('choose explores every outcome; assume prunes and is reported', () => {
    // initial + v=10 + v=11 (v=12 pruned)
    const r = checkScenario(sub, sc(0));
    expect(r.states).toBe(3);
    expect(r.preconditions).toEqual([{ text: 'never picks 2', count: 1 }]);
  });

  test('inject branches only within the fault budget', () => {
    // initial + v=10 + v=11 + failed=1 (faultsUsed=1)
    const r = checkScenario(sub, sc(1));
    expect(r.states).toBe(4);
    expect(r.bounds.faultBudget).toBe(1);
    expect(r.bounds.faultSitesNeverReached).toEqual([]);
  });

  test('a listed fault site no step ever reaches is reported (a typo would otherwise never fire)', () => {
    const r = checkScenario(sub, { ...sc(1), faults: { budget: 1, sites: ['alloc', 'aloc'] } });
    expect(r.bounds.faultSitesNeverReached).toEqual(['aloc']);
  });
});

describe('nondeterministic specs', () => {
  // Spec: a cache slot that may be dropped at any time (internal step); get returns the value or miss.
  const cacheSpec = setup({
    types: {} as {
      context: { val: number; ret?: number | string };
      events: { type: 'put'; v: number } | { type: 'get' } | { type: 'drop' };
    },
  }).createMachine({
    context: { val: -1, ret: undefined },
    on: {
      put: { actions: assign({ val: ({ event }) => event.v, ret: 'ok' }) },
      get: { actions: assign({ ret: ({ context }) => (context.val < 0 ? 'miss' : context.val) }) },
      drop: { guard: ({ context }) => context.val >= 0, actions: assign({ val: -1, ret: 'ok' }) },
    },
  });
  const Slot = S.struct({ val: S.int() });
  type Slot = { val: number };
  const mk = (stale: boolean): Subsystem<Slot, { val: number }, null> => ({
    name: 'slot',
    title: 'slot',
    description: '',
    impl: {
      state: Slot,
      init: () => ({ val: -1 }),
      ops: {
        put: {
          doc: 'store, maybe dropped by the backend',
          steps: [
            {
              name: 'put',
              run: (g, t) => {
                // backend may refuse the new value; correct code then invalidates the old one
                if (t.choose(2) === 1) g.val = stale ? g.val : -1;
                else g.val = t.args.v as number;
                return done('ok');
              },
            },
          ],
        },
        get: { doc: 'lookup', steps: [{ name: 'get', run: (g) => done(g.val < 0 ? 'miss' : g.val) }] },
      },
    },
    spec: { machine: cacheSpec, input: () => ({}), internal: (v) => (v.val >= 0 ? [{ type: 'drop' }] : []) },
    abstraction: (g) => ({ val: g.val }),
    invariants: [],
    scenarios: [],
    variants: [],
  });
  const sc: Scenario<null> = {
    name: 'put-put-get',
    description: '',
    params: null,
    threads: [[[{ op: 'put', args: { v: 1 } }], [{ op: 'put', args: { v: 2 } }], [{ op: 'get', args: {} }]]],
  };

  test('dropping is allowed by the spec', () => {
    const r = checkScenario(mk(false), sc);
    expect(r.violation).toBeUndefined();
    expect(r.exhaustive).toBe(true);
  });

  test('returning older data is caught (put-put-get)', () => {
    const r = checkScenario(mk(true), sc);
    expect(r.violation).toBeDefined();
    expect(['refinement', 'linearizability']).toContain(r.violation!.kind);
  });
});

describe('parameter-dependent state schemas', () => {
  type Pages = { used: boolean[] };
  const sub: Subsystem<Pages, unknown, { k: number }> = {
    name: 'pages',
    title: 'pages',
    description: '',
    impl: {
      state: (p) => S.struct({ used: S.array(S.bool(), p.k) }),
      init: (p) => ({ used: new Array(p.k).fill(false) }),
      ops: {
        take: {
          doc: 'mark one free page used',
          steps: [
            {
              name: 'take',
              run: (g, t) => {
                const free = g.used.map((u, i) => (u ? -1 : i)).filter((i) => i >= 0);
                if (free.length === 0) return done('ENOMEM');
                g.used[free[t.choose(free.length)]!] = true;
                return done('ok');
              },
            },
          ],
        },
      },
    },
    invariants: [],
    scenarios: [],
    variants: [],
  };
  const sc = (k: number): Scenario<{ k: number }> => ({
    name: `k${k}`,
    description: '',
    params: { k },
    threads: [[[{ op: 'take', args: {} }], [{ op: 'take', args: {} }]]],
  });
  test('the schema follows the params: k pages give 1 + k + C(k,2) states', () => {
    // after 0, 1 and 2 takes: 1 + k + C(k, 2) used-sets (for k >= 2)
    expect(checkScenario(sub, sc(3)).states).toBe(1 + 3 + 3);
    expect(checkScenario(sub, sc(5)).states).toBe(1 + 5 + 10);
  });
});

describe('spec state identity', () => {
  // The view hides `hidden`, which changes what `get` returns: two spec states would be merged.
  const leaky = setup({
    types: {} as {
      context: { shown: number; hidden: number; ret?: number };
      events: { type: 'bump' } | { type: 'get' };
    },
  }).createMachine({
    context: { shown: 0, hidden: 0, ret: undefined },
    on: {
      bump: { actions: assign({ hidden: ({ context }) => context.hidden + 1, ret: 0 }) },
      get: { actions: assign({ ret: ({ context }) => context.hidden }) },
    },
  });
  const sub: Subsystem<{ h: number }, { shown: number }, null> = {
    name: 'leaky',
    title: 'leaky',
    description: '',
    impl: {
      state: S.struct({ h: S.int() }),
      init: () => ({ h: 0 }),
      ops: {
        bump: { doc: '', steps: [{ name: 'bump', run: (g) => ((g.h += 1), done(0)) }] },
        get: { doc: '', steps: [{ name: 'get', run: (g) => done(g.h) }] },
      },
    },
    spec: { machine: leaky, input: () => ({}), view: (s) => ({ shown: s.context.shown }) },
    abstraction: () => ({ shown: 0 }),
    invariants: [],
    scenarios: [],
    variants: [],
  };
  test('a view that hides behaviour-relevant context is a spec error, not a silent merge', () => {
    const r = checkScenario(sub, {
      name: 's',
      description: '',
      params: null,
      threads: [[[{ op: 'bump', args: {} }], [{ op: 'get', args: {} }]]],
    });
    expect(r.violation?.kind).toBe('spec-error');
    expect(r.violation?.message).toMatch(/hidden is missing from the view/);
  });
});

describe('step determinism', () => {
  test('a step whose choice points change between re-runs is reported, not mis-enumerated', () => {
    let calls = 0; // state outside the explored state: the step is not a function of (state, choices)
    const sub: Subsystem<{ v: number }, unknown, null> = {
      name: 'flaky',
      title: 'flaky',
      description: '',
      impl: {
        state: S.struct({ v: S.int() }),
        init: () => ({ v: 0 }),
        ops: {
          go: {
            doc: '',
            steps: [{ name: 'go', run: (g, t) => ((g.v = t.choose(++calls % 2 === 1 ? 2 : 3)), done(g.v)) }],
          },
        },
      },
      invariants: [],
      scenarios: [],
      variants: [],
    };
    const r = checkScenario(sub, { name: 's', description: '', params: null, threads: [[[{ op: 'go', args: {} }]]] });
    expect(r.violation?.kind).toBe('impl-error');
    expect(r.violation?.message).toMatch(/nondeterministic step/);
  });
});
