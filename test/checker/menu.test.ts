/**
 * Menu scenarios: a thread runs any program of min..max ops from a menu. The
 * checker explores every such program; a thread past its minimum may stop, so
 * a thread left waiting for it is a deadlock of the program where it stopped.
 */
import { describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import { parseScenario, ScenarioError } from '../../checker/scenario-file.js';
import { done, menu, type Scenario } from '../../checker/types.js';
import { tiny } from '../fixtures/tiny.js';

const sub = tiny({
  a: { doc: 'x = 3x + 1', steps: [{ name: 'a', run: (g) => ((g.x = g.x * 3 + 1), done()) }] },
  b: { doc: 'x = 3x + 2', steps: [{ name: 'b', run: (g) => ((g.x = g.x * 3 + 2), done()) }] },
  set: { doc: 'x = 1', steps: [{ name: 'set', run: (g) => ((g.x = 1), done()) }] },
  wait: { doc: 'wait until x = 1', steps: [{ name: 'wait', enabled: (g) => g.x === 1, run: () => done() }] },
});
const alt = (op: string) => ({ op, args: {} });

describe('menu scenarios', () => {
  test('every program up to the bound is explored: 1 + 2 + 4 distinct values of x', () => {
    const s: Scenario<null> = {
      name: 'm',
      description: 'm',
      params: null,
      threads: [menu([alt('a'), alt('b')], 2)],
      minOps: [0],
    };
    const r = checkScenario(sub, s);
    expect(r.exhaustive).toBe(true);
    expect(r.states).toBe(7);
    expect(r.bounds.minOpsPerThread).toEqual([0]);
  });

  test('a thread waiting for a menu thread that may stop is a deadlock; with min = max it is not', () => {
    const threads = [menu([alt('set')], 1), [[alt('wait')]]];
    const mayStop = checkScenario(sub, { name: 'm', description: 'm', params: null, threads, minOps: [0] });
    expect(mayStop.violation?.kind).toBe('deadlock');
    expect(mayStop.violation?.message).toContain('T1 cannot start slot 0');
    expect(mayStop.violation?.trace.transitions).toHaveLength(0);
    const mustRun = checkScenario(sub, { name: 'm', description: 'm', params: null, threads, minOps: [1] });
    expect(mustRun.violation).toBeUndefined();
    expect(mustRun.exhaustive).toBe(true);
    expect(mustRun.bounds.minOpsPerThread).toBeUndefined();
  });

  test('a scenario file declares a menu thread with menu/max/min', () => {
    const s = parseScenario(
      sub,
      {
        params: null,
        threads: [
          { menu: [{ op: 'a' }, { op: 'b' }], max: 3 },
          [{ op: 'set' }],
          { menu: [{ op: 'wait' }], max: 2, min: 1 },
        ],
      },
      'f.json',
    );
    expect(s.threads[0]).toHaveLength(3);
    expect(s.threads[0]![2]!.map((c) => c.op)).toEqual(['a', 'b']);
    expect(s.minOps).toEqual([0, undefined, 1]);
    expect(s.threads[2]).toHaveLength(2);
  });

  test.each([
    [{ menu: [], max: 2 }, 'menu: expected a non-empty list'],
    [{ menu: [{ op: 'a' }] }, 'max: expected an integer 1..64'],
    [{ menu: [{ op: 'a' }], max: 2, min: 3 }, 'min: expected an integer 0..2'],
    [{ menu: [{ op: 'zz' }], max: 2 }, "unknown operation 'zz'"],
    [{ menu: [{ op: 'a' }], max: 2, upto: 1 }, "unknown field 'upto'"],
  ])('bad menu thread %j is a one-line error', (thread, msg) => {
    expect(() => parseScenario(sub, { params: null, threads: [thread] }, 'f.json')).toThrow(ScenarioError);
    expect(() => parseScenario(sub, { params: null, threads: [thread] }, 'f.json')).toThrow(msg);
  });

  test('minOps that is not a count is rejected; one above the slots left means every slot', () => {
    expect(() =>
      checkScenario(sub, { name: 'm', description: 'm', params: null, threads: [menu([alt('a')], 1)], minOps: [-1] }),
    ).toThrow('minOps[0] must be a non-negative integer');
    const r = checkScenario(sub, {
      name: 'm',
      description: 'm',
      params: null,
      threads: [menu([alt('a')], 1)],
      minOps: [2],
    });
    expect(r.bounds.minOpsPerThread).toBeUndefined();
  });
});
