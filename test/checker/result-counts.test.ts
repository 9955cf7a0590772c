/** What a result reports (pruned-path counts) does not depend on rebuilding the counterexample. */
import { describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import { done, invariant } from '../../checker/types.js';

import { G, one, tiny } from '../fixtures/tiny.js';

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
