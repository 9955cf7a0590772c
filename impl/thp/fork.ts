/**
 * fork(): dup_mmap() (kernel/fork.c @ v5.10) under both mms' mmap_lock for
 * write → anon_vma_fork() (the child's VMA linked after its parent's, so rmap
 * walks see parents first) → copy_page_range() → copy_huge_pmd() /
 * copy_pte_range() under both PTLs (mm/memory.c, mm/huge_memory.c @ v5.10).
 * A COW mapping is write-protected on both sides. A page that may be DMA
 * pinned is not shared with the child: copy_huge_pmd() splits the parent's
 * PMD and retries on PTEs (d042035eaf5f "mm/thp: Split huge pmds/puds if
 * they're pinned when fork()"), and copy_present_page() gives the child its
 * own copy (70e806e4e645 "mm: Do early cow for pinned pages during fork() for
 * ptes"). (The kernel also requires src_mm->has_pinned; a page pinned by
 * another mm is never mapped here once GUP broke COW, so the model omits it.)
 * v5.19+ (mm/memory.c copy_present_pte() and mm/huge_memory.c copy_huge_pmd()
 * @ v6.1): page_try_dup_anon_rmap() refuses only a PageAnonExclusive page that
 * may be pinned (-EBUSY: copy_present_page, or split the PMD and -EAGAIN) and
 * otherwise clears PG_anon_exclusive: the page is shared from now on. A
 * migration entry loses its exclusive bit too (copy_nonpresent_pte,
 * copy_huge_pmd: make_readable_migration_entry); the model keeps that bit on
 * the page. Lacking 6c287605fd56 the test is page_maybe_dma_pinned() alone.
 * Shared file VMAs are not copied: the child faults them in later.
 */
import { hasAnonVma, inAnonWalk, vmaTreeFork, vmaTreeForkAppends } from '../thp-common/rmap-walk.js';
import { alloc_copy, clearAnonExclusive, maybeDmaPinned, pageAnonExclusive, preExclusive } from './cow.js';
import {
  BUG_ON,
  PTE_COPY,
  PTE_MIGRATION,
  PTE_NONE,
  PTE_PRESENT,
  PTE_ZERO,
  get_page,
  isAnon,
  isSwapPte,
  swp_entry,
  swp_offset,
  type MmT,
  type T,
  type ThpState,
} from './page.js';
import { page_add_anon_rmap } from './rmap.js';
import { SPLIT_PMD, splitHugePmdSteps } from './split-pmd.js';
import { arg, assertMmapWriteLocked, badMm, done, kernelOp, mmap_write_unlock } from './steps.js';

type G = ThpState;

/** The step names of fork (impl/thp-common/kthps.ts runs them THP by THP). */
export const FORK_STEPS = {
  lock: 'dup_mmap: mmap_write_lock + anon_vma_fork',
  check: 'copy_page_range: raw_write_seqcount_begin + page_maybe_dma_pinned (copy_huge_pmd / copy_present_pte)',
  copy: 'copy_page_range: copy_present_page / ptep_set_wrprotect + page_dup_rmap + raw_write_seqcount_end',
} as const;
const F = FORK_STEPS;

/**
 * copy_nonpresent_pte() of a swap PTE (mm/memory.c @ v6.1): swap_duplicate() takes a swap count
 * for the child, and "Mark the swap entry as shared": pte_swp_clear_exclusive() in the parent.
 */
function copy_swap_pte(g: G, src: MmT, dst: MmT, i: number): void {
  const s = swp_offset(src.pte[i]!);
  g.swap[s]!.count++;
  src.pte[i] = swp_entry(s, false);
  dst.pte[i] = swp_entry(s, false);
}

