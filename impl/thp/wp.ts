/**
 * Write faults on a private anon mapping (mm/memory.c @ v5.10 handle_mm_fault
 * → wp_huge_pmd → do_huge_pmd_wp_page in mm/huge_memory.c, and
 * handle_pte_fault → do_wp_page). A write to a writable PMD/PTE does not
 * fault at all. do_huge_pmd_wp_page: under mmap_lock for read and the PMD
 * lock, "Lock page for reuse_swap_page()"; reuse_swap_page() →
 * page_trans_huge_mapcount() reads the subpages' _mapcount one by one, then
 * PageDoubleMap and compound_mapcount (v5.8 – v5.17). No reuse:
 * __split_huge_pmd() and VM_FAULT_FALLBACK, after which do_wp_page() reuses
 * the page only when this PTE is its only reference (v5.9+, 09854ba94c6a
 * "mm: do_wp_page() simplification"), else wp_page_copy().
 *
 * The same steps serve GUP's COW break (gup.ts), so they end at a
 * continuation with t.l.fault = FAULT_REUSE / FAULT_COPY / FAULT_NOMAP.
 */
import { alloc_copy, put_copy, storeData, targetOf } from './cow.js';
import {
  PTE_COPY,
  PTE_MIGRATION,
  compound_head,
  compound_mapcount,
  isAnon,
  page_count,
  page_mapcount,
  put_page,
  total_mapcount,
} from './page.js';
import type { MmT, T, ThpState } from './page.js';
import { pteOf } from './pgtable.js';
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

/** wp_page_copy(): the PTE now maps a fresh private copy of the page's data (zeroes for the zero page). */
function wp_page_copy(g: G, t: T, mm: MmT, i: number): number {
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
  mm.pte_write[i] = mm.vm_write; /* maybe_mkwrite(pte_mkdirty(entry), vma) */
  mm.pte_dirty[i] = true;
  return FAULT_COPY;
}

/** do_wp_page() on a present, write-protected PTE, v5.9+: reuse only when this PTE holds the page's only reference. */
export function do_wp_page(g: G, t: T, mm: MmT, i: number): number {
  const tg = targetOf(mm, i);
  if (tg.kind === 'zero') return wp_page_copy(g, t, mm, i); /* vm_normal_page() is NULL for the zero page */
  // 17839856fd58: before 09854ba94c6a, do_wp_page reused by mapcount (reuse_swap_page), ignoring extra references
  if (t.bug('17839856fd58')) {
    const mapped = tg.kind === 'copy' ? g.copies[tg.k]!.mapcount + 1 : total_mapcount(g, true);
    if (mapped !== 1) return wp_page_copy(g, t, mm, i);
  } else if (tg.kind === 'copy') {
    if (g.copies[tg.k]!.refcount !== 1) return wp_page_copy(g, t, mm, i);
  } else if (!(page_count(g, i) === 1 && g.pages[compound_head(g, i)]!.locked === 0 && page_mapcount(g, true, i) === 1))
    return wp_page_copy(g, t, mm, i);
  mm.pte_write[i] = mm.vm_write; /* wp_page_reuse(): maybe_mkwrite(pte_mkdirty(entry), vma) */
  mm.pte_dirty[i] = true;
  return FAULT_REUSE;
}

/** The PTE-level write fault: no fault on a writable PTE, do_wp_page() on a write-protected one. */
function handle_pte_fault(g: G, t: T, mm: MmT, i: number): number {
  const tg = targetOf(mm, i);
  if (tg.kind !== 'thp' && tg.kind !== 'copy' && tg.kind !== 'zero') return FAULT_NOMAP;
  if (mm.pte_write[i]) return FAULT_REUSE;
  return do_wp_page(g, t, mm, i);
}

export const WP = {
  entry: 'handle_mm_fault (write)',
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

/** Entry and the do_huge_pmd_wp_page mapcount reads. Locals: fault, mapcount. */
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
        if (pteOf(mm, i) === PTE_MIGRATION || mm.pmd === 'migration') return false; /* migration_entry_wait */
        return mm.pmd !== 'huge' || mm.pmd_write || g.pages[0]!.locked === 0;
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
          lock_page(g, t, 0); /* "Lock page for reuse_swap_page()" */
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
        mm.pmd_write = mm.vm_write; /* maybe_pmd_mkwrite(pmd_mkdirty(entry), vma) */
        mm.pmd_dirty = true;
        t.l.fault = FAULT_REUSE;
        storeIfWrite(g, t, mm, store);
        spin_unlock_ptl(mm, t);
        mmap_read_unlock(mm);
        return cont;
      },
    },
  ];
}

type SplitStep = (typeof SPLIT_PMD)[keyof typeof SPLIT_PMD];

/** The write-fault steps; continue at `cont` with t.l.fault set. Locals: fault, mapcount, i, page_locked. */
export function wpFaultSteps<C extends string>(cont: C, store: boolean): KStep<WpStep | SplitStep | C>[] {
  return [
    ...wpEntrySteps(cont, store),
    ...splitHugePmdSteps(WP.fallback),
    {
      name: WP.fallback,
      enabled: (g, t) => {
        const mm = mmOf(g, t);
        return mm.ptl === 0 && pteOf(mm, arg(t, 'sub')) !== PTE_MIGRATION && mm.pmd !== 'migration';
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
