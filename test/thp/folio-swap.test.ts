/**
 * Swap-out of a large folio in the folio-era implementation (impl/thp-folio/vmscan.ts, swap.ts, swap-unmap.ts;
 * v6.12): reclaim of the whole folio, do_swap_page() mapping a large folio in the swap cache entirely
 * (508758960b8d), swap entries shared by fork, the try_to_unmap_one() refusal of a pinned exclusive page and
 * its history variant 6c287605fd56, and the other paths that meet a folio in the swap cache.
 */
import { describe, expect, test } from 'vitest';
import { selectImpl } from '../../checker/impls.js';
import { runScript } from '../../checker/sequential.js';
import { runImplSteps } from '../../checker/sequential-impl.js';
import type { OpChoice, RetValue } from '../../checker/types.js';
import { PTE_PRESENT, isCopyPte, type FolioParams, type FolioState, swp_entry } from '../../impl/thp-folio/folio.js';
import { init } from '../../impl/thp-folio/folio-init.js';
import { folioImpl } from '../../impl/thp-folio/index.js';
import { folioAbstraction } from '../../subsystems/thp/folio/abstraction.js';
import { folioInvariants } from '../../subsystems/thp/folio/invariants.js';
import { parseParams, thp } from '../../subsystems/thp/index.js';
import { stepDriver } from './step-driver.js';

const folio = selectImpl(thp, 'folio');
const step = (op: string, args: Record<string, number> = {}): OpChoice => ({ op, args });
const params = parseParams({ kind: 'anon', initial: 'pmd' });
const run = (steps: OpChoice[], version = '6.12'): FolioState => {
  const r = runImplSteps(folio, { params, steps }, null, false, version);
  expect(r.stopped).toBeUndefined();
  return r.steps.at(-1)!.impl as FolioState;
};
const noProblem = (steps: OpChoice[], variant: string | null = null): void => {
  for (const o of runScript(folio, { params, steps }, variant)) expect(o.problem).toBeUndefined();
};

const { thread, drive } = stepDriver(folioImpl, params as FolioParams);
/** Every invariant of the folio implementation holds (checked between whole ops: quiescent). */
const sane = (g: FolioState): void => {
  const q = { quiescent: true, inFlight: [], variant: null };
  for (const inv of folioInvariants) {
    const r = inv.check(g, params, q);
    expect(typeof r === 'string' ? `${inv.name}: ${r}` : r).not.toEqual(expect.any(String));
  }
};
/** The exclusive PMD-mapped folio unmapped to swap PTEs but kept in the swap cache by a scanner's reference at the freeze. */
function keptInSwapCache(): FolioState {
  const g = init(params);
  const t0 = thread(0, 'swap_out', { sub: 0 });
  expect(drive(g, 'swap_out', t0, 'shrink_folio_list: folio_maybe_dma_pinned after')).toBeUndefined();
  const t1 = thread(1, 'scan_get', { sub: 0 });
  expect(drive(g, 'scan_get', t1)).toBe('ok');
  expect(drive(g, 'swap_out', t0)).toBe('kept');
  expect(drive(g, 'scan_put', thread(1, 'scan_put', { sub: 0 }))).toBe('ok');
  sane(g);
  return g;
}
const at = (g: FolioState, op: string, args: Record<string, number>, lacks: string[] = []): RetValue | undefined => {
  const r = drive(g, op, thread(0, op, args, lacks));
  sane(g);
  return r;
};

