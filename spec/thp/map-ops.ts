/**
 * Spec handlers of the operations that map and unmap: fault, fault_pte, fork,
 * split_huge_pmd, mprotect/mlock, munmap.
 */
import type { RetValue } from '../../checker/types.js';
import { REJECT, int, type Handler } from './handler.js';
import {
  dropTableIfEmpty,
  mapFreshThp,
  mapZero,
  mapsAny,
  mapsSub,
  splitForeignPmd,
  splitPmd,
  splitZeroPmd,
  unmapPmd,
  unmapPte,
} from './mappings.js';
import { ZERO_PAGE, mapNewCopy, pageAt } from './identity.js';
import { swapIn } from './swap-ops.js';
import type { ThpView } from './view.js';
import { add, del } from './view.js';
import { vmaFlagChange, vmaFlagsDiffer, vmaFork, vmaFresh, vmaMremapFails, vmaUnmap } from './vmas.js';

const on_fault: Handler = (c, e) => {
  const { choice, mm, badMm, anon } = e;
  let ret: RetValue | undefined;
  if (choice === 'enomem' && !anon) return REJECT;
  if (anon && !badMm(mm) && c.ro.includes(mm)) return choice === 'enomem' ? REJECT : 'EFAULT'; // a store to a read-only VMA: SIGSEGV
  if (choice === 'enomem' && (badMm(mm) || mapsAny(c, mm) || c.ptable.includes(mm))) return REJECT;
  if (badMm(mm)) ret = 'EINVAL';
  else if (mapsAny(c, mm)) ret = 'exists';
  else if (c.ptable.includes(mm))
    ret = 'fallback'; // a page table is already there: no PMD fault
  else if (anon) {
    if (choice === 'enomem') ret = 'ENOMEM';
    else if (c.freed.every((f) => f)) {
      mapFreshThp(c, mm); // do_huge_pmd_anonymous_page(): a fresh, zeroed THP mapped by PMD
      vmaFresh(c, mm); // the model's fault maps a new range: one VMA (vmas.ts)
      ret = 'pmd';
    } else ret = 'ENOMEM'; // the model has a single huge page
  } else if (c.compound && !c.freed[0] && c.cached[0]) {
    add(c.pmd, mm); // do_set_pmd()
    ret = 'pmd';
  } else if (!c.compound && c.freed.some((f) => !f)) ret = 'fallback';
  else ret = 'ENOENT';
  return ret;
};

const on_fault_pte: Handler = (c, e) => {
  const { mm, sub, badMm, badSub, anon } = e;
  let ret: RetValue | undefined;
  if (badMm(mm) || badSub(sub) || anon) ret = 'EINVAL';
  else if (mapsSub(c, mm, sub) || c.foreign[sub]!.includes(mm) || c.cow[mm]![sub]! >= 0) ret = 'exists';
  else if (c.freed[sub] || !c.cached[sub]) ret = 'ENOENT';
  else {
    add(c.pte[sub]!, mm);
    add(c.ptable, mm);
    ret = 'pte';
  }
  return ret;
};

/**
 * fork(): the child maps what the parent maps. A page someone holds a pin on
 * is never shared with the child (it gets a copy), so the pinner keeps its
 * page. The child may also get copies of every THP subpage instead of sharing
 * them ('copy'): page_maybe_dma_pinned() is a heuristic that also sees other
 * subpages' pins and transient GUP-fast references, and copying is invisible
 * to the data guarantees. The child may also leave out small zero pages the
 * parent maps (`:z<set>`), and then have no page table at all when it maps
 * nothing by PTE (`:n<set>`): fork copies page tables only for a VMA with an
 * anon_vma, and one where only read faults happened has none; a later read
 * faults the zero page in again (thpChoicesOf).
 */
