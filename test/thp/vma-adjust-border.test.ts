/**
 * vma_adjust_trans_huge() splits a huge PMD only at a border whose PMD range lies inside the VMA being cut:
 * split_huge_pmd_if_needed() @ v6.1 / pmd_split_required() @ v6.12 (mm/huge_memory.c) test range_in_vma() of
 * [ALIGN_DOWN(addr), ALIGN(addr)) before __split_huge_pmd() takes the PMD lock. Once a VMA is cut inside the THP's
 * range (so its PMD is a page table: huge-pmd-in-one-vma), a further mprotect / mlock / munlock / munmap of part of it
 * takes no PMD lock; the model took it (and waited for it) for every partial range that changes a flag. Both
 * implementations; subsystems/thp/NOTES.md "vma_adjust_trans_huge() only where one VMA covers the range".
 */
import { describe, expect, test } from 'vitest';
import type { ImplDef } from '../../checker/types.js';
import { thpImpl } from '../../impl/thp/index.js';
import { init as initCompound } from '../../impl/thp/page.js';
import { folioImpl } from '../../impl/thp-folio/index.js';
import { init as initFolio } from '../../impl/thp-folio/folio-init.js';
import { parseParams } from '../../subsystems/thp/index.js';
import { stepDriver } from './step-driver.js';

interface StateLike {
  readonly mms: { pmd: string; ptl: number; vma_start: number }[];
}
const params = parseParams({ kind: 'anon', initial: 'pmd', mms: 1 });
const cases: [string, ImplDef<any, any>, () => StateLike][] = [
  ['compound', thpImpl, () => initCompound(params as never) as StateLike],
  ['folio', folioImpl, () => initFolio(params as never) as StateLike],
];

describe.each(cases)('thp %s: vma_adjust_trans_huge() needs the PMD range inside the VMA it cuts', (_n, impl, init) => {
  const { thread, drive } = stepDriver(impl, params);
  /** mprotect(0..2) cuts the VMA at 2 (and splits the PMD there); then someone holds mm 0's PMD lock. */
  const cut = (): StateLike => {
    const g = init();
    expect(drive(g, 'mprotect', thread(0, 'mprotect', { mm: 0, from: 0, to: 2 }))).toBe('ok');
    expect(g.mms[0]!.pmd).toBe('table');
    expect(g.mms[0]!.vma_start & 4).toBe(4); /* a VMA piece starts at subpage 2 */
    g.mms[0]!.ptl = 99; /* an rmap walk of another thread in mm 0's page table */
    return g;
  };

  test('mlock inside a cut piece: a new border, but no PMD range inside that VMA: no PMD lock', () => {
    const g = cut();
    expect(drive(g, 'mlock', thread(1, 'mlock', { mm: 0, from: 1, to: 2 }))).toBe('ok');
  });

  test('mprotect back of one piece (a merge): no PMD lock', () => {
    const g = cut();
    expect(drive(g, 'mprotect', thread(1, 'mprotect', { mm: 0, from: 0, to: 2, exec: 0 }))).toBe('ok');
    expect(g.mms[0]!.vma_start & 4).toBe(0); /* merged again */
  });

  test('munmap of part of a cut VMA: the zap waits for the PTL, the border split does not take it', () => {
    const g = cut();
    const t = thread(1, 'munmap', { mm: 0, from: 2, to: 3 });
    expect(drive(g, 'munmap', t, 'zap_pte_range')).toBeUndefined();
  });

  test('with one VMA over the range the border split still takes the PMD lock', () => {
    const g = init();
    g.mms[0]!.ptl = 99;
    expect(() => drive(g, 'mlock', thread(1, 'mlock', { mm: 0, from: 1, to: 2 }))).toThrow(
      /would wait at __split_huge_pmd/,
    );
  });
});
