/**
 * Write and unshare faults on a private anon mapping, folio era
 * (mm/memory.c do_wp_page() + wp_can_reuse_anon_folio() and mm/huge_memory.c
 * do_huge_pmd_wp_page() @ v6.12; do_wp_page() @ v6.6). Reuse is decided by
 * PageAnonExclusive, else by the folio holding no other reference:
 *
 *   - PMD: under the PMD lock, an exclusive head is reused at once; otherwise
 *     folio_trylock() (on failure: folio_get, drop the PTL, folio_lock, retake
 *     it and recheck the PMD), then reuse only if folio_ref_count() == 1
 *     (folio_move_anon_rmap + SetPageAnonExclusive), else __split_huge_pmd()
 *     and VM_FAULT_FALLBACK to the PTE path;
 *   - PTE: an exclusive page is reused; a large folio never otherwise (v6.12;
 *     v6.6 reuses when the folio's only reference is this PTE); a small one when
 *     its refcount is 1 (wp_can_reuse_anon_folio); else wp_page_copy().
 *
 * FAULT_FLAG_UNSHARE (a R/O pin of a page that is not exclusive) takes the same
 * decisions but leaves the entry read-only; an unshare copy is exclusive and
 * read-only. The steps end at a continuation with t.l.fault set; t.l.unshare
 * selects the unshare fault.
 */
// Deliberate copy of impl/thp's wp.ts where the kernel code is unchanged: the two implementations stay independently built (own state types, own kernel-version citations) so spec/thp judges each on its own.
import { alloc_copy, pageAnonExclusive, put_copy, storeData, targetOf, targetOfSwap } from './cow.js';
import {
  PTE_COPY,
  PTE_MIGRATION,
  folioOf,
  folio_get,
  folio_put,
  folio_ref_count,
  inLarge,
  isAnon,
  isSwapPte,
  v66,
  type FolioState,
  type MmT,
  type T,
} from './folio.js';
import { pteOf } from './pgtable.js';
import { anonVmaPrepare } from '../thp-common/rmap-walk.js';
import { folio_remove_rmap_ptes } from './rmap.js';
import { do_swap_page, folio_free_swap, swapFolioUnlocked } from './swap.js';
import { SPLIT_PMD, splitHugePmdSteps, type SplitPmdStep } from './split-pmd.js';
import {
  arg,
  badMm,
  badSub,
  folio_lock,
  folio_unlock,
  mmOf,
  mmap_read_unlock,
  pmd_lock,
  spin_unlock_ptl,
  type KStep,
} from './steps.js';

type G = FolioState;

export const FAULT_REUSE = 1;
export const FAULT_COPY = 2;
export const FAULT_NOMAP = 3;
export const faultResult = (f: number): string => (f === FAULT_REUSE ? 'reuse' : f === FAULT_COPY ? 'copy' : 'nomap');

/**
 * wp_page_copy(): the PTE now maps a fresh exclusive copy of the page's data
 * (zeroes for the zero page: is_zero_pfn → a zeroed folio, nothing to
 * release); writable only for a write fault on a VM_WRITE VMA (maybe_mkwrite).
 */
function wp_page_copy(g: G, t: T, mm: MmT, i: number): number {
  anonVmaPrepare(mm, t.params.nr, i); /* vmf_anon_prepare(vmf) @ v6.12 */
  const tg = targetOf(mm, i);
  const data = tg.kind === 'copy' ? g.copies[tg.k]!.data : tg.kind === 'zero' ? 0 : g.pages[i]!.data;
  const k = alloc_copy(g, data);
  if (tg.kind === 'copy') {
    g.copies[tg.k]!.mapcount--; /* folio_remove_rmap_pte(old_folio) */
    put_copy(g, tg.k);
  } else if (tg.kind === 'thp') {
    folio_remove_rmap_ptes(g, t, i, 1);
    folio_put(g, t, i);
  }
  mm.pte[i] = PTE_COPY + k;
  mm.pte_write[i] = !t.l.unshare && mm.vm_write;
  return FAULT_COPY;
}

