/**
 * Page faults that map the THP (mm/memory.c @ v6.12 handle_mm_fault →
 * __handle_mm_fault): __do_huge_pmd_anonymous_page() (mm/huge_memory.c) for
 * an anon PMD fault (folio_add_new_anon_rmap(RMAP_EXCLUSIVE), and since
 * dafff3f4c850 "mm: split underused THPs" deferred_split_folio(folio, false)),
 * do_set_pmd() under the folio lock for a file PMD fault, and filemap_fault() →
 * finish_fault() → set_pte_range() (folio_add_file_rmap_ptes) for a file PTE
 * fault. Each runs under mmap_lock for read and the PMD/PTE lock with no lock
 * boundary inside the modelled part, so each is one step.
 */
// Deliberate copy of impl/thp's fault.ts where the kernel code is unchanged: the two implementations stay independently built (own state types, own kernel-version citations) so spec/thp judges each on its own.
import { anonVmaPrepare, vmaHugeSuitable, vmaTreeNew } from '../thp-common/rmap-walk.js';
import {
  ENTIRELY_MAPPED,
  PTE_NONE,
  isSwapPte,
  PTE_PRESENT,
  PTE_ZERO,
  folioOf,
  folio_get,
  isAnon,
  type FolioState,
  type MmT,
  type T,
} from './folio.js';
import { prep_large_folio } from './folio-init.js';
import { pte_alloc, tableEmpty } from './pgtable.js';
import { do_swap_page, swapFolioUnlocked } from './swap.js';
import { deferred_split_folio, folio_add_rmap_pmd, folio_add_rmap_ptes } from './rmap.js';
import { arg, badMm, badSub, done, kernelOp, type Done } from './steps.js';

type G = FolioState;

/** __do_huge_pmd_anonymous_page(): a fresh THP mapped by PMD (the model tracks one folio). */
export function do_huge_pmd_anonymous_page(g: G, t: T, m: number): Done {
  if (!g.pages.every((p) => p.freed)) return done('ENOMEM');
  prep_large_folio(g);
  g.pages[0]!.refcount = 1;
  /* folio_add_new_anon_rmap(folio, vma, haddr, RMAP_EXCLUSIVE) */
  g.entire_mapcount = 0;
  g.nr_pages_mapped = ENTIRELY_MAPPED;
  g.large_mapcount = 0;
  g.pages[0]!.anon_exclusive = true;
  vmaTreeNew(g, g.pages.length, m); /* a new anon_vma */
  g.mms[m]!.pmd = 'huge';
  g.mms[m]!.pmd_write = g.mms[m]!.vm_write; /* maybe_pmd_mkwrite(pmd_mkdirty(entry), vma) */
  // dafff3f4c850 (v6.12): queued for the underused-THP shrinker, not flagged partially mapped
  if (!t.bug('dafff3f4c850')) deferred_split_folio(g, t, false);
  return done('pmd');
}

/** do_set_pmd(): map the page-cache folio by PMD. */
function do_set_pmd(g: G, m: number): Done {
  if (g.large && !g.pages[0]!.freed && g.pages[0]!.in_cache) {
    folio_get(g, 0);
    folio_add_rmap_pmd(g, false);
    g.mms[m]!.pmd = 'huge';
    return done('pmd');
  }
  if (!g.large && g.pages.some((p) => !p.freed)) return done('fallback');
  return done('ENOENT');
}

export const fault = kernelOp(
  'Fault the THP into mm by PMD: __do_huge_pmd_anonymous_page (anon, allocates the folio) or do_set_pmd under the folio lock (file).',
  [],
  [
    {
      name: 'handle_mm_fault: __do_huge_pmd_anonymous_page / do_set_pmd',
      enabled: (g, t) => {
        const m = arg(t, 'mm');
        if (badMm(t, m)) return true;
        const mm = g.mms[m]!;
        /* a PMD migration entry: __handle_mm_fault → pmd_migration_entry_wait, then the fault is retried */
        if (mm.pmd === 'migration' || mm.pmd === 'foreign_migration') return false;
        return mm.mmap_lock >= 0 && mm.ptl === 0 && (isAnon(t.params) || g.pages[0]!.locked === 0);
      },
      run: (g, t) => {
        const m = arg(t, 'mm');
        if (badMm(t, m)) return done('EINVAL');
        const mm = g.mms[m]!;
        if (isAnon(t.params) && !mm.vm_write) return done('EFAULT'); /* access_error(): a store to a read-only VMA */
        if (mm.pmd === 'huge' || mm.pmd === 'foreign' || mm.pmd === 'zero') return done('exists');
        if (mm.pmd === 'table') return done(tableEmpty(mm) ? 'fallback' : 'exists');
        return isAnon(t.params) ? do_huge_pmd_anonymous_page(g, t, m) : do_set_pmd(g, m);
      },
    },
  ],
);

