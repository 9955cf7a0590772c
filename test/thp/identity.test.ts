/**
 * Page identity, data and pins: canonical naming of private copies, the
 * user-visible guarantees on small scripts, and lockdep-style assertions.
 */
import { describe, expect, test } from 'vitest';
import { runScript } from '../../checker/sequential.js';
import type { OpChoice, ThreadCtx } from '../../checker/types.js';
import { KernelBug, init, type ThpParams } from '../../impl/thp/page.js';
import { unlock_page } from '../../impl/thp/steps.js';
import { canonicalCopies } from '../../spec/thp/identity.js';
import { initialThp, thpView } from '../../spec/thp/machine.js';
import { parseParams, thp } from '../../subsystems/thp/index.js';

const step = (op: string, args: Record<string, number> = {}): OpChoice => ({ op, args });
const run = (params: unknown, steps: OpChoice[]) => runScript(thp, { params: parseParams(params), steps }, null);

describe('thp spec: identity of private copies', () => {
  test('copies are renumbered by first appearance and unreferenced copies disappear', () => {
    const v = thpView(initialThp({ nr: 2, mms: 2, kind: 'anon', initial: 'pmd' }));
    v.cow = [
      [-1, 5],
      [2, 5],
    ];
    v.copyData = [0, 0, 7, 0, 0, 9, 3];
    v.pinned = [[0, 0, 2 + 6]];
    canonicalCopies(v);
    expect(v.cow).toEqual([
      [-1, 0],
      [1, 0],
    ]);
    expect(v.copyData).toEqual([9, 7, 3]);
    expect(v.pinned).toEqual([[0, 0, 2 + 2]]);
  });
});

describe('thp: user-visible guarantees, sequentially', () => {
  test('a process reads its own latest write; after fork writes are isolated', () => {
    const obs = run({ kind: 'anon', initial: 'pmd' }, [
      step('wp_fault', { mm: 0, sub: 2, val: 5 }),
      step('fork', { src: 0, dst: 1 }),
      step('wp_fault', { mm: 1, sub: 2, val: 6 }),
      step('read', { mm: 0, sub: 2 }),
      step('read', { mm: 1, sub: 2 }),
      step('wp_fault', { mm: 0, sub: 2, val: 7 }),
      step('read', { mm: 0, sub: 2 }),
      step('read', { mm: 1, sub: 2 }),
    ]);
    for (const o of obs) expect(o.problem).toBeUndefined();
    expect(obs.map((o) => o.impl.ret)).toEqual(['reuse', 'ok', 'copy', 5, 6, 'copy', 7, 6]);
  });

  test('GUP-fast pins an exclusive writable page, and falls back on a write-protected one', () => {
    const obs = run({ kind: 'anon', initial: 'pmd' }, [
      step('pin_fast', { mm: 0, sub: 1 }),
      step('unpin', { mm: 0, sub: 1 }),
      step('fork', { src: 0, dst: 1 }),
      step('pin_fast', { mm: 0, sub: 1 }),
    ]);
    for (const o of obs) expect(o.problem).toBeUndefined();
    expect(obs.map((o) => o.impl.ret)).toEqual(['ok', 'ok', 'ok', 'fallback']);
  });

  test('split and collapse change neither data nor what a pin holds', () => {
    const obs = run({ kind: 'anon', initial: 'pmd' }, [
      step('wp_fault', { mm: 0, sub: 3, val: 4 }),
      step('split', { sub: 0 }),
      step('read', { mm: 0, sub: 3 }),
      step('collapse', { mm: 0 }),
      step('read', { mm: 0, sub: 3 }),
    ]);
    for (const o of obs) expect(o.problem).toBeUndefined();
    expect(obs.map((o) => o.impl.ret)).toEqual(['reuse', 'ok', 4, 'ok', 4]);
  });
});

describe('thp impl: lockdep-style assertions', () => {
  test('unlock_page by a thread that does not hold the page lock is an internal error', () => {
    const p: ThpParams = { nr: 2, mms: 1, kind: 'anon', initial: 'pmd' };
    const g = init(p);
    const t = { tid: 0, params: p } as unknown as ThreadCtx<ThpParams>;
    expect(() => unlock_page(g, t, 0)).toThrow(KernelBug);
    expect(() => unlock_page(g, t, 0)).toThrow(/lockdep_assert_held\(page lock of page 0\)/);
  });
});
