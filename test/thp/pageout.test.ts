/**
 * madvise(MADV_PAGEOUT) in the compound implementation (impl/thp/pageout.ts, mm/madvise.c @ v6.1) against the
 * spec (spec/thp/pageout-ops.ts): a whole PMD-mapped THP mapped once is reclaimed whole, a partial range splits
 * it and reclaims the small pages in the range, a THP another process maps is left alone. The folio
 * implementation's walk (v6.6 / v6.12) is tested in folio-pageout.test.ts.
 */
import { describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import { selectImpl } from '../../checker/impls.js';
import { runScript } from '../../checker/sequential.js';
import { runImplSteps } from '../../checker/sequential-impl.js';
import type { OpChoice } from '../../checker/types.js';
import { PTE_COPY, PTE_PRESENT, isCopyPte, swp_entry, type ThpState } from '../../impl/thp/page.js';
import { parseParams, thp } from '../../subsystems/thp/index.js';
import { thpProbe } from '../../subsystems/thp/probe.js';

const step = (op: string, args: Record<string, number> = {}): OpChoice => ({ op, args });
const pmd = parseParams({ kind: 'anon', initial: 'pmd' });
const forked = parseParams({ kind: 'anon', initial: 'forked' });
const run = (params: typeof pmd, steps: OpChoice[]): ThpState[] => {
  const r = runImplSteps(thp, { params, steps }, null, false, '6.1');
  expect(r.stopped).toBeUndefined();
  return r.steps.map((s) => s.impl as ThpState);
};
const agrees = (params: typeof pmd, steps: OpChoice[]): void => {
  for (const o of runScript(thp, { params, steps }, null)) expect(o.problem, `step ${o.step}`).toBeUndefined();
};
const pageout = (from: number, to: number, mm = 0): OpChoice => step('madvise_pageout', { mm, from, to });

describe('thp compound: MADV_PAGEOUT', () => {
  test('the whole PMD of a THP mapped once: the THP leaves memory, every PTE a swap entry; a read brings the data back', () => {
    const steps = [step('wp_fault', { mm: 0, sub: 1, val: 7 }), pageout(0, 4), step('read', { mm: 0, sub: 1 })];
    const [, out, back] = run(pmd, steps);
    expect(out!.pages.every((p) => p.freed)).toBe(true);
    expect(out!.mms[0]!.pte).toEqual([0, 1, 2, 3].map((i) => swp_entry(i, true)));
    expect(back!.mms[0]!.pte[1]).not.toBe(swp_entry(1, true));
    agrees(pmd, steps);
    const ret = runImplSteps(thp, { params: pmd, steps }, null, false, '6.1').steps.map((s) => s.ret);
    expect(ret).toEqual(['reuse', 'ok', 7]);
  });

  test('a partial range splits the THP and reclaims only the small pages in it', () => {
    const [g] = run(pmd, [pageout(1, 3)]);
    expect(g!.head).toBe(false);
    expect(g!.mms[0]!.pte).toEqual([PTE_PRESENT, swp_entry(1, true), swp_entry(2, true), PTE_PRESENT]);
    expect(g!.pages.map((p) => p.freed)).toEqual([false, true, true, false]);
    agrees(pmd, [pageout(1, 3), step('read', { mm: 0, sub: 2 }), step('read', { mm: 0, sub: 0 })]);
  });

  test('a THP that two processes map is left alone (page_mapcount != 1)', () => {
    const [g] = run(forked, [pageout(0, 4)]);
    expect(g!.mms[0]!.pmd).toBe('huge');
    expect(g!.pages.some((p) => p.freed)).toBe(false);
    agrees(forked, [pageout(0, 4, 1)]);
  });

  test('a private copy (COW) leaves memory through a slot of the pool; a read brings its data back', () => {
    const cow = [step('wp_fault', { mm: 1, sub: 0, val: 7 }), pageout(0, 1, 1)];
    const out = run(forked, cow).at(-1)!;
    const nr = forked.nr;
    expect(out.mms[1]!.pte[0]).toBe(swp_entry(nr, true)); /* the first pool slot, exclusive */
    expect(out.swap[nr]).toMatchObject({ count: 1, page: -1, data: 7 });
    expect(out.copies.every((c) => c.refcount === 0)).toBe(true);
    const back = run(forked, [...cow, step('read', { mm: 1, sub: 0 })]).at(-1)!;
    expect(isCopyPte(back.mms[1]!.pte[0]!)).toBe(true);
    expect(back.swap[nr]).toMatchObject({ count: 0, page: -1, data: 0 }); /* SWP_SYNCHRONOUS_IO, count 1: freed */
    agrees(forked, [...cow, step('read', { mm: 1, sub: 0 }), step('read', { mm: 0, sub: 0 })]);
  });

  test('a page read back from swap goes out again; fork shares its swap entry and the child reads the same data', () => {
    const steps = [
      step('wp_fault', { mm: 0, sub: 1, val: 5 }),
      pageout(0, 4),
      step('read', { mm: 0, sub: 1 }),
      pageout(0, 2),
      step('fork', { src: 0, dst: 1 }),
    ];
    const g = run(pmd, steps).at(-1)!;
    const nr = pmd.nr;
    expect(g.mms[0]!.pte[1]).toBe(swp_entry(nr, false)); /* fork cleared the exclusive bit */
    expect(g.mms[1]!.pte[1]).toBe(swp_entry(nr, false));
    expect(g.swap[nr]).toMatchObject({ count: 2, page: -1, data: 5 });
    agrees(pmd, [...steps, step('read', { mm: 1, sub: 1 }), step('read', { mm: 0, sub: 1 })]);
    const both = run(pmd, [...steps, step('read', { mm: 1, sub: 1 }), step('read', { mm: 0, sub: 1 })]).at(-1)!;
    expect(both.mms[0]!.pte[1]).toBe(both.mms[1]!.pte[1]); /* one page, read into the swap cache */
  });

  test('a pinned private copy stays in memory: the pin keeps its page, the write reuses it', () => {
    const steps = [
      pageout(0, 4),
      step('read', { mm: 0, sub: 2 }),
      step('pin', { mm: 0, sub: 2, write: 1 }),
      pageout(0, 4),
    ];
    const g = run(pmd, steps).at(-1)!;
    expect(isCopyPte(g.mms[0]!.pte[2]!)).toBe(true);
    expect(g.pins[0]!.page).toBe(pmd.nr + g.mms[0]!.pte[2]! - PTE_COPY);
    agrees(pmd, [...steps, step('wp_fault', { mm: 0, sub: 2, val: 9 })]);
  });

  test('feb889fb40fa: 5.10 as released puts a pinned copy into the swap cache, and the write leaves the pin behind', () => {
    const steps = [
      step('wp_fault', { mm: 1, sub: 1, val: 7 }),
      step('pin', { mm: 1, sub: 1, write: 0 }),
      pageout(1, 2, 1),
      step('read', { mm: 1, sub: 1 }),
      step('wp_fault', { mm: 1, sub: 1, val: 9 }),
    ];
    agrees(forked, steps);
    const bad = runScript(thp, { params: forked, steps }, 'feb889fb40fa');
    expect(bad.some((o) => o.problem !== undefined)).toBe(true);
  });

  test('swap_out with mm reclaims a private copy a fork shared: one pool slot, both read it back; a pinned copy stays', () => {
    const shared = [
      step('wp_fault', { mm: 1, sub: 1, val: 7 }),
      step('fork', { src: 1, dst: 2 }),
      step('swap_out', { sub: 1, mm: 1 }),
    ];
    const p3 = parseParams({ kind: 'anon', initial: 'forked', mms: 3 });
    const g = run(p3, shared).at(-1)!;
    expect(g.mms[1]!.pte[1]).toBe(swp_entry(p3.nr, false)); /* fork cleared PG_anon_exclusive: no exclusive bit */
    expect(g.mms[2]!.pte[1]).toBe(swp_entry(p3.nr, false));
    expect(g.swap[p3.nr]).toMatchObject({ count: 2, page: -1, data: 7 });
    expect(g.mms[0]!.pmd).toBe('huge'); /* the THP is not touched */
    agrees(p3, [
      ...shared,
      step('read', { mm: 2, sub: 1 }),
      step('read', { mm: 1, sub: 1 }),
      step('wp_fault', { mm: 2, sub: 1, val: 9 }),
    ]);
    const pinned = [
      step('wp_fault', { mm: 1, sub: 1, val: 7 }),
      step('pin', { mm: 1, sub: 1, write: 1 }),
      step('swap_out', { sub: 1, mm: 1 }),
    ];
    const k = run(forked, pinned).at(-1)!;
    expect(isCopyPte(k.mms[1]!.pte[1]!)).toBe(true);
    agrees(forked, [...pinned, step('wp_fault', { mm: 1, sub: 1, val: 8 })]);
  });

  test('a pinned THP stays in memory: pins keep their page', () => {
    agrees(pmd, [step('pin', { mm: 0, sub: 0, write: 1 }), pageout(0, 4), step('wp_fault', { mm: 0, sub: 0 })]);
  });

  test('the probe predicts -4 for a swap entry and renumbers the copies it can see', () => {
    const steps = [pageout(0, 4), step('read', { mm: 0, sub: 2 })];
    const [out, back] = run(pmd, steps);
    const c = thpProbe.predict(out, pmd, thp);
    expect([0, 1, 2, 3].map((i) => c[`page[0][${i}]`])).toEqual([-4, -4, -4, -4]);
    const d = thpProbe.predict(back, pmd, thp);
    expect([0, 1, 2, 3].map((i) => d[`page[0][${i}]`])).toEqual([-4, -4, 4, -4]);
    expect(thpProbe.needsSwap!({ params: pmd, steps })).toBe(true);
    expect(thpProbe.needsSwap!({ params: pmd, steps: [step('read', { mm: 0, sub: 0 })] })).toBe(false);
  });

  test('MADV_POPULATE_READ swaps a swap entry back in (6.1.192, conform seed 20261208 shrunk)', () => {
    const steps = [pageout(0, 1), step('populate_read', { mm: 0 })];
    const [, back] = run(pmd, steps);
    const c = thpProbe.predict(back, pmd, thp);
    expect([0, 1, 2, 3].map((i) => c[`page[0][${i}]`])).toEqual([4, 1, 2, 3]); /* kernel: page[0][0]=4 */
    agrees(pmd, steps);
    /* the folio implementation's populate_read swaps in too (after a swap_out there) */
    const folio = selectImpl(thp, 'folio');
    const out = [step('swap_out', { sub: 0 }), step('populate_read', { mm: 0 }), step('read', { mm: 0, sub: 1 })];
    for (const o of runScript(folio, { params: pmd, steps: out }, null))
      expect(o.problem, `step ${o.step}`).toBeUndefined();
    const g = runImplSteps(folio, { params: pmd, steps: out.slice(0, 2) }, null).steps.at(-1)!.impl as ThpState;
    expect(g.mms[0]!.pte.some((e) => e < 0)).toBe(false);
  });
});

describe('thp compound: do_wp_page of a page in the swap cache (6.1.192, conform seed 20261212 shrunk)', () => {
  test('the last swap PTE swapped back in: the write frees the swap cache and reuses the page, not copies it', () => {
    const steps = [
      pageout(0, 3),
      step('fork', { src: 0, dst: 1 }),
      step('read', { mm: 1, sub: 2 }),
      step('pin', { mm: 1, sub: 2, write: 1 }) /* mm 1 copies: mm 0's swap PTE still names the swap cache page */,
      step('read', { mm: 0, sub: 2 }) /* the last swap PTE: mapped read-only, still in the swap cache */,
      step('wp_fault', { mm: 0, sub: 2, val: 75 }),
    ];
    const r = runImplSteps(thp, { params: pmd, steps }, null, false, '6.1');
    expect(r.steps.map((s) => s.ret)).toEqual(['ok', 'ok', 0, 'ok', 0, 'reuse']); /* kernel: reuse; was copy */
    agrees(pmd, steps);
  });
});

describe('thp compound: MADV_PAGEOUT racing other threads (every interleaving)', () => {
  const op = (name: string, args: Record<string, number> = {}): OpChoice[] => [{ op: name, args }];
  const check = (name: string, params: typeof pmd, threads: OpChoice[][][]) => {
    const r = checkScenario(
      thp,
      { name, description: name, params, threads },
      { variant: null, timeLimitSeconds: 300 },
    );
    expect(r.violation?.message).toBeUndefined();
    expect(r.exhaustive).toBe(true);
    return r;
  };
  test('a partial pageout (split, reclaim of small pages) against a R/O pin, a write and a scanner reference', () => {
    const r = check('pageout-vs-pin', pmd, [
      [op('madvise_pageout', { mm: 0, from: 1, to: 3 })],
      [
        op('pin', { mm: 0, sub: 1, write: 0 }),
        op('wp_fault', { mm: 0, sub: 1, val: 7 }),
        op('unpin', { mm: 0, sub: 1 }),
      ],
      [op('scan_get', { sub: 2 }), op('scan_put', { sub: 2 })],
    ]);
    expect(r.states).toBeGreaterThan(100);
  });
  test('a whole pageout racing a fork (swap entries duplicated, or the THP skipped as shared) and reads', () => {
    check('pageout-forked', pmd, [
      [op('fork', { src: 0, dst: 1 }), op('read', { mm: 1, sub: 3 })],
      [op('madvise_pageout', { mm: 0, from: 0, to: 4 }), op('read', { mm: 0, sub: 0 })],
    ]);
  });
});