export const fault_pte = kernelOp(
  'File fault of one subpage by PTE: filemap_fault (folio locked) → finish_fault → set_pte_range → folio_add_file_rmap_ptes; no PG_double_map in the folio era.',
  [],
  [
    {
      name: 'filemap_fault + finish_fault',
      enabled: (g, t) => {
        const m = arg(t, 'mm');
        const i = arg(t, 'sub');
        if (badMm(t, m) || badSub(t, i) || isAnon(t.params)) return true;
        const mm = g.mms[m]!;
        return mm.mmap_lock >= 0 && mm.ptl === 0 && g.pages[folioOf(g, i)]!.locked === 0;
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
        folio_get(g, i);
        folio_add_rmap_ptes(g, i, 1, false);
        mm.pte[i] = PTE_PRESENT;
        return done('pte');
      },
    },
  ],
);

/**
 * A read fault (FAULT_FLAG_WRITE clear) of virtual page i of mm, under the
 * ptl: pmd_none → do_huge_pmd_anonymous_page() → vmf_anon_prepare() +
 * set_huge_zero_folio() (the huge zero folio, use_zero_page on) where one VMA
 * covers the range; else (VM_FAULT_FALLBACK: thp_vma_suitable_order() fails
 * first) and in an empty PTE, do_anonymous_page() maps my_zero_pfn() without
 * vmf_anon_prepare() (mm/huge_memory.c, mm/memory.c @ v6.12). Anything
 * present is left alone. Returns whether it mapped.
 */
export function read_fault_zero(mm: MmT, i: number): boolean {
  const nr = mm.pte.length;
  if (mm.pmd === 'none' && vmaHugeSuitable(mm, nr)) {
    anonVmaPrepare(mm, nr, i);
    mm.pmd = 'zero';
    mm.pmd_write = false;
    return true;
  }
  if (mm.pmd === 'none') pte_alloc(mm); /* __handle_mm_fault → handle_pte_fault → do_anonymous_page: pte_alloc() */
  if (mm.pmd !== 'table' || mm.pte[i] !== PTE_NONE) return false;
  mm.pte[i] = PTE_ZERO;
  mm.pte_write[i] = false;
  return true;
}

export const populate_read = kernelOp(
  'A read of every page of a private anon range (MADV_POPULATE_READ-like): read faults map the huge zero folio on pmd_none, the small zero page in empty PTEs, and swap a swap PTE back in (do_swap_page); present pages are left alone.',
  [],
  [
    {
      name: 'handle_mm_fault (read): set_huge_zero_folio / do_anonymous_page (my_zero_pfn)',
      enabled: (g, t) => {
        const m = arg(t, 'mm');
        if (badMm(t, m) || !isAnon(t.params)) return true;
        const mm = g.mms[m]!;
        if (mm.pmd === 'migration' || mm.pmd === 'foreign_migration') return false; /* pmd_migration_entry_wait */
        if (mm.mmap_lock < 0 || mm.ptl !== 0) return false;
        /* do_swap_page() of a swap PTE takes the lock of its swap cache folio */
        return mm.pmd !== 'table' || mm.pte.every((e) => swapFolioUnlocked(g, t, e));
      },
      run: (g, t) => {
        const m = arg(t, 'mm');
        if (badMm(t, m) || !isAnon(t.params)) return done('EINVAL');
        const mm = g.mms[m]!;
        for (let i = 0; i < t.params.nr; i++) {
          /* GUP's read fault of a swap PTE swaps it in (faultin_page → handle_mm_fault → do_swap_page), as 6.1.192 showed */
          if (mm.pmd === 'table' && isSwapPte(mm.pte[i]!)) do_swap_page(g, t, mm, i, false);
          else read_fault_zero(mm, i);
        }
        return done('ok');
      },
    },
  ],
);
