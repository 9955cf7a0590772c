/** The trace pipeline on a real check run: checker -> ITF file -> reader -> replay, table. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import { replaySchedule } from '../../checker/replay.js';
import type { Schema } from '../../checker/schema.js';
import {
  readItf,
  scenarioOf,
  scheduleOf,
  subsystemOf,
  toItf,
  variantOf,
  violationOf,
  writeItf,
} from '../../traces/itf.js';
import { renderTrace } from '../../traces/table.js';
import { counter } from '../fixtures/counter.js';

describe('a real counterexample through ITF', () => {
  const scenario = counter.scenarios[0]!;
  const result = checkScenario(counter, scenario, { variant: 'racy' });
  const schema = counter.impl.state as unknown as Schema<unknown>;

  it('round-trips and replays to the same failure', () => {
    expect(result.violation).toBeDefined();
    const path = join(mkdtempSync(join(tmpdir(), 'mmcheck-e2e-')), 'counter.itf.json');
    writeItf(path, toItf(result, { implSchema: schema, scenario }));
    const itf = readItf(path);
    expect(subsystemOf(itf)).toBe('counter');
    expect(violationOf(itf, { implSchema: schema })).toEqual(result.violation);
    const r = replaySchedule(counter, scenarioOf(itf) as typeof scenario, variantOf(itf), scheduleOf(itf));
    expect(r.failure?.property).toBe(result.violation!.property);
    // and the correct implementation does not fail on the same schedule
    const fixed = replaySchedule(counter, scenarioOf(itf) as typeof scenario, null, scheduleOf(itf));
    expect(fixed.failure).toBeUndefined();
  });

  it('renders the schedule as a table', () => {
    const out = renderTrace(result.violation!);
    for (const l of result.violation!.trace.transitions) expect(out).toContain(`${l.op}(`);
    expect(out).toContain(`✗${result.violation!.trace.transitions.length}`);
  });
});
