/**
 * khugepaged (mm/khugepaged.c @ v6.1): anon collapse — khugepaged_scan_pmd()
 * under mmap_lock for read, then collapse_huge_page() which retakes mmap_lock
 * for write, hugepage_vma_revalidate(), takes the anon_vma lock for write,
 * pmdp_collapse_flush(), __collapse_huge_page_isolate() (trylock_page +
 * is_refcount_suitable per page) and __collapse_huge_page_copy() into a fresh
 * THP (not tracked by the model: the range then maps a "foreign" PMD);
 * file collapse — khugepaged_collapse_pte_mapped_thps() → mmap_write_trylock →
 * collapse_pte_mapped_thp() retracting the PTEs and (v6.1) installing the PMD.
 */
import {
  PTE_NONE,
  PTE_PRESENT,
  PageCompound,
  compound_head,
  get_page,
  isAnon,
  page_mapcount,
  put_page,
  total_mapcount,
} from './page.js';
import { allPresent } from './pgtable.js';
import { page_add_file_rmap, page_remove_rmap } from './rmap.js';
import {
  arg,
  assertMmapWriteLocked,
  badMm,
  done,
  kernelOp,
  lock_page,
  me,
  mmOf,
  mmap_write_unlock,
  unlock_page,
  type Done,
} from './steps.js';
import type { T, ThpState } from './page.js';
import { vmaHugeSuitable } from '../thp-common/vma-layout.js';

type G = ThpState;

const K = {
  scan: 'khugepaged_scan_pmd: mmap_read_lock + pte scan',
  wlock: 'collapse_huge_page: mmap_write_lock + hugepage_vma_revalidate',
  flush: 'collapse_huge_page: anon_vma_lock_write + pmd_lock + pmdp_collapse_flush',
  isolate: 'collapse_huge_page: pte_lock + __collapse_huge_page_isolate (+ anon_vma_unlock_write)',
  restore: 'collapse_huge_page: isolation failed: pmd_lock + pmd_populate + anon_vma_unlock_write + mmap_write_unlock',
  copy: '__collapse_huge_page_copy: copy + pte_clear + page_remove_rmap + unlock_page + release',
  set: 'collapse_huge_page: pmd_lock + set_pmd_at(new THP) + mmap_write_unlock',
  fileWlock: 'khugepaged_collapse_pte_mapped_thps: mmap_write_trylock',
  fileCollapse: 'collapse_pte_mapped_thp: find_lock_page + retract PTEs + install PMD',
} as const;

/** __collapse_huge_page_isolate(): every distinct page is unlocked and has no reference beyond its mappings. */
function isolateSuitable(g: Readonly<G>): boolean {
  for (let i = 0; i < g.pages.length; i++) {
    if (compound_head(g, i) !== i) continue;
    const p = g.pages[i]!;
    const expected = PageCompound(g, i) ? total_mapcount(g, true) : page_mapcount(g, true, i);
    if (p.locked !== 0 || p.refcount !== expected) return false; /* SCAN_PAGE_LOCK / SCAN_PAGE_COUNT */
  }
  return true;
}

type KS = (typeof K)[keyof typeof K];

/** The distinct pages the range maps (the head of a compound page once). */
function distinctPages(g: Readonly<G>): number[] {
  const out: number[] = [];
  for (let i = 0; i < g.pages.length; i++) if (compound_head(g, i) === i) out.push(i);
  return out;
}

/** pmdp_collapse_flush(): the PMD is cleared; the detached table (mm.pte) stays for khugepaged and lockless walkers. */
function collapseFlush(g: G, t: T): KS {
  const mm = mmOf(g, t);
  assertMmapWriteLocked(mm);
  g.rmap_lock = me(t); /* anon_vma_lock_write() */
  mm.pmd = 'none';
  return K.isolate;
}

/** __collapse_huge_page_isolate() under the PTE lock: trylock_page + is_refcount_suitable for every page. */
function collapseIsolate(g: G, t: T): KS {
  const mm = mmOf(g, t);
  /* pte_present() of every entry of the detached table, then the page checks */
  if (!mm.pte.every((e) => e === PTE_PRESENT) || !isolateSuitable(g)) return K.restore;
  for (const h of distinctPages(g)) lock_page(g, t, h);
  g.rmap_lock = 0; /* anon_vma_unlock_write() */
  return K.copy;
}

/** The isolation failed: pmd_populate() puts the same table back. */
function collapseRestore(g: G, t: T): Done {
  const mm = mmOf(g, t);
  mm.pmd = 'table';
  g.rmap_lock = 0;
  mmap_write_unlock(mm);
  return done('fail');
}

