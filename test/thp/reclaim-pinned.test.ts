/**
 * d824ec2a1546 "mm: do not reclaim private data from pinned page" (v6.4; in both Debian kernels, 6.1.192 through
 * stable and 6.12.118): after try_to_unmap(), shrink_folio_list() sends a folio_maybe_dma_pinned() folio to
 * activate_locked before pageout() (mm/vmscan.c shrink_folio_list() @ v6.1, @ v6.12: "Folio is unmapped now so it
 * cannot be newly pinned anymore"). For an anon folio the pin it meets there is GUP-fast's: gup_huge_pmd() /
 * gup_fast_pmd_leaf() grab from the PMD value read before reclaim split and unmapped it, and drop the pin at their
 * recheck. Both implementations now check there (impl/thp/vmscan.ts, impl/thp-folio/vmscan.ts, reclaim-copy.ts);
 * before, reclaim went on to pageout(), wrote the swap slot, and the freeze failed on the pin. The page stays in the
 * swap cache either way, so no user can tell (subsystems/thp/NOTES.md); what changes is that the slot is not
 * written. --kernel-version 5.10 / 5.13 (compound) lack it.
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
  readonly swap: readonly { readonly data: number; readonly page: number }[];
  readonly pages: readonly { readonly swapcache: boolean; readonly freed: boolean }[];
  readonly mms: readonly { readonly pmd: string }[];
}

const params = parseParams({ kind: 'anon', initial: 'pmd' });
/* per implementation: its state, and the names its steps start with: GUP-fast's grab and recheck, reclaim's check */
const cases: [string, ImplDef<any, any>, () => StateLike, string, string, string][] = [
  [
    'compound',
    thpImpl,
    () => initCompound(params as never) as StateLike,
    'gup_huge_pmd / gup_pte_range: READ_ONCE',
    'gup_huge_pmd / gup_pte_range: pmd or pte changed',
    'shrink_page_list: folio_maybe_dma_pinned after',
  ],
  [
    'folio',
    folioImpl,
    () => initFolio(params as never) as StateLike,
    'gup_fast_pte_range / gup_fast_pmd_leaf: ptep',
    'gup_fast_pte_range / gup_fast_pmd_leaf: pmd / pte changed',
    'shrink_folio_list: folio_maybe_dma_pinned after',
  ],
];

describe.each(cases)(
  'thp %s: a GUP-fast pin grabbed after the unmap (d824ec2a1546)',
  (_n, impl, init, grab, recheck, free) => {
    const { thread, drive } = stepDriver(impl, params);
    const race = (lacks: readonly string[] = []): StateLike => {
      const g = init();
      expect(drive(g, 'wp_fault', thread(0, 'wp_fault', { mm: 0, sub: 1, val: 7 }))).toBe('reuse');
      const pinner = thread(1, 'pin_fast', { mm: 0, sub: 1 }, lacks);
      expect(drive(g, 'pin_fast', pinner, grab)).toBeUndefined(); /* the writable huge PMD read */
      const reclaim = thread(0, 'swap_out', { sub: 0 }, lacks);
      expect(drive(g, 'swap_out', reclaim, free)).toBeUndefined();
      expect(g.mms[0]!.pmd).toBe('table'); /* unmapped: mm 0's PTEs are swap entries of the THP */
      expect(drive(g, 'pin_fast', pinner, recheck)).toBeUndefined(); /* grabbed from the old PMD value */
      expect(drive(g, 'swap_out', reclaim)).toBe('kept');
      expect(drive(g, 'pin_fast', pinner)).toBe('fallback'); /* the recheck sees the PMD changed */
      expect(g.pages[1]!.swapcache && !g.pages[1]!.freed).toBe(true);
      expect(drive(g, 'read', thread(0, 'read', { mm: 0, sub: 1 }))).toBe(7); /* the same page, from the swap cache */
      return g;
    };

    test('activate_locked: pageout() does not write the swap slot of the pinned folio', () => {
      expect(race().swap[1]!.data).toBe(0);
    });

    /* only the compound implementation models kernels before v6.4 (--kernel-version 5.10, 5.13) */
    if (_n === 'compound')
      test('without it (kernels before v6.4) pageout() writes the slot and the freeze fails on the pin: kept alike', () => {
        expect(race(['d824ec2a1546']).swap[1]!.data).toBe(7);
      });
  },
);
