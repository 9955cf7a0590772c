/**
 * The huge zero page, read-only private mappings with FOLL_FORCE, and
 * MADV_DONTNEED, sequentially: the implementation agrees with the spec after
 * every operation, and the values users see are the ones they may rely on.
 */
import { describe, expect, test } from 'vitest';
import { runScript } from '../../checker/sequential.js';
import type { OpChoice } from '../../checker/types.js';
import { applyThp, initialThp, type ThpContext } from '../../spec/thp/machine.js';
import { parseParams, thp } from '../../subsystems/thp/index.js';
import { selectImpl } from '../../checker/impls.js';
import { runImplSteps } from '../../checker/sequential-impl.js';
import type { FolioState } from '../../impl/thp-folio/folio.js';
import { ZERO_PAGE } from '../../spec/thp/identity.js';
import { folioAbstraction } from '../../subsystems/thp/folio/abstraction.js';
import { abstraction } from '../../subsystems/thp/abstraction.js';
import type { ThpState } from '../../impl/thp/page.js';

const folio = selectImpl(thp, 'folio');

const step = (op: string, args: Record<string, number> = {}): OpChoice => ({ op, args });
const run = (params: unknown, steps: OpChoice[], variant: string | null = null) =>
  runScript(thp, { params: parseParams(params), steps }, variant);

