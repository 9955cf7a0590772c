/**
 * params.prior: a second THP queued for deferred split before the tracked one
 * (impl/thp-common/prior.ts), in both implementations.
 */
import { describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import { selectImpl } from '../../checker/impls.js';
import { parseParams, thp } from '../../subsystems/thp/index.js';
import { thpUnsupported } from '../../subsystems/thp/probe.js';

const folio = selectImpl(thp, 'folio');
const scenario = thp.scenarios.find((s) => s.name === 'deferred-split-two-thps')!;

describe('thp params.prior', () => {
  test('parses 0 and 1 (0 leaves the params as they were), rejects anything else', () => {
    expect(parseParams({ nr: 4, mms: 1, kind: 'anon', initial: 'none' })).not.toHaveProperty('prior');
    expect(parseParams({ nr: 4, mms: 1, kind: 'anon', initial: 'none', prior: 0 })).not.toHaveProperty('prior');
    expect(parseParams({ nr: 4, mms: 1, kind: 'anon', initial: 'none', prior: 1 }).prior).toBe(1);
    expect(() => parseParams({ nr: 4, mms: 1, kind: 'anon', initial: 'none', prior: 2 })).toThrow(
      /prior must be 0 or 1/,
    );
  });

  test('the probe refuses a script with a prior THP', () => {
    const params = parseParams({ nr: 4, mms: 1, kind: 'anon', initial: 'pmd', prior: 1 });
    expect(thpUnsupported({ params, steps: [{ op: 'read', args: { mm: 0, sub: 0 } }] })).toMatch(/^prior:/);
  });

  test('folio: without e66f3185fa04 the owner may free the prior folio during the unlocked unlink: list corruption', () => {
    const ok = checkScenario(folio, scenario, { variant: null, timeLimitSeconds: 120 });
    expect(ok.violation).toBeUndefined();
    expect(ok.exhaustive).toBe(true);
    const bug = checkScenario(folio, scenario, { variant: 'e66f3185fa04', timeLimitSeconds: 120 });
    expect(bug.violation?.kind).toBe('impl-error');
    expect(bug.violation?.message).toMatch(/list_del corruption/);
  });

  test('compound (v5.10): the shrinker links and unlinks only under split_queue_lock, every order passes', () => {
    const r = checkScenario(thp, scenario, { variant: null, timeLimitSeconds: 120 });
    expect(r.violation).toBeUndefined();
    expect(r.exhaustive).toBe(true);
  });
});
