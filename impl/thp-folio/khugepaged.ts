/**
 * khugepaged (mm/khugepaged.c @ v6.12): anon collapse —
 * hpage_collapse_scan_pmd() under mmap_lock for read, then
 * collapse_huge_page(): mmap_lock for write and hugepage_vma_revalidate(),
 * anon_vma_lock_write + pmd_lock + pmdp_collapse_flush() (the PMD is cleared;
 * the detached PTE table keeps its entries), then under the PTE lock
 * __collapse_huge_page_isolate() (folio_trylock + is_refcount_suitable:
 * folio_ref_count() == folio_mapcount()), anon_vma_unlock_write, and
 * __collapse_huge_page_copy() into a fresh THP (not tracked by the model: the
 * range then maps a "foreign" PMD), clearing the old PTEs. GUP-fast can grab a
 * page of the detached table after the isolation check: it must see the PMD
 * change (70cbc3cc78a9). File collapse — collapse_pte_mapped_thp() retracting
 * the PTEs and installing the PMD, as impl/thp models it.
 */
// Deliberate copy of impl/thp's khugepaged.ts where the kernel code is unchanged: the two implementations stay independently built (own state types, own kernel-version citations) so spec/thp judges each on its own.
import {
  PTE_NONE,
  PTE_PRESENT,
  folioOf,
  folio_get,
  folio_mapcount,
  folio_put,
  folio_ref_count,
  isAnon,
} from './folio.js';
import { allPresent } from './pgtable.js';
import { folio_add_rmap_pmd, folio_remove_rmap_ptes } from './rmap.js';
import { arg, assertMmapWriteLocked, badMm, done, kernelOp, me, mmOf, mmap_write_unlock, type Done } from './steps.js';
import type { T, FolioState } from './folio.js';
import { vmaHugeSuitable } from '../thp-common/vma-layout.js';

type G = FolioState;

const K = {
  scan: 'hpage_collapse_scan_pmd: mmap_read_lock + pte scan',
  wlock: 'collapse_huge_page: mmap_write_lock + hugepage_vma_revalidate',
  flush: 'collapse_huge_page: anon_vma_lock_write + pmd_lock + pmdp_collapse_flush + spin_unlock',
  isolate: 'collapse_huge_page: pte_offset_map_lock + __collapse_huge_page_isolate + anon_vma_unlock_write',
  copy: '__collapse_huge_page_copy: copy, clear the PTEs + folio_remove_rmap_pte; set_pmd_at(new THP); mmap_write_unlock',
  fileWlock: 'khugepaged_collapse_pte_mapped_thps: mmap_write_trylock',
  fileCollapse: 'collapse_pte_mapped_thp: folio lock + retract PTEs + install PMD',
} as const;

/** __collapse_huge_page_isolate(): every distinct folio is unlocked and has no reference beyond its mappings. */
function isolateSuitable(g: Readonly<G>, t: T): boolean {
  for (let i = 0; i < g.pages.length; i++) {
    if (folioOf(g, i) !== i) continue;
    const p = g.pages[i]!;
    if (p.locked !== 0 || folio_ref_count(g, i) !== folio_mapcount(g, t, i))
      return false; /* SCAN_PAGE_LOCK / SCAN_PAGE_COUNT */
  }
  return true;
}

/** collapse_pte_mapped_thp(): retract the PTEs of the page-cache folio and map it by PMD again. */
function collapsePteMappedThp(g: G, t: T): Done {
  const mm = mmOf(g, t);
  mmap_write_unlock(mm);
  if (!g.large || g.pages[0]!.freed || !g.pages[0]!.in_cache) return done('fail');
  if (mm.pmd !== 'table') return done('fail');
  if (!mm.pte.every((x) => x === PTE_NONE || x === PTE_PRESENT)) return done('fail');
  if (!mm.pte.some((x) => x === PTE_PRESENT)) return done('fail');
  for (let i = 0; i < t.params.nr; i++) {
    if (mm.pte[i] !== PTE_PRESENT) continue;
    mm.pte[i] = PTE_NONE;
    folio_remove_rmap_ptes(g, t, i, 1);
    folio_put(g, t, i);
  }
  folio_get(g, 0);
  folio_add_rmap_pmd(g, false);
  mm.pmd = 'huge';
  return done('ok');
}

export const collapse = kernelOp(
  'khugepaged: anon collapse_huge_page (pmdp_collapse_flush, then isolate: every page unlocked with no reference beyond its mappings, then copy into a fresh THP) or file collapse_pte_mapped_thp (PTE-mapped folio back to a PMD).',
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
      run: (g, t) => {
        const mm = mmOf(g, t);
        assertMmapWriteLocked(mm);
        g.rmap_lock = me(t);
        mm.pmd = 'collapsing'; /* pmdp_collapse_flush(): the PMD is cleared, the table detached */
        return K.isolate;
      },
    },
    {
      name: K.isolate,
      enabled: (g, t) => mmOf(g, t).ptl === 0,
      run: (g, t) => {
        const mm = mmOf(g, t);
        const ok = isolateSuitable(g, t);
        g.rmap_lock = 0; /* anon_vma_unlock_write() */
        if (!ok) {
          mm.pmd = 'table'; /* pmd_populate(): the original table is put back */
          mmap_write_unlock(mm);
          return done('fail');
        }
        return K.copy;
      },
    },
    {
      name: K.copy,
      enabled: (g, t) => mmOf(g, t).ptl === 0,
      run: (g, t) => {
        const mm = mmOf(g, t);
        for (let i = 0; i < t.params.nr; i++) {
          mm.foreign_data[i] = g.pages[i]!.data; /* __collapse_huge_page_copy(): copy_mc_user_highpage() */
          mm.pte[i] = PTE_NONE; /* __collapse_huge_page_copy_succeeded(): ptep_clear */
          mm.pte_write[i] = false;
          mm.pte_excl[i] = false;
          folio_remove_rmap_ptes(g, t, i, 1);
          folio_put(g, t, i);
        }
        mm.pmd = 'foreign'; /* set_pmd_at(new THP) */
        mmap_write_unlock(mm);
        return done('ok');
      },
    },
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