describe('thp folio: swap-out of a large folio', () => {
  test('an exclusive PMD-mapped folio leaves memory: exclusive swap PTEs, slots hold the data, a read gets a fresh page', () => {
    const write = step('wp_fault', { mm: 0, sub: 2, val: 9 });
    const g = run([write, step('swap_out', { sub: 0 })]);
    expect(g.pages.every((p) => p.freed)).toBe(true);
    expect(g.mms[0]!.pte).toEqual([0, 1, 2, 3].map((i) => swp_entry(i, true)));
    expect(g.swap.slice(0, 4).map((s) => [s.count, s.page, s.data])).toEqual([
      [1, -1, 0],
      [1, -1, 0],
      [1, -1, 9],
      [1, -1, 0],
    ]);
    const r = run([write, step('swap_out', { sub: 0 }), step('read', { mm: 0, sub: 2 })]);
    expect(isCopyPte(r.mms[0]!.pte[2]!)).toBe(true);
    expect(r.swap[2]!.count).toBe(0); /* SWP_SYNCHRONOUS_IO, count 1: no swap cache */
    expect(folioAbstraction(r, params).copyData).toContain(9);
    noProblem([
      write,
      step('swap_out', { sub: 0 }),
      step('read', { mm: 0, sub: 2 }),
      step('wp_fault', { mm: 0, sub: 2 }),
    ]);
  });

  test('a scanner reference at the freeze keeps the unmapped folio in the swap cache, mapped by exclusive swap PTEs', () => {
    const g = keptInSwapCache();
    expect(g.mms[0]!.pte).toEqual([0, 1, 2, 3].map((i) => swp_entry(i, true)));
    expect(g.pages.every((p) => p.swapcache && !p.anon_exclusive)).toBe(true);
    expect(g.pages[0]!.refcount).toBe(params.nr); /* the swap cache's */
    expect(folioAbstraction(g, params).swapped).toEqual([[0], [0], [0], [0]]);
  });

  test('do_swap_page maps a large folio found in the swap cache entirely, exclusive and writable (v6.11+)', () => {
    const g = keptInSwapCache();
    expect(at(g, 'read', { mm: 0, sub: 3 })).toBe(0);
    expect(g.mms[0]!.pte).toEqual([PTE_PRESENT, PTE_PRESENT, PTE_PRESENT, PTE_PRESENT]);
    expect(g.mms[0]!.pte_write).toEqual([true, true, true, true]);
    expect(g.pages.every((p) => p.anon_exclusive && p.swapcache)).toBe(true);
    expect(g.swap.every((s) => s.count === 0)).toBe(true);
    /* one swap PTE run broken (MADV_DONTNEED of page 0): a fault maps only its own page */
    /* 6.6 lacks 508758960b8d: one page at a time, still exclusive by the swap PTE bit */
    const v66 = keptInSwapCache();
    at(v66, 'read', { mm: 0, sub: 3 }, ['508758960b8d', 'c18160dba5ff']);
    expect(v66.mms[0]!.pte).toEqual([swp_entry(0, true), swp_entry(1, true), swp_entry(2, true), PTE_PRESENT]);
    /* 6.6 lacks c18160dba5ff too: a read fault maps it read-only (a write fault then reuses it in do_wp_page) */
    expect(v66.mms[0]!.pte_write[3]).toBe(false);
    const h = keptInSwapCache();
    at(h, 'madvise_dontneed', { mm: 0, from: 0, to: 1 });
    at(h, 'read', { mm: 0, sub: 2 });
    expect(h.mms[0]!.pte.slice(1)).toEqual([swp_entry(1, true), PTE_PRESENT, swp_entry(3, true)]);
  });

  test('a write fault frees the swap cache of the large folio (should_try_to_free_swap: 1 + nr references)', () => {
    const g = keptInSwapCache();
    expect(at(g, 'wp_fault', { mm: 0, sub: 1, val: 2 })).toBe('reuse');
    expect(g.pages.some((p) => p.swapcache)).toBe(false);
    expect(g.pages[0]!.refcount).toBe(params.nr); /* one per PTE */
    expect(g.pages[1]!.data).toBe(2); /* written in place */
  });

  test('a whole non-exclusive large folio that only this fault holds is reused (ref count == nr_pages, 508758960b8d)', () => {
    const g = init(params);
    at(g, 'fork', { src: 0, dst: 1 });
    const t0 = thread(0, 'swap_out', { sub: 0 });
    expect(drive(g, 'swap_out', t0, 'shrink_folio_list: folio_maybe_dma_pinned after')).toBeUndefined();
    expect(drive(g, 'scan_get', thread(1, 'scan_get', { sub: 0 }))).toBe('ok');
    expect(drive(g, 'swap_out', t0)).toBe('kept');
    expect(drive(g, 'scan_put', thread(1, 'scan_put', { sub: 0 }))).toBe('ok');
    expect(g.mms[0]!.pte).toEqual([0, 1, 2, 3].map((i) => swp_entry(i, false))); /* fork cleared the exclusive bit */
    at(g, 'madvise_dontneed', { mm: 1, from: 0, to: params.nr });
    /* the swap cache is freed first (should_try_to_free_swap), then only this fault's nr references remain */
    expect(at(g, 'wp_fault', { mm: 0, sub: 1, val: 2 })).toBe('reuse');
    expect(g.mms[0]!.pte_write).toEqual([true, true, true, true]);
    expect(g.pages.every((p) => p.anon_exclusive && !p.swapcache)).toBe(true);
    expect(g.pages[1]!.data).toBe(2);
  });

  test('fork shares the swap entries (exclusive bit cleared); both read the one small folio read into the swap cache', () => {
    const steps = [step('swap_out', { sub: 0 }), step('fork', { src: 0, dst: 1 }), step('read', { mm: 1, sub: 1 })];
    const g = run(steps);
    expect(g.mms[0]!.pte[0]).toBe(swp_entry(0, false));
    expect(g.swap[0]!.count).toBe(2);
    expect(g.swap[1]!.count).toBe(1);
    expect(g.swap[1]!.page).toBeGreaterThanOrEqual(params.nr);
    const both = run([...steps, step('read', { mm: 0, sub: 1 })]);
    expect(both.mms[0]!.pte[1]).toBe(both.mms[1]!.pte[1]);
    noProblem([
      ...steps,
      step('read', { mm: 0, sub: 1 }),
      step('wp_fault', { mm: 0, sub: 1, val: 4 }),
      step('read', { mm: 1, sub: 1 }),
      step('wp_fault', { mm: 1, sub: 1, val: 6 }),
    ]);
  });

  test('a pinned exclusive page in the swap cache is not unmapped (folio_try_share_anon_rmap_pte refuses)', () => {
    const g = keptInSwapCache();
    at(g, 'read', { mm: 0, sub: 0 }); /* mapped again entirely, still in the swap cache */
    expect(at(g, 'pin', { mm: 0, sub: 1, write: 0 })).toBe('ok');
    /* in the swap cache already: no folio_maybe_dma_pinned() check before the unmap */
    expect(at(g, 'swap_out', { sub: 0 })).toBe('kept');
    /* folio_maybe_dma_pinned() is the folio's _pincount: the walk aborts at its first exclusive page */
    expect(g.mms[0]!.pte).toEqual([PTE_PRESENT, PTE_PRESENT, PTE_PRESENT, PTE_PRESENT]);
    expect(g.pages.every((p) => p.anon_exclusive)).toBe(true);
  });
});

