/**
 * alloc_surplus_hugetlb_folio() (mm/hugetlb.c @ v6.12; alloc_surplus_huge_page() @ v6.1) split into
 * its hugetlb_lock cycles: before 2273dea6b1e1 ("mm/hugetlb: update nr_huge_pages and
 * surplus_huge_pages together") prep_new_hugetlb_folio() counts the fresh page in nr_huge_pages a
 * lock cycle before the recheck's surplus_huge_pages++, so a concurrent nr_hugepages write counts it
 * as persistent; mainline accounts both in the recheck's cycle.
 */
import { describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import { raceStressOf } from '../../kernel/race-stress.js';
import { findings, hugetlb } from '../../subsystems/hugetlb/index.js';

const finding = findings.find((f) => f.name === 'finding-surplus-alloc-counted-persistent')!;

describe('hugetlb surplus allocation window (2273dea6b1e1)', () => {
  test('6.12 and 6.1 lack the fix, mainline has it', () => {
    const lacks = (v: string) => hugetlb.kernelVersions!.versions.find((k) => k.name === v)!.lacks;
    expect(lacks('6.12')).toContain('2273dea6b1e1');
    expect(lacks('6.1')).toContain('2273dea6b1e1');
    expect(lacks('mainline')).not.toContain('2273dea6b1e1');
  });

  for (const kv of ['6.12', '6.1']) {
    test(`--kernel-version ${kv}: the write between prep_new_hugetlb_folio and the recheck leaves Total 0 Surp 1`, () => {
      const r = checkScenario(hugetlb, { ...finding, kernelVersion: kv }, { variant: null, timeLimitSeconds: 60 });
      expect(r.violation).toBeDefined();
      const steps = r.violation!.trace.transitions.map((t) => JSON.stringify(t));
      // the page counted in nr_huge_pages in a step of its own, then freed as temporary by the recheck
      expect(steps.some((s) => s.includes('gather_surplus_pages:prep_new_hugetlb_folio'))).toBe(true);
      const last = r.violation!.trace.states.at(-1) as unknown as { impl: { nr: number; surp: number } };
      expect({ nr: last.impl.nr, surp: last.impl.surp }).toEqual({ nr: 0, surp: 1 });
    });
  }

  test('mainline: nr_huge_pages and surplus_huge_pages in one lock cycle, the same scenario passes', () => {
    const r = checkScenario(
      hugetlb,
      { ...finding, kernelVersion: 'mainline' },
      { variant: null, timeLimitSeconds: 60 },
    );
    expect(r.violation).toBeUndefined();
    expect(r.exhaustive).toBe(true);
  });

  test('the finding runs the race loop in its mmap form, the damage counted at mmap, fault or munmap', () => {
    const race = raceStressOf(finding)!;
    expect(race.forms?.[0]).toMatchObject({ name: 'mmap', env: { MMCHECK_WRITER: 'mmap', MMCHECK_POOL: 'surplus' } });
    expect(race.shows.at).toEqual(['mmap', 'fault', 'munmap']);
    expect(race.opens).toBe('mmaps');
  });
});
