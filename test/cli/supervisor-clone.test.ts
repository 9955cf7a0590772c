/**
 * A job whose scenario cannot be cloned to a worker thread (a function in it) ends as that job's error; the
 * other jobs still run and the supervisor finishes. Before, postMessage threw past the supervisor, the fresh
 * worker stayed alive and `mmcheck check` printed an internal error and then never exited.
 */
import { describe, expect, test } from 'vitest';
import { Supervisor } from '../../cli/supervisor.js';
import { registry } from '../fixtures/counter.js';

const registryModule = new URL('../fixtures/counter.ts', import.meta.url).href;

describe('supervisor', () => {
  test('a scenario that cannot be sent to a worker fails alone, and the run ends', async () => {
    const sub = registry[0]!;
    const scenario = sub.scenarios[0]!;
    const unclonable = { ...scenario, name: 'unclonable', extra: () => 1 } as typeof scenario;
    const sup = new Supervisor(
      [
        { sub, scenario: unclonable, variant: null, expectViolation: false },
        { sub, scenario, variant: null, expectViolation: false },
      ],
      { parallel: 1, registryModule, heartbeatSeconds: 0, heartbeat: () => {} },
    );
    const ends = await sup.run();
    expect(ends[0]!.error).toMatch(/^the scenario cannot be sent to a worker thread: /);
    expect(ends[0]!.result).toBeUndefined();
    expect(ends[1]!.error).toBeUndefined();
    expect(ends[1]!.result).toBeDefined();
  }, 60_000);
});