/** copy_present_pte() for one PTE of the parent's table; `early` is its page_try_dup_anon_rmap() / page_maybe_dma_pinned() verdict. */
function copy_present_pte(g: G, src: MmT, dst: MmT, i: number, early: boolean): void {
  const e = src.pte[i]!;
  if (isSwapPte(e)) return copy_swap_pte(g, src, dst, i);
  /* page_try_dup_anon_rmap(): ClearPageAnonExclusive ("now shared"); a migration entry: make_readable_migration_entry */
  if (!early) clearAnonExclusive(g, src, i);
  dst.pte[i] = e;
  dst.pte_write[i] = false;
  dst.pte_dirty[i] = src.pte_dirty[i]!; /* a private mapping keeps pte_dirty (copy_present_pte) */
  if (e === PTE_MIGRATION) src.pte_write[i] = false; /* make_migration_entry_read() on both sides */
  if (e !== PTE_PRESENT && e < PTE_COPY) return; /* none / collapsed page: nothing to account */
  if (early) {
    const data = e === PTE_PRESENT ? g.pages[i]!.data : g.copies[e - PTE_COPY]!.data;
    dst.pte[i] = PTE_COPY + alloc_copy(g, data); /* copy_present_page() */
    dst.pte_write[i] = src.vm_write; /* maybe_mkwrite(pte_mkdirty(pte), vma) */
    dst.pte_dirty[i] = true;
    return;
  }
  src.pte_write[i] = false; /* ptep_set_wrprotect(src_mm, addr, src_pte) */
  if (e === PTE_PRESENT) {
    get_page(g, i);
    page_add_anon_rmap(g, i, false); /* page_dup_rmap(page, false) */
  } else {
    const c = g.copies[e - PTE_COPY]!;
    c.refcount++;
    c.mapcount++;
  }
}

/** The page_maybe_dma_pinned() verdicts of copy_present_pte(), one bit per PTE (70e806e4e645). */
function earlyCowMask(g: Readonly<G>, t: T, src: Readonly<MmT>): number {
  let mask = 0;
  if (src.pmd !== 'table' || t.bug('70e806e4e645')) return 0; /* 70e806e4e645: the pinned page is shared */
  /* page_try_dup_anon_rmap() @ v6.1: "No need to check+clear for already shared pages" */
  const excl = (i: number): boolean => preExclusive(t) || pageAnonExclusive(g, src, i);
  for (let i = 0; i < t.params.nr; i++)
    if (!isSwapPte(src.pte[i]!) && excl(i) && maybeDmaPinned(g, src, i)) mask |= 1 << i;
  return mask;
}

/** A PTE vma_needs_copy() skips: only none or the small zero page can be there (anything anon needs an anon_vma). */
function notCopied(src: Readonly<MmT>, i: number): void {
  const e = src.pte[i]!;
  BUG_ON(e !== PTE_NONE && e !== PTE_ZERO, `fork: PTE ${i} holds ${e} in a VMA without an anon_vma`);
}

function copy_page_range(g: G, t: T, src: MmT, dst: MmT, early_cow: number): void {
  /* a PMD maps the range only from a fault that called anon_vma_prepare() first (do_huge_pmd_anonymous_page()) */
  BUG_ON(
    src.pmd !== 'none' && src.pmd !== 'table' && !hasAnonVma(src, 0),
    `fork: a ${src.pmd} PMD in a VMA without an anon_vma`,
  );
  if (src.pmd === 'huge') {
    g.pages[0]!.anon_exclusive = false; /* page_try_dup_anon_rmap(src_page, true, src_vma): ClearPageAnonExclusive */
    get_page(g, 0);
    page_add_anon_rmap(g, 0, true); /* copy_huge_pmd(): page_dup_rmap(src_page, true) */
    dst.pmd = 'huge';
    src.pmd_write = false; /* pmdp_set_wrprotect() */
    dst.pmd_write = false;
    dst.pmd_dirty = src.pmd_dirty;
  } else if (src.pmd === 'migration') {
    /* copy_huge_pmd(): is_swap_pmd → make_migration_entry_read on both sides; no mapcount, no reference */
    dst.pmd = 'migration';
    g.pages[0]!.anon_exclusive = false; /* make_readable_migration_entry() of a readable-exclusive entry */
    src.pmd_write = false;
    dst.pmd_write = false;
  } else if (src.pmd === 'zero') {
    dst.pmd = 'zero'; /* copy_huge_pmd(): is_huge_zero_pmd → mm_get_huge_zero_page + set_huge_zero_page */
  } else if (src.pmd === 'foreign') {
    dst.pmd = 'foreign';
    dst.foreign_data = [...src.foreign_data];
  } else if (src.pmd === 'table') {
    /*
     * dup_mmap() copies VMA by VMA, and copy_page_range() → vma_needs_copy() @ v6.1 (mm/memory.c) copies page
     * tables only for a VMA with an anon_vma (no uffd-wp, PFNMAP or MIXEDMAP here): "Don't copy ptes where a page
     * fault will fill them correctly". A VMA without one maps at most small zero pages (do_anonymous_page() maps
     * my_zero_pfn() without anon_vma_prepare()); the child faults them in again. No such VMA: no page table at all.
     */
    if (src.anon_vma === 0) {
      for (let i = 0; i < t.params.nr; i++) notCopied(src, i);
      return;
    }
    dst.pmd = 'table';
    dst.foreign_data = [...src.foreign_data];
    for (let i = 0; i < t.params.nr; i++)
      if (hasAnonVma(src, i)) copy_present_pte(g, src, dst, i, (early_cow & (1 << i)) !== 0);
      else notCopied(src, i);
  }
}