/** __collapse_huge_page_copy(): copy into the new THP, clear the old PTEs, release the old pages. */
function collapseCopy(g: G, t: T): KS {
  const mm = mmOf(g, t);
  for (const h of distinctPages(g)) unlock_page(g, t, h);
  for (let i = 0; i < t.params.nr; i++) {
    mm.foreign_data[i] = g.pages[i]!.data; /* copy_user_highpage() */
    mm.pte[i] = PTE_NONE; /* pte_clear() */
    mm.pte_write[i] = false;
    mm.pte_dirty[i] = false;
    page_remove_rmap(g, t, i, false);
    put_page(g, t, i);
  }
  return K.set;
}

/** set_pmd_at(new THP) under the pmd lock, mmap_write_unlock. */
function collapseSet(g: G, t: T): Done {
  const mm = mmOf(g, t);
  mm.pmd = 'foreign';
  mmap_write_unlock(mm);
  return done('ok');
}

/** collapse_pte_mapped_thp(): retract the PTEs of the page-cache THP and map it by PMD again. */
function collapsePteMappedThp(g: G, t: T): Done {
  const mm = mmOf(g, t);
  mmap_write_unlock(mm);
  if (!g.head || g.pages[0]!.freed || !g.pages[0]!.in_cache) return done('fail');
  if (mm.pmd !== 'table') return done('fail');
  if (!mm.pte.every((x) => x === PTE_NONE || x === PTE_PRESENT)) return done('fail');
  if (!mm.pte.some((x) => x === PTE_PRESENT)) return done('fail');
  for (let i = 0; i < t.params.nr; i++) {
    if (mm.pte[i] !== PTE_PRESENT) continue;
    mm.pte[i] = PTE_NONE;
    page_remove_rmap(g, t, i, false);
    put_page(g, t, i);
  }
  get_page(g, 0);
  page_add_file_rmap(g, t, 0, true);
  mm.pmd = 'huge';
  return done('ok');
}

export const collapse = kernelOp(
  'khugepaged: anon collapse_huge_page (PTE-mapped range copied into a fresh THP, only if every page has no extra reference) or file collapse_pte_mapped_thp (PTE-mapped THP back to a PMD).',
  [],
  [
    {
      name: K.scan,
      enabled: (g, t) => {
        if (badMm(t, arg(t, 'mm'))) return true;
        const mm = mmOf(g, t);
        return mm.mmap_lock >= 0 && mm.ptl === 0;
      },
      run: (g, t) => {
        if (badMm(t, arg(t, 'mm'))) return done('EINVAL');
        if (!isAnon(t.params)) return K.fileWlock;
        /* khugepaged_scan_mm_slot(): only a PMD-aligned range one VMA covers (hstart/hend) is scanned */
        return allPresent(mmOf(g, t)) && vmaHugeSuitable(mmOf(g, t), t.params.nr) ? K.wlock : done('fail');
      },
    },
    {
      name: K.wlock,
      enabled: (g, t) => mmOf(g, t).mmap_lock === 0,
      run: (g, t) => {
        const mm = mmOf(g, t);
        /* hugepage_vma_revalidate(): transhuge_vma_suitable() (SCAN_ADDRESS_RANGE), or the re-scan failed */
        if (!allPresent(mm) || !vmaHugeSuitable(mm, t.params.nr)) return done('fail');
        mm.mmap_lock = -1;
        return K.flush;
      },
    },
    {
      name: K.flush,
      enabled: (g, t) => g.rmap_lock === 0 && mmOf(g, t).ptl === 0,
      run: collapseFlush,
    },
    { name: K.isolate, enabled: (g, t) => mmOf(g, t).ptl === 0, run: collapseIsolate },
    { name: K.restore, enabled: (g, t) => mmOf(g, t).ptl === 0, run: collapseRestore },
    { name: K.copy, run: collapseCopy },
    { name: K.set, enabled: (g, t) => mmOf(g, t).ptl === 0, run: collapseSet },
    {
      name: K.fileWlock,
      run: (g, t) => {
        const mm = mmOf(g, t);
        if (mm.mmap_lock !== 0) return done('fail');
        mm.mmap_lock = -1;
        return K.fileCollapse;
      },
    },
    {
      name: K.fileCollapse,
      enabled: (g, t) => g.pages[0]!.locked === 0 && mmOf(g, t).ptl === 0,
      run: collapsePteMappedThp,
    },
  ],
);