describe('thp: the huge zero page', () => {
  test('a read fault maps the huge zero page; a write fault splits it and COWs one small zero page', () => {
    const obs = run({ kind: 'anon', initial: 'none' }, [
      step('populate_read', { mm: 0 }),
      step('read', { mm: 0, sub: 2 }),
      step('fork', { src: 0, dst: 1 }),
      step('wp_fault', { mm: 0, sub: 2, val: 7 }),
      step('read', { mm: 0, sub: 2 }),
      step('read', { mm: 0, sub: 1 }),
      step('read', { mm: 1, sub: 2 }),
      step('fault', { mm: 1 }),
    ]);
    for (const o of obs) expect(o.problem).toBeUndefined();
    expect(obs.map((o) => o.impl.ret)).toEqual(['ok', 0, 'ok', 'copy', 7, 0, 0, 'exists']);
  });

  test('FOLL_FORCE writes a read-only private mapping privately: a fresh THP, then a COW of a shared one', () => {
    const obs = run({ kind: 'anon', initial: 'none' }, [
      step('mprotect_ro', { mm: 0 }),
      step('wp_fault', { mm: 0, sub: 1, val: 3 }),
      step('force_write', { mm: 0, sub: 1, val: 3 }),
      step('read', { mm: 0, sub: 1 }),
      step('fork', { src: 0, dst: 1 }),
      step('force_write', { mm: 1, sub: 1, val: 4 }),
      step('read', { mm: 0, sub: 1 }),
      step('read', { mm: 1, sub: 1 }),
      step('pin', { mm: 1, sub: 2, write: 1 }),
      step('force_read', { mm: 1, sub: 1 }),
    ]);
    for (const o of obs) expect(o.problem).toBeUndefined();
    expect(obs.map((o) => o.impl.ret)).toEqual(['ok', 'EFAULT', 'ok', 3, 'ok', 'ok', 3, 4, 'EFAULT', 4]);
  });

  test('a FOLL_WRITE pin of the zero page pins a fresh private copy (the spec once answered EFAULT)', () => {
    const obs = run({ kind: 'anon', initial: 'none' }, [
      step('populate_read', { mm: 0 }),
      step('pin', { mm: 0, sub: 1, write: 1 }),
      step('read', { mm: 0, sub: 1 }),
      step('read', { mm: 0, sub: 2 }),
    ]);
    for (const o of obs) expect(o.problem).toBeUndefined();
    expect(obs.map((o) => o.impl.ret)).toEqual(['ok', 'ok', 0, 0]);
  });

  test('a read-only pin of the (huge or small) zero page succeeds (the spec once answered EFAULT)', () => {
    for (const prefix of [[], [step('split_huge_pmd', { mm: 0 })]]) {
      const obs = run({ kind: 'anon', initial: 'none' }, [
        step('populate_read', { mm: 0 }),
        ...prefix,
        step('pin', { mm: 0, sub: 1 }),
        step('read', { mm: 0, sub: 1 }),
        step('wp_fault', { mm: 0, sub: 1, val: 6 }), // the pin holds the zero page: the write COWs away from it
        step('read', { mm: 0, sub: 1 }),
        step('unpin', { mm: 0, sub: 1 }),
      ]);
      for (const o of obs) expect(o.problem).toBeUndefined();
      expect(obs.map((o) => o.impl.ret).slice(prefix.length)).toEqual(['ok', 'ok', 0, 'copy', 6, 'ok']);
    }
  });

  test('--impl compound (6.1): a short-term R/O pin holds the zero page itself, a long-term one pins a private copy', () => {
    // gup_must_unshare() @ v6.1 is false for !PageAnon; 6.1.192 keeps a R/O-pinned zero-page group the zero page
    for (const longterm of [0, 1]) {
      const steps = [step('populate_read', { mm: 0 }), step('pin', { mm: 0, sub: 1, longterm })];
      const params = parseParams({ kind: 'anon', initial: 'none' });
      const r = runImplSteps(thp, { params, steps }, null);
      const view = abstraction(r.steps.at(-1)!.impl as ThpState, params);
      expect(view.pinned[0]![2] === ZERO_PAGE).toBe(longterm === 0);
    }
  });

  test('--impl folio (v6.12): a read-only pin holds the zero page itself; the pinner still COWs away from it', () => {
    for (const prefix of [[], [step('split_huge_pmd', { mm: 0 })]]) {
      const steps = [
        step('populate_read', { mm: 0 }),
        ...prefix,
        step('pin', { mm: 0, sub: 1 }),
        step('wp_fault', { mm: 0, sub: 1, val: 6 }),
        step('read', { mm: 0, sub: 1 }),
      ];
      const params = parseParams({ kind: 'anon', initial: 'none' });
      const obs = runScript(folio, { params, steps }, null);
      for (const o of obs) expect(o.problem).toBeUndefined();
      expect(obs.map((o) => o.impl.ret).slice(prefix.length)).toEqual(['ok', 'ok', 'copy', 6]);
      const run = runImplSteps(folio, { params, steps: steps.slice(0, -2) }, null);
      const view = folioAbstraction(run.steps.at(-1)!.impl as FolioState, params);
      expect(view.pinned).toEqual([[0, 1, ZERO_PAGE]]);
    }
  });

  test('--impl folio: a R/O FOLL_LONGTERM pin unshares the zero page (84209e87c696), the pinner then writes the pinned page', () => {
    for (const prefix of [[], [step('split_huge_pmd', { mm: 0 })]]) {
      const steps = [
        step('populate_read', { mm: 0 }),
        ...prefix,
        step('pin', { mm: 0, sub: 1, longterm: 1 }),
        step('wp_fault', { mm: 0, sub: 1, val: 6 }),
        step('read', { mm: 0, sub: 1 }),
      ];
      const params = parseParams({ kind: 'anon', initial: 'none' });
      const obs = runScript(folio, { params, steps }, null);
      for (const o of obs) expect(o.problem).toBeUndefined();
      expect(obs.map((o) => o.impl.ret).slice(prefix.length)).toEqual(['ok', 'ok', 'reuse', 6]);
      const run = runImplSteps(folio, { params, steps: steps.slice(0, -2) }, null);
      const view = folioAbstraction(run.steps.at(-1)!.impl as FolioState, params);
      expect(view.pinned).toEqual([[0, 1, params.nr]]); /* a private copy, the page mm now maps */
      const bug = runScript(folio, { params, steps }, '84209e87c696');
      expect(bug.find((o) => o.problem !== undefined)?.op).toBe('pin');
    }
  });

  test('spec: a R/O FOLL_LONGTERM pin never holds the zero page: it pins a private copy the pinner maps', () => {
    let c: ThpContext = initialThp({ nr: 2, mms: 1, kind: 'anon', initial: 'none' });
    c = applyThp(c, { type: 'populate_read', mm: 0 });
    expect(applyThp(c, { type: 'pin', mm: 0, sub: 1, longterm: 1, choice: 'same' }).ret).toBeUndefined();
    c = applyThp(c, { type: 'pin', mm: 0, sub: 1, longterm: 1, choice: 'copy' });
    expect([c.ret, c.pinned]).toEqual(['ok', [[0, 1, 2]]]);
    expect(applyThp(c, { type: 'wp_fault', mm: 0, sub: 1, val: 4, choice: 'copy' }).ret).toBeUndefined();
    expect(applyThp(c, { type: 'wp_fault', mm: 0, sub: 1, val: 4, choice: 'reuse' }).ret).toBe('reuse');
  });

  test('spec: a read-only pin may hold the zero page itself, and the pinner still COWs away from it', () => {
    let c: ThpContext = initialThp({ nr: 2, mms: 1, kind: 'anon', initial: 'none' });
    c = applyThp(c, { type: 'populate_read', mm: 0 });
    expect(applyThp(c, { type: 'pin', mm: 0, sub: 1, write: 1, choice: 'same' }).ret).toBeUndefined();
    c = applyThp(c, { type: 'pin', mm: 0, sub: 1, choice: 'same' });
    expect(c.ret).toBe('ok');
    expect(c.pinned).toEqual([[0, 1, -3]]);
    expect(applyThp(c, { type: 'wp_fault', mm: 0, sub: 1, val: 4, choice: 'reuse' }).ret).toBeUndefined();
    c = applyThp(c, { type: 'wp_fault', mm: 0, sub: 1, val: 4, choice: 'copy' });
    expect(c.ret).toBe('copy');
    expect(c.pinned).toEqual([[0, 1, -3]]);
    expect(applyThp(c, { type: 'read', mm: 0, sub: 1 }).ret).toBe(4);
    expect(applyThp(c, { type: 'unpin', mm: 0, sub: 1 }).ret).toBe('ok');
  });

  test('spec: GUP-fast may pin the huge zero page as it is (gup_huge_pmd), never the small one (pte_special)', () => {
    let c: ThpContext = initialThp({ nr: 2, mms: 1, kind: 'anon', initial: 'none' });
    c = applyThp(c, { type: 'populate_read', mm: 0 });
    const fast = applyThp(c, { type: 'pin_fast', mm: 0, sub: 1, choice: 'ok' });
    expect([fast.ret, fast.pinned]).toEqual(['ok', [[0, 1, ZERO_PAGE]]]);
    c = applyThp(c, { type: 'split_huge_pmd', mm: 0 });
    expect(applyThp(c, { type: 'pin_fast', mm: 0, sub: 1, choice: 'ok' }).ret).toBeUndefined();
    expect(applyThp(c, { type: 'pin_fast', mm: 0, sub: 1, choice: 'fallback' }).ret).toBe('fallback');
  });

  test('a /proc/pid/mem read of an unmapped page faults in the zero page and reads zeroes', () => {
    const obs = run({ kind: 'anon', initial: 'none' }, [
      step('force_read', { mm: 0, sub: 3 }),
      step('read', { mm: 0, sub: 0 }),
      step('force_write', { mm: 0, sub: 0, val: 9 }),
      step('read', { mm: 0, sub: 0 }),
      step('read', { mm: 0, sub: 3 }),
    ]);
    for (const o of obs) expect(o.problem).toBeUndefined();
    expect(obs.map((o) => o.impl.ret)).toEqual([0, 0, 'ok', 9, 0]);
  });

  test('the spec never writes the zero page: zeroData stays 0 through COW and FOLL_FORCE', () => {
    let c: ThpContext = initialThp({ nr: 2, mms: 2, kind: 'anon', initial: 'none' });
    for (const ev of [
      { type: 'populate_read', mm: 0 },
      { type: 'mprotect_ro', mm: 0 },
      { type: 'force_write', mm: 0, sub: 1, val: 5, choice: 'copy' },
      { type: 'populate_read', mm: 1 },
    ]) {
      c = applyThp(c, ev);
      expect(c.ret).toBe('ok');
    }
    expect(c.zeroData).toBe(0);
    expect(c.zero).toEqual([[0, 1], [1]]);
    expect(applyThp(c, { type: 'read', mm: 1, sub: 1 }).ret).toBe(0);
    expect(applyThp(c, { type: 'read', mm: 0, sub: 1 }).ret).toBe(5);
  });
});

