/**
 * mremap of the whole THP range away and back: an aligned move keeps the PMD
 * (move_huge_pmd), an unaligned one splits it first (split_huge_pmd, then
 * move_ptes); data, page identity and pins move with the range. Both
 * implementations agree with the spec at every step.
 */
import { describe, expect, test } from 'vitest';
import { selectImpl } from '../../checker/impls.js';
import { runScript } from '../../checker/sequential.js';
import type { OpChoice } from '../../checker/types.js';
import { applyThp, initialThp } from '../../spec/thp/machine.js';
import { thpProbe } from '../../subsystems/thp/probe.js';
import { parseParams, thp } from '../../subsystems/thp/index.js';

const step = (op: string, args: Record<string, number> = {}): OpChoice => ({ op, args });
const SCRIPT = [
  step('pin', { mm: 0, sub: 1, write: 1 }),
  step('mremap', { mm: 0, aligned: 1 }),
  step('fork', { src: 0, dst: 1 }),
  step('mremap', { mm: 1, aligned: 0 }),
  step('wp_fault', { mm: 0, sub: 2, val: 7 }),
  step('read', { mm: 1, sub: 2 }),
  step('mremap', { mm: 0, aligned: 0 }),
  step('read', { mm: 0, sub: 2 }),
  step('mremap', { mm: 5, aligned: 1 }),
];

describe('thp: mremap', () => {
  for (const impl of ['compound', 'folio'])
    test(`${impl}: agrees with the spec; the pin and the data move with the range`, () => {
      const sub = selectImpl(thp, impl);
      const obs = runScript(sub, { params: parseParams({ nr: 4, mms: 2, initial: 'pmd' }), steps: SCRIPT }, null);
      for (const o of obs) expect(o.problem).toBeUndefined();
      expect(obs.map((o) => o.impl.ret)).toEqual(['ok', 'ok', 'ok', 'ok', 'reuse', 0, 'ok', 7, 'EINVAL']);
    });

  test('spec: aligned keeps the PMD, unaligned leaves PTEs of the same page', () => {
    let c = initialThp({ nr: 4, mms: 2, kind: 'anon', initial: 'forked' });
    c = applyThp(c, { type: 'mremap', mm: 0, aligned: 1 });
    expect([c.ret, c.pmd, c.ptable]).toEqual(['ok', [0, 1], []]);
    c = applyThp(c, { type: 'mremap', mm: 1, aligned: 0 });
    expect([c.ret, c.pmd, c.ptable, c.pte]).toEqual(['ok', [0], [1], [[1], [1], [1], [1]]]);
    expect(c.mapcount).toEqual([2, 2, 2, 2]);
    expect(applyThp(c, { type: 'mremap', mm: 0, aligned: 2 }).ret).toBe('EINVAL');
  });

  test('the probe runs it as t_mremap there and back', () => {
    expect(thpProbe.step('mremap', { mm: 1, aligned: 0 }, parseParams({}))).toBe('ret = t_mremap(1, 0);');
    expect(thpProbe.cHelpers).toMatch(/mremap\(away, HPAGE, HPAGE, MREMAP_MAYMOVE \| MREMAP_FIXED, T_BASE\)/);
  });
});
