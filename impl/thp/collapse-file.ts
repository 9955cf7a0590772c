/**
 * khugepaged's file/shmem collapse (mm/khugepaged.c @ v6.1
 * hpage_collapse_scan_file → collapse_file → retract_page_tables): the small
 * page-cache pages of a split file THP are collapsed into a new huge page.
 *
 * - hpage_collapse_scan_file() (RCU, no lock): every page small, on the LRU
 *   and with page_count() == 1 + page_mapcount() (SCAN_PAGE_COUNT);
 * - collapse_file(), per index: under xas_lock trylock_page() + get_page(),
 *   then isolate_lru_page() and try_to_unmap() (an rmap walk under
 *   i_mmap_rwsem for read, each PTE under its PTL); then under xas_lock again
 *   page_ref_freeze(page, 3) (our pin, the page cache's, the LRU isolation's:
 *   anything more, a GUP pin or a pfn scanner's reference, is SCAN_PAGE_COUNT
 *   and the collapse is rolled back) and xas_store(hpage): the new page,
 *   locked since allocation, replaces the old one in the page cache;
 * - the multi-index store, the copy and the old pages' release
 *   (page->mapping = NULL, page_ref_unfreeze(page, 1), unlock_page, put_page)
 *   run with every old page locked and frozen and the new one locked, so no
 *   other path can see them in between: one step;
 * - retract_page_tables(): i_mmap_lock_write(), then per VMA
 *   mmap_write_trylock(); on success collapse_and_free_pmd() (pmdp_collapse_flush
 *   of the empty table: "assume page table is clear": every PTE was unmapped
 *   and a fault waits for the locked hpage), else khugepaged_add_pte_mapped_thp()
 *   leaves the table to collapse_pte_mapped_thp() (the `collapse` op);
 * - unlock_page(hpage), put_page(hpage).
 *
 * The model tracks one huge page: the new one takes the slots of the old
 * small pages once they are released (their data copied, their identity
 * gone: nobody could hold them). A reference the refcount freeze missed
 * would keep an old page alive: it then moves to a copy slot, so that a pin
 * on it still names the old page (only a variant reaches that).
 */
import {
  GUP_PIN_COUNTING_BIAS,
  PTE_NONE,
  PTE_PRESENT,
  BUG_ON,
  get_page,
  isAnon,
  page_mapcount,
  prep_compound_page,
  put_page,
  type T,
  type ThpState,
} from './page.js';
import { page_remove_rmap } from './rmap.js';
import { arg, badMm, done, kernelOp, lock_page, me, unlock_page, type Done } from './steps.js';

type G = ThpState;

const K = {
  scan: 'hpage_collapse_scan_file: xas_for_each (RCU): small, on the LRU, page_count == 1 + page_mapcount',
  lock: 'collapse_file: xas_lock_irq + trylock_page + get_page; isolate_lru_page; try_to_unmap (i_mmap_rwsem read, PTL)',
  freeze: 'collapse_file: xas_lock_irq + page_ref_freeze(page, 3) + xas_store(hpage)',
  copy: 'collapse_file: xas_store(multi-index hpage); copy_highpage; old pages: mapping = NULL, page_ref_unfreeze(1), unlock_page, put_page',
  ilock: 'retract_page_tables: i_mmap_lock_write',
  retract: 'retract_page_tables: mmap_write_trylock → collapse_and_free_pmd, else khugepaged_add_pte_mapped_thp',
  unlock: 'retract_page_tables: i_mmap_unlock_write; unlock_page(hpage) + put_page(hpage)',
} as const;

/** page_count() == 1 + page_mapcount(): the page cache's reference and one per mapping. */
const countSuitable = (g: Readonly<G>, i: number): boolean => g.pages[i]!.refcount === 1 + page_mapcount(g, false, i);

/** The rollback: pages [0, upto) were frozen and replaced: page_ref_unfreeze(page, 2), xas_store(page), unlock_page, putback_lru_page. */
function rollback(g: G, t: T, upto: number): Done {
  for (let j = 0; j < upto; j++) {
    g.pages[j]!.refcount = 2;
    unlock_page(g, t, j);
    put_page(g, t, j); /* putback_lru_page() */
  }
  return done('fail');
}

/** try_to_unmap(page, TTU_IGNORE_MLOCK): each mm's PTE of small page i, under that mm's PTL. */
function try_to_unmap(g: G, t: T, i: number): void {
  for (const mm of g.mms) {
    if (mm.pmd !== 'table' || mm.pte[i] !== PTE_PRESENT) continue;
    mm.pte[i] = PTE_NONE;
    page_remove_rmap(g, t, i, false);
    put_page(g, t, i);
  }
}