const on_fork: Handler = (c, e) => {
  const { n, badMm, anon, ev, choice } = e;
  const src = int(ev.src);
  const dst = int(ev.dst);
  const [kind, skip] = typeof choice === 'string' ? choice.split(':') : [choice, undefined];
  const copyAll = kind === 'copy';
  const leave = skip === undefined ? 0 : int(Number(skip.slice(1)));
  const noTable = skip?.startsWith('n') ?? false;
  const bad = badMm(src) || badMm(dst) || src === dst;
  if (skip !== undefined && (bad || !anon || mapsAny(c, dst) || c.ptable.includes(dst))) return REJECT;
  if (copyAll && (bad || !anon || mapsAny(c, dst) || c.ptable.includes(dst) || !c.compound)) return REJECT;
  if (bad) return 'EINVAL';
  if (!anon) return 'ok'; // copy_page_range() skips shared file VMAs: the child faults them in later
  if (mapsAny(c, dst) || c.ptable.includes(dst)) return 'EEXIST';
  const pinnedPage = (page: number): boolean => c.pinned.some((p) => p[2] === page);
  let copiedThp = false;
  for (let i = 0; i < n; i++) {
    const page = pageAt(c, src, i);
    if (page === -2) {
      add(c.foreign[i]!, dst);
      c.fdata[dst]![i] = c.fdata[src]![i]!;
    } else if (page === ZERO_PAGE) {
      if (!(leave & (1 << i))) add(c.zero[i]!, dst);
    } else if (page >= n) {
      if (pinnedPage(page)) mapNewCopy(c, dst, i, c.copyData[page - n]!);
      else c.cow[dst]![i] = page - n;
    } else if (page === i && c.swapped[i]!.includes(src) && !pinnedPage(i)) {
      add(c.swapped[i]!, dst); /* copy_nonpresent_pte(): swap_duplicate() */
    } else if (page === i && (pinnedPage(i) || copyAll)) {
      mapNewCopy(c, dst, i, c.data[i]!);
      copiedThp = true;
    } else if (page === i && !c.pmd.includes(src)) add(c.pte[i]!, dst);
  }
  if (c.pmd.includes(src)) {
    if (!copiedThp) add(c.pmd, dst);
    else for (let i = 0; i < n; i++) if (c.cow[dst]![i]! < 0) add(c.pte[i]!, dst);
  }
  if (noTable && c.pte.some((_, i) => pageAt(c, dst, i) !== -1)) return REJECT;
  if ((c.ptable.includes(src) || copiedThp) && !noTable) add(c.ptable, dst);
  if (c.ro.includes(src)) add(c.ro, dst);
  vmaFork(c, src, dst);
  return 'ok';
};

const on_split_huge_pmd: Handler = (c, e) => {
  const { mm, badMm } = e;
  let ret: RetValue | undefined;
  if (badMm(mm)) ret = 'EINVAL';
  else {
    splitPmd(c, mm);
    splitForeignPmd(c, mm);
    splitZeroPmd(c, mm);
    ret = 'ok';
  }
  return ret;
};

/**
 * mprotect / mlock / munlock of [from, to): the flags change (a VMA split or merge, spec/thp/vmas.ts), and "the PMD
 * on border of VM_LOCKED VMA will be split into PTE table" (transhuge.rst); a call that changes no flag makes no
 * border and splits nothing.
 */
const on_mlock: Handler = (c, e) => {
  const { n, mm, badMm, ev } = e;
  const from = int(ev.from);
  const to = int(ev.to);
  if (badMm(mm) || from < 0 || to > n || from >= to) return e.choice === 'cut' ? REJECT : 'EINVAL';
  const changes = vmaFlagsDiffer(c, e, String(ev.type), from, to);
  if (!vmaFlagChange(c, e, String(ev.type), from, to)) return REJECT;
  if (changes && (from > 0 || to < n)) {
    splitPmd(c, mm);
    splitForeignPmd(c, mm);
    splitZeroPmd(c, mm);
  }
  return 'ok';
};

/**
 * zap_page_range() of [from, to) in mm: a PMD covering the whole range is
 * zapped, one covering part of it is split first; the mappings go.
 */
function zapRange(c: ThpView, mm: number, from: number, to: number): void {
  const n = c.pte.length;
  const whole = from === 0 && to === n;
  if (c.pmd.includes(mm)) {
    if (whole) unmapPmd(c, mm);
    else splitPmd(c, mm);
  }
  if (!whole) {
    splitForeignPmd(c, mm);
    splitZeroPmd(c, mm);
  }
  for (let i = from; i < to; i++) {
    unmapPte(c, mm, i);
    del(c.swapped[i]!, mm); /* zap_pte_range(): free_swap_and_cache() */
    del(c.foreign[i]!, mm);
    del(c.zero[i]!, mm);
    c.fdata[mm]![i] = 0;
    c.cow[mm]![i] = -1;
  }
}

