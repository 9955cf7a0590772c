/**
 * Write and unshare faults on a private anon mapping (mm/memory.c
 * handle_mm_fault → wp_huge_pmd → do_huge_pmd_wp_page in mm/huge_memory.c, and
 * handle_pte_fault → do_wp_page). A write to a writable PMD/PTE does not fault
 * at all. Three forms, by kernel version:
 *
 *   - v5.19+ (6.1 and the default): reuse is decided by PG_anon_exclusive
 *     (6c287605fd56 "mm: remember exclusively mapped anonymous pages with
 *     PG_anon_exclusive"). mm/huge_memory.c do_huge_pmd_wp_page() @ v6.1:
 *     under the PMD lock an exclusive head is reused at once ("Early check when
 *     only holding the PT lock"); otherwise the folio lock, then reuse only when
 *     folio_ref_count() == 1 (page_move_anon_rmap sets PG_anon_exclusive), else
 *     __split_huge_pmd() and VM_FAULT_FALLBACK. mm/memory.c do_wp_page() @ v6.1:
 *     PageAnonExclusive(vmf->page) → reuse; else reuse only when the folio's
 *     only reference is this PTE and folio_trylock() succeeds
 *     (page_move_anon_rmap), else wp_page_copy(). So a PTE-mapped subpage of an
 *     exclusive THP is reused in place, whatever the THP's refcount.
 *     FAULT_FLAG_UNSHARE (t.l.unshare, a R/O pin of a page that is not
 *     exclusive: a7f226604170) takes the same decisions and leaves the entry
 *     read-only; an unshare copy is exclusive, clean and read-only.
 *   - v5.9 – v5.18 (lacking 6c287605fd56): do_huge_pmd_wp_page "Lock page for
 *     reuse_swap_page()"; reuse_swap_page() → page_trans_huge_mapcount() reads
 *     the subpages' _mapcount one by one, then PageDoubleMap and
 *     compound_mapcount (v5.8 – v5.17); do_wp_page() reuses the page only when
 *     this PTE is its only reference (09854ba94c6a "mm: do_wp_page()
 *     simplification").
 *   - before 17839856fd58 (v5.8): do_wp_page() reuses by mapcount.
 *
 * The same steps serve GUP's COW break and unshare (gup.ts) and FOLL_FORCE
 * (gup-force.ts), so they end at a continuation with t.l.fault = FAULT_REUSE /
 * FAULT_COPY / FAULT_NOMAP.
 */
import { alloc_copy, pageAnonExclusive, preExclusive, put_copy, storeData, targetOf } from './cow.js';
import {
  PTE_COPY,
  PTE_MIGRATION,
  compound_head,
  compound_mapcount,
  isAnon,
  isSwapPte,
  page_count,
  page_mapcount,
  put_page,
  total_mapcount,
} from './page.js';
import type { MmT, T, ThpState } from './page.js';
import { pteOf } from './pgtable.js';
import { anonVmaPrepare } from '../thp-common/rmap-walk.js';
import { do_swap_page, folio_free_swap, swapPageUnlocked } from './swap.js';
import { page_remove_rmap } from './rmap.js';
import { SPLIT_PMD, splitHugePmdSteps } from './split-pmd.js';
import {
  arg,
  badMm,
  badSub,
  lock_page,
  mmOf,
  mmap_read_unlock,
  pmd_lock,
  spin_unlock_ptl,
  unlock_page,
  type KStep,
} from './steps.js';

type G = ThpState;

export const FAULT_REUSE = 1;
export const FAULT_COPY = 2;
export const FAULT_NOMAP = 3;
export const faultResult = (f: number): string => (f === FAULT_REUSE ? 'reuse' : f === FAULT_COPY ? 'copy' : 'nomap');

/**
 * wp_page_copy(): the PTE now maps a fresh private copy of the page's data (zeroes for the zero page), exclusive
 * (page_add_new_anon_rmap); writable and dirty for a write fault (maybe_mkwrite(pte_mkdirty(entry), vma)), clean
 * and read-only for an unshare fault (mm/memory.c wp_page_copy() @ v6.1).
 */
