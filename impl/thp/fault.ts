/**
 * Page faults that map the THP (mm/memory.c @ v5.10 handle_mm_fault →
 * __handle_mm_fault): do_huge_pmd_anonymous_page() (mm/huge_memory.c) for an
 * anon PMD fault, do_set_pmd() under the page lock for a file PMD fault, and
 * filemap_fault() → alloc_set_pte() for a file PTE fault. Each runs under
 * mmap_lock for read and the PMD/PTE lock, with no lock boundary inside the
 * modelled part, so each is one step.
 */
import { anonVmaPrepare, vmaHugeSuitable, vmaTreeNew } from '../thp-common/rmap-walk.js';
import {
  PTE_NONE,
  PTE_PRESENT,
  PTE_ZERO,
  compound_head,
  isSwapPte,
  get_page,
  isAnon,
  prep_compound_page,
  type MmT,
  type T,
  type ThpState,
} from './page.js';
import { pte_alloc, tableEmpty } from './pgtable.js';
import { do_swap_page, swapPageUnlocked } from './swap.js';
import { page_add_file_rmap } from './rmap.js';
import { arg, badMm, badSub, done, kernelOp, type Done } from './steps.js';

type G = ThpState;

/** do_huge_pmd_anonymous_page() on a write: a fresh THP mapped by PMD (the model tracks one huge page). */
export function do_huge_pmd_anonymous_page(g: G, m: number): Done {
  if (!g.pages.every((p) => p.freed)) return done('ENOMEM');
  prep_compound_page(g);
  g.pages[0]!.refcount = 1;
  g.compound_mapcount = 0; /* page_add_new_anon_rmap(page, vma, haddr, true) */
  g.pages[0]!.anon_exclusive = true; /* ... SetPageAnonExclusive(page) on the head (v5.19+) */
  vmaTreeNew(g, g.pages.length, m); /* a new anon_vma */
  g.mms[m]!.pmd = 'huge';
  g.mms[m]!.pmd_write = g.mms[m]!.vm_write; /* maybe_pmd_mkwrite(pmd_mkdirty(entry), vma) */
  g.mms[m]!.pmd_dirty = true;
  return done('pmd');
}

/** do_set_pmd(): map the page-cache THP by PMD. */
function do_set_pmd(g: G, t: T, m: number): Done {
  if (g.head && !g.pages[0]!.freed && g.pages[0]!.in_cache) {
    get_page(g, 0);
    page_add_file_rmap(g, t, 0, true);
    g.mms[m]!.pmd = 'huge';
    return done('pmd');
  }
  if (!g.head && g.pages.some((p) => !p.freed)) return done('fallback');
  return done('ENOENT');
}

export const fault = kernelOp(
  'Fault the THP into mm by PMD: do_huge_pmd_anonymous_page (anon, allocates the THP) or do_set_pmd under the page lock (file).',
  [],
  [
    {
      name: 'handle_mm_fault: do_huge_pmd_anonymous_page / do_set_pmd',
      enabled: (g, t) => {
        const m = arg(t, 'mm');
        if (badMm(t, m)) return true;
        const mm = g.mms[m]!;
        /* a PMD migration entry: __handle_mm_fault → pmd_migration_entry_wait, then the fault is retried */
        if (mm.pmd === 'migration') return false;
        return mm.mmap_lock >= 0 && mm.ptl === 0 && (isAnon(t.params) || g.pages[0]!.locked === 0);
      },
      run: (g, t) => {
        const m = arg(t, 'mm');
        if (badMm(t, m)) return done('EINVAL');
        const mm = g.mms[m]!;
        if (isAnon(t.params) && !mm.vm_write) return done('EFAULT'); /* access_error(): a store to a read-only VMA */
        if (mm.pmd === 'huge' || mm.pmd === 'foreign' || mm.pmd === 'zero') return done('exists');
        if (mm.pmd === 'table') return done(tableEmpty(mm) ? 'fallback' : 'exists');
        return isAnon(t.params) ? do_huge_pmd_anonymous_page(g, m) : do_set_pmd(g, t, m);
      },
    },
  ],
);

