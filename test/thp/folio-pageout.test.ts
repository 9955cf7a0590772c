/**
 * madvise(MADV_PAGEOUT) in the folio implementation (impl/thp-folio/pageout.ts, mm/madvise.c
 * madvise_cold_or_pageout_pte_range() @ v6.12, and 6.6 without 3931b871c493) against the spec
 * (spec/thp/pageout-ops.ts): the PMD path (folio_likely_mapped_shared, split of a partial range), the PTE loop's
 * batch of a large folio wholly in the range (reclaimed whole at 6.12, split at 6.6), the split of a partial one,
 * the mapcount checks that leave a shared folio alone, and reclaim through shrink_folio_list's steps.
 */
import { describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import { selectImpl } from '../../checker/impls.js';
import { runScript } from '../../checker/sequential.js';
import { runImplSteps } from '../../checker/sequential-impl.js';
import type { OpChoice } from '../../checker/types.js';
import { PTE_COPY, PTE_PRESENT, isCopyPte, swp_entry, type FolioState } from '../../impl/thp-folio/folio.js';
import { parseParams, thp } from '../../subsystems/thp/index.js';
import { thpProbe } from '../../subsystems/thp/probe.js';

const folio = selectImpl(thp, 'folio');
const step = (op: string, args: Record<string, number> = {}): OpChoice => ({ op, args });
const pmd = parseParams({ kind: 'anon', initial: 'pmd' });
const forked = parseParams({ kind: 'anon', initial: 'forked' });
const pageout = (from: number, to: number, mm = 0): OpChoice => step('madvise_pageout', { mm, from, to });
const run = (params: typeof pmd, steps: OpChoice[], version = '6.12'): FolioState => {
  const r = runImplSteps(folio, { params, steps }, null, false, version);
  expect(r.stopped).toBeUndefined();
  return r.steps.at(-1)!.impl as FolioState;
};
const agrees = (params: typeof pmd, steps: OpChoice[]): void => {
  for (const o of runScript(folio, { params, steps }, null)) expect(o.problem, `step ${o.step}`).toBeUndefined();
};
const freed = (g: FolioState): boolean[] => g.pages.map((p) => p.freed);

describe('thp folio: MADV_PAGEOUT', () => {
  test('the whole PMD of a folio mapped once leaves memory whole; a read brings the data back', () => {
    const steps = [step('wp_fault', { mm: 0, sub: 1, val: 7 }), pageout(0, 4), step('read', { mm: 0, sub: 1 })];
    const r = runImplSteps(folio, { params: pmd, steps }, null);
    const out = r.steps[1]!.impl as FolioState;
    expect(freed(out)).toEqual([true, true, true, true]);
    expect(out.mms[0]!.pte).toEqual([0, 1, 2, 3].map((i) => swp_entry(i, true)));
    expect(r.steps.map((s) => s.ret)).toEqual(['reuse', 'ok', 7]);
    agrees(pmd, steps);
  });

  test('a partial range of the PMD splits the folio and reclaims only the small folios in it', () => {
    const g = run(pmd, [pageout(1, 3)]);
    expect(g.large).toBe(false);
    expect(g.mms[0]!.pte).toEqual([PTE_PRESENT, swp_entry(1, true), swp_entry(2, true), PTE_PRESENT]);
    expect(freed(g)).toEqual([false, true, true, false]);
    agrees(pmd, [pageout(1, 3), step('read', { mm: 0, sub: 2 }), step('read', { mm: 0, sub: 0 })]);
  });

  test('a PTE-mapped folio wholly in the range goes to swap whole at 6.12 (the batch), split first at 6.6', () => {
    const steps = [step('split_huge_pmd', { mm: 0 }), pageout(0, 4)];
    const g = run(pmd, steps);
    expect(g.large).toBe(true); /* never split: one swap cluster for the whole folio */
    expect(freed(g)).toEqual([true, true, true, true]);
    expect(g.mms[0]!.pte).toEqual([0, 1, 2, 3].map((i) => swp_entry(i, true)));
    const old = run(pmd, steps, '6.6');
    expect(old.large).toBe(false); /* 6.6 splits every large folio its PTE loop meets */
    expect(freed(old)).toEqual([true, true, true, true]);
    agrees(pmd, [...steps, step('read', { mm: 0, sub: 3 })]);
  });

  test('a PTE-mapped folio partly in the range is split and the small folios in the range reclaimed', () => {
    const g = run(pmd, [step('split_huge_pmd', { mm: 0 }), pageout(1, 4)]);
    expect(g.large).toBe(false);
    expect(freed(g)).toEqual([false, true, true, true]);
    expect(g.mms[0]!.pte[0]).toBe(PTE_PRESENT);
  });

  test('the whole batch of a folio another process maps by PMD is skipped (folio_mapcount != folio_nr_pages)', () => {
    const g = run(forked, [step('split_huge_pmd', { mm: 0 }), pageout(0, 4)]);
    expect(g.large).toBe(true);
    expect(freed(g)).toEqual([false, false, false, false]);
    expect(g.mms[0]!.pte).toEqual(new Array(4).fill(PTE_PRESENT));
  });

  test('a PMD mapped with other mappings is skipped at 6.12 (folio_likely_mapped_shared), split at 6.6 by page 0', () => {
    /* mm 1 keeps subpages 2 and 3 by PTE, page 0 only by mm 0's PMD: total mapcount 3, page_mapcount(page 0) 1 */
    const steps = [step('madvise_dontneed', { mm: 1, from: 0, to: 2 }), pageout(2, 4)];
    const g = run(forked, steps);
    expect(g.large).toBe(true);
    expect(g.mms[0]!.pmd).toBe('huge');
    const old = run(forked, steps, '6.6');
    expect(old.large).toBe(false); /* folio_estimated_sharers() == 1: the partial PMD is split */
    expect(freed(old)).toEqual([false, false, false, false]); /* mm 1 maps 2 and 3 too: mapcount != 1 */
    agrees(forked, steps);
    agrees(forked, [pageout(0, 4), pageout(0, 4, 1)]); /* both map it by PMD: skipped */
  });

  test('6.6 pages out a folio another process maps (folio_estimated_sharers() guesses by page 0): the spec allows it', () => {
    /* no promise that MADV_PAGEOUT leaves other processes' pages alone (12e967fd8e4e's intent): 6.6 and 6.1 break it by design */
    const steps = [step('madvise_dontneed', { mm: 1, from: 0, to: 2 }), pageout(0, 4)];
    const old = run(forked, steps, '6.6');
    expect(freed(old)).toEqual([true, true, true, true]);
    expect(old.mms[1]!.pte.slice(2).every((e) => e < 0)).toBe(true); /* mm 1's PTEs became swap entries */
    const now = run(forked, steps);
    expect(freed(now)).toEqual([false, false, false, false]);
    agrees(forked, [...steps, step('read', { mm: 1, sub: 3 })]);
  });

  test('the probe predicts what 6.12.118 showed (mmcheck reproduce of hand-written scripts: AGREED)', () => {
    const obs = (params: typeof pmd, steps: OpChoice[], version = '6.12') =>
      runImplSteps(folio, { params, steps }, null, false, version).steps.map((s) =>
        thpProbe.predict(s.impl, params, folio),
      );
    /* mremap to an unaligned address leaves the folio PTE-mapped; the whole range goes out (all -4), a read maps a fresh page */
    const batch = obs(pmd, [step('mremap', { mm: 0, aligned: 0 }), pageout(0, 4), step('read', { mm: 0, sub: 1 })]);
    expect(batch[0]!.compound).toBe(1);
    expect([0, 1, 2, 3].map((i) => batch[1]![`page[0][${i}]`])).toEqual([-4, -4, -4, -4]);
    expect([0, 1, 2, 3].map((i) => batch[2]![`page[0][${i}]`])).toEqual([-4, 4, -4, -4]);
    /* the shared PMD stays at 6.12 (kernel: AnonHugePages 2048, compound 1); the 6.6 model pages it out (DIVERGED) */
    const shared = [step('madvise_dontneed', { mm: 1, from: 0, to: 2 }), pageout(0, 4)];
    expect(obs(forked, shared)[1]).toMatchObject({ AnonHugePages: 2048, compound: 1 });
    expect(obs(forked, shared, '6.6')[1]).toMatchObject({ AnonHugePages: 0, compound: 0 });
  });

  test('a pinned folio stays in memory; a private copy leaves memory through a slot of the pool', () => {
    agrees(pmd, [step('pin', { mm: 0, sub: 0, write: 1 }), pageout(0, 4), step('wp_fault', { mm: 0, sub: 0 })]);
    const back = run(pmd, [pageout(0, 4), step('read', { mm: 0, sub: 0 })]);
    expect(isCopyPte(back.mms[0]!.pte[0]!)).toBe(true);
    const again = run(pmd, [pageout(0, 4), step('read', { mm: 0, sub: 0 }), pageout(0, 4)]);
    expect(again.mms[0]!.pte[0]).toBe(swp_entry(pmd.nr, true)); /* the first pool slot, exclusive */
    expect(again.copies.every((c) => c.refcount === 0)).toBe(true);
    agrees(pmd, [pageout(0, 4), step('read', { mm: 0, sub: 0 }), pageout(0, 4), step('read', { mm: 0, sub: 0 })]);
  });

  test('a COW copy goes out; fork shares its swap entry and both read the same data; a pinned copy stays', () => {
    const steps = [
      step('wp_fault', { mm: 1, sub: 2, val: 6 }),
      step('madvise_dontneed', { mm: 0, from: 0, to: 4 }),
      pageout(2, 3, 1),
      step('fork', { src: 1, dst: 0 }),
    ];
    const g = run(forked, steps);
    expect(g.mms[1]!.pte[2]).toBe(swp_entry(forked.nr, false));
    expect(g.mms[0]!.pte[2]).toBe(swp_entry(forked.nr, false));
    expect(g.swap[forked.nr]).toMatchObject({ count: 2, page: -1, data: 6 });
    agrees(forked, [...steps, step('read', { mm: 0, sub: 2 }), step('read', { mm: 1, sub: 2 })]);
    const pinned = [
      step('wp_fault', { mm: 1, sub: 2, val: 6 }),
      step('pin', { mm: 1, sub: 2, write: 1 }),
      pageout(2, 3, 1),
    ];
    const p = run(forked, pinned);
    expect(isCopyPte(p.mms[1]!.pte[2]!)).toBe(true);
    expect(p.pins[0]!.page).toBe(forked.nr + p.mms[1]!.pte[2]! - PTE_COPY);
    agrees(forked, [...pinned, step('wp_fault', { mm: 1, sub: 2, val: 8 })]);
  });

  test('swap_out with mm reclaims a private copy a fork shared: one pool slot, both read it back', () => {
    const p3 = parseParams({ kind: 'anon', initial: 'forked', mms: 3 });
    const shared = [
      step('wp_fault', { mm: 1, sub: 1, val: 7 }),
      step('fork', { src: 1, dst: 2 }),
      step('swap_out', { sub: 1, mm: 1 }),
    ];
    const g = run(p3, shared);
    expect(g.mms[1]!.pte[1]).toBe(swp_entry(p3.nr, false));
    expect(g.mms[2]!.pte[1]).toBe(swp_entry(p3.nr, false));
    expect(g.swap[p3.nr]).toMatchObject({ count: 2, page: -1, data: 7 });
    agrees(p3, [
      ...shared,
      step('read', { mm: 2, sub: 1 }),
      step('read', { mm: 1, sub: 1 }),
      step('wp_fault', { mm: 2, sub: 1, val: 9 }),
    ]);
  });
});

describe('thp folio: MADV_PAGEOUT racing other threads (every interleaving)', () => {
  const op = (name: string, args: Record<string, number> = {}): OpChoice[] => [{ op: name, args }];
  const check = (name: string, threads: OpChoice[][][], kernelVersion = '6.12') => {
    const r = checkScenario(
      folio,
      { name, description: name, params: pmd, threads, kernelVersion },
      { variant: null, timeLimitSeconds: 300 },
    );
    expect(r.violation?.message).toBeUndefined();
    expect(r.exhaustive).toBe(true);
    return r;
  };
  test.each(['6.12', '6.6'])('a PTE-mapped pageout against a R/O pin, a write and a scanner reference (%s)', (v) => {
    const r = check(
      'pageout-pte-vs-pin',
      [
        [op('split_huge_pmd', { mm: 0 }), op('madvise_pageout', { mm: 0, from: 1, to: 4 })],
        [
          op('pin', { mm: 0, sub: 1, write: 0 }),
          op('wp_fault', { mm: 0, sub: 1, val: 7 }),
          op('unpin', { mm: 0, sub: 1 }),
        ],
        [op('scan_get', { sub: 2 }), op('scan_put', { sub: 2 })],
      ],
      v,
    );
    expect(r.states).toBeGreaterThan(100);
  });
  test('a whole pageout racing a fork (swap entries duplicated, or the folio skipped as shared) and reads', () => {
    check('pageout-forked', [
      [op('fork', { src: 0, dst: 1 }), op('read', { mm: 1, sub: 3 })],
      [op('madvise_pageout', { mm: 0, from: 0, to: 4 }), op('read', { mm: 0, sub: 0 })],
    ]);
  });
});
