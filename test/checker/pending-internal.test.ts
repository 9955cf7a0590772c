/**
 * SpecDef.pendingInternal: steps an operation in flight may take before it
 * linearizes. The linearizer offers them only while that operation is
 * pending, and the sequential spec walk only before that step's outcome.
 */
import { describe, expect, test } from 'vitest';
import { assign, setup } from 'xstate';
import { checkHistory, type HistoryEvent } from '../../checker/linearizer.js';
import { SpecAdapter } from '../../checker/spec-adapter.js';
import { SpecWalker } from '../../checker/spec-walk.js';
import type { SpecDef } from '../../checker/types.js';

/** A box that `fill` first zeroes (visible to others), then fills; `peek` reads it ('empty' before). */
const box = setup({
  types: {} as {
    context: { v: number; ret?: number | string };
    events: { type: 'fill'; v: number } | { type: 'zero' } | { type: 'peek' };
  },
}).createMachine({
  context: { v: -1, ret: undefined },
  on: {
    fill: { actions: assign({ v: ({ event }) => event.v, ret: 'ok' }) },
    zero: { guard: ({ context }) => context.v < 0, actions: assign({ v: 0, ret: 'ok' }) },
    peek: { actions: assign({ ret: ({ context }) => (context.v < 0 ? 'empty' : context.v) }) },
  },
});

const spec = (pending: boolean): SpecDef<unknown, unknown> => ({
  machine: box,
  input: () => ({}),
  ...(pending ? { pendingInternal: (_v, op) => (op === 'fill' ? [{ type: 'zero' }] : []) } : {}),
});

const inv = (tid: number, op: string, args: Record<string, number> = {}): HistoryEvent => ({
  kind: 'invoke',
  tid,
  op,
  args,
});
const ret = (tid: number, r: number | string): HistoryEvent => ({ kind: 'return', tid, ret: r });

describe('pendingInternal', () => {
  test('a reader overlapping the op may see its intermediate effect', () => {
    const h = [inv(0, 'fill', { v: 5 }), inv(1, 'peek'), ret(1, 0), ret(0, 'ok'), inv(1, 'peek'), ret(1, 5)];
    expect(checkHistory(new SpecAdapter(spec(true), null), 2, h)).toBe(-1);
    expect(checkHistory(new SpecAdapter(spec(false), null), 2, h)).toBe(2);
  });

  test('the step is not offered while the op is not in flight', () => {
    const before = [inv(1, 'peek'), ret(1, 0), inv(0, 'fill', { v: 5 }), ret(0, 'ok')];
    expect(checkHistory(new SpecAdapter(spec(true), null), 2, before)).toBe(1);
    const after = [inv(0, 'fill', { v: 5 }), ret(0, 'ok'), inv(1, 'peek'), ret(1, 0)];
    expect(checkHistory(new SpecAdapter(spec(true), null), 2, after)).toBe(3);
  });

  test('a sequential walk closes over it only for that step', () => {
    const w = new SpecWalker(spec(true), null);
    const init = w.initial();
    expect(init).toHaveLength(1);
    expect(w.outcomes(init, 'peek', {}).map((o) => o.ret)).toEqual(['empty']);
    const filled = w.outcomes(init, 'fill', { v: 5 });
    expect(filled.map((o) => [o.ret, w.view(o.next)])).toEqual([['ok', { v: 5 }]]);
    expect(w.adapter.pendingSuccessors(init[0]!, w.adapter.opId('fill', { v: 5 }))).toHaveLength(1);
  });
});
