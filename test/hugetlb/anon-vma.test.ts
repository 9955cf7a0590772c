/**
 * vma->anon_vma (impl vma.av) and the anon_vma_prepare fault site: __anon_vma_prepare() runs only while a
 * private VMA has no anon_vma (its first anonymous page), in hugetlb_no_page() (v6.12: before the allocation,
 * v6.1: after it) and in hugetlb_wp() after the copy's allocation (both versions): the first COW of a page-cache
 * page through a MAP_PRIVATE mapping of a file. That last one is finding-cow-anon-vma-surplus-page (REPRODUCED
 * on 6.1.192 and 6.12.118) and scenario private-file-cow-fails.
 */
import { describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import type { OpChoice, Scenario } from '../../checker/types.js';
import { jobOfScenario } from '../../cli/reproduce-job.js';
import { predictScript } from '../../kernel/predict.js';
import type { KernelScript } from '../../kernel/types.js';
import { hugetlb, parseParams } from '../../subsystems/hugetlb/index.js';
import type { HugetlbParams } from '../../subsystems/hugetlb/params.js';
import { hugetlbProbe } from '../../subsystems/hugetlb/probe.js';

const o = (op: string, args: Record<string, number | string | boolean> = {}): OpChoice => ({ op, args });

const script = (name: string, version: string): KernelScript => {
  const t = jobOfScenario(hugetlb, name, null, 'traces/out').target(hugetlb, version);
  if (t.kind !== 'script') throw new Error(`${name} @ ${version}: ${t.why}`);
  return t.script;
};

const injecting = (threads: OpChoice[][], over: Partial<HugetlbParams> = {}): Scenario<HugetlbParams> => ({
  name: 'anon-vma',
  description: 'test',
  params: parseParams({
    pool: 4,
    overcommit: 0,
    fileSize: 2,
    vmas: 3,
    inject: true,
    mounts: [{ size: 6, min: -1, mounted: true }],
    ...over,
  }),
  threads: threads.map((ops) => ops.map((x) => [x])),
  faults: { budget: 1, sites: ['anon_vma_prepare'] },
});

describe('hugetlb anon_vma preparation', () => {
  test("hugetlb_wp's anon_vma failure after the allocation frees a restore-reserve page to buddy (6.1 and 6.12)", () => {
    for (const v of ['6.1', '6.12', 'mainline']) {
      const s = script('finding-cow-anon-vma-surplus-page', v === 'mainline' ? '6.12' : v);
      expect(s.injections).toEqual([{ step: 3, site: 'anon_vma_prepare', nth: 1 }]);
      const p = predictScript(hugetlb, hugetlbProbe, s, { kernelVersion: v });
      expect(p[2]).toMatchObject({ ret: 'ok', counters: { HugePages_Total: 2, HugePages_Free: 1, HugePages_Rsvd: 1 } });
      expect(p[3]).toMatchObject({
        ret: 'OOM',
        counters: { HugePages_Total: 1, HugePages_Free: 0, HugePages_Rsvd: 1, HugePages_Surp: 1 },
      });
      expect(p[3]?.implProblem).toBeUndefined();
      expect(p[3]?.specProblem).toMatch(/counters-ordered/);
    }
  });

  test('without surplus pages the failed COW keeps the reservation for the retried write', () => {
    const s = script('finding-cow-anon-vma-surplus-page', '6.12');
    const p = predictScript(
      hugetlb,
      hugetlbProbe,
      {
        ...s,
        params: { ...(s.params as object), pool: 2, overcommit: 0 },
        steps: [...s.steps, { op: 'fault', args: { v: 1, i: 0, write: true } }],
      },
      { kernelVersion: '6.12' },
    );
    expect(p[3]).toMatchObject({ ret: 'OOM', counters: { HugePages_Total: 2, HugePages_Free: 1, HugePages_Rsvd: 1 } });
    expect(p[3]?.specProblem).toBeUndefined();
    expect(p[4]).toMatchObject({ ret: 'ok', counters: { HugePages_Free: 0, HugePages_Rsvd: 0 } });
    expect(p[4]?.specProblem).toBeUndefined();
  });

  test('a VMA that has an anon_vma is no fault site: after UFFDIO_COPY (which prepares it) no fault can fail there', () => {
    const r = checkScenario(
      hugetlb,
      injecting([
        [
          o('mmap', { v: 0, kind: 'private', f: 0, from: 0, to: 2 }),
          o('uffd_copy', { v: 0, i: 0 }),
          o('fault', { v: 0, i: 1, write: true }),
        ],
      ]),
    );
    expect(r.violation).toBeUndefined();
    expect(r.bounds.faultSitesNeverReached).toEqual(['anon_vma_prepare']);
  });

  test("the fork child inherits the parent's anon_vma (anon_vma_fork) or its absence", () => {
    const childCow = (parent: OpChoice) =>
      checkScenario(
        hugetlb,
        injecting([
          [
            o('mmap', { v: 0, kind: 'shared', f: 0, from: 0, to: 1 }),
            o('fault', { v: 0, i: 0, write: true }),
            o('mmap', { v: 1, kind: 'private_file', f: 0, from: 0, to: 2 }),
            parent,
            o('fork', { v: 1, c: 2 }),
            o('fault', { v: 2, i: 0, write: true }),
          ],
        ]),
      );
    // UFFDIO_COPY at 1 (no page cache there) prepared the parent's anon_vma, no fault site: the child has one too
    const prepared = childCow(o('uffd_copy', { v: 1, i: 1 }));
    expect(prepared.violation).toBeUndefined();
    expect(prepared.bounds.faultSitesNeverReached).toEqual(['anon_vma_prepare']);
    // the parent only read the file's page: neither has an anon_vma, the child's COW of the page reaches the site
    const unprepared = childCow(o('fault', { v: 1, i: 0, write: false }));
    expect(unprepared.violation).toBeUndefined();
    expect(unprepared.bounds.faultSitesNeverReached ?? []).toEqual([]);
  });
});
