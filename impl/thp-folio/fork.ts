/**
 * fork(): dup_mmap() (kernel/fork.c @ v6.12) under both mms' mmap_lock for
 * write → anon_vma_fork() (the child's VMA linked after its parent's, so rmap
 * walks see parents first) → copy_page_range() with mm->write_protect_seq
 * held odd → copy_huge_pmd() / copy_present_ptes() under both PTLs
 * (mm/huge_memory.c, mm/memory.c @ v6.12). Sharing an anon page with the child
 * goes through folio_try_dup_anon_rmap_pmd/ptes(), which clears
 * PageAnonExclusive, and fails when the folio may be pinned and the page is
 * exclusive: copy_huge_pmd() then splits the parent's PMD and retries on PTEs
 * (-EAGAIN), and copy_present_ptes() gives the child its own copy
 * (copy_present_page). (The kernel also requires MMF_HAS_PINNED; the model
 * omits it, as impl/thp does.) Shared file VMAs are not copied: the child
 * faults them in later.
 */
// Deliberate copy of impl/thp's fork.ts where the kernel code is unchanged: the two implementations stay independently built (own state types, own kernel-version citations) so spec/thp judges each on its own.
import { hasAnonVma, inAnonWalk, vmaTreeFork, vmaTreeForkAppends } from '../thp-common/rmap-walk.js';
import { alloc_copy, maybeDmaPinned } from './cow.js';
import {
  BUG_ON,
  PTE_COPY,
  PTE_MIGRATION,
  PTE_NONE,
  PTE_PRESENT,
  PTE_ZERO,
  folioOf,
  folio_get,
  isAnon,
  isSwapPte,
  swp_entry,
  swp_offset,
  type FolioState,
  type MmT,
  type T,
} from './folio.js';
import { folio_try_dup_anon_rmap_pmd, folio_try_dup_anon_rmap_ptes } from './rmap.js';
import { SPLIT_PMD, splitHugePmdSteps } from './split-pmd.js';
import { arg, assertMmapWriteLocked, badMm, done, kernelOp, me, mmap_write_unlock } from './steps.js';

type G = FolioState;

/** The step names of fork (impl/thp-common/kthps.ts runs them THP by THP). */
export const FORK_STEPS = {
  lock: 'dup_mmap: mmap_write_lock + anon_vma_fork',
  check: 'copy_page_range: raw_write_seqcount_begin + copy_huge_pmd: folio_try_dup_anon_rmap_pmd',
  copy: 'copy_page_range: copy_huge_pmd: pmdp_set_wrprotect + set_pmd_at / copy_present_ptes (folio_try_dup_anon_rmap_ptes or copy_present_page) + raw_write_seqcount_end',
} as const;
const F = FORK_STEPS;

/**
 * copy_nonpresent_pte() of a swap PTE (mm/memory.c @ v6.12): swap_duplicate() takes a swap count for the
 * child, and "Mark the swap entry as shared": pte_swp_clear_exclusive() in the parent.
 */
function copy_swap_pte(g: G, src: MmT, dst: MmT, i: number): void {
  const s = swp_offset(src.pte[i]!);
  g.swap[s]!.count++;
  src.pte[i] = swp_entry(s, false);
  dst.pte[i] = swp_entry(s, false);
  dst.pte_write[i] = false;
  dst.pte_excl[i] = false;
}

/** copy_present_ptes() for one PTE of the parent's table. */
function copy_present_pte(g: G, t: T, src: MmT, dst: MmT, i: number): void {
  const e = src.pte[i]!;
  if (isSwapPte(e)) return copy_swap_pte(g, src, dst, i);
  dst.pte[i] = e;
  dst.pte_write[i] = false;
  dst.pte_excl[i] = false;
  if (e === PTE_MIGRATION) {
    /* copy_nonpresent_pte(): "A previously exclusive entry is now shared": plain readable on both sides */
    src.pte_write[i] = false;
    src.pte_excl[i] = false;
    return;
  }
  if (e !== PTE_PRESENT && e < PTE_COPY) return; /* none / collapsed page: nothing to account */
  const pinned = maybeDmaPinned(g, src, i);
  if (e === PTE_PRESENT) {
    folio_get(g, i);
    if (!folio_try_dup_anon_rmap_ptes(g, t, i, 1, pinned)) {
      /* "Page may be pinned, we have to copy": copy_present_page() */
      g.pages[folioOf(g, i)]!.refcount--; /* folio_put(): the parent still holds its own references */
      dst.pte[i] = PTE_COPY + alloc_copy(g, g.pages[i]!.data);
      dst.pte_write[i] = src.vm_write; /* maybe_mkwrite(pte_mkdirty(pte), dst_vma) */
      return;
    }
  } else {
    const c = g.copies[e - PTE_COPY]!;
    // 70e806e4e645 / TF-2 as for the THP's pages (folio_try_dup_anon_rmap_pte of a small folio)
    if (pinned && c.anon_exclusive && !t.bug('70e806e4e645')) {
      dst.pte[i] = PTE_COPY + alloc_copy(g, c.data);
      dst.pte_write[i] = src.vm_write;
      return;
    }
    if (!t.bug('TF-2')) c.anon_exclusive = false;
    c.refcount++;
    c.mapcount++;
  }
  src.pte_write[i] = false; /* ptep_set_wrprotect(src_mm, addr, src_pte) */
}

/** A PTE vma_needs_copy() skips: only none or the small zero page can be there (anything anon needs an anon_vma). */
function notCopied(src: Readonly<MmT>, i: number): void {
  const e = src.pte[i]!;
  BUG_ON(e !== PTE_NONE && e !== PTE_ZERO, `fork: PTE ${i} holds ${e} in a VMA without an anon_vma`);
}

