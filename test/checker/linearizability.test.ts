/**
 * Linearizability on hand-made histories (the classic examples from Herlihy &
 * Wing and the Lincheck/Porcupine test suites), against xstate specs, with
 * the same Linearizer the explorer uses.
 */
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

const queue = setup({
  types: {} as {
    context: { q: number[]; ret?: number | string };
    events: { type: 'enq'; v: number } | { type: 'deq' };
  },
}).createMachine({
  context: { q: [], ret: undefined },
  on: {
    enq: { actions: assign({ q: ({ context, event }) => [...context.q, event.v], ret: 'ok' }) },
    deq: {
      actions: assign({
        q: ({ context }) => context.q.slice(1),
        ret: ({ context }) => (context.q.length ? context.q[0]! : 'empty'),
      }),
    },
  },
});

/** A set whose `add` may nondeterministically fail (spec allows either). */
const lossy = setup({
  types: {} as {
    context: { s: number[]; ret?: string | boolean };
    events: { type: 'add'; v: number; choice?: string } | { type: 'has'; v: number };
  },
}).createMachine({
  context: { s: [], ret: undefined },
  on: {
    add: [
      {
        guard: ({ event }) => event.choice === 'ok',
        actions: assign({ s: ({ context, event }) => [...new Set([...context.s, event.v])].sort(), ret: 'ok' }),
      },
      { guard: ({ event }) => event.choice === 'fail', actions: assign({ ret: 'ENOMEM' }) },
    ],
    has: { actions: assign({ ret: ({ context, event }) => context.s.includes(event.v) }) },
  },
});

const inv = (tid: number, op: string, args: Record<string, number> = {}): HistoryEvent => ({
  kind: 'invoke',
  tid,
  op,
  args,
});
const ret = (tid: number, r: number | string | boolean | null): HistoryEvent => ({ kind: 'return', tid, ret: r });
const reg = () => new SpecAdapter({ machine: register, input: () => ({}) }, null);
const q = () => new SpecAdapter({ machine: queue, input: () => ({}) }, null);

describe('register', () => {
  test('overlapping write and read may see either value', () => {
    expect(checkHistory(reg(), 2, [inv(0, 'write', { v: 1 }), inv(1, 'read'), ret(1, 0), ret(0, 'ok')])).toBe(-1);
    expect(checkHistory(reg(), 2, [inv(0, 'write', { v: 1 }), inv(1, 'read'), ret(1, 1), ret(0, 'ok')])).toBe(-1);
  });
  test('a read after a completed write must see it', () => {
    const h = [inv(0, 'write', { v: 1 }), ret(0, 'ok'), inv(1, 'read'), ret(1, 0)];
    expect(checkHistory(reg(), 2, h)).toBe(3);
  });
  test('new-old inversion between two sequential reads is rejected', () => {
    // write(1) overlaps both reads; the first read sees 1, the later read sees 0: not linearizable.
    const h = [inv(0, 'write', { v: 1 }), inv(1, 'read'), ret(1, 1), inv(1, 'read'), ret(1, 0), ret(0, 'ok')];
    expect(checkHistory(reg(), 2, h)).toBe(4);
  });
  test('a value never written is rejected', () => {
    expect(checkHistory(reg(), 1, [inv(0, 'read'), ret(0, 7)])).toBe(1);
  });
});

describe('queue (Herlihy & Wing)', () => {
  test('concurrent enqueues may be dequeued in either order', () => {
    const h = [inv(0, 'enq', { v: 1 }), inv(1, 'enq', { v: 2 }), ret(1, 'ok'), ret(0, 'ok'), inv(0, 'deq'), ret(0, 2)];
    expect(checkHistory(q(), 2, h)).toBe(-1);
  });
  test('sequential enqueues must be dequeued in order', () => {
    const h = [inv(0, 'enq', { v: 1 }), ret(0, 'ok'), inv(1, 'enq', { v: 2 }), ret(1, 'ok'), inv(0, 'deq'), ret(0, 2)];
    expect(checkHistory(q(), 2, h)).toBe(5);
  });
  test('dequeue of an element enqueued later than a completed dequeue', () => {
    // deq returns empty although enq(1) completed before it started
    const h = [inv(0, 'enq', { v: 1 }), ret(0, 'ok'), inv(1, 'deq'), ret(1, 'empty')];
    expect(checkHistory(q(), 2, h)).toBe(3);
  });
  test('three threads: a pending op may linearize before a later response', () => {
    const h = [inv(0, 'enq', { v: 1 }), inv(1, 'deq'), inv(2, 'deq'), ret(1, 1), ret(2, 'empty'), ret(0, 'ok')];
    expect(checkHistory(q(), 3, h)).toBe(-1);
  });
});

describe('nondeterministic spec', () => {
  const s = () => new SpecAdapter({ machine: lossy, input: () => ({}), choices: { add: ['ok', 'fail'] } }, null);
  test('either outcome of add is allowed, and the state follows the outcome', () => {
    expect(
      checkHistory(s(), 1, [inv(0, 'add', { v: 1 }), ret(0, 'ENOMEM'), inv(0, 'has', { v: 1 }), ret(0, false)]),
    ).toBe(-1);
    expect(checkHistory(s(), 1, [inv(0, 'add', { v: 1 }), ret(0, 'ok'), inv(0, 'has', { v: 1 }), ret(0, true)])).toBe(
      -1,
    );
  });
  test('a failed add cannot have added', () => {
    expect(
      checkHistory(s(), 1, [inv(0, 'add', { v: 1 }), ret(0, 'ENOMEM'), inv(0, 'has', { v: 1 }), ret(0, true)]),
    ).toBe(3);
  });
  test('a return value outside the spec is rejected', () => {
    expect(checkHistory(s(), 1, [inv(0, 'add', { v: 1 }), ret(0, 'EBUSY')])).toBe(1);
  });
});
