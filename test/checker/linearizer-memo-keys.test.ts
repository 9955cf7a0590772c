/** The linearizer's memo keys pack the thread id in 3 bits. */
import { describe, expect, test } from 'vitest';
import { assign, setup } from 'xstate';
import { checkHistory, type HistoryEvent } from '../../checker/linearizer.js';
import { SpecAdapter } from '../../checker/spec-adapter.js';

const register = setup({
  types: {} as {
    context: { v: number; ret?: number | string };
    events: { type: 'write'; v: number } | { type: 'read' };
  },
}).createMachine({
  context: { v: 0, ret: undefined },
  on: {
    write: { actions: assign({ v: ({ event }) => event.v, ret: 'ok' }) },
    read: { actions: assign({ ret: ({ context }) => context.v }) },
  },
});

const inv = (tid: number, op: string, args: Record<string, number> = {}): HistoryEvent => ({
  kind: 'invoke',
  tid,
  op,
  args,
});
const ret = (tid: number, r: number | string | boolean | null): HistoryEvent => ({ kind: 'return', tid, ret: r });

describe('linearizer memo keys', () => {
  test('a thread id >= 8 cannot alias another event kind in the memo', () => {
    // invoke(S, tid 8, op k) packs to the same code as respond(S, tid 0, ret k).
    // Two sequential reads of 0 by T0, and T8's read of 0 in between: linearizable.
    const h = [inv(0, 'read'), ret(0, 0), inv(0, 'read'), inv(8, 'read'), ret(8, 0), ret(0, 0)];
    const spec = new SpecAdapter({ machine: register, input: () => ({}) }, null);
    let r: number | Error;
    try {
      r = checkHistory(spec, 9, h);
    } catch (e) {
      r = e as Error;
    }
    // Either supported and correct, or refused; never a wrong verdict.
    if (typeof r === 'number') expect(r).toBe(-1);
    else expect(r.message).toMatch(/thread/);
  });
});