function copy_page_range(g: G, t: T, src: MmT, dst: MmT): void {
  /* a PMD maps the range only from a fault that called vmf_anon_prepare() first (do_huge_pmd_anonymous_page()) */
  BUG_ON(
    src.pmd !== 'table' && src.pmd !== 'none' && !hasAnonVma(src, 0),
    `fork: a ${src.pmd} PMD in a VMA without an anon_vma`,
  );
  if (src.pmd === 'zero') {
    dst.pmd = 'zero'; /* copy_huge_pmd(): is_huge_zero_pmd → mm_get_huge_zero_folio + set_pmd_at */
  } else if (src.pmd === 'foreign') {
    dst.pmd = 'foreign';
    dst.foreign_data = [...src.foreign_data];
  } else if (src.pmd === 'table') {
    /*
     * dup_mmap() copies VMA by VMA, and copy_page_range() → vma_needs_copy() @ v6.12 (mm/memory.c) copies page
     * tables only for a VMA with an anon_vma (no uffd-wp, PFNMAP or MIXEDMAP here): "Don't copy ptes where a page
     * fault will fill them correctly". A VMA without one maps at most small zero pages (do_anonymous_page() maps
     * my_zero_pfn() without vmf_anon_prepare()); the child faults them in again. No such VMA: no page table at all.
     */
    if (src.anon_vma === 0) {
      for (let i = 0; i < t.params.nr; i++) notCopied(src, i);
      return;
    }
    dst.pmd = 'table';
    dst.foreign_data = [...src.foreign_data];
    for (let i = 0; i < t.params.nr; i++)
      if (hasAnonVma(src, i)) copy_present_pte(g, t, src, dst, i);
      else notCopied(src, i);
  }
}

/**
 * copy_huge_pmd()'s folio_try_dup_anon_rmap_pmd() and its
 * pmdp_set_wrprotect() are separate steps (as impl/thp's maybe-pinned check and
 * write-protect): GUP-fast takes no lock, so it can pin the still-writable PMD
 * in between; the write_protect_seq it samples is what makes it back off
 * (57efa1fe5957).
 */
export const fork = kernelOp(
  'fork(): dup_mmap → anon_vma_fork (the child avc inserted after every VMA with the same start) → copy_page_range (copy_huge_pmd / copy_present_ptes via folio_try_dup_anon_rmap_*, which clears PageAnonExclusive and refuses maybe-pinned exclusive pages: split and retry, or copy_present_page); shared file VMAs are not copied.',
  ['i'],
  [
    {
      name: F.lock,
      enabled: (g, t) => {
        const s = arg(t, 'src');
        const d = arg(t, 'dst');
        if (badMm(t, s) || badMm(t, d) || s === d) return true;
        const src = g.mms[s]!;
        const dst = g.mms[d]!;
        /* the model does not copy a collapsed THP's migration entry: fork waits for remove_migration_pmd */
        if (src.pmd === 'foreign_migration') return false;
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
        const dst = g.mms[arg(t, 'dst')]!;
        assertMmapWriteLocked(src);
        // 57efa1fe5957: without write_protect_seq, GUP-fast cannot see that fork is write-protecting
        if (!t.bug('57efa1fe5957') && src.write_protect_seq % 2 === 0) src.write_protect_seq++;
        if (src.pmd === 'migration') {
          /* copy_huge_pmd() under both PMD locks: is_swap_pmd → "a previously exclusive entry is now shared" */
          dst.pmd = 'migration';
          src.pmd_write = false;
          src.pmd_excl = false;
          dst.pmd_write = false;
          dst.pmd_excl = false;
          t.l.i = 2; /* copied at the PMD level */
          return F.copy;
        }
        if (src.pmd !== 'huge') return F.copy;
        /* copy_huge_pmd(): folio_get + folio_try_dup_anon_rmap_pmd, or split the parent's PMD and retry (-EAGAIN) */
        folio_get(g, 0);
        if (!folio_try_dup_anon_rmap_pmd(g, t, maybeDmaPinned(g, src, 0))) {
          g.pages[0]!.refcount--; /* folio_put() */
          return SPLIT_PMD.entry;
        }
        t.l.i = 1; /* copied at the PMD level: copy_page_range() does not descend to PTEs */
        src.ptl = me(t); /* both PMD locks stay held until set_pmd_at(dst) */
        dst.ptl = me(t);
        return F.copy;
      },
    },
    ...splitHugePmdSteps(F.check, 'src'),
    {
      name: F.copy,
      enabled: (g, t) => {
        const ptl = g.mms[arg(t, 'src')]!.ptl;
        return ptl === 0 || ptl === me(t);
      },
      run: (g, t) => {
        const src = g.mms[arg(t, 'src')]!;
        const dst = g.mms[arg(t, 'dst')]!;
        dst.vm_write = src.vm_write; /* vm_area_dup() */
        if (t.l.i === 1) {
          src.ptl = 0;
          dst.ptl = 0;
          /* the rest of copy_huge_pmd(): lockless GUP-fast may have pinned since the dup (57efa1fe5957) */
          dst.pmd = 'huge';
          src.pmd_write = false; /* pmdp_set_wrprotect() */
          dst.pmd_write = false;
        } else if (t.l.i === 0) copy_page_range(g, t, src, dst);
        if (src.write_protect_seq % 2 === 1) src.write_protect_seq++; /* raw_write_seqcount_end() */
        mmap_write_unlock(src);
        mmap_write_unlock(dst);
        return done('ok');
      },
    },
  ],
);
