/**
 * SpecAdapter runs every transition in one actor scope (spec-adapter.ts inertScope). Nothing may be
 * registered in that scope's actor system, or results would depend on how many transitions ran
 * before: invoked and spawned actors are rejected with a SpecError, never left to collide.
 */
import { describe, expect, test } from 'vitest';
import { assign, fromPromise, setup } from 'xstate';
import { ignoredSpecActions, SpecAdapter, SpecError } from '../../checker/spec-adapter.js';

type Ctx = { n: number; ret?: unknown; child?: unknown };
type Ev = { type: 'a' } | { type: 'b' } | { type: 'boom' };

const invoking = setup({
  types: {} as { context: Ctx; events: Ev },
  actors: { job: fromPromise(async () => 1) },
}).createMachine({
  context: { n: 0, ret: undefined },
  initial: 'idle',
  states: {
    idle: {
      on: {
        a: { target: 'busy', actions: assign({ n: 1, ret: 'A' }) },
        b: { target: 'busy', actions: assign({ n: 2, ret: 'B' }) },
      },
    },
    busy: { invoke: { src: 'job', systemId: 'worker' } },
  },
});

const spawning = setup({
  types: {} as { context: Ctx; events: Ev },
  actors: { job: fromPromise(async () => 1) },
}).createMachine({
  context: { n: 0, ret: undefined },
  on: {
    a: { actions: assign(({ spawn }) => ({ n: 1, ret: 'A', child: spawn('job', { systemId: 'job' }) })) },
    boom: {
      actions: assign((): Ctx => {
        throw new Error('bad transition');
      }),
    },
  },
});

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('spec adapter: one actor scope, no actors in it', () => {
  test('a state that invokes an actor is reported, and the adapter refuses the spec', () => {
    expect(ignoredSpecActions(invoking)).toEqual([`state 'busy': invoke would never run (the checker runs no actors)`]);
    const err = thrown(() => new SpecAdapter({ machine: invoking, input: () => ({}) }, null));
    expect(err).toBeInstanceOf(SpecError);
    expect(err.message).toContain(`state 'busy': invoke would never run`);
  });

  test('a transition that spawns a child is a SpecError on its first run, not a collision on its second', () => {
    expect(ignoredSpecActions(spawning)).toEqual([]);
    const spec = new SpecAdapter({ machine: spawning, input: () => ({}) }, null);
    const err = thrown(() => spec.outcomes(spec.initialId, spec.opId('a', {})));
    expect(err).toBeInstanceOf(SpecError);
    expect(err.message).toBe('spec spawned an actor on a: the checker runs no actors');
    expect(thrown(() => spec.outcomes(spec.initialId, spec.opId('a', {}))).message).toBe(err.message);
  });

  test('a transition that throws is a SpecError naming the event', () => {
    const spec = new SpecAdapter({ machine: spawning, input: () => ({}) }, null);
    const err = thrown(() => spec.outcomes(spec.initialId, spec.opId('boom', {})));
    expect(err).toBeInstanceOf(SpecError);
    expect(err.message).toBe('spec threw on boom: bad transition');
  });
});
