/**
 * madvise(MADV_PAGEOUT) of [from, to) of mm's private anon range or file range: madvise_pageout() →
 * madvise_cold_or_pageout_pte_range() (mm/madvise.c @ v6.1) under mmap_lock for read, then
 * reclaim_pages() → shrink_page_list() of the pages it isolated (mm/vmscan.c @ v6.1; the steps of
 * impl/thp/vmscan.ts).
 *
 *   - A PMD-mapped THP (pmd_trans_huge_lock): skipped when page_mapcount(page) != 1 ("Do not
 *     interfere with other mappings of this page"); a range that is not the whole PMD splits it
 *     (get_page, unlock, lock_page, split_huge_page, unlock_page, put_page) and goes on with the
 *     PTEs (`goto regular_page`), a failed split returns; the whole PMD isolates the THP
 *     (isolate_lru_page) for reclaim_pages().
 *   - The PTEs under pte_offset_map_lock: none, swap, migration entries and the zero page
 *     (vm_normal_page() is NULL) are skipped; a present subpage of a THP with page_mapcount 1
 *     splits the THP (get_page + trylock_page, unlock the PTL, split_huge_page; a failed trylock or
 *     split ends the loop) and is looked at again; with another mapcount the loop ends; a small
 *     page with page_mapcount 1 is isolated, one with more is skipped ("Do not interfere with
 *     other mappings of this page and non-LRU page"): a split THP's subpage and a private copy
 *     alike (a COW copy, an unshared page, a page read back from swap; its reclaim takes a slot
 *     of the swap pool, vmscan.ts).
 *   - reclaim_pages(): each isolated page in turn, trylock_page (a locked page is put back),
 *     then shrink_page_list().
 *
 * A file THP (the page cache of the model's regular file; can_do_pageout() @ v6.1 passes: the
 * processes own the file) takes the same walk (page_mapcount of a file page counts its PMD
 * mappings too) and shrink_page_list()'s file legs (reclaim-file.ts: no swap slot, the i_mmap walk
 * zaps a file PMD, maybe-pinned activated after the unmap, __remove_mapping() out of the page
 * cache). Not modelled, refused as an impl-error (never a silent answer): pages of a huge page
 * khugepaged collapsed the range into (the model keeps only their data, no struct page). Also not
 * modelled: VM_LOCKED (the model's mlock only splits: the kernel answers EINVAL, can_madv_lru_vma),
 * the young bits folio_check_references() reads (madvise clears mm's own; another process's young
 * PTE of the page would keep it active), isolate_lru_page() failing on a page another path isolated,
 * VMA borders inside the range (madvise walks each VMA afresh, so its `break` ends only that VMA's
 * part; the model has no VMAs and stops the whole range: fewer paths, never a false answer), and
 * shrink_page_list()'s split of an isolated THP no PMD maps any more (another thread split the PMD
 * after the isolation): the model keeps it (activate_locked; vmscan.ts shrinkPageSteps without `split`).
 */
import {
  BUG_ON,
  PTE_COPY,
  PTE_FOREIGN,
  PTE_PRESENT,
  PageCompound,
  compound_head,
  get_page,
  isAnon,
  page_mapcount,
  put_page,
  type T,
  type ThpState,
} from './page.js';
import { SPLIT_PAGE, splitHugePageSteps } from './split-page.js';
import { OK, arg, badMm, done, kernelOp, lock_page, mmap_read_unlock, mmOf, unlock_page, type Done } from './steps.js';
import { V, shrinkPageSteps } from './vmscan.js';
import { lockCopy } from '../thp-common/reclaim-copy.js';
import { put_copy } from './cow.js';

type G = ThpState;

const P = {
  lock: 'madvise: mmap_read_lock',
  pmd: 'madvise_cold_or_pageout_pte_range: pmd_trans_huge_lock (page_mapcount, isolate_lru_page)',
  lockPage: 'madvise_cold_or_pageout_pte_range: lock_page (a range that is not the whole PMD)',
  splitDone: 'madvise_cold_or_pageout_pte_range: unlock_page + put_page after split_huge_page',
  pte: 'madvise_cold_or_pageout_pte_range: pte_offset_map_lock, the PTE loop, pte_unmap_unlock',
  reclaim: 'reclaim_pages: the next isolated page, trylock_page',
  unlock: 'madvise: mmap_read_unlock',
} as const;

const notModelled = (what: string): never => {
  throw new Error(`not modelled: MADV_PAGEOUT of ${what}; see subsystems/thp/NOTES.md, MADV_PAGEOUT`);
};

const from = (t: T): number => arg(t, 'from');
const to = (t: T): number => arg(t, 'to');
const badRange = (t: T): boolean => badMm(t, arg(t, 'mm')) || from(t) < 0 || to(t) > t.params.nr || from(t) >= to(t);

