/**
 * __split_huge_pmd() → __split_huge_pmd_locked() (mm/huge_memory.c @ v5.10),
 * one step per subpage in its loops so that a reader can observe a half-done
 * PMD → PTE transfer of the mapcounts.
 *
 * Anon: since c444eb564fb1 "mm: thp: make the THP mapcount atomic against
 * __split_huge_pmd_locked()" (v5.8) the page lock is held around
 * __split_huge_pmd_locked() so that reuse_swap_page() never reads a mapcount
 * mid-transfer. File: the huge PMD is simply zapped ("We are going to unmap
 * this huge page. So just go ahead and zap it").
 *
 * The caller holds mmap_lock (read or write) of the VMA's mm.
 */
import {
  BUG_ON,
  PTE_FOREIGN,
  PTE_MIGRATION,
  PTE_PRESENT,
  PTE_ZERO,
  get_page,
  isAnon,
  put_page,
  type MmT,
  type T,
  type ThpState,
} from './page.js';
import { page_remove_rmap } from './rmap.js';
import {
  arg,
  assertMmapLocked,
  assertPtlHeld,
  lock_page,
  pmd_lock,
  spin_unlock_ptl,
  unlock_page,
  type KStep,
} from './steps.js';

export const SPLIT_PMD = {
  entry: '__split_huge_pmd',
  pte: '__split_huge_pmd_locked: set_pte_at + atomic_inc(&page[i]._mapcount)',
  doubleMap: '__split_huge_pmd_locked: TestSetPageDoubleMap',
  bias: '__split_huge_pmd_locked: atomic_inc(&page[i]._mapcount) (DoubleMap bias)',
  dec: '__split_huge_pmd_locked: atomic_add_negative(-1, compound_mapcount_ptr)',
  unbias: '__split_huge_pmd_locked: TestClearPageDoubleMap, atomic_dec(&page[i]._mapcount)',
  populate: '__split_huge_pmd_locked: pmd_populate + spin_unlock(ptl) + unlock_page',
} as const;
export type SplitPmdStep = (typeof SPLIT_PMD)[keyof typeof SPLIT_PMD];

/**
 * __split_huge_pmd_locked() of a PMD migration entry: no page lock; a PTE migration entry per subpage keeping the
 * write bit and the exclusive bit (anon_exclusive = is_readable_exclusive_migration_entry || writable, @ v6.1),
 * no mapcount, no reference.
 */
function splitMigrationPmd(g: ThpState, mm: MmT): void {
  for (const p of g.pages) p.anon_exclusive ||= g.pages[0]!.anon_exclusive;
  mm.pmd = 'table';
  mm.pte.fill(PTE_MIGRATION);
  mm.pte_write.fill(mm.pmd_write);
  mm.pte_dirty.fill(false);
  mm.pmd_write = false;
  mm.pmd_dirty = false;
}

/**
 * __split_huge_pmd_locked() of a file THP's PMD migration entry: pmdp_huge_clear_flush_notify() zaps it; no
 * mapcount, no reference to drop (99fa8a48203d "mm/thp: fix __split_huge_pmd_locked() on shmem migration entry").
 */
function zapFileMigrationPmd(mm: MmT, t: T): void {
  // 99fa8a48203d: the file path takes the entry for a present PMD
  BUG_ON(
    t.bug('99fa8a48203d'),
    'pmdp_huge_clear_flush: VM_BUG_ON(!pmd_present) on a file PMD migration entry (then page_remove_rmap of pmd_page(swap entry))',
  );
  mm.pmd = 'none';
}