/** wp_page_reuse(): maybe_mkwrite() makes the entry writable on a VM_WRITE VMA (not for an unshare fault). */
function wp_page_reuse(mm: MmT, t: T, i: number): number {
  if (!t.l.unshare) mm.pte_write[i] = mm.vm_write;
  return FAULT_REUSE;
}

/** do_wp_page() on a present, write-protected PTE (one step under the PTE lock). */
export function do_wp_page(g: G, t: T, mm: MmT, i: number): number {
  const tg = targetOf(mm, i);
  if (tg.kind === 'zero') return wp_page_copy(g, t, mm, i); /* vm_normal_page() is NULL for the zero page */
  if (pageAnonExclusive(g, mm, i)) return wp_page_reuse(mm, t, i);
  if (tg.kind === 'copy') {
    /*
     * wp_can_reuse_anon_folio() of a small folio: only our mapping's reference and the swap cache's; under
     * the folio lock (uncontended for a copy) folio_free_swap() drops the latter when no swap PTE names it
     */
    const c = g.copies[tg.k]!;
    if (c.refcount > 1 + (c.swap ? 1 : 0)) return wp_page_copy(g, t, mm, i);
    if (c.swap) folio_free_swap(g, t, c.swap - 1);
    if (c.refcount !== 1) return wp_page_copy(g, t, mm, i);
    c.anon_exclusive = true;
    return wp_page_reuse(mm, t, i);
  }
  const h = folioOf(g, i);
  /* v6.12 wp_can_reuse_anon_folio(): "let's just consistently not reuse subpages" of a large folio */
  if (inLarge(g, i) && !v66(t)) return wp_page_copy(g, t, mm, i);
  /* folio_ref_count() > 3, or > 1 + folio_test_swapcache(), or folio_trylock() fails: copy */
  const swapcache = g.pages[h]!.swapcache ? 1 : 0;
  const refs = folio_ref_count(g, i);
  if (refs > 3 || refs > 1 + swapcache || g.pages[h]!.locked !== 0) return wp_page_copy(g, t, mm, i);
  if (swapcache) folio_free_swap(g, t, i);
  if (folio_ref_count(g, i) !== 1) return wp_page_copy(g, t, mm, i);
  g.pages[i]!.anon_exclusive = true; /* folio_move_anon_rmap / page_move_anon_rmap + SetPageAnonExclusive */
  return wp_page_reuse(mm, t, i);
}

/**
 * The PTE-level fault: none on a writable PTE (unless unsharing a R/O pin), else do_wp_page(). A swap PTE (a
 * store by wp_fault or an unshare: GUP paths swap in at follow_page first) is do_swap_page(), which calls
 * do_wp_page() when it could not map the page writable for FAULT_FLAG_WRITE (mm/memory.c do_swap_page() @ v6.12).
 */
function handle_pte_fault(g: G, t: T, mm: MmT, i: number): number {
  if (isSwapPte(pteOf(mm, i))) {
    /* FAULT_FLAG_UNSHARE: do_swap_page() only maps it; GUP follows again and unshares if it must */
    if (do_swap_page(g, t, mm, i, !t.l.unshare) || t.l.unshare) return FAULT_REUSE;
    return do_wp_page(g, t, mm, i);
  }
  const tg = targetOf(mm, i);
  if (tg.kind !== 'thp' && tg.kind !== 'copy' && tg.kind !== 'zero') return FAULT_NOMAP;
  if (mm.pte_write[i]) return FAULT_REUSE;
  return do_wp_page(g, t, mm, i);
}

export const WP = {
  entry: 'handle_mm_fault (write / unshare)',
  relock: 'do_huge_pmd_wp_page: folio_lock (after folio_get + spin_unlock) + spin_lock + pmd_same',
  decide: 'do_huge_pmd_wp_page: PageAnonExclusive / folio_ref_count == 1 → reuse, else unlock + fallback',
  fallback: 'VM_FAULT_FALLBACK → handle_pte_fault → do_wp_page',
} as const;
export type WpStep = (typeof WP)[keyof typeof WP];

/**
 * The userspace store that retries after the fault, done in the step that
 * made the entry writable (still under its lock). GUP's faults store nothing.
 */