function wp_page_copy(g: G, t: T, mm: MmT, i: number): number {
  anonVmaPrepare(mm, t.params.nr, i); /* if (unlikely(anon_vma_prepare(vma))) goto oom; @ v6.1 */
  const tg = targetOf(mm, i);
  /* is_zero_pfn(): alloc_zeroed_user_highpage_movable(), nothing to copy and no page to release */
  const data = tg.kind === 'copy' ? g.copies[tg.k]!.data : tg.kind === 'zero' ? 0 : g.pages[i]!.data;
  const k = alloc_copy(g, data);
  if (tg.kind === 'copy') {
    g.copies[tg.k]!.mapcount--; /* page_remove_rmap(old_page) */
    put_copy(g, tg.k);
  } else if (tg.kind === 'thp') {
    page_remove_rmap(g, t, i, false);
    put_page(g, t, i);
  }
  mm.pte[i] = PTE_COPY + k;
  mm.pte_write[i] = !t.l.unshare && mm.vm_write;
  mm.pte_dirty[i] = !t.l.unshare;
  return FAULT_COPY;
}

/** wp_page_reuse(): maybe_mkwrite(pte_mkdirty(entry), vma); an unshare fault changes nothing ("reuse: if (unlikely(unshare)) return 0"). */
function wp_page_reuse(mm: MmT, t: T, i: number): number {
  if (!t.l.unshare) {
    mm.pte_write[i] = mm.vm_write;
    mm.pte_dirty[i] = true;
  }
  return FAULT_REUSE;
}

/** do_wp_page() on a present, write-protected PTE (one step under the PTE lock; the forms in the header). */
export function do_wp_page(g: G, t: T, mm: MmT, i: number): number {
  const tg = targetOf(mm, i);
  if (tg.kind === 'zero') return wp_page_copy(g, t, mm, i); /* vm_normal_page() is NULL for the zero page */
  // 17839856fd58: before 09854ba94c6a, do_wp_page reused by mapcount (reuse_swap_page), ignoring extra references
  if (t.bug('17839856fd58')) {
    const mapped = tg.kind === 'copy' ? g.copies[tg.k]!.mapcount + 1 : total_mapcount(g, true);
    if (mapped !== 1) return wp_page_copy(g, t, mm, i);
    return wp_page_reuse(mm, t, i);
  }
  // 6c287605fd56: v5.9 - v5.18 decide by page_count() alone (mm/memory.c do_wp_page() @ v5.10)
  if (preExclusive(t)) {
    if (tg.kind === 'copy') {
      if (g.copies[tg.k]!.refcount !== 1) return wp_page_copy(g, t, mm, i);
    } else if (!(
      page_count(g, i) === 1 &&
      g.pages[compound_head(g, i)]!.locked === 0 &&
      page_mapcount(g, true, i) === 1
    ))
      return wp_page_copy(g, t, mm, i);
    return wp_page_reuse(mm, t, i);
  }
  /* mm/memory.c do_wp_page() @ v6.1: "If the page is exclusive to this process we must reuse the page without further checks." */
  if (pageAnonExclusive(g, mm, i)) return wp_page_reuse(mm, t, i);
  /*
   * folio_ref_count(folio) > 1 + folio_test_swapcache(folio): copy; folio_trylock() (failed: copy); in the swap cache
   * folio_free_swap() drops the swap cache's reference when no swap PTE names it; then folio_ref_count() != 1: copy.
   * (conform seed 20261212 on 6.1.192: a page swapped back in by its last swap PTE is reused on the write, not copied)
   */
  if (tg.kind === 'copy') {
    const c = g.copies[tg.k]!; /* a copy's lock is never held here */
    if (c.refcount > 1 + (c.swap ? 1 : 0)) return wp_page_copy(g, t, mm, i);
    if (c.swap) folio_free_swap(g, t, c.swap - 1);
    if (c.refcount !== 1) return wp_page_copy(g, t, mm, i);
    c.anon_exclusive = true; /* page_move_anon_rmap(): SetPageAnonExclusive */
    return wp_page_reuse(mm, t, i);
  }
  /* a subpage of the THP: folio_ref_count() is the head's, one per PTE mapping, so only a lone PTE is reused */
  const h = compound_head(g, i);
  if (page_count(g, i) > 1 + (g.pages[h]!.swapcache ? 1 : 0) || g.pages[h]!.locked !== 0)
    return wp_page_copy(g, t, mm, i);
  if (g.pages[h]!.swapcache) folio_free_swap(g, t, h);
  if (page_count(g, i) !== 1) return wp_page_copy(g, t, mm, i);
  g.pages[i]!.anon_exclusive = true; /* page_move_anon_rmap(vmf->page, vma): SetPageAnonExclusive(page) */
  return wp_page_reuse(mm, t, i);
}