describe('thp folio: other paths meeting a folio in the swap cache', () => {
  test('split_folio counts the swap cache (can_split_folio extra_pins) and each page keeps its swap cache reference', () => {
    const g = keptInSwapCache();
    at(g, 'read', { mm: 0, sub: 1 });
    expect(at(g, 'split', { sub: 0 })).toBe('ok');
    expect(g.large).toBe(false);
    expect(g.pages.map((p) => p.swapcache)).toEqual([true, true, true, true]);
    expect(g.pages.map((p) => p.refcount)).toEqual([2, 2, 2, 2]); /* its PTE and the swap cache */
    expect(at(g, 'swap_out', { sub: 1 })).toBe('ok'); /* a small folio already in the swap cache */
    expect(g.mms[0]!.pte[1]).toBe(swp_entry(1, true));
    at(g, 'munmap', { mm: 0, from: 0, to: 4 });
    expect(g.swap.every((s) => s.count === 0)).toBe(true);
    /* the zapped present pages stay in the swap cache (refcount 1) until reclaim or a zap of a swap PTE frees it */
    expect(g.pages.map((p) => (p.freed ? 0 : p.refcount))).toEqual([1, 0, 1, 1]);
  });

  test('migration of a folio in the swap cache fails its refcount check; mremap, collapse, pin_fast keep the swap PTEs', () => {
    const g = keptInSwapCache();
    expect(at(g, 'migrate', { mm: 0 })).toBe('none'); /* nothing mapped to look up */
    expect(at(g, 'collapse', { mm: 0 })).toBe('fail');
    expect(at(g, 'pin_fast', { mm: 0, sub: 3 })).toBe('fallback');
    expect(at(g, 'mremap', { mm: 0, aligned: 0 })).toBe('ok');
    expect(g.mms[0]!.pte).toEqual([0, 1, 2, 3].map((i) => swp_entry(i, true)));
    expect(at(g, 'force_read', { mm: 0, sub: 1 })).toBe(0);
    expect(g.mms[0]!.pte[1]).toBe(PTE_PRESENT);
  });

  test('MADV_DONTNEED, fork, pin and /proc/pid/mem through swap PTEs stay within the spec', () => {
    const kept = [step('swap_out', { sub: 0 })];
    noProblem([...kept, step('madvise_dontneed', { mm: 0, from: 0, to: 2 }), step('pin_fast', { mm: 0, sub: 3 })]);
    noProblem([...kept, step('force_read', { mm: 0, sub: 1 }), step('force_write', { mm: 0, sub: 2, val: 4 })]);
    noProblem([...kept, step('fork', { src: 0, dst: 1 }), step('force_write', { mm: 1, sub: 3, val: 6 })]);
    noProblem([
      step('mprotect_ro', { mm: 0 }),
      step('swap_out', { sub: 0 }),
      step('force_write', { mm: 0, sub: 2, val: 4 }),
    ]);
    noProblem([
      step('swap_out', { sub: 0 }),
      step('pin', { mm: 0, sub: 1, write: 1 }),
      step('unpin', { mm: 0, sub: 1 }),
    ]);
  });
});
