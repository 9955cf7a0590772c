/**
 * `check --por` on the registered implementations: in every default scenario
 * whose ops declare a thread-local step (StepDef.threadLocal; today thp
 * folio's), the correct code's verdict is the unreduced run's, with no more
 * states, and every variant that names the scenario is still caught. A
 * scenario none of whose ops declares one gets no reduction (the result says
 * not applied; Product.setPor is never called), so its runs are the
 * unreduced ones by construction.
 */
import { describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import { planPor } from '../../checker/por.js';
import { Product } from '../../checker/product.js';
import type { CheckResult } from '../../checker/result.js';
import type { Scenario, Subsystem } from '../../checker/types.js';
import { IMPLS, label } from './symmetry-scenarios.js';

const applies = (sub: Subsystem, s: Scenario): boolean =>
  planPor(new Set(new Product(sub, s, null).alts.flat(2).map((a) => a.op))).reason === undefined;

const CASES = IMPLS.flatMap((sub) =>
  sub.scenarios.filter((s) => applies(sub, s)).map((s) => [`${label(sub)}/${s.name}`, sub, s] as const),
);

const verdict = (r: CheckResult): string =>
  r.violation ? `${r.violation.kind}/${r.violation.property}` : r.exhaustive ? 'pass' : 'inconclusive';

describe('por: verdicts of the registered implementations', () => {
  test('it applies somewhere (thp folio), and only where a declared step is', () => {
    expect(CASES.map(([n]) => n.split('/')[0])).toContain('thp:folio');
    expect(new Set(CASES.map(([n]) => n.split('/')[0]))).toEqual(new Set(['thp:folio']));
  });

  test.each(CASES)('%s: the correct code, and every variant naming it', (_n, sub, s) => {
    const plain = checkScenario(sub, s, { timeLimitSeconds: 120 });
    const por = checkScenario(sub, s, { por: true, timeLimitSeconds: 120 });
    expect(por.por?.applied).toBe(true);
    expect(verdict(por)).toBe(verdict(plain));
    expect(por.states).toBeLessThanOrEqual(plain.states);
    for (const v of sub.variants.filter((x) => (x.scenarios ?? []).includes(s.name))) {
      const r = checkScenario(sub, s, { variant: v.name, por: true, timeLimitSeconds: 120 });
      expect(r.violation, `${v.name} caught with --por`).toBeDefined();
    }
  });
});
