/**
 * PG_anon_exclusive in the compound implementation (impl/thp, v5.19+ / 6.1): the write fault and the R/O pin
 * of a PTE-mapped subpage of an exclusive THP, by kernel version.
 */
import { describe, expect, test } from 'vitest';
import { runScript } from '../../checker/sequential.js';
import { runImplSteps } from '../../checker/sequential-impl.js';
import type { OpChoice } from '../../checker/types.js';
import { PTE_COPY, PTE_PRESENT, isCopyPte, type ThpState } from '../../impl/thp/page.js';
import { abstraction, parseParams, thp } from '../../subsystems/thp/index.js';

const step = (op: string, args: Record<string, number> = {}): OpChoice => ({ op, args });
const params = parseParams({ kind: 'anon', initial: 'pmd' });
/** conform thp on Debian 6.1.192, seed 20261208 script 33, shrunk (subsystems/thp/NOTES.md). */
const conformScript = [
  step('mprotect_ro', { mm: 0 }),
  step('madvise_dontneed', { mm: 0, from: 0, to: 1 }),
  step('force_write', { mm: 0, sub: 1, val: 5 }),
];
const after = (steps: OpChoice[], version: string): ThpState => {
  const run = runImplSteps(thp, { params, steps }, null, false, version);
  expect(run.stopped).toBeUndefined();
  return run.steps.at(-1)!.impl as ThpState;
};

describe('thp compound: PG_anon_exclusive decides COW reuse (6c287605fd56)', () => {
  test('6.1: the FOLL_FORCE write reuses the exclusive PTE-mapped subpage in place; 5.13 copies it', () => {
    const g61 = after(conformScript, '6.1');
    expect(g61.mms[0]!.pte[1]).toBe(PTE_PRESENT);
    expect(g61.pages[1]!.data).toBe(5);
    expect(g61.pages[1]!.anon_exclusive).toBe(true);
    const g513 = after(conformScript, '5.13');
    expect(isCopyPte(g513.mms[0]!.pte[1]!)).toBe(true);
    expect(g513.pages[1]!.data).toBe(0);
  });

  test('a R/O pin of the exclusive subpage pins it as it is and keeps seeing the page after the FOLL_FORCE write', () => {
    const steps = [
      ...conformScript.slice(0, 2),
      step('pin', { mm: 0, sub: 1, write: 0 }),
      step('force_write', { mm: 0, sub: 1, val: 5 }),
    ];
    const g = after(steps, '6.1');
    expect(g.mms[0]!.pte[1]).toBe(PTE_PRESENT);
    expect(g.pins).toEqual([{ mm: 0, sub: 1, page: 1 }]);
    expect(abstraction(g, params).pinned).toEqual([[0, 1, 1]]);
    const full = [...steps, step('unpin', { mm: 0, sub: 1 })];
    for (const o of runScript(thp, { params, steps: full }, null)) expect(o.problem).toBeUndefined();
    /* without the flag the pin breaks COW into a copy, and the write copies that pinned copy again */
    const bug = runScript(thp, { params, steps: full }, '6c287605fd56');
    expect(bug.find((o) => o.problem !== undefined)?.op).toBe('force_write');
  });

  test('fork copies the exclusive subpages of a maybe-pinned THP for the child and clears the flag of shared ones', () => {
    const split = step('madvise_dontneed', { mm: 0, from: 0, to: 1 });
    const pinned = after([split, step('pin', { mm: 0, sub: 1, write: 0 }), step('fork', { src: 0, dst: 1 })], '6.1');
    /* page_try_dup_anon_rmap(): page_maybe_dma_pinned() of any subpage is the THP's pincount → copy_present_page */
    for (const i of [1, 2, 3]) {
      expect(pinned.pages[i]!.anon_exclusive).toBe(true);
      expect(isCopyPte(pinned.mms[1]!.pte[i]!)).toBe(true);
    }
    const steps = [split, step('fork', { src: 0, dst: 1 })];
    const shared = after(steps, '6.1');
    for (const i of [1, 2, 3]) {
      expect(shared.pages[i]!.anon_exclusive).toBe(false); /* ClearPageAnonExclusive: shared from now on */
      expect(shared.mms[1]!.pte[i]).toBe(PTE_PRESENT);
    }
    /* a R/O pin of a shared subpage unshares it (a7f226604170): an exclusive copy, mapped read-only */
    const g = after([...steps, step('pin', { mm: 0, sub: 2, write: 0 })], '6.1');
    expect(isCopyPte(g.mms[0]!.pte[2]!)).toBe(true);
    expect(g.mms[0]!.pte_write[2]).toBe(false);
    expect(g.pins).toEqual([{ mm: 0, sub: 2, page: params.nr + (g.mms[0]!.pte[2]! - PTE_COPY) }]);
  });
});