/** Entry under the PMD lock, the PTE loop and PG_double_map. */
function splitPmdEntrySteps<C extends string>(cont: C, which: 'mm' | 'src'): KStep<SplitPmdStep | C>[] {
  const S = SPLIT_PMD;
  const mmOf = (g: Readonly<ThpState>, t: T): MmT => g.mms[arg(t, which)]!;
  return [
    {
      name: S.entry,
      enabled: (g, t) => {
        const mm = mmOf(g, t);
        if (mm.ptl !== 0) return false;
        if (mm.pmd === 'huge' && isAnon(t.params) && !t.bug('T8')) return g.pages[0]!.locked === 0;
        return true;
      },
      run: (g, t) => {
        const mm = mmOf(g, t);
        assertMmapLocked(mm);
        if (mm.pmd === 'foreign') {
          mm.pmd = 'table';
          mm.pte.fill(PTE_FOREIGN);
          return cont;
        }
        if (mm.pmd === 'zero') {
          /* __split_huge_zero_page_pmd(): pmdp_huge_clear_flush, a small zero PTE per subpage, pmd_populate (under the ptl) */
          mm.pmd = 'table';
          mm.pte.fill(PTE_ZERO);
          mm.pte_write.fill(false);
          mm.pte_dirty.fill(false);
          return cont;
        }
        if (mm.pmd === 'migration') {
          if (isAnon(t.params)) splitMigrationPmd(g, mm);
          else zapFileMigrationPmd(mm, t);
          return cont;
        }
        if (mm.pmd !== 'huge') return cont; /* pmd_trans_huge() false under the ptl: nothing to do */
        if (!isAnon(t.params)) {
          mm.pmd = 'none'; /* pmdp_huge_clear_flush_notify */
          page_remove_rmap(g, t, 0, true);
          put_page(g, t, 0);
          return cont;
        }
        // T8: no lock_page() around __split_huge_pmd_locked() (before c444eb564fb1)
        if (!t.bug('T8')) {
          lock_page(g, t, 0);
          t.l.page_locked = 1;
        }
        pmd_lock(mm, t);
        mm.pmd = 'splitting'; /* pmdp_invalidate(): the PMD stays "present" for walkers */
        get_page(g, 0, t.params.nr - 1); /* page_ref_add(page, HPAGE_PMD_NR - 1): one ref per PTE */
        t.l.i = 0;
        // T3: PG_double_map set (and its bias added) before the PTE _mapcount increments
        return t.bug('T3') ? S.doubleMap : S.pte;
      },
    },
    {
      name: S.pte,
      run: (g, t) => {
        const mm = mmOf(g, t);
        assertPtlHeld(mm, t);
        const i = t.l.i!;
        mm.pte[i] = PTE_PRESENT; /* into the deposited table: visible at pmd_populate */
        mm.pte_write[i] = mm.pmd_write; /* pte_mkwrite() when the PMD was writable */
        mm.pte_dirty[i] = false; /* v5.10: a dirty PMD makes the page PageDirty, the PTEs start clean */
        /* v5.19+: anon_exclusive = PageAnonExclusive(head) → SetPageAnonExclusive(page + i) */
        if (g.pages[0]!.anon_exclusive) g.pages[i]!.anon_exclusive = true;
        g.pages[i]!.mapcount++;
        t.l.i = i + 1;
        if (t.l.i < t.params.nr) return S.pte;
        t.l.i = 0;
        return t.bug('T3') ? S.dec : S.doubleMap;
      },
    },
    {
      name: S.doubleMap,
      run: (g, t) => {
        /* Set PG_double_map before dropping compound_mapcount to avoid false-negative page_mapped(). */
        t.l.i = 0;
        if (g.compound_mapcount + 1 > 1 && !g.double_map) {
          g.double_map = true;
          return S.bias;
        }
        return t.bug('T3') ? S.pte : S.dec;
      },
    },
  ];
}

/** The DoubleMap bias, the compound_mapcount drop and pmd_populate; then `cont`. */
function splitPmdFinishSteps<C extends string>(cont: C, which: 'mm' | 'src'): KStep<SplitPmdStep | C>[] {
  const S = SPLIT_PMD;
  const mmOf = (g: Readonly<ThpState>, t: T): MmT => g.mms[arg(t, which)]!;
  return [
    {
      name: S.bias,
      run: (g, t) => {
        const i = t.l.i!;
        g.pages[i]!.mapcount++;
        t.l.i = i + 1;
        if (t.l.i < t.params.nr) return S.bias;
        t.l.i = 0;
        return t.bug('T3') ? S.pte : S.dec;
      },
    },
    {
      name: S.dec,
      run: (g, t) => {
        g.compound_mapcount--;
        t.l.i = 0;
        if (g.compound_mapcount < 0 && g.double_map) {
          /* Last compound_mapcount is gone: no need in mapcount reference anymore */
          g.double_map = false;
          return S.unbias;
        }
        return S.populate;
      },
    },
    {
      name: S.unbias,
      run: (g, t) => {
        const i = t.l.i!;
        g.pages[i]!.mapcount--;
        t.l.i = i + 1;
        return t.l.i < t.params.nr ? S.unbias : S.populate;
      },
    },
    {
      name: S.populate,
      run: (g, t) => {
        const mm = mmOf(g, t);
        mm.pmd = 'table';
        mm.pmd_write = false;
        mm.pmd_dirty = false;
        spin_unlock_ptl(mm, t);
        /* the page lock is taken only on the anon path (and not at all in the T8 variant) */
        if (t.l.page_locked) {
          unlock_page(g, t, 0);
          t.l.page_locked = 0;
        }
        return cont;
      },
    },
  ];
}

/**
 * The steps of __split_huge_pmd() on the VMA of the mm named by argument
 * `which` (default `mm`; fork splits the source's PMD), continuing at `cont`.
 * Locals: i, page_locked.
 */
export function splitHugePmdSteps<C extends string>(cont: C, which: 'mm' | 'src' = 'mm'): KStep<SplitPmdStep | C>[] {
  return [...splitPmdEntrySteps(cont, which), ...splitPmdFinishSteps(cont, which)];
}
