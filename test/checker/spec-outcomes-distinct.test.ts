/** Distinct (spec state, return value) outcomes of a nondeterministic op are never merged. */
import { describe, expect, test } from 'vitest';
import { assign, setup } from 'xstate';
import { SpecAdapter } from '../../checker/spec-adapter.js';

describe('spec outcomes', () => {
  test('outcomes with return-value ids >= 65536 are not merged', () => {
    const pick = setup({
      types: {} as { context: { n: number; ret?: string }; events: { type: 'pick'; choice?: string } },
    }).createMachine({
      context: { n: 0, ret: undefined },
      on: {
        pick: [
          { guard: ({ event }) => event.choice === 'a', actions: assign({ n: 1, ret: 'A' }) },
          { guard: ({ event }) => event.choice === 'b', actions: assign({ n: 2, ret: 'B' }) },
        ],
      },
    });
    const spec = new SpecAdapter({ machine: pick, input: () => ({}), choices: { pick: ['a', 'b'] } }, null);
    // 'B' gets ret id 0 and 'A' ret id 65536; 'a' leads to spec state 1, 'b' to spec state 2.
    spec.retId('B');
    for (let i = 1; i < 65536; i++) spec.retId(i);
    expect(spec.retId('A')).toBe(65536);
    const out = spec.outcomes(spec.initialId, spec.opId('pick', {}));
    expect(out.length).toBe(4);
  });
});
