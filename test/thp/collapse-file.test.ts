/**
 * khugepaged's file collapse (op `collapse_file`: collapse_file +
 * retract_page_tables): the spec lets the split file THP's small pages become
 * one huge page again only when nobody pins or references them, with the data
 * unchanged and the PTE mappings gone; both implementations pass the
 * collapse scenarios, reach a successful collapse sequentially, and catch the
 * unchecked refcount (collapse-file-refcount) in the GUP-fast race and, in the
 * folio implementation, mremap racing the lockless retraction (6fa1066fc5d0).
 */
import { describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import { selectImpl } from '../../checker/impls.js';
import { runScript } from '../../checker/sequential.js';
import type { OpChoice } from '../../checker/types.js';
import { applyThp, initialThp, type ThpContext } from '../../spec/thp/machine.js';
import { parseParams, thp } from '../../subsystems/thp/index.js';

const send = (c: ThpContext, type: string, args: Record<string, unknown> = {}) => applyThp(c, { type, ...args });
const scenario = (name: string) => thp.scenarios.find((s) => s.name === name)!;
const step = (op: string, args: Record<string, number> = {}): OpChoice => ({ op, args });

describe('spec: collapse_file', () => {
  const split = send(
    send(initialThp({ nr: 4, mms: 2, kind: 'file', initial: 'forked' }), 'split', { sub: 0 }),
    'fault_pte',
    {
      mm: 1,
      sub: 2,
    },
  );

  test('collapses unpinned small pages: data kept, PTEs gone, each page table retracted or kept', () => {
    expect(split.compound).toBe(false);
    const ok = send(split, 'collapse_file', { mm: 0, choice: 'kept:0' });
    expect(ok.ret).toBe('ok');
    expect(ok.compound).toBe(true);
    expect(ok.data).toEqual(split.data);
    expect(ok.pte.every((s) => s.length === 0)).toBe(true);
    expect(ok.ptable).toEqual([]);
    expect(send(split, 'collapse_file', { mm: 0, choice: 'kept:2' }).ptable).toEqual([1]);
    expect(send(split, 'collapse_file', { mm: 0, choice: 'kept:1' }).ret).toBeUndefined(); // mm 0 has no table
  });

  test('a pinned page is never collapsed; a failure may leave a prefix unmapped', () => {
    const pinned = send(split, 'pin', { mm: 1, sub: 2 });
    expect(send(pinned, 'collapse_file', { mm: 0, choice: 'kept:0' }).ret).toBeUndefined();
    const failed = send(pinned, 'collapse_file', { mm: 0, choice: 'fail:3' });
    expect(failed.ret).toBe('fail');
    expect(failed.pte[2]).toEqual([]);
    expect(failed.pinned).toEqual(pinned.pinned);
    const anon = initialThp({ nr: 4, mms: 1, kind: 'anon', initial: 'pmd' });
    expect(send(anon, 'collapse_file', { mm: 0 }).ret).toBe('EINVAL');
  });
});

describe('implementations: collapse_file', () => {
  for (const impl of ['compound', 'folio']) {
    test(`${impl}: split, PTE fault, collapse_file succeeds sequentially and the range faults in by PMD again`, () => {
      const obs = runScript(
        selectImpl(thp, impl),
        {
          params: parseParams({ kind: 'file', initial: 'pmd', mms: 1 }),
          steps: [
            step('split', { sub: 0 }),
            step('fault_pte', { mm: 0, sub: 1 }),
            step('collapse_file', { mm: 0 }),
            step('fault', { mm: 0 }),
          ],
        },
        null,
      );
      for (const o of obs) expect(o.problem).toBeUndefined();
      expect(obs.map((o) => o.impl.ret)).toEqual(['ok', 'pte', 'ok', 'pmd']);
    });

    for (const name of ['file-collapse-vs-gup-fast', 'file-collapse-retract', 'file-collapse-vs-mremap'])
      test(`${impl}: ${name} passes exhaustively`, () => {
        const r = checkScenario(selectImpl(thp, impl), scenario(name), { timeLimitSeconds: 120 });
        expect(r.violation?.message).toBeUndefined();
        expect(r.exhaustive).toBe(true);
      });

    test(`${impl}: collapse-file-refcount (no refcount check) leaves a GUP-fast pin on the old page`, () => {
      const r = checkScenario(selectImpl(thp, impl), scenario('file-collapse-vs-gup-fast'), {
        variant: 'collapse-file-refcount',
        timeLimitSeconds: 120,
      });
      expect(r.violation?.kind).toBe('refinement');
    });
  }

  test('folio: 6fa1066fc5d0 (move_normal_pmd without the recheck) moves a PMD the lockless retract_page_tables cleared', () => {
    const r = checkScenario(selectImpl(thp, 'folio'), scenario('file-collapse-vs-mremap'), {
      variant: '6fa1066fc5d0',
      timeLimitSeconds: 120,
    });
    expect(r.violation?.message).toMatch(/pmd_populate\(\) from a PMD retract_page_tables\(\) cleared/);
  });
});
