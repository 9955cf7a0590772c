/**
 * hugetlb_fix_reserve_counts with several nodes (impl/hugetlb/accounting.ts, mm/hugetlb.c @ v6.12):
 * a hole punch whose region_del cannot split an entry makes the entry a reservation again, and
 * its hugetlb_acct_memory(1) gathers a surplus page on the node alloc_surplus_hugetlb_folio gives.
 * Until session 15 the implementation stopped there with an error and the spec's punch had no node
 * for the page (spec-error).
 */
import { describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import { hugetlb } from '../../subsystems/hugetlb/index.js';

describe('hugetlb_fix_reserve_counts with several nodes', () => {
  test('node-punch-split refines the spec exhaustively, the injected split failure reached', () => {
    const sc = hugetlb.scenarios.find((x) => x.name === 'node-punch-split')!;
    const r = checkScenario(hugetlb, sc, { variant: null });
    expect(r.violation).toBeUndefined();
    expect(r.exhaustive).toBe(true);
    expect(r.bounds.faultSitesNeverReached ?? []).toEqual([]);
    // HR-7 (the counters not fixed) is caught with several nodes too
    expect(checkScenario(hugetlb, sc, { variant: 'HR-7' }).violation).toBeDefined();
  });
});
