/**
 * hugetlb_fix_reserve_counts with several nodes (impl/hugetlb/accounting.ts, mm/hugetlb.c @ v6.12):
 * a hole punch whose region_del cannot split an entry makes the entry a reservation again, and
 * its hugetlb_acct_memory(1) gathers a surplus page on the node alloc_surplus_hugetlb_folio gives.
 * Until session 15 the implementation stopped there with an error and the spec's punch had no node
 * for the page (spec-error).
 */
import { describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import { jobOfScenario } from '../../cli/reproduce-job.js';
import { predictScript } from '../../kernel/predict.js';
import { hugetlb } from '../../subsystems/hugetlb/index.js';
import { hugetlbProbe } from '../../subsystems/hugetlb/probe.js';

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

  test("under MPOL_BIND the fix-up's allowed_mems_nr check fails: the entry stays uncounted (finding-fix-reserve-counts-membind)", () => {
    for (const v of ['6.1', '6.12']) {
      const t = jobOfScenario(hugetlb, 'finding-fix-reserve-counts-membind', null, 'traces/out').target(hugetlb, v);
      if (t.kind !== 'script') throw new Error(`${v}: ${t.why}`);
      expect(t.script.injections).toEqual([{ step: 6, site: 'region_del_split', nth: 1 }]);
      const p = predictScript(hugetlb, hugetlbProbe, t.script, { kernelVersion: v });
      // as Debian 6.1.192 and 6.12.118 showed: node 0 had no free page, node 1 one; the reservation is not made
      expect(p[5]?.counters).toMatchObject({ HugePages_Free: 1, HugePages_Rsvd: 0 });
      expect(p[6]).toMatchObject({ ret: 'ok', counters: { HugePages_Total: 5, HugePages_Free: 2, HugePages_Rsvd: 0 } });
      expect(p[6]?.implProblem).toBeUndefined();
      expect(p[6]?.specProblem).toMatch(/refinement/);
      // without the policy the same punch makes the entry a reservation again (node 1's free page backs it)
      const free = predictScript(
        hugetlb,
        hugetlbProbe,
        { ...t.script, params: { ...(t.script.params as object), membind: undefined } },
        { kernelVersion: v },
      );
      expect(free[6]).toMatchObject({ ret: 'ok', counters: { HugePages_Free: 2, HugePages_Rsvd: 1 } });
      expect(free[6]?.specProblem).toBeUndefined();
    }
  });
});
