/**
 * Swap-out of a THP in the compound implementation (impl/thp/vmscan.ts, swap.ts; issue 12 item 6): reclaim of
 * a whole THP, swap entries shared by fork and read back, the swap cache kept by an extra reference, and the
 * try_to_unmap_one() refusal of a pinned exclusive page (6c287605fd56).
 */
import { describe, expect, test } from 'vitest';
import { runScript } from '../../checker/sequential.js';
import { runImplSteps } from '../../checker/sequential-impl.js';
import type { OpChoice } from '../../checker/types.js';
import { PTE_PRESENT, PTE_SWAP, PTE_SWAP_EXCLUSIVE, isCopyPte, type ThpState } from '../../impl/thp/page.js';
import { abstraction, parseParams, thp } from '../../subsystems/thp/index.js';

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

describe('thp compound: swap-out of a THP', () => {
  test('an exclusive PMD-mapped THP leaves memory: exclusive swap PTEs, slots hold the data, a read gets a fresh page', () => {
    const write = step('wp_fault', { mm: 0, sub: 2, val: 9 });
    const g = run([write, step('swap_out', { sub: 0 })]);
    expect(g.pages.every((p) => p.freed)).toBe(true);
    expect(g.mms[0]!.pte).toEqual([PTE_SWAP_EXCLUSIVE, PTE_SWAP_EXCLUSIVE, PTE_SWAP_EXCLUSIVE, PTE_SWAP_EXCLUSIVE]);
    expect(g.swap.map((s) => [s.count, s.page, s.data])).toEqual([
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
    expect(g.mms[0]!.pte[0]).toBe(PTE_SWAP);
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

  test('a scanner reference keeps the unmapped THP in the swap cache; a read maps the same page again', () => {
    const steps = [step('scan_get', { sub: 0 }), step('swap_out', { sub: 0 }), step('scan_put', { sub: 0 })];
    const g = run(steps);
    expect(g.pages[0]!.swapcache && !g.pages[0]!.freed).toBe(true);
    expect(abstraction(g, params).swapped).toEqual([[0], [0], [0], [0]]);
    const r = run([...steps, step('read', { mm: 0, sub: 3 })]);
    expect(r.mms[0]!.pte[3]).toBe(PTE_PRESENT);
    noProblem([...steps, step('read', { mm: 0, sub: 3 }), step('swap_out', { sub: 0 })]);
  });

  test('a pinned exclusive page is not unmapped (6.1); without PG_anon_exclusive it is, and the write leaves the pin behind', () => {
    const steps = [
      step('scan_get', { sub: 0 }),
      step('swap_out', { sub: 0 }) /* kept in the swap cache, unmapped */,
      step('scan_put', { sub: 0 }),
      step('wp_fault', { mm: 0, sub: 1, val: 2 }) /* do_swap_page(FAULT_FLAG_WRITE): mapped writable again */,
      step('pin', { mm: 0, sub: 1, write: 0 }),
      step('swap_out', { sub: 0 }) /* in the swap cache already: no page_maybe_dma_pinned() check before the unmap */,
    ];
    const g = run(steps);
    expect(g.mms[0]!.pte[1]).toBe(PTE_PRESENT);
    const full = [...steps, step('read', { mm: 0, sub: 1 }), step('wp_fault', { mm: 0, sub: 1, val: 7 })];
    noProblem(full);
    const bug = runScript(thp, { params, steps: full }, '6c287605fd56');
    expect(bug.find((o) => o.problem !== undefined)?.op).toBe('wp_fault');
  });
});

describe('thp compound: other paths meeting a THP in the swap cache', () => {
  const kept = [step('scan_get', { sub: 0 }), step('swap_out', { sub: 0 }), step('scan_put', { sub: 0 })];

  test('split_huge_page counts the swap cache (can_split_huge_page extra_pins) and each page keeps its reference', () => {
    const steps = [...kept, step('read', { mm: 0, sub: 1 }), step('split', { sub: 0 })];
    const g = run(steps);
    expect(g.head).toBe(false);
    expect(g.pages.map((p) => p.swapcache)).toEqual([true, true, true, true]);
    expect(g.pages.map((p) => p.refcount)).toEqual([1, 2, 1, 1]);
    noProblem([
      ...steps,
      step('swap_out', { sub: 1 }),
      step('read', { mm: 0, sub: 1 }),
      step('munmap', { mm: 0, from: 0, to: 4 }),
    ]);
  });

  test('migration, collapse, mremap, fork and MADV_DONTNEED with swap PTEs stay within the spec', () => {
    noProblem([...kept, step('read', { mm: 0, sub: 1 }), step('migrate', { mm: 0 }), step('collapse', { mm: 0 })]);
    noProblem([
      ...kept,
      step('mremap', { mm: 0, aligned: 0 }),
      step('fork', { src: 0, dst: 1 }),
      step('read', { mm: 1, sub: 2 }),
    ]);
    noProblem([
      ...kept,
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
    expect(g.mms[0]!.pte[3]).toBe(PTE_SWAP);
  });
});
