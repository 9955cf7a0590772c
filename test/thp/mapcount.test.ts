/**
 * The kernel's read-side formulas (impl/thp/kernel.ts) on hand-built struct
 * page states, with the expected numbers worked out from transhuge.rst
 * ("Refcounts and transparent huge pages") and the v5.x __page_mapcount /
 * total_mapcount / can_split_huge_page (mm/huge_memory.c, mm/util.c @ v5.10).
 */
import { describe, expect, test } from 'vitest';
import {
  init,
  page_count,
  page_mapcount,
  page_mapped,
  total_mapcount,
  type ThpParams,
  type ThpState,
} from '../../impl/thp/page.js';

const anon4: ThpParams = { nr: 4, mms: 2, kind: 'anon', initial: 'pmd' };
const file4: ThpParams = { nr: 4, mms: 2, kind: 'file', initial: 'pmd' };

/** A compound page with the given raw (-1 based) counters. */
function page(p: ThpParams, raw: { mapcount: number[]; compound: number; dm: boolean; ref: number }): ThpState {
  const g = init({ ...p, initial: 'pmd' });
  g.head = true;
  g.pages.forEach((pg, i) => {
    pg.mapcount = raw.mapcount[i]!;
    pg.tail = i > 0;
    pg.freed = false;
    pg.in_cache = p.kind === 'file';
    pg.refcount = i === 0 ? raw.ref : 0;
  });
  g.compound_mapcount = raw.compound;
  g.double_map = raw.dm;
  return g;
}

describe('anon THP (PageDoubleMap adds a +1 bias to every subpage)', () => {
  test('mapped once with a PMD: every subpage has page_mapcount 1, total_mapcount 1', () => {
    const g = page(anon4, { mapcount: [-1, -1, -1, -1], compound: 0, dm: false, ref: 1 });
    expect([0, 1, 2, 3].map((i) => page_mapcount(g, true, i))).toEqual([1, 1, 1, 1]);
    expect(total_mapcount(g, true)).toBe(1);
    expect(page_mapped(g, 2)).toBe(true);
  });

  test('two PMD maps after fork, one split: DoubleMap set, raw _mapcount = PTE (1) - 1 + bias (1) = 1', () => {
    // parent keeps its PMD (compound_mapcount 1 → raw 0), child has 4 PTEs
    const g = page(anon4, { mapcount: [1, 1, 1, 1], compound: 0, dm: true, ref: 5 });
    expect([0, 1, 2, 3].map((i) => page_mapcount(g, true, i))).toEqual([2, 2, 2, 2]);
    expect(total_mapcount(g, true)).toBe(5); // 1 PMD + 4 PTEs, the bias removed once per subpage
  });

  test('DoubleMap page after the child unmapped subpage 3: page_mapcount(3) = 1 (the PMD), not 0', () => {
    const g = page(anon4, { mapcount: [1, 1, 1, 0], compound: 0, dm: true, ref: 4 });
    expect(page_mapcount(g, true, 3)).toBe(1);
    expect(total_mapcount(g, true)).toBe(4);
  });

  test('the T3 window: flag set before the bias reads one too low', () => {
    // PMD split of the child mid-way, flag set but no bias and no PTE increment yet:
    // two PMDs (raw compound 1), raw _mapcount -1 → 0 + 2 - 1 = 1 instead of 2
    const g = page(anon4, { mapcount: [-1, -1, -1, -1], compound: 1, dm: true, ref: 5 });
    expect(page_mapcount(g, true, 0)).toBe(1);
  });

  test('PTE-mapped only (no PMD left, no DoubleMap): page_mapcount is the PTE count', () => {
    const g = page(anon4, { mapcount: [0, -1, 1, 0], compound: -1, dm: false, ref: 4 });
    expect([0, 1, 2, 3].map((i) => page_mapcount(g, true, i))).toEqual([1, 0, 2, 1]);
    expect(total_mapcount(g, true)).toBe(4);
    expect(page_mapped(g, 1)).toBe(true); // page_mapped() is about the whole compound page
  });
});

describe('file THP (a PMD map increments every subpage _mapcount)', () => {
  test('PMD-mapped once: raw _mapcount 0 everywhere, page_mapcount 1, total_mapcount 1', () => {
    const g = page(file4, { mapcount: [0, 0, 0, 0], compound: 0, dm: false, ref: 5 });
    expect([0, 1, 2, 3].map((i) => page_mapcount(g, false, i))).toEqual([1, 1, 1, 1]);
    expect(total_mapcount(g, false)).toBe(1);
  });

  test('PMD plus a PTE of subpage 2 (DoubleMap set on the PTE map): page_mapcount(2) = 2, total = 2', () => {
    const g = page(file4, { mapcount: [0, 0, 1, 0], compound: 0, dm: true, ref: 6 });
    expect([0, 1, 2, 3].map((i) => page_mapcount(g, false, i))).toEqual([1, 1, 2, 1]);
    expect(total_mapcount(g, false)).toBe(2);
  });

  test('TH-5 shape: without the per-subpage increment a PMD-mapped file subpage reads 0', () => {
    const g = page(file4, { mapcount: [-1, -1, -1, -1], compound: 0, dm: false, ref: 5 });
    expect(page_mapcount(g, false, 1)).toBe(0);
  });
});

describe('can_split_huge_page: total_mapcount == page_count - extra_pins - 1', () => {
  test('anon, one PMD map + the caller: 1 == 2 - 0 - 1; a GUP pin breaks it (TH-1)', () => {
    const g = page(anon4, { mapcount: [-1, -1, -1, -1], compound: 0, dm: false, ref: 2 });
    expect(total_mapcount(g, true)).toBe(page_count(g, 0) - 0 - 1);
    g.pages[0]!.refcount++; // pin_user_pages
    expect(total_mapcount(g, true)).not.toBe(page_count(g, 3) - 0 - 1);
  });

  test('file, PMD-mapped once, 4 page-cache refs + the caller: 1 == 6 - 4 - 1', () => {
    const g = page(file4, { mapcount: [0, 0, 0, 0], compound: 0, dm: false, ref: 6 });
    expect(total_mapcount(g, false)).toBe(page_count(g, 2) - 4 - 1);
  });

  test('page_count of a tail reads the head, whose _refcount is the only non-zero one', () => {
    const g = page(anon4, { mapcount: [-1, -1, -1, -1], compound: 0, dm: false, ref: 3 });
    expect(page_count(g, 3)).toBe(3);
    expect(g.pages[3]!.refcount).toBe(0);
  });
});

describe('init', () => {
  test('forked anon: compound_mapcount 2 (raw 1), head _refcount 2, tails 0', () => {
    const g = init({ nr: 4, mms: 2, kind: 'anon', initial: 'forked' });
    expect(g.compound_mapcount).toBe(1);
    expect(g.pages.map((p) => p.refcount)).toEqual([2, 0, 0, 0]);
    expect(page_mapcount(g, true, 1)).toBe(2);
  });
  test('file in the page cache, PMD-mapped once: head _refcount nr + 1', () => {
    const g = init({ nr: 4, mms: 2, kind: 'file', initial: 'pmd' });
    expect(g.pages[0]!.refcount).toBe(5);
    expect(g.pages.map((p) => p.mapcount)).toEqual([0, 0, 0, 0]);
  });
});
