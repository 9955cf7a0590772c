/**
 * Write fault on a private anon THP (mm/memory.c @ v5.10 handle_mm_fault →
 * wp_huge_pmd → do_huge_pmd_wp_page, mm/huge_memory.c): under mmap_lock for
 * read and the PMD lock, "Lock page for reuse_swap_page()"; reuse_swap_page()
 * → page_trans_huge_mapcount() reads the subpages' _mapcount one by one, then
 * PageDoubleMap and compound_mapcount. No reuse: __split_huge_pmd() and
 * VM_FAULT_FALLBACK, after which handle_pte_fault → do_wp_page() copies the
 * subpage unless this PTE is the page's only reference (v5.9+, 09854ba94c6a
 * "mm: do_wp_page() simplification").
 */
import { PTE_FOREIGN, PTE_MIGRATION, PTE_PRESENT, compound_head, compound_mapcount, isAnon, page_count, page_mapcount, put_page } from './page.js';
import type { MmT, T, ThpState } from './page.js';
import { pteOf } from './pgtable.js';
import { page_remove_rmap } from './rmap.js';
import { SPLIT_PMD, splitHugePmdSteps } from './split-pmd.js';
import { arg, badMm, badSub, done, kernelOp, lock_page, mmOf, mmap_read_unlock, pmd_lock, spin_unlock_ptl, unlock_page } from './steps.js';

type G = ThpState;

/** do_wp_page() on a PTE-mapped (sub)page, v5.9+: reuse only when the page's only reference is this PTE. */
function do_wp_page(g: G, t: T, mm: MmT, i: number): string {
  const h = compound_head(g, i);
  if (page_count(g, i) === 1 && g.pages[h]!.locked === 0 && page_mapcount(g, true, i) === 1) return 'reuse';
  /* wp_page_copy(): the PTE now maps a private copy */
  mm.pte[i] = PTE_FOREIGN;
  page_remove_rmap(g, t, i, false);
  put_page(g, t, i);
  return 'copy';
}

const W = {
  entry: 'handle_mm_fault (write)',
  read1: 'reuse_swap_page → page_trans_huge_mapcount: atomic_read(&page[i]._mapcount)',
  read2: 'page_trans_huge_mapcount: PageDoubleMap + compound_mapcount → reuse?',
  fallback: 'VM_FAULT_FALLBACK → handle_pte_fault → do_wp_page',
} as const;

export const wp_fault = kernelOp(
  'Write fault on a private anon THP: do_huge_pmd_wp_page (reuse_swap_page under the page lock, else split the PMD and fall back) or do_wp_page for a PTE.',
  ['i', 'page_locked', 'mapcount'],
  [
    {
      name: W.entry,
      enabled: (g, t) => {
        const m = arg(t, 'mm');
        const i = arg(t, 'sub');
        if (badMm(t, m) || badSub(t, i) || !isAnon(t.params)) return true;
        const mm = g.mms[m]!;
        if (mm.mmap_lock < 0 || mm.ptl !== 0) return false;
        if (pteOf(mm, i) === PTE_MIGRATION) return false; /* migration_entry_wait */
        return mm.pmd !== 'huge' || g.pages[0]!.locked === 0;
      },
      run: (g, t) => {
        const m = arg(t, 'mm');
        const i = arg(t, 'sub');
        if (badMm(t, m) || badSub(t, i) || !isAnon(t.params)) return done('EINVAL');
        const mm = g.mms[m]!;
        if (mm.pmd === 'huge') {
          mm.mmap_lock++;
          pmd_lock(mm, t);
          lock_page(g, t, 0); /* "Lock page for reuse_swap_page()" */
          return W.read1;
        }
        if (pteOf(mm, i) === PTE_PRESENT) return done(do_wp_page(g, t, mm, i));
        return done('nomap');
      },
    },
    {
      name: W.read1,
      run: (g, t) => {
        let mapcount = 0;
        for (const p of g.pages) mapcount = Math.max(mapcount, p.mapcount + 1);
        t.l.mapcount = mapcount;
        return W.read2;
      },
    },
    {
      name: W.read2,
      run: (g, t) => {
        let mapcount = t.l.mapcount!;
        if (g.double_map) mapcount -= 1;
        mapcount += compound_mapcount(g);
        const mm = mmOf(g, t);
        /* v5.8 reuse_swap_page(): reuse only if no other mapping (max page_mapcount <= 1). The
         * page_maybe_dma_pinned() test is this model's "unpinned" requirement; kernels of
         * that era did not make it here (the GUP-after-fork COW problem). */
        const reuse = mapcount <= 1 && g.compound_pincount === 0;
        unlock_page(g, t, 0);
        spin_unlock_ptl(mm, t);
        if (!reuse) return SPLIT_PMD.entry; /* fallback: __split_huge_pmd(vma, vmf->pmd, vmf->address, false, NULL) */
        mmap_read_unlock(mm);
        return done('reuse');
      },
    },
    ...splitHugePmdSteps(W.fallback),
    {
      name: W.fallback,
      enabled: (g, t) => {
        const mm = mmOf(g, t);
        return mm.ptl === 0 && pteOf(mm, arg(t, 'sub')) !== PTE_MIGRATION;
      },
      run: (g, t) => {
        const mm = mmOf(g, t);
        const i = arg(t, 'sub');
        mmap_read_unlock(mm);
        if (pteOf(mm, i) === PTE_PRESENT) return done(do_wp_page(g, t, mm, i));
        return done('nomap');
      },
    },
  ],
);
