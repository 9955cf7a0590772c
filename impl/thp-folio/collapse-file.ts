/**
 * khugepaged's file/shmem collapse (mm/khugepaged.c @ v6.12
 * hpage_collapse_scan_file → collapse_file → retract_page_tables): the small
 * page-cache folios of a split file THP are collapsed into a new large folio.
 *
 * What moved since v6.1 (impl/thp/collapse-file.ts): the old folios are no
 * longer frozen, only checked: folio_ref_count(folio) != 3 is SCAN_PAGE_COUNT
 * ("any new usage of the folio will have to fetch it from the page cache.
 * That requires locking the folio"); the new folio enters the page cache only
 * once copied and uptodate (one multi-index xas_store); and
 * retract_page_tables() takes i_mmap_rwsem for read and no mmap_lock at all:
 * per VMA the PMD lock and the PTE lock, the anon_vma / userfaultfd_wp
 * recheck, pmdp_collapse_flush() and pte_free_defer() (1d65b771bc08
 * "mm/khugepaged: retract_page_tables() without mmap or vma lock", v6.6).
 * The old folios are released after folio_unlock(new_folio).
 *
 * Steps: the scan; per index folio_trylock + folio_get + folio_isolate_lru +
 * try_to_unmap, then the count check under xas_lock; the copy and the store
 * (xas_lock); each VMA's retraction (PMD + PTE lock); the unlock. The model
 * tracks one huge page, so the new folio takes the old folios' slots at the
 * store. Between an old folio's count check and the store, a pfn scanner's
 * folio_try_get() could still succeed (the folio is not frozen) and outlive
 * the old folio's place in the page cache; the spec counts speculative
 * references per index, not per page, so the model assumes none arrives then
 * (ctx.assume, reported).
 */
// Deliberate parallel of impl/thp's collapse-file.ts: the v6.12 collapse_file checks the count without freezing, stores the new folio only at the end and retracts without mmap_lock.
import {
  GUP_PIN_COUNTING_BIAS,
  PTE_NONE,
  PTE_PRESENT,
  BUG_ON,
  folio_get,
  folio_mapcount,
  folio_put,
  isAnon,
  type FolioState,
  type T,
} from './folio.js';
import { prep_large_folio } from './folio-init.js';
import { folio_remove_rmap_ptes } from './rmap.js';
import { arg, badMm, done, folio_lock, folio_unlock, kernelOp, me, type Done } from './steps.js';

type G = FolioState;

const K = {
  scan: 'hpage_collapse_scan_file: xas_for_each (RCU): small, on the LRU, folio_ref_count == 1 + folio_mapcount',
  lock: 'collapse_file: xas_lock_irq + folio_trylock + folio_get; folio_isolate_lru; try_to_unmap (i_mmap_rwsem read, PTL)',
  check: 'collapse_file: xas_lock_irq + folio_ref_count(folio) == 3',
  store:
    'collapse_file: copy_mc_highpage; xas_lock_irq + folio_mark_uptodate + xas_store(multi-index new_folio); i_mmap_lock_read',
  retract: 'retract_page_tables: pmd_lock + pte_lockptr; anon_vma / userfaultfd_wp recheck; pmdp_collapse_flush',
  unlock:
    'retract_page_tables: i_mmap_unlock_read; folio_unlock(new_folio); old folios: folio_put_refs(3); folio_put(new_folio)',
} as const;

/** folio_ref_count() == 1 + folio_mapcount(): the page cache's reference and one per mapping. */
const countSuitable = (g: Readonly<G>, t: T, i: number): boolean =>
  g.pages[i]!.refcount === 1 + folio_mapcount(g, t, i);

/** The rollback: folios [0, upto) were checked: folio_unlock, folio_putback_lru, folio_put. */
function rollback(g: G, t: T, upto: number): Done {
  for (let j = 0; j < upto; j++) {
    folio_unlock(g, t, j);
    folio_put(g, t, j, 2); /* folio_putback_lru() + folio_put() */
  }
  return done('fail');
}

/** try_to_unmap(folio, TTU_IGNORE_MLOCK): each mm's PTE of small folio i, under that mm's PTL. */
function try_to_unmap(g: G, t: T, i: number): void {
  for (const mm of g.mms) {
    if (mm.pmd !== 'table' || mm.pte[i] !== PTE_PRESENT) continue;
    mm.pte[i] = PTE_NONE;
    folio_remove_rmap_ptes(g, t, i, 1);
    folio_put(g, t, i);
  }
}

/** The references the pins recorded on small folio i hold. */
const pinBias = (g: Readonly<G>, i: number): number =>
  GUP_PIN_COUNTING_BIAS * g.pins.filter((p) => p.page === i).length;