describe('thp: MADV_DONTNEED', () => {
  test('zaps all or part of a THP; the page table stays, so the next PMD fault falls back', () => {
    const obs = run({ kind: 'anon', initial: 'pmd' }, [
      step('wp_fault', { mm: 0, sub: 3, val: 2 }),
      step('madvise_dontneed', { mm: 0, from: 1, to: 2 }),
      step('read', { mm: 0, sub: 1 }),
      step('read', { mm: 0, sub: 3 }),
      step('madvise_dontneed', { mm: 0, from: 0, to: 4 }),
      step('read', { mm: 0, sub: 3 }),
      step('fault', { mm: 0 }),
      step('populate_read', { mm: 0 }),
      step('read', { mm: 0, sub: 3 }),
      step('numa_hint', { mm: 0 }),
    ]);
    for (const o of obs) expect(o.problem).toBeUndefined();
    expect(obs.map((o) => o.impl.ret)).toEqual(['reuse', 'ok', 'nomap', 2, 'ok', 'nomap', 'fallback', 'ok', 0, 'ok']);
  });

  test('the ced108037c2a variant is not visible sequentially (the race needs a concurrent zap)', () => {
    const obs = run(
      { kind: 'anon', initial: 'pmd' },
      [
        step('numa_hint', { mm: 0 }),
        step('madvise_dontneed', { mm: 0, from: 0, to: 4 }),
        step('read', { mm: 0, sub: 0 }),
      ],
      'ced108037c2a',
    );
    for (const o of obs) expect(o.problem).toBeUndefined();
    expect(obs.map((o) => o.impl.ret)).toEqual(['ok', 'ok', 'nomap']);
  });
});