export const fault_pte = kernelOp(
  'File fault of one subpage by PTE: filemap_fault (page locked) → alloc_set_pte → page_add_file_rmap(page, false), which sets PG_double_map.',
  [],
  [
    {
      name: 'filemap_fault + alloc_set_pte',
      enabled: (g, t) => {
        const m = arg(t, 'mm');
        const i = arg(t, 'sub');
        if (badMm(t, m) || badSub(t, i) || isAnon(t.params)) return true;
        const mm = g.mms[m]!;
        return mm.mmap_lock >= 0 && mm.ptl === 0 && g.pages[compound_head(g, i)]!.locked === 0;
      },
      run: (g, t) => {
        const m = arg(t, 'mm');
        const i = arg(t, 'sub');
        if (badMm(t, m) || badSub(t, i) || isAnon(t.params)) return done('EINVAL');
        const mm = g.mms[m]!;
        if (mm.pmd === 'huge' || mm.pmd === 'foreign') return done('exists');
        if (mm.pmd === 'table' && mm.pte[i] !== PTE_NONE) return done('exists');
        if (g.pages[i]!.freed || !g.pages[i]!.in_cache) return done('ENOENT');
        if (mm.pmd === 'none') {
          mm.pmd = 'table';
          mm.pte.fill(PTE_NONE);
        }
        get_page(g, i);
        page_add_file_rmap(g, t, i, false);
        mm.pte[i] = PTE_PRESENT;
        return done('pte');
      },
    },
  ],
);

/**
 * A read fault (FAULT_FLAG_WRITE clear) of virtual page i of mm, under the
 * ptl: pmd_none → do_huge_pmd_anonymous_page() → anon_vma_prepare() +
 * set_huge_zero_page() (the huge zero page, use_zero_page on) where one VMA
 * covers the range; else (VM_FAULT_FALLBACK: transhuge_vma_suitable() fails
 * first) and in an empty PTE, do_anonymous_page() maps my_zero_pfn() without
 * anon_vma_prepare() (mm/huge_memory.c, mm/memory.c @ v6.1). Anything present
 * is left alone. Returns whether it mapped.
 */
export function read_fault_zero(mm: MmT, i: number): boolean {
  const nr = mm.pte.length;
  if (mm.pmd === 'none' && vmaHugeSuitable(mm, nr)) {
    anonVmaPrepare(mm, nr, i);
    mm.pmd = 'zero';
    mm.pmd_write = false;
    mm.pmd_dirty = false; /* mk_pmd(zero_page, vma->vm_page_prot): clean */
    return true;
  }
  if (mm.pmd === 'none') pte_alloc(mm); /* __handle_mm_fault → handle_pte_fault → do_anonymous_page: pte_alloc() */
  if (mm.pmd !== 'table' || mm.pte[i] !== PTE_NONE) return false;
  mm.pte[i] = PTE_ZERO;
  mm.pte_write[i] = false;
  mm.pte_dirty[i] = false;
  return true;
}

export const populate_read = kernelOp(
  'A read of every subpage of a private anon range (MADV_POPULATE_READ-like): read faults map the huge zero page on pmd_none, the small zero page in empty PTEs, and swap a swap PTE back in (do_swap_page); present pages are left alone.',
  [],
  [
    {
      name: 'handle_mm_fault (read): set_huge_zero_page / do_anonymous_page (my_zero_pfn)',
      enabled: (g, t) => {
        const m = arg(t, 'mm');
        if (badMm(t, m) || !isAnon(t.params)) return true;
        const mm = g.mms[m]!;
        if (mm.mmap_lock < 0 || mm.ptl !== 0 || mm.pmd === 'migration') return false; /* pmd_migration_entry_wait */
        /* do_swap_page() of a swap PTE takes the lock of its swap cache page */
        return mm.pmd !== 'table' || mm.pte.every((e) => swapPageUnlocked(g, t, e));
      },
      run: (g, t) => {
        const m = arg(t, 'mm');
        if (badMm(t, m) || !isAnon(t.params)) return done('EINVAL');
        const mm = g.mms[m]!;
        for (let i = 0; i < t.params.nr; i++) {
          /*
           * GUP's read fault of a swap PTE swaps it in (faultin_page → handle_mm_fault → do_swap_page): seen on
           * 6.1.192 by conform (MADV_PAGEOUT of subpage 0, then MADV_POPULATE_READ maps a fresh page there)
           */
          if (mm.pmd === 'table' && isSwapPte(mm.pte[i]!)) do_swap_page(g, t, mm, i, false);
          else read_fault_zero(mm, i);
        }
        return done('ok');
      },
    },
  ],
);