/** The PTE loop from t.l.addr, all under the PTL: isolates small pages into t.l.list, or stops at a THP to split. */
function pteLoop(g: G, t: T): typeof SPLIT_PAGE.lock | typeof P.reclaim {
  const mm = mmOf(g, t);
  if (mm.pmd !== 'table') return P.reclaim; /* pmd_trans_unstable(): nothing (more) to walk */
  for (let i = t.l.addr!; i < to(t); i++) {
    const e = mm.pte[i]!;
    if (e === PTE_FOREIGN) notModelled('a huge page khugepaged collapsed the range into');
    if (e >= PTE_COPY) {
      const k = e - PTE_COPY;
      if (g.copies[k]!.mapcount !== 0) continue; /* page_mapcount(page) != 1 */
      BUG_ON(t.params.nr + k > 30, 'madvise_pageout: copy beyond the isolation list (model bound)');
      g.copies[k]!.refcount++; /* isolate_lru_page() */
      t.l.list = t.l.list! | (1 << (t.params.nr + k));
      continue;
    }
    if (e !== PTE_PRESENT) continue; /* pte_none, !pte_present (swap, migration), the zero page */
    if (PageCompound(g, i)) {
      if (page_mapcount(g, isAnon(t.params), i) !== 1) break;
      const h = compound_head(g, i);
      if (g.pages[h]!.locked !== 0) break; /* get_page + trylock_page failed: put_page, break */
      get_page(g, i);
      lock_page(g, t, i);
      t.l.page = i;
      t.l.addr = i; /* split, then look at this PTE again */
      return SPLIT_PAGE.lock;
    }
    if (page_mapcount(g, isAnon(t.params), i) !== 1) continue;
    get_page(g, i); /* isolate_lru_page() */
    t.l.list = t.l.list! | (1 << i);
  }
  t.l.addr = to(t);
  return P.reclaim;
}

/** reclaim_pages(): the next isolated page (lowest subpage first, then the copies), or the end of the op. */
function nextIsolated(g: G, t: T): typeof P.reclaim | typeof P.unlock {
  return t.l.list === 0 ? P.unlock : P.reclaim;
}

export const madvise_pageout = kernelOp(
  'madvise(MADV_PAGEOUT) of [from, to) of a private anon range or of the file range (page cache, no swap): madvise_cold_or_pageout_pte_range (a whole PMD-mapped THP mapped once is isolated, a partial one split; small pages mapped once are isolated) under mmap_lock for read, then reclaim_pages → shrink_page_list of each (mm/madvise.c, mm/vmscan.c @ v6.1).',
  ['addr', 'i', 'page', 'walk', 'ret', 'list'],
  [
    {
      name: P.lock,
      enabled: (g, t) => badMm(t, arg(t, 'mm')) || mmOf(g, t).mmap_lock >= 0,
      run: (g, t) => {
        if (badRange(t)) return done('EINVAL');
        /*
         * can_do_pageout() @ v6.1: a file VMA only when the caller owns the file or may open it for writing
         * (file_owner_or_capable() || file_permission(MAY_WRITE) == 0); else madvise_pageout() returns 0. The
         * model's processes made the file (the probe runs as root), so every file range passes.
         */
        mmOf(g, t).mmap_lock++;
        t.l.addr = from(t);
        t.l.list = 0;
        return P.pmd;
      },
    },
    {
      name: P.pmd,
      enabled: (g, t) => mmOf(g, t).ptl === 0 && mmOf(g, t).pmd !== 'splitting',
      run: (g, t) => {
        const mm = mmOf(g, t);
        if (mm.pmd === 'foreign') notModelled('a huge page khugepaged collapsed the range into');
        if (mm.pmd === 'table') return P.pte;
        if (mm.pmd !== 'huge') return P.unlock; /* pmd_none, the huge zero page, a PMD migration entry */
        if (page_mapcount(g, isAnon(t.params), 0) !== 1) return P.unlock; /* goto huge_unlock */
        get_page(g, 0);
        t.l.page = 0;
        if (from(t) > 0 || to(t) < t.params.nr) return P.lockPage; /* next - addr != HPAGE_PMD_SIZE */
        t.l.list = 1; /* isolate_lru_page(): the THP, by its head */
        return P.reclaim;
      },
    },
    {
      name: P.lockPage,
      enabled: (g, t) => g.pages[compound_head(g, t.l.page!)]!.locked === 0,
      run: (g, t) => {
        lock_page(g, t, t.l.page!);
        return SPLIT_PAGE.lock;
      },
    },
    ...splitHugePageSteps(P.splitDone),
    {
      name: P.splitDone,
      run: (g, t) => {
        unlock_page(g, t, t.l.page!);
        put_page(g, t, t.l.page!);
        return t.l.ret === OK ? P.pte : nextIsolated(g, t); /* goto regular_page / a failed split: break */
      },
    },
    {
      name: P.pte,
      enabled: (g, t) => mmOf(g, t).ptl === 0,
      run: pteLoop,
    },
    {
      name: P.reclaim,
      run: (g, t) => {
        const list = t.l.list!;
        if (list === 0) return P.unlock;
        const j = 31 - Math.clz32(list & -list);
        t.l.list = list & ~(1 << j);
        if (j >= t.params.nr) {
          /* a private copy: trylock_page(), else putback_lru_page() */
          t.l.page = j;
          const k = j - t.params.nr;
          if (g.copies[k]!.locked !== 0) {
            put_copy(g, k);
            return nextIsolated(g, t);
          }
          lockCopy(g, t, k);
          return V.add;
        }
        t.l.page = compound_head(g, j);
        if (g.pages[t.l.page]!.locked !== 0) {
          put_page(g, t, t.l.page); /* trylock_page() failed: keep, putback_lru_page() */
          return nextIsolated(g, t);
        }
        lock_page(g, t, t.l.page);
        return V.add;
      },
    },
    ...shrinkPageSteps((g: G, t: T): typeof P.reclaim | typeof P.unlock | Done => nextIsolated(g, t)),
    {
      name: P.unlock,
      run: (g, t) => {
        mmap_read_unlock(mmOf(g, t));
        return done('ok');
      },
    },
  ],
);