/**
 * The PTE-level write fault: no fault on a writable PTE, do_wp_page() on a write-protected one. A swap PTE
 * (a store by wp_fault: GUP paths stop at follow_page first) is do_swap_page(FAULT_FLAG_WRITE), which calls
 * do_wp_page() when it could not map the page writable (mm/memory.c do_swap_page() @ v6.1).
 */
function handle_pte_fault(g: G, t: T, mm: MmT, i: number): number {
  if (isSwapPte(pteOf(mm, i))) {
    if (do_swap_page(g, t, mm, i, true)) return FAULT_REUSE;
    return do_wp_page(g, t, mm, i);
  }
  const tg = targetOf(mm, i);
  if (tg.kind !== 'thp' && tg.kind !== 'copy' && tg.kind !== 'zero') return FAULT_NOMAP;
  if (mm.pte_write[i]) return FAULT_REUSE;
  return do_wp_page(g, t, mm, i);
}

export const WP = {
  entry: 'handle_mm_fault (write / unshare)',
  read1: 'reuse_swap_page → page_trans_huge_mapcount: atomic_read(&page[i]._mapcount)',
  read2: 'page_trans_huge_mapcount: PageDoubleMap + compound_mapcount → reuse?',
  fallback: 'VM_FAULT_FALLBACK → handle_pte_fault → do_wp_page',
} as const;
export type WpStep = (typeof WP)[keyof typeof WP];

/**
 * The userspace store that retries after the fault, done in the step that
 * made the PTE/PMD writable (still under its lock): the window in which the
 * kernel would let another thread write-protect it again, and the store fault
 * again, is not explored. GUP's COW break (`store` false) stores nothing.
 */
function storeIfWrite(g: G, t: T, mm: MmT, store: boolean): void {
  if (!store || t.l.fault === FAULT_NOMAP) return;
  const v = arg(t, 'val');
  storeData(g, mm, arg(t, 'sub'), v >= 0 ? v : 1);
}

/** Entry and do_huge_pmd_wp_page (v6.1 decision, or the v5.8 - v5.18 mapcount reads). Locals: fault, mapcount, unshare. */
function wpEntrySteps<C extends string>(cont: C, store: boolean): KStep<WpStep | SplitStep | C>[] {
  return [
    {
      name: WP.entry,
      enabled: (g, t) => {
        const m = arg(t, 'mm');
        const i = arg(t, 'sub');
        if (badMm(t, m) || badSub(t, i) || !isAnon(t.params)) return true;
        const mm = g.mms[m]!;
        if (mm.mmap_lock < 0 || mm.ptl !== 0) return false;
        if (!swapPageUnlocked(g, t, pteOf(mm, i))) return false; /* do_swap_page: lock_page */
        if (pteOf(mm, i) === PTE_MIGRATION || mm.pmd === 'migration') return false; /* migration_entry_wait */
        /* do_huge_pmd_wp_page(): the lock is needed only when the head is not PageAnonExclusive (v5.19+) */
        if (mm.pmd !== 'huge' || mm.pmd_write || g.pages[0]!.locked === 0) return true;
        return !preExclusive(t) && g.pages[0]!.anon_exclusive;
      },
      run: (g, t) => {
        const mm = mmOf(g, t);
        const i = arg(t, 'sub');
        if (mm.pmd === 'huge' && mm.pmd_write) t.l.fault = FAULT_REUSE; /* no fault */
        else if (mm.pmd === 'zero') {
          /* do_huge_pmd_wp_page(): is_huge_zero_pmd() → goto fallback: split, then COW the small zero page */
          mm.mmap_lock++;
          return SPLIT_PMD.entry;
        } else if (mm.pmd === 'huge') {
          mm.mmap_lock++;
          pmd_lock(mm, t);
          if (!preExclusive(t)) return do_huge_pmd_wp_page(g, t, mm, cont, store);
          lock_page(g, t, 0); /* "Lock page for reuse_swap_page()" (v5.8 - v5.18) */
          return WP.read1;
        } else t.l.fault = handle_pte_fault(g, t, mm, i);
        storeIfWrite(g, t, mm, store);
        return cont;
      },
    },
    {
      name: WP.read1,
      run: (g, t) => {
        let mapcount = 0;
        for (const p of g.pages) mapcount = Math.max(mapcount, p.mapcount + 1);
        t.l.mapcount = mapcount;
        return WP.read2;
      },
    },
    {
      name: WP.read2,
      run: (g, t) => {
        let mapcount = t.l.mapcount!;
        if (g.double_map) mapcount -= 1;
        mapcount += compound_mapcount(g);
        const mm = mmOf(g, t);
        /* v5.8 reuse_swap_page(): reuse only if no other mapping (max page_mapcount <= 1) */
        const reuse = mapcount <= 1;
        unlock_page(g, t, 0);
        if (!reuse) {
          spin_unlock_ptl(mm, t);
          return SPLIT_PMD.entry; /* fallback: __split_huge_pmd(vma, vmf->pmd, vmf->address, false, NULL) */
        }
        pmdReuse(g, t, mm, store);
        return cont;
      },
    },
  ];
}