/** collapse-file-refcount: an old folio the check did not stop keeps its extra references, in a copy slot. */
function leaveBehind(g: G, t: T, i: number, extra: number): void {
  const k = g.copies.findIndex((c) => c.refcount === 0);
  BUG_ON(k < 0, 'collapse_file: copy pool exhausted (model bound)');
  g.copies[k] = { refcount: extra, mapcount: -1, anon_exclusive: false, data: g.pages[i]!.data, swap: 0, locked: 0 };
  for (const p of g.pins)
    if (p.page === i) {
      p.page = t.params.nr + k;
      g.user_pins[i]!--;
    }
}

/** The copy and the store: the old folios (locked, unmapped, referenced only by us and the cache) give their slots to the new folio. */
function collapseStore(g: G, t: T): typeof K.retract {
  g.pages.forEach((p, i) => {
    if (p.refcount === 3) return;
    // collapse-file-refcount: an old folio that passed with extra references keeps them, in a copy slot
    if (t.bug('collapse-file-refcount') && p.refcount - 3 === pinBias(g, i)) leaveBehind(g, t, i, p.refcount - 3);
    else t.assume(false, 'no pfn scanner reference on an old folio between its count check and the store');
  });
  const data = g.pages.map((p) => p.data);
  prep_large_folio(g); /* the old folios leave the page cache; new_folio: locked, uptodate, page_ref_add(nr - 1) */
  g.pages.forEach((p, i) => {
    p.data = data[i]!; /* copy_mc_highpage() */
    p.in_cache = true;
  });
  g.pages[0]!.refcount = t.params.nr + 1; /* the page cache's nr, and khugepaged's own until folio_put(new_folio) */
  g.pages[0]!.locked = me(t);
  g.rmap_lock = 0; /* i_mmap_lock_read(): the model's rmap_lock field records writers only */
  t.l.i = 0;
  return K.retract;
}

export const collapse_file = kernelOp(
  'khugepaged file/shmem collapse: hpage_collapse_scan_file, collapse_file (lock, unmap and check each small page-cache folio, then store a new large folio; refused on any extra reference), then retract_page_tables without mmap_lock.',
  ['i'],
  [
    {
      name: K.scan,
      run: (g, t) => {
        if (badMm(t, arg(t, 'mm')) || isAnon(t.params)) return done('EINVAL');
        if (g.large) return done('fail'); /* SCAN_PTE_MAPPED_HUGEPAGE: collapse_pte_mapped_thp's business */
        if (g.pages.some((p) => p.freed || !p.in_cache)) return done('fail'); /* a hole: readahead not modelled */
        for (let i = 0; i < t.params.nr; i++) if (!countSuitable(g, t, i)) return done('fail'); /* SCAN_PAGE_COUNT */
        t.l.i = 0;
        return K.lock;
      },
    },
    {
      name: K.lock,
      enabled: (g) => g.rmap_lock === 0 && g.mms.every((mm) => mm.ptl === 0),
      run: (g, t) => {
        const i = t.l.i!;
        const p = g.pages[i]!;
        if (p.freed || !p.in_cache) return rollback(g, t, i); /* SCAN_TRUNCATED */
        if (p.locked !== 0) return rollback(g, t, i); /* SCAN_PAGE_LOCK */
        folio_lock(g, t, i);
        folio_get(g, i, 2); /* folio_get() + folio_isolate_lru() */
        try_to_unmap(g, t, i);
        return K.check;
      },
    },
    {
      name: K.check,
      run: (g, t) => {
        const i = t.l.i!;
        // collapse-file-refcount: the folio_ref_count(folio) != 3 check is skipped (the model follows it only
        // where the extra references are pins it can move with the old folio)
        const extra = g.pages[i]!.refcount - 3;
        if (extra !== 0 && (!t.bug('collapse-file-refcount') || extra !== pinBias(g, i))) {
          folio_unlock(g, t, i);
          folio_put(g, t, i, 2); /* folio_putback_lru() + folio_put() */
          return rollback(g, t, i); /* SCAN_PAGE_COUNT */
        }
        t.l.i = i + 1;
        return t.l.i < t.params.nr ? K.lock : K.store;
      },
    },
    { name: K.store, enabled: (g) => g.rmap_lock === 0, run: collapseStore },
    {
      name: K.retract,
      enabled: (g, t) => g.mms[t.l.i!]!.ptl === 0,
      run: (g, t) => {
        const mm = g.mms[t.l.i!]!;
        /* find_pmd_or_thp_or_none(): a page table there; pmd_lock + the PTE lock; no anon_vma, no uffd-wp */
        if (mm.pmd === 'table') {
          BUG_ON(!mm.pte.every((e) => e === PTE_NONE), 'retract_page_tables: page table not empty');
          mm.pmd = 'none'; /* pmdp_collapse_flush(); pte_free_defer() */
        }
        t.l.i = t.l.i! + 1;
        return t.l.i < g.mms.length ? K.retract : K.unlock;
      },
    },
    {
      name: K.unlock,
      run: (g, t) => {
        folio_unlock(g, t, 0);
        folio_put(g, t, 0);
        return done('ok');
      },
    },
  ],
);
