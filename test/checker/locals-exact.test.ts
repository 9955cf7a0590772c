/** Locals are stored exactly, never silently truncated. */
import { describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import { done, invariant } from '../../checker/types.js';

import { G, one, tiny } from '../fixtures/tiny.js';

describe('locals', () => {
  test('a local that is not a 32-bit integer is an error, not silently truncated', () => {
    // x = 1 when the local held 0.5 (truncated to 0 it would look like it held 0)
    const sub = tiny(
      {
        op: {
          doc: 'half',
          locals: ['h'],
          steps: [
            { name: 'set', run: (_g, t) => ((t.l.h = 0.5), 'use') },
            { name: 'use', run: (g, t) => ((g.x = t.l.h! > 0 ? 1 : 0), done(null)) },
          ],
        },
      },
      [
        invariant<G, null>({
          name: 'x-set',
          doc: 'x is 1 after op',
          source: 'test',
          when: 'quiescent',
          check: (g, _p, q) => (q.inFlight[0] === undefined && g.x === 0 ? null : g.x === 1),
        }),
      ],
    );
    const r = checkScenario(sub, one(['op']));
    expect(r.violation?.kind).toBe('impl-error');
    expect(r.violation?.message).toMatch(/local/);
  });
  test('a local at 2^31 is an error too', () => {
    const sub = tiny({
      op: {
        doc: 'big',
        locals: ['h'],
        steps: [
          { name: 'set', run: (_g, t) => ((t.l.h = 2 ** 31), 'use') },
          { name: 'use', run: () => done(null) },
        ],
      },
    });
    expect(checkScenario(sub, one(['op'])).violation?.kind).toBe('impl-error');
  });
});

describe('undeclared locals', () => {
  test('writing a local the op does not declare is an error, not hidden state shared across runs', () => {
    const sub = tiny({
      op: {
        doc: 'writes an undeclared local',
        steps: [{ name: 's', run: (g, t) => ((t.l.hidden = (t.l.hidden ?? 0) + 1), (g.x = t.l.hidden), done(null)) }],
      },
    });
    const r = checkScenario(sub, one(['op']));
    expect(r.violation?.kind).toBe('impl-error');
    expect(r.violation?.message).toMatch(/hidden/);
  });
});
