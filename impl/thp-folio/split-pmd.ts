/**
 * __split_huge_pmd() → __split_huge_pmd_locked(freeze = false)
 * (mm/huge_memory.c @ v6.12), under the PMD lock and, unlike v5.8 - v5.17,
 * without the folio lock: pmdp_invalidate(), folio_ref_add(HPAGE_PMD_NR - 1)
 * and folio_add_anon_rmap_ptes(RMAP_EXCLUSIVE when the head was
 * PageAnonExclusive) in one step; set_ptes(), folio_remove_rmap_pmd() and
 * pmd_populate() in the next. The PMD lock is held across both, but lockless
 * readers (GUP-fast, /proc/kpagecount, a reader under the folio lock) see the
 * folio mapped by the PMD and by its new PTEs at once in between. File: the
 * huge PMD is zapped ("We are going to unmap this huge page. So just go ahead
 * and zap it"). The caller holds mmap_lock (read or write).
 */
// Deliberate copy of impl/thp's split-pmd.ts where the kernel code is unchanged: the two implementations stay independently built (own state types, own kernel-version citations) so spec/thp judges each on its own.
import {
  BUG_ON,
  PTE_FOREIGN,
  PTE_MIGRATION,
  PTE_PRESENT,
  PTE_ZERO,
  folio_get,
  folio_put,
  isAnon,
  type FolioState,
  type MmT,
  type T,
} from './folio.js';
import { folio_add_rmap_ptes, folio_remove_rmap_pmd } from './rmap.js';
import { arg, assertMmapLocked, assertPtlHeld, pmd_lock, spin_unlock_ptl, type KStep } from './steps.js';

export const SPLIT_PMD = {
  entry: '__split_huge_pmd: pmd_lock + pmdp_invalidate + folio_ref_add + folio_add_anon_rmap_ptes',
  populate: '__split_huge_pmd_locked: set_ptes + folio_remove_rmap_pmd + pmd_populate + spin_unlock',
} as const;
export type SplitPmdStep = (typeof SPLIT_PMD)[keyof typeof SPLIT_PMD];

/**
 * The steps of __split_huge_pmd() on the VMA of the mm named by argument
 * `which` (default `mm`; fork splits the source's PMD), continuing at `cont`.
 * Locals: none.
 */
export function splitHugePmdSteps<C extends string>(cont: C, which: 'mm' | 'src' = 'mm'): KStep<SplitPmdStep | C>[] {
  const S = SPLIT_PMD;
  const mmOf = (g: Readonly<FolioState>, t: T): MmT => g.mms[arg(t, which)]!;
  return [
    {
      name: S.entry,
      /* the model does not split a collapsed THP's migration entry: it waits for remove_migration_pmd */
      enabled: (g, t) => mmOf(g, t).ptl === 0 && mmOf(g, t).pmd !== 'foreign_migration',
      run: (g, t) => {
        const mm = mmOf(g, t);
        assertMmapLocked(mm);
        if (mm.pmd === 'migration' && isAnon(t.params)) {
          /* is_pmd_migration_entry(): a PTE migration entry per page carrying write / exclusive; no mapcount, no reference */
          mm.pmd = 'table';
          mm.pte.fill(PTE_MIGRATION);
          mm.pte_write.fill(mm.pmd_write);
          mm.pte_excl.fill(mm.pmd_excl);
          mm.pmd_write = false;
          mm.pmd_excl = false;
          return cont;
        }
        if (mm.pmd === 'migration') {
          /* a file folio's PMD migration entry: pmdp_huge_clear_flush() zaps it; no mapcount, no reference (99fa8a48203d) */
          // 99fa8a48203d: the file path takes the entry for a present PMD
          BUG_ON(
            t.bug('99fa8a48203d'),
            'pmdp_huge_clear_flush: VM_BUG_ON(!pmd_present) on a file PMD migration entry (then folio_remove_rmap_pmd of pmd_folio(swap entry))',
          );
          mm.pmd = 'none';
          mm.pmd_excl = false;
          return cont;
        }
        if (mm.pmd === 'foreign') {
          mm.pmd = 'table';
          mm.pte.fill(PTE_FOREIGN);
          return cont;
        }
        if (mm.pmd === 'zero') {
          /* __split_huge_zero_page_pmd(): pmdp_huge_clear_flush, a small zero PTE per page, pmd_populate (under the ptl) */
          mm.pmd = 'table';
          mm.pte.fill(PTE_ZERO);
          mm.pte_write.fill(false);
          return cont;
        }
        if (mm.pmd !== 'huge') return cont; /* pmd_trans_huge() false under the ptl: nothing to do */
        if (!isAnon(t.params)) {
          mm.pmd = 'none'; /* pmdp_huge_clear_flush */
          mm.pmd_write = false;
          folio_remove_rmap_pmd(g, t);
          folio_put(g, t, 0);
          return cont;
        }
        pmd_lock(mm, t);
        mm.pmd = 'splitting'; /* pmdp_invalidate() */
        folio_get(g, 0, t.params.nr - 1); /* folio_ref_add(folio, HPAGE_PMD_NR - 1): one reference per PTE */
        const anon_exclusive = g.pages[0]!.anon_exclusive;
        // TF-1: the new PTEs are not marked exclusive (no RMAP_EXCLUSIVE): only the head keeps its flag
        folio_add_rmap_ptes(g, 0, t.params.nr, anon_exclusive && !t.bug('TF-1'));
        for (let i = 0; i < t.params.nr; i++) mm.pte_write[i] = mm.pmd_write; /* pte_mkwrite() when pmd_write */
        return S.populate;
      },
    },
    {
      name: S.populate,
      run: (g, t) => {
        const mm = mmOf(g, t);
        assertPtlHeld(mm, t);
        mm.pte.fill(PTE_PRESENT); /* set_ptes() into the withdrawn table, visible at pmd_populate */
        folio_remove_rmap_pmd(g, t);
        mm.pmd = 'table';
        mm.pmd_write = false;
        spin_unlock_ptl(mm, t);
        return cont;
      },
    },
  ];
}