/** The PMD reuse: maybe_pmd_mkwrite(pmd_mkdirty(entry), vma) (not for an unshare), then drop the PMD lock and mmap_lock. */
function pmdReuse(g: G, t: T, mm: MmT, store: boolean): void {
  if (!t.l.unshare) {
    mm.pmd_write = mm.vm_write;
    mm.pmd_dirty = true;
  }
  t.l.fault = FAULT_REUSE;
  storeIfWrite(g, t, mm, store);
  spin_unlock_ptl(mm, t);
  mmap_read_unlock(mm);
}

/**
 * mm/huge_memory.c do_huge_pmd_wp_page() @ v6.1 under the PMD lock: an exclusive head is reused before the folio
 * lock; otherwise folio_trylock() (the model waits for an unlocked page at the entry instead of modelling the
 * sleep, relock and pmd_same recheck), the recheck, and reuse only at folio_ref_count() == 1; else fall back.
 */
function do_huge_pmd_wp_page<C extends string>(g: G, t: T, mm: MmT, cont: C, store: boolean): C | SplitStep {
  const head = g.pages[0]!;
  if (!head.anon_exclusive) {
    if (page_count(g, 0) !== 1) {
      spin_unlock_ptl(mm, t); /* unlock_fallback: folio_unlock + spin_unlock */
      return SPLIT_PMD.entry; /* fallback: __split_huge_pmd(vma, vmf->pmd, vmf->address, false, NULL) */
    }
    head.anon_exclusive = true; /* page_move_anon_rmap(page, vma): SetPageAnonExclusive */
  }
  pmdReuse(g, t, mm, store);
  return cont;
}

type SplitStep = (typeof SPLIT_PMD)[keyof typeof SPLIT_PMD];

/** The write (or unshare) fault steps; continue at `cont` with t.l.fault set. Locals: fault, mapcount, i, page_locked, unshare. */
export function wpFaultSteps<C extends string>(cont: C, store: boolean): KStep<WpStep | SplitStep | C>[] {
  return [
    ...wpEntrySteps(cont, store),
    ...splitHugePmdSteps(WP.fallback),
    {
      name: WP.fallback,
      enabled: (g, t) => {
        const mm = mmOf(g, t);
        const e = pteOf(mm, arg(t, 'sub'));
        /* a swap PTE after the split: do_swap_page() takes the lock of the page in the swap cache (lock_page) */
        return mm.ptl === 0 && e !== PTE_MIGRATION && mm.pmd !== 'migration' && swapPageUnlocked(g, t, e);
      },
      run: (g, t) => {
        const mm = mmOf(g, t);
        mmap_read_unlock(mm);
        t.l.fault = handle_pte_fault(g, t, mm, arg(t, 'sub'));
        storeIfWrite(g, t, mm, store);
        return cont;
      },
    },
  ];
}
