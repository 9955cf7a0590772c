/**
 * Swap-out of a THP in the compound implementation (impl/thp/vmscan.ts, swap.ts; issue 12 item 6): reclaim of
 * a whole THP, swap entries shared by fork and read back, the swap cache kept by a reference taken during the
 * reclaim (reached by running the steps of two operations interleaved), the try_to_unmap_one() refusal of a
 * pinned exclusive page (6c287605fd56), and shrink_page_list()'s can_split_folio() check and split of a THP no
 * PMD maps before add_to_swap (mm/vmscan.c shrink_page_list() @ v6.1).
 */
import { describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import { selectImpl } from '../../checker/impls.js';
import { runScript } from '../../checker/sequential.js';
import { runImplSteps } from '../../checker/sequential-impl.js';
import type { OpChoice, RetValue, Scenario } from '../../checker/types.js';
import { thpImpl } from '../../impl/thp/index.js';
import { PTE_PRESENT, init, isCopyPte, type ThpState, swp_entry } from '../../impl/thp/page.js';
import { SPLIT_PAGE } from '../../impl/thp/split-page.js';
import { invariants } from '../../subsystems/thp/invariants.js';
import { abstraction, parseParams, thp } from '../../subsystems/thp/index.js';
import { stepDriver } from './step-driver.js';

const step = (op: string, args: Record<string, number> = {}): OpChoice => ({ op, args });
const params = parseParams({ kind: 'anon', initial: 'pmd' });
const run = (steps: OpChoice[], version = '6.1'): ThpState => {
  const r = runImplSteps(thp, { params, steps }, null, false, version);
  expect(r.stopped).toBeUndefined();
  return r.steps.at(-1)!.impl as ThpState;
};
const noProblem = (steps: OpChoice[], variant: string | null = null): void => {
  for (const o of runScript(thp, { params, steps }, variant)) expect(o.problem).toBeUndefined();
};
const compound = selectImpl(thp, 'compound');
const { thread, drive } = stepDriver(thpImpl, params);
/** Every invariant of the compound implementation holds (checked between whole ops: quiescent). */
const sane = (g: ThpState): void => {
  const q = { quiescent: true, inFlight: [], variant: null };
  for (const inv of invariants) {
    const r = inv.check(g, params, q);
    expect(typeof r === 'string' ? `${inv.name}: ${r}` : r).not.toEqual(expect.any(String));
  }
};
/**
 * The exclusive PMD-mapped THP unmapped to swap PTEs but kept in the swap cache: a scanner's reference taken after
 * add_to_swap (before it, can_split_folio() would keep the THP out of the swap cache) makes the freeze fail.
 */
function keptInSwapCache(): ThpState {
  const g = init(params);
  const t0 = thread(0, 'swap_out', { sub: 0 });
  expect(drive(g, 'swap_out', t0, 'shrink_page_list: folio_maybe_dma_pinned')).toBeUndefined();
  expect(drive(g, 'scan_get', thread(1, 'scan_get', { sub: 0 }))).toBe('ok');
  expect(drive(g, 'swap_out', t0)).toBe('kept');
  expect(drive(g, 'scan_put', thread(1, 'scan_put', { sub: 0 }))).toBe('ok');
  sane(g);
  return g;
}
const at = (g: ThpState, op: string, args: Record<string, number>): RetValue | undefined => {
  const r = drive(g, op, thread(0, op, args));
  sane(g);
  return r;
};
/** T0 reclaims the THP and then runs `rest`; T1's scanner reference may come at any step of it (every interleaving). */
const keptScenario = (rest: OpChoice[]): Scenario => ({
  name: 'swap-kept',
  description: 'swap_out racing a scanner reference, then more operations',
  params,
  threads: [
    [[step('swap_out', { sub: 0 })], ...rest.map((o) => [o])],
    [[step('scan_get', { sub: 0 })], [step('scan_put', { sub: 0 })]],
  ],
});
/** Every interleaving of keptScenario(rest) stays within the spec, explored exhaustively. */
const afterKept = (rest: OpChoice[]): void => {
  const r = checkScenario(compound, keptScenario(rest), {});
  expect([r.violation?.kind ?? 'none', r.exhaustive]).toEqual(['none', true]);
};

describe('thp compound: swap-out of a THP', () => {
  test('an exclusive PMD-mapped THP leaves memory: exclusive swap PTEs, slots hold the data, a read gets a fresh page', () => {
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
    expect(abstraction(r, params).copyData).toContain(9);
    noProblem([
      write,
      step('swap_out', { sub: 0 }),
      step('read', { mm: 0, sub: 2 }),
      step('wp_fault', { mm: 0, sub: 2 }),
    ]);
  });

  test('fork shares the swap entries (exclusive bit cleared); both read the one page read back into the swap cache', () => {
    const steps = [step('swap_out', { sub: 0 }), step('fork', { src: 0, dst: 1 }), step('read', { mm: 1, sub: 1 })];
    const g = run(steps);
    expect(g.mms[0]!.pte[0]).toBe(swp_entry(0, false));
    expect(g.swap[0]!.count).toBe(2);
    expect(g.swap[1]!.count).toBe(1);
    expect(g.swap[1]!.page).toBeGreaterThanOrEqual(params.nr); /* a copy in the swap cache */
    const both = run([...steps, step('read', { mm: 0, sub: 1 })]);
    expect(both.mms[0]!.pte[1]).toBe(both.mms[1]!.pte[1]);
    const ids = abstraction(both, params).cow.map((row) => row[1]!);
    expect(ids[0]).toBeGreaterThanOrEqual(0);
    expect(ids[1]).toBe(ids[0]);
    noProblem([
      ...steps,
      step('read', { mm: 0, sub: 1 }),
      step('wp_fault', { mm: 0, sub: 1, val: 4 }),
      step('read', { mm: 1, sub: 1 }),
    ]);
  });

  test('a scanner reference taken after add_to_swap keeps the unmapped THP in the swap cache; a read maps it again', () => {
    const g = keptInSwapCache();
    expect(g.pages[0]!.swapcache && !g.pages[0]!.freed).toBe(true);
    expect(g.mms[0]!.pte).toEqual([0, 1, 2, 3].map((i) => swp_entry(i, true)));
    expect(abstraction(g, params).swapped).toEqual([[0], [0], [0], [0]]);
    expect(at(g, 'read', { mm: 0, sub: 3 })).toBe(0);
    expect(g.mms[0]!.pte[3]).toBe(PTE_PRESENT);
    afterKept([step('read', { mm: 0, sub: 3 }), step('swap_out', { sub: 0 })]);
  });

  test('a pinned exclusive page is not unmapped (6.1); without PG_anon_exclusive it is, and the write leaves the pin behind', () => {
    const g = keptInSwapCache();
    expect(at(g, 'wp_fault', { mm: 0, sub: 1, val: 2 })).toBe('reuse'); /* do_swap_page(FAULT_FLAG_WRITE): writable */
    expect(at(g, 'pin', { mm: 0, sub: 1, write: 0 })).toBe('ok');
    /* in the swap cache already: no page_maybe_dma_pinned() check before the unmap; try_to_unmap_one refuses */
    expect(at(g, 'swap_out', { sub: 0 })).toBe('kept');
    expect(g.mms[0]!.pte[1]).toBe(PTE_PRESENT);
    const rest = [
      step('wp_fault', { mm: 0, sub: 1, val: 2 }),
      step('pin', { mm: 0, sub: 1, write: 0 }),
      step('swap_out', { sub: 0 }),
      step('read', { mm: 0, sub: 1 }),
      step('wp_fault', { mm: 0, sub: 1, val: 7 }),
    ];
    afterKept(rest);
    const bug = checkScenario(compound, keptScenario(rest), { variant: '6c287605fd56' });
    expect(bug.violation).toBeDefined();
  });
});

describe('thp compound: shrink_page_list() before add_to_swap (v6.1)', () => {
  test('a THP a scanner references is not put in the swap cache: can_split_folio() fails, activate_locked', () => {
    const r = runImplSteps(thp, { params, steps: [step('scan_get', { sub: 0 }), step('swap_out', { sub: 0 })] }, null);
    expect(r.steps.map((x) => x.ret)).toEqual(['ok', 'kept']);
    const g = r.steps.at(-1)!.impl as ThpState;
    expect(g.pages.some((p) => p.swapcache)).toBe(false);
    expect(g.swap.every((x) => x.page === -1 && x.count === 0)).toBe(true);
    expect(g.mms[0]!.pmd).toBe('huge');
    noProblem([step('scan_get', { sub: 0 }), step('swap_out', { sub: 0 }), step('scan_put', { sub: 0 })]);
  });

  test('a THP no PMD maps is split first (split_folio_to_list): the head goes on alone, the tails go back', () => {
    const steps = [step('wp_fault', { mm: 0, sub: 0, val: 5 }), step('split_huge_pmd', { mm: 0 })];
    const r = runImplSteps(thp, { params, steps: [...steps, step('swap_out', { sub: 2 })] }, null);
    expect(r.steps.at(-1)!.ret).toBe('ok');
    const g = r.steps.at(-1)!.impl as ThpState;
    expect(g.head).toBe(false);
    expect(g.pages.map((p) => p.freed)).toEqual([true, false, false, false]);
    expect(g.mms[0]!.pte).toEqual([swp_entry(0, true), PTE_PRESENT, PTE_PRESENT, PTE_PRESENT]);
    expect(g.pages.slice(1).map((p) => [p.refcount, p.locked, p.swapcache])).toEqual([
      [1, 0, false],
      [1, 0, false],
      [1, 0, false],
    ]); /* the tails' references from page_list are put back (putback_lru_page) */
    expect(g.swap[0]).toMatchObject({ count: 1, page: -1, data: 5 });
    noProblem([
      ...steps,
      step('swap_out', { sub: 2 }),
      step('swap_out', { sub: 2 }) /* a later pass of a tail: a small page */,
      step('read', { mm: 0, sub: 0 }),
      step('read', { mm: 0, sub: 2 }),
    ]);
  });

  test('a reference taken during the split makes it fail: activate_locked, the THP stays whole and unswapped', () => {
    const g = run([step('split_huge_pmd', { mm: 0 })]);
    const t0 = thread(0, 'swap_out', { sub: 1 });
    expect(drive(g, 'swap_out', t0, SPLIT_PAGE.freeze)).toBeUndefined();
    expect(drive(g, 'scan_get', thread(1, 'scan_get', { sub: 0 }))).toBe('ok');
    expect(drive(g, 'swap_out', t0)).toBe('kept');
    expect(g.head).toBe(true);
    expect(g.pages.some((p) => p.swapcache)).toBe(false);
    expect(g.mms[0]!.pte.every((e) => e === PTE_PRESENT)).toBe(true);
  });
});

describe('thp compound: other paths meeting a THP in the swap cache', () => {
  test('split_huge_page counts the swap cache (can_split_huge_page extra_pins) and each page keeps its reference', () => {
    const g = keptInSwapCache();
    expect(at(g, 'read', { mm: 0, sub: 1 })).toBe(0);
    expect(at(g, 'split', { sub: 0 })).toBe('ok');
    expect(g.head).toBe(false);
    expect(g.pages.map((p) => p.swapcache)).toEqual([true, true, true, true]);
    expect(g.pages.map((p) => p.refcount)).toEqual([1, 2, 1, 1]);
    afterKept([
      step('read', { mm: 0, sub: 1 }),
      step('split', { sub: 0 }),
      step('swap_out', { sub: 1 }),
      step('read', { mm: 0, sub: 1 }),
      step('munmap', { mm: 0, from: 0, to: 4 }),
    ]);
  });

  test('migration, collapse, mremap, fork and MADV_DONTNEED with swap PTEs stay within the spec', () => {
    afterKept([step('read', { mm: 0, sub: 1 }), step('migrate', { mm: 0 }), step('collapse', { mm: 0 })]);
    afterKept([
      step('mremap', { mm: 0, aligned: 0 }),
      step('fork', { src: 0, dst: 1 }),
      step('read', { mm: 1, sub: 2 }),
    ]);
    afterKept([
      step('madvise_dontneed', { mm: 0, from: 0, to: 2 }),
      step('populate_read', { mm: 0 }),
      step('pin_fast', { mm: 0, sub: 3 }),
    ]);
  });
});

describe('thp compound: /proc/pid/mem through a swap entry', () => {
  test('force_read and force_write (also on a read-only VMA) swap the page in first', () => {
    const out = [step('swap_out', { sub: 0 })];
    noProblem([...out, step('force_read', { mm: 0, sub: 1 }), step('force_write', { mm: 0, sub: 2, val: 4 })]);
    noProblem([
      step('mprotect_ro', { mm: 0 }),
      ...out,
      step('force_write', { mm: 0, sub: 2, val: 4 }),
      step('read', { mm: 0, sub: 2 }),
    ]);
    const g = run([...out, step('fork', { src: 0, dst: 1 }), step('force_write', { mm: 1, sub: 3, val: 6 })]);
    expect(isCopyPte(g.mms[1]!.pte[3]!)).toBe(true);
    expect(g.mms[0]!.pte[3]).toBe(swp_entry(3, false));
  });
});
