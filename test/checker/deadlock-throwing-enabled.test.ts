/** The deadlock check never crashes on an enabled() that throws (the expansion reports it). */
import { describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import { replaySchedule } from '../../checker/replay.js';
import { done } from '../../checker/types.js';

import { one, tiny } from '../fixtures/tiny.js';

describe('deadlock rescan', () => {
  // T0 picks op x or op y. x fails at its second step (a transition failure at depth 2);
  // y's second step has an enabled() that throws. The rescan of depth 1 for a shorter
  // deadlock must not crash on y.
  const sub = tiny({
    x: {
      doc: 'x',
      steps: [
        { name: 'x1', run: () => 'x2' },
        {
          name: 'x2',
          run: () => {
            throw new Error('boom');
          },
        },
      ],
    },
    y: {
      doc: 'y',
      steps: [
        { name: 'y1', run: () => 'y2' },
        {
          name: 'y2',
          enabled: () => {
            throw new Error('enabled boom');
          },
          run: () => done(null),
        },
      ],
    },
  });
  test('an enabled() that throws in the rest of the level does not crash the checker', () => {
    const r = checkScenario(sub, one(['x', 'y']));
    expect(r.violation?.kind).toBe('impl-error');
    expect(r.violation?.trace.transitions.length).toBe(2);
  });
  test('replay of a path through such a state does not crash either', () => {
    const r = checkScenario(sub, one(['y']));
    expect(r.violation?.kind).toBe('impl-error');
    const rep = replaySchedule(sub, one(['y']), null, r.violation!.trace.transitions);
    expect(rep.failure?.kind).toBe('impl-error');
  });
});