function storeIfWrite(g: G, t: T, mm: MmT, store: boolean): void {
  if (!store || t.l.fault === FAULT_NOMAP) return;
  const v = arg(t, 'val');
  storeData(g, mm, arg(t, 'sub'), v >= 0 ? v : 1);
}

/** The PMD reuse: maybe_pmd_mkwrite (not for an unshare), then release the PMD lock and mmap_lock. */
function pmdReuse(g: G, t: T, mm: MmT, store: boolean): void {
  if (!t.l.unshare) mm.pmd_write = mm.vm_write; /* maybe_pmd_mkwrite() */
  t.l.fault = FAULT_REUSE;
  storeIfWrite(g, t, mm, store);
  spin_unlock_ptl(mm, t);
  mmap_read_unlock(mm);
}

/** Entry and do_huge_pmd_wp_page. Locals: fault, page_locked, unshare. */
function wpEntrySteps<C extends string>(cont: C, store: boolean): KStep<WpStep | SplitPmdStep | C>[] {
  return [
    {
      name: WP.entry,
      enabled: (g, t) => {
        const m = arg(t, 'mm');
        const i = arg(t, 'sub');
        if (badMm(t, m) || badSub(t, i) || !isAnon(t.params)) return true;
        const mm = g.mms[m]!;
        if (mm.mmap_lock < 0 || mm.ptl !== 0) return false;
        if (!swapFolioUnlocked(g, t, pteOf(mm, i))) return false; /* do_swap_page: folio_lock */
        return pteOf(mm, i) !== PTE_MIGRATION && targetOfSwap(mm, i).kind !== 'migration'; /* migration_entry_wait */
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
          /* Early check when only holding the PT lock. */
          if (g.pages[0]!.anon_exclusive) {
            pmdReuse(g, t, mm, store);
            return cont;
          }
          if (g.pages[0]!.locked === 0) {
            folio_lock(g, t, 0); /* folio_trylock() */
            return WP.decide;
          }
          folio_get(g, 0);
          spin_unlock_ptl(mm, t);
          return WP.relock;
        } else t.l.fault = handle_pte_fault(g, t, mm, i);
        storeIfWrite(g, t, mm, store);
        return cont;
      },
    },
    {
      name: WP.relock,
      enabled: (g, t) => g.pages[0]!.locked === 0 && mmOf(g, t).ptl === 0,
      run: (g, t) => {
        const mm = mmOf(g, t);
        folio_lock(g, t, 0);
        if (mm.pmd !== 'huge' || mm.pmd_write) {
          /* !pmd_same(): folio_unlock + folio_put, return 0: the access is retried */
          folio_unlock(g, t, 0);
          folio_put(g, t, 0);
          mmap_read_unlock(mm);
          return WP.entry;
        }
        pmd_lock(mm, t);
        folio_put(g, t, 0);
        return WP.decide;
      },
    },
    {
      name: WP.decide,
      run: (g, t) => {
        const mm = mmOf(g, t);
        const head = g.pages[0]!;
        if (head.anon_exclusive || folio_ref_count(g, 0) === 1) {
          head.anon_exclusive = true; /* folio_move_anon_rmap + SetPageAnonExclusive */
          folio_unlock(g, t, 0);
          pmdReuse(g, t, mm, store);
          return cont;
        }
        folio_unlock(g, t, 0);
        spin_unlock_ptl(mm, t);
        return SPLIT_PMD.entry; /* fallback: __split_huge_pmd(vma, vmf->pmd, vmf->address, false, NULL) */
      },
    },
  ];
}

/** The write-fault steps; continue at `cont` with t.l.fault set. Locals: fault, unshare. */
export function wpFaultSteps<C extends string>(cont: C, store: boolean): KStep<WpStep | SplitPmdStep | C>[] {
  return [
    ...wpEntrySteps(cont, store),
    ...splitHugePmdSteps(WP.fallback),
    {
      name: WP.fallback,
      enabled: (g, t) => {
        const mm = mmOf(g, t);
        const i = arg(t, 'sub');
        if (!swapFolioUnlocked(g, t, pteOf(mm, i))) return false; /* do_swap_page: folio_lock */
        return mm.ptl === 0 && targetOfSwap(mm, i).kind !== 'migration';
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