/**
 * The pinned checks and the write-protect+dup are separate steps: between
 * them GUP-fast (lockless, no mmap_lock) can still pin the page; the
 * write_protect_seq it samples is what makes it back off (57efa1fe5957).
 */
export const fork = kernelOp(
  'fork(): dup_mmap → anon_vma_fork (the child avc inserted after every VMA with the same start) → copy_page_range (copy_huge_pmd / copy_pte_range, page_dup_rmap, early COW of maybe-pinned pages); shared file VMAs are not copied.',
  ['i', 'page_locked', 'early_cow'],
  [
    {
      name: F.lock,
      enabled: (g, t) => {
        const s = arg(t, 'src');
        const d = arg(t, 'dst');
        if (badMm(t, s) || badMm(t, d) || s === d) return true;
        const src = g.mms[s]!;
        const dst = g.mms[d]!;
        /* anon_vma_fork() → anon_vma_clone() inserts under the anon_vma lock: a walk under way ends first, unless the child lands at its end */
        const inserts = src.pmd !== 'none' && !inAnonWalk(g, d) && inAnonWalk(g, s);
        if (inserts && g.rmap_lock !== 0 && !vmaTreeForkAppends(g, s)) return false;
        return src.mmap_lock === 0 && dst.mmap_lock === 0 && src.ptl === 0 && dst.ptl === 0;
      },
      run: (g, t) => {
        const s = arg(t, 'src');
        const d = arg(t, 'dst');
        if (badMm(t, s) || badMm(t, d) || s === d) return done('EINVAL');
        const src = g.mms[s]!;
        const dst = g.mms[d]!;
        if (!isAnon(t.params)) return done('ok'); /* shared file VMA: the child faults it in later */
        if (dst.pmd !== 'none') return done('EEXIST');
        src.mmap_lock = -1;
        dst.mmap_lock = -1;
        vmaTreeFork(g, t, s, d, src.pmd !== 'none' && !inAnonWalk(g, d) && inAnonWalk(g, s));
        return F.check;
      },
    },
    {
      name: F.check,
      enabled: (g, t) => g.mms[arg(t, 'src')]!.ptl === 0,
      run: (g, t) => {
        const src = g.mms[arg(t, 'src')]!;
        assertMmapWriteLocked(src);
        // 57efa1fe5957: without write_protect_seq, GUP-fast cannot see that fork is write-protecting
        if (!t.bug('57efa1fe5957') && src.write_protect_seq % 2 === 0) src.write_protect_seq++;
        // d042035eaf5f: a maybe-pinned THP is not shared by PMD: split the parent's PMD, retry on PTEs (-EAGAIN)
        /* v5.19+: page_try_dup_anon_rmap() refuses only an exclusive head ("Page maybe pinned: split and retry") */
        const pinned = g.compound_pincount > 0 && (preExclusive(t) || g.pages[0]!.anon_exclusive);
        if (src.pmd === 'huge' && pinned && !t.bug('d042035eaf5f')) return SPLIT_PMD.entry;
        t.l.early_cow = earlyCowMask(g, t, src);
        return F.copy;
      },
    },
    ...splitHugePmdSteps(F.check, 'src'),
    {
      name: F.copy,
      enabled: (g, t) => g.mms[arg(t, 'src')]!.ptl === 0,
      run: (g, t) => {
        const src = g.mms[arg(t, 'src')]!;
        const dst = g.mms[arg(t, 'dst')]!;
        dst.vm_write = src.vm_write; /* vm_area_dup() */
        copy_page_range(g, t, src, dst, t.l.early_cow!);
        if (src.write_protect_seq % 2 === 1) src.write_protect_seq++; /* raw_write_seqcount_end() */
        mmap_write_unlock(src);
        mmap_write_unlock(dst);
        return done('ok');
      },
    },
  ],
);
