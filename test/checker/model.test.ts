/**
 * Strategies explore any Model, not only the product: a hand-written model of
 * a 2-D grid walker (x, y in 0..N-1, moves +1 on either axis) has N*N states;
 * BFS finds the shortest path to a "bad" corner, DFS finds one, stores and
 * random walks work on it unchanged.
 */
import { describe, expect, test } from 'vitest';
import type { Emit, Failure, Model } from '../../checker/model.js';
import { bfs } from '../../checker/strategy/bfs.js';
import { dfs } from '../../checker/strategy/dfs.js';
import { randomWalk } from '../../checker/strategy/random-walk.js';
import { BitstateStore, ExactStore } from '../../checker/store/visited.js';

function grid(n: number, bad?: [number, number]): Model {
  const out = new Int32Array(2);
  return {
    invariantStats: [],
    initial: () => ({ vec: Int32Array.of(0, 0), impl: null }),
    expand(vec: Int32Array, off: number, _len: number, emit: Emit, wantLabels = false) {
      for (let axis = 0; axis < 2; axis++) {
        if (vec[off + axis]! + 1 >= n) continue;
        out[0] = vec[off]!;
        out[1] = vec[off + 1]!;
        out[axis]!++;
        emit(
          { buf: out, len: 2, impl: null },
          wantLabels
            ? {
                tid: axis,
                op: 'move',
                args: {},
                slot: 0,
                alt: 0,
                step: 'move',
                choices: [],
                injected: [],
                invoked: true,
              }
            : undefined,
        );
      }
    },
    checkState(vec: Int32Array, off: number): Failure | undefined {
      return bad && vec[off] === bad[0] && vec[off + 1] === bad[1]
        ? { kind: 'invariant', property: 'bad', message: 'bad corner' }
        : undefined;
    },
    stuck: () => undefined,
    traceState: (vec) => ({ impl: Array.from(vec), threads: [], faultsUsed: 0 }),
    pick: () => undefined,
  };
}

describe('strategies over a hand-written Model', () => {
  test('BFS and DFS count every state; a roomy bitstate store too', () => {
    expect(bfs(grid(30), new ExactStore()).states).toBe(900);
    expect(dfs(grid(30), new ExactStore()).states).toBe(900);
    const b = bfs(grid(30), new BitstateStore(22));
    expect(b.states).toBe(900);
    expect(b.visitedKind).toBe('bitstate');
  });

  test('BFS finds a shortest path to a violation; DFS finds one', () => {
    const b = bfs(grid(10, [3, 4]), new ExactStore());
    expect(b.stop).toBe('violation');
    expect(b.found!.path).toHaveLength(7);
    const d = dfs(grid(10, [3, 4]), new ExactStore());
    expect(d.found!.path).toHaveLength(7); // every path to (3,4) has 7 moves
    expect(d.shortest).toBe(false);
  });

  test('a random walk stops at the terminal corner or the bound', () => {
    const w = randomWalk(grid(5), (n, i) => i % n, 100);
    expect(w.terminal).toBe(true);
    expect(w.path).toHaveLength(8);
    expect(randomWalk(grid(5), () => 0, 3).path).toHaveLength(3);
  });

  test('a state limit stops BFS, not exhaustive', () => {
    expect(bfs(grid(30), new ExactStore(), { maxStates: 100 }).stop).toBe('state-limit');
  });
});