/** The references the pins recorded on small page i hold. */
const pinBias = (g: Readonly<G>, i: number): number =>
  GUP_PIN_COUNTING_BIAS * g.pins.filter((p) => p.page === i).length;

/** collapse-file-refcount: an old page the freeze did not stop keeps its extra references, in a copy slot. */
function leaveBehind(g: G, t: T, i: number, extra: number): void {
  const k = g.copies.findIndex((c) => c.refcount === 0);
  BUG_ON(k < 0, 'collapse_file: copy pool exhausted (model bound)');
  g.copies[k] = { refcount: extra, mapcount: -1, data: g.pages[i]!.data, anon_exclusive: false, swap: 0, locked: 0 };
  for (const p of g.pins)
    if (p.page === i) {
      p.page = t.params.nr + k;
      g.user_pins[i]!--;
    }
}

/** The old pages go, the new huge page (locked, in the page cache, our reference) takes their slots. */
function collapseCopy(g: G, t: T): typeof K.ilock {
  const data = g.pages.map((p) => p.data);
  prep_compound_page(g); /* the old pages are released; hpage: __SetPageLocked, page cache, page_ref_add(nr - 1) */
  g.pages.forEach((p, i) => {
    p.data = data[i]!; /* copy_highpage() */
    p.in_cache = true;
  });
  g.pages[0]!.refcount = t.params.nr + 1; /* the page cache's nr, and khugepaged's own until put_page(hpage) */
  g.pages[0]!.locked = me(t);
  return K.ilock;
}

export const collapse_file = kernelOp(
  'khugepaged file/shmem collapse: hpage_collapse_scan_file, collapse_file (lock, unmap and freeze each small page-cache page, replace it by a new huge page; refused on any extra reference), then retract_page_tables.',
  ['i'],
  [
    {
      name: K.scan,
      run: (g, t) => {
        if (badMm(t, arg(t, 'mm')) || isAnon(t.params)) return done('EINVAL');
        if (g.head) return done('fail'); /* SCAN_PTE_MAPPED_HUGEPAGE: collapse_pte_mapped_thp's business */
        if (g.pages.some((p) => p.freed || !p.in_cache)) return done('fail'); /* a hole: readahead not modelled */
        for (let i = 0; i < t.params.nr; i++) if (!countSuitable(g, i)) return done('fail'); /* SCAN_PAGE_COUNT */
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
        lock_page(g, t, i);
        get_page(g, i, 2); /* get_page() + isolate_lru_page() */
        try_to_unmap(g, t, i);
        return K.freeze;
      },
    },
    {
      name: K.freeze,
      run: (g, t) => {
        const i = t.l.i!;
        const p = g.pages[i]!;
        if (p.refcount !== 3) {
          // collapse-file-refcount: the page_ref_freeze(page, 3) result is not checked (the model follows
          // it only where the extra references are pins it can move with the old page)
          if (!t.bug('collapse-file-refcount') || p.refcount - 3 !== pinBias(g, i)) {
            put_page(g, t, i); /* putback_lru_page() */
            unlock_page(g, t, i);
            put_page(g, t, i);
            return rollback(g, t, i); /* SCAN_PAGE_COUNT */
          }
          leaveBehind(g, t, i, p.refcount - 3);
        }
        p.refcount = 0; /* frozen; xas_store(hpage) */
        t.l.i = i + 1;
        return t.l.i < t.params.nr ? K.lock : K.copy;
      },
    },
    { name: K.copy, run: collapseCopy },
    {
      name: K.ilock,
      enabled: (g) => g.rmap_lock === 0,
      run: (g, t) => {
        g.rmap_lock = me(t);
        t.l.i = 0;
        return K.retract;
      },
    },
    {
      name: K.retract,
      enabled: (g, t) => g.mms[t.l.i!]!.ptl === 0,
      run: (g, t) => {
        const mm = g.mms[t.l.i!]!;
        /* mm_find_pmd(): a page table there; mmap_write_trylock(mm) */
        if (mm.pmd === 'table' && mm.mmap_lock === 0) {
          BUG_ON(!mm.pte.every((e) => e === PTE_NONE), 'retract_page_tables: page table not clear');
          mm.pmd = 'none'; /* collapse_and_free_pmd(): pmdp_collapse_flush + pte_free */
        }
        t.l.i = t.l.i! + 1;
        return t.l.i < g.mms.length ? K.retract : K.unlock;
      },
    },
    {
      name: K.unlock,
      run: (g, t) => {
        g.rmap_lock = 0;
        unlock_page(g, t, 0);
        put_page(g, t, 0);
        return done('ok');
      },
    },
  ],
);
