/**
 * Memory offline of a whole memory block (impl/hugetlb/dissolve.ts): offline_pages ->
 * dissolve_free_huge_pages @ v6.1 / dissolve_free_hugetlb_folios @ v6.12 dissolves the block's
 * huge pages one at a time, dropping hugetlb_lock between them; the first it cannot dissolve ends
 * the offline with EBUSY and the pages dissolved before stay out of the pool. The scripts are the
 * ones Debian's kernels ran (subsystems/hugetlb/NOTES.md "Memory offline").
 */
import { describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import type { Script } from '../../checker/scenario-file.js';
import { runScript } from '../../checker/sequential.js';
import { invariant } from '../../checker/types.js';
import { hugetlb, parseParams } from '../../subsystems/hugetlb/index.js';
import { hugetlbProbe } from '../../subsystems/hugetlb/probe.js';
import { type PredictedStep, predictScript } from '../../kernel/predict.js';
import type { G } from '../../impl/hugetlb/state.js';

const s = (op: string, args: Record<string, number | string | boolean> = {}) => ({ op, args });
const counters = (o: { impl: Record<string, unknown> }) => [o.impl['ret'], o.impl['HugePages_Total']];

describe('hugetlb memory offline of a block', () => {
  test('two free pages in the block, one reserved: the first is dissolved, the second is EBUSY (6.1.192 and 6.12.118)', () => {
    const script = {
      params: parseParams({ pool: 2, overcommit: 0, fileSize: 1, vmas: 1 }),
      steps: [s('mmap', { v: 0, kind: 'shared', f: 0, from: 0, to: 1 }), s('dissolve'), s('dissolve')],
    };
    const obs = runScript(hugetlb, script as unknown as Script, null);
    for (const o of obs) if (!o.agree) throw new Error(`step ${o.step} ${o.op}: ${o.problem}`);
    // the one-page op said ok here; the kernel's offline fails part way and keeps the page it dissolved
    expect(counters(obs[1]!)).toEqual(['EBUSY', 1]);
    expect(counters(obs[2]!)).toEqual(['EBUSY', 1]);
  });

  test("a node's block holding two free pages loses both (6.1.192: node 0 written 1 with node 1's surplus page)", () => {
    const script = {
      params: parseParams({ pool: 1, overcommit: 0, fileSize: 1, vmas: 1, nodePool: 2 }),
      steps: [
        s('set_nr_node', { nid: 1, n: 1 }),
        s('mmap', { v: 0, kind: 'shared', f: 0, from: 0, to: 1 }),
        s('set_nr_node', { nid: 0, n: 0 }),
        s('fault', { v: 0, i: 0, write: true }), // node 1's page
        s('set_nr_node', { nid: 1, n: 0 }), // in use: surplus
        s('set_nr_node', { nid: 0, n: 1 }), // without b72b3c9c34c8 (6.1): two pages on node 0
        s('dissolve'),
      ],
    };
    // what the 6.1 implementation predicts for Debian's 6.1.192 (the spec disagrees at step 5: b72b3c9c34c8)
    const old = predictScript(hugetlb, hugetlbProbe, script as unknown as Script, { kernelVersion: '6.1' });
    const total = (o: PredictedStep) => [o.ret, o.counters['HugePages_Total'], o.counters['N0_nr_hugepages']];
    expect(total(old[5]!)).toEqual(['ok', 3, 2]);
    expect(total(old[6]!)).toEqual(['ok', 1, 0]); // the one-page op left node 0 one page (Total 2)
    const fixed = predictScript(hugetlb, hugetlbProbe, script as unknown as Script, { kernelVersion: '6.12' });
    expect(total(fixed[6]!)).toEqual(['ok', 1, 0]);
  });

  test('offline-vs-fault refines the spec and reaches both race windows between two dissolves', () => {
    const sc = hugetlb.scenarios.find((x) => x.name === 'offline-vs-fault')!;
    const ok = checkScenario(hugetlb, sc, { variant: null });
    expect(ok.violation).toBeUndefined();
    expect(ok.exhaustive).toBe(true);
    // a probe invariant each: the state it forbids is reachable
    const reaches = (name: string, bad: (g: Readonly<G>) => boolean) => {
      const probe = invariant<G, unknown>({
        name,
        why: '',
        doc: '',
        source: '',
        when: 'always',
        check: (g) => !bad(g),
      });
      const sub = { ...hugetlb, invariants: [...hugetlb.invariants, probe] } as typeof hugetlb;
      return checkScenario(sub, sc, { variant: null }).violation?.property;
    };
    // the fault took one of the block's pages while the offline runs (dequeue does not skip isolated pageblocks)
    expect(reaches('block-page-in-use', (g) => g.off.length > 0 && (g.off[2] ?? 0) > 0)).toBe('block-page-in-use');
    // one page dissolved, and the mmap's reservation left no free unreserved page for the next
    expect(reaches('reserved-between', (g) => g.off.length > 0 && g.nr === 1 && g.free - g.resv <= 0)).toBe(
      'reserved-between',
    );
  });
});