const badRange = (e: Parameters<Handler>[1]): boolean => {
  const from = int(e.ev.from);
  const to = int(e.ev.to);
  return e.badMm(e.mm) || from < 0 || to > e.n || from >= to;
};

const on_munmap: Handler = (c, e) => {
  if (badRange(e)) return 'EINVAL';
  zapRange(c, e.mm, int(e.ev.from), int(e.ev.to));
  dropTableIfEmpty(c, e.mm); /* free_pgtables(): the VMA is gone */
  vmaUnmap(c, e.mm, int(e.ev.from), int(e.ev.to));
  return 'ok';
};

/**
 * MADV_DONTNEED: the range's mappings go (a later read faults in zeroes, a
 * load through this model reads 'nomap'); the VMA and its page table stay.
 */
const on_madvise_dontneed: Handler = (c, e) => {
  if (badRange(e) || !e.anon) return 'EINVAL';
  zapRange(c, e.mm, int(e.ev.from), int(e.ev.to));
  return 'ok';
};

/** MADV_POPULATE_READ-like read fault of the whole range: unmapped virtual pages map the zero page. */
const on_populate_read: Handler = (c, e) => {
  if (e.badMm(e.mm) || !e.anon) return e.choice === 'pte' ? REJECT : 'EINVAL';
  /* small zero pages in a new page table ('pte'): only where no page table and no PMD is */
  if (e.choice === 'pte' && (c.ptable.includes(e.mm) || mapsAny(c, e.mm))) return REJECT;
  /* its read faults map a swap entry's page again (do_swap_page), as every access does */
  for (let i = 0; i < c.pte.length; i++) swapIn(c, e.mm, i);
  mapZero(
    c,
    e.mm,
    c.pte.map((_, i) => i),
    e.choice === 'pte',
  );
  return 'ok';
};

/**
 * mremap of the whole range to another address and back: the data, the page
 * each virtual page maps and every pin move with the range. A move to an
 * address that is not PMD-aligned splits a PMD first (anon: into PTEs of the
 * same page; file: zapped, refaults later); an aligned one keeps it.
 */
const on_mremap: Handler = (c, e) => {
  if (e.badMm(e.mm) || ![0, 1].includes(int(e.ev.aligned))) return 'EINVAL';
  if (vmaMremapFails(c, e.mm)) return 'EFAULT'; /* not one VMA: nothing moves (vmas.ts) */
  if (int(e.ev.aligned) === 0) {
    splitPmd(c, e.mm);
    splitForeignPmd(c, e.mm);
    splitZeroPmd(c, e.mm);
  }
  return 'ok';
};

/** mprotect(PROT_READ) of the whole range: the VMA is read-only from now on; nothing is remapped. */
const on_mprotect_ro: Handler = (c, e) => {
  if (e.badMm(e.mm) || !e.anon) return e.choice === 'cut' ? REJECT : 'EINVAL';
  if (!vmaFlagChange(c, e, 'mprotect_ro', 0, e.n)) return REJECT;
  add(c.ro, e.mm);
  return 'ok';
};

/** NUMA hinting (change_prot_numa + the hinting fault that restores the entry): no user-visible change. */
const on_numa_hint: Handler = (_c, e) => (e.badMm(e.mm) || !e.anon ? 'EINVAL' : 'ok');

export const mappingHandlers: Readonly<Record<string, Handler>> = {
  fault: on_fault,
  fault_pte: on_fault_pte,
  fork: on_fork,
  split_huge_pmd: on_split_huge_pmd,
  mprotect: on_mlock,
  mlock: on_mlock,
  munlock: on_mlock,
  munmap: on_munmap,
  madvise_dontneed: on_madvise_dontneed,
  mremap: on_mremap,
  populate_read: on_populate_read,
  mprotect_ro: on_mprotect_ro,
  numa_hint: on_numa_hint,
};
