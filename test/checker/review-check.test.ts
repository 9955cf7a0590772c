/** Review: what a result reports (pruned-path counts) does not depend on rebuilding the counterexample. */
import { describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import { S } from '../../checker/schema.js';
import { done, invariant, type Scenario, type Subsystem } from '../../checker/types.js';

type G = { x: number };
const Gs = S.struct({ x: S.int() });
function tiny(ops: Subsystem<G, never, null>['impl']['ops'], invs: Subsystem<G, never, null>['invariants'] = []): Subsystem<G, never, null> {
  return {
    name: 'tiny',
    title: 'tiny',
    description: 'review fixture',
    impl: { state: Gs, init: () => ({ x: 0 }), ops },
    invariants: invs,
    scenarios: [],
    variants: [],
  };
}
const one = (...slots: string[][]): Scenario<null> => ({
  name: 's',
  description: 's',
  params: null,
  threads: [slots.map((alts) => alts.map((op) => ({ op, args: {} })))],
});

describe('pruned-path accounting', () => {
  test('rebuilding a counterexample does not count pruned paths again', () => {
    // first op: two branches, one pruned; second op: breaks the invariant.
    const sub = tiny(
      {
        a: { doc: 'a', steps: [{ name: 'a', run: (_g, t) => (t.assume(t.choose(2) === 0, 'P'), done(null)) }] },
        b: { doc: 'b', steps: [{ name: 'b', run: (g) => ((g.x = 1), done(null)) }] },
      },
      [invariant<G, null>({ name: 'x0', doc: 'x stays 0', source: 'test', when: 'always', check: (g) => g.x === 0 })],
    );
    const r = checkScenario(sub, one(['a'], ['b']));
    expect(r.violation?.property).toBe('x0');
    expect(r.preconditions).toEqual([{ text: 'P', count: 1 }]);
  });
});
