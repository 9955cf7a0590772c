/**
 * madvise(MADV_PAGEOUT) of [from, to) of mm's private anon range or file range in the folio era: madvise_pageout() →
 * madvise_cold_or_pageout_pte_range() (mm/madvise.c @ v6.12) under mmap_lock for read, then reclaim_pages() →
 * reclaim_folio_list() → shrink_folio_list() of the folios it isolated (mm/vmscan.c @ v6.12; the steps of
 * vmscan.ts, shared with swap_out).
 *
 *   - A PMD-mapped folio (pmd_trans_huge_lock): skipped when folio_likely_mapped_shared() ("Do not interfere
 *     with other mappings of this folio"); a range that is not the whole PMD splits it (folio_trylock under the
 *     PMD lock, else `goto huge_unlock`; folio_get, unlock, split_folio, folio_unlock, folio_put; 6.6 as modelled
 *     before: folio_lock after the unlock) and walks the PTEs (`goto regular_folio`), a failed split returns; the
 *     whole PMD isolates the folio (folio_isolate_lru) for reclaim_pages().
 *   - The PTE loop under pte_offset_map_lock: none, swap and migration entries and the zero page are skipped. A
 *     large folio: folio_pte_batch() counts the PTEs from this one that map its next pages, up to the end of the
 *     range. Fewer than folio_nr_pages (the range covers part of it): folio_likely_mapped_shared() or a failed
 *     folio_trylock() skips the batch (`continue`), else the PTL is dropped for split_folio() and the PTE is looked
 *     at again (nr = 0), or the batch skipped when the split failed. The whole folio: isolated when folio_mapcount()
 *     == folio_nr_pages() ("it must be exclusive"), so it goes to swap whole. A small folio mapped once is isolated.
 *   - reclaim_pages(): each isolated folio in turn, folio_trylock (a locked one is put back), then
 *     shrink_folio_list().
 *
 * --kernel-version 6.6 lacks 3931b871c493 "mm: madvise: avoid split during MADV_PAGEOUT and MADV_COLD" (v6.10):
 * there every large folio the PTE loop meets is split (if folio_estimated_sharers() == 1, i.e. page_mapcount() of
 * its first page, 2f406263e3e9 "madvise:madvise_cold_or_pageout_pte_range(): don't use mapcount() against large
 * folio for sharing check"), and a shared one, a failed trylock or a failed split ends the loop (`break`); the PMD
 * path skips by folio_estimated_sharers() != 1 too, and a small folio needs folio_mapcount() == 1.
 *
 * A private copy (a small anon folio that is not the tracked one: a COW copy, an unshared page, a folio read back
 * from swap) is a small folio like any other: isolated when mapped once; its reclaim takes a slot of the swap pool
 * (vmscan.ts).
 *
 * A file folio (the page cache of the model's regular file; can_do_file_pageout() passes: the processes own the
 * file) takes the same walk (folio_likely_mapped_shared() and folio_mapcount() count a file PMD mapping once) and
 * shrink_folio_list()'s file legs (reclaim-file.ts: no swap slot, the i_mmap walk zaps a file PMD, maybe-pinned
 * activated after the unmap, __remove_mapping() out of the page cache). Not modelled, refused as an impl-error
 * (never a silent answer): pages of a huge page khugepaged collapsed the range into (the model keeps only their
 * data, no struct page). Also not modelled: VM_LOCKED (the model's mlock only splits: the kernel answers EINVAL,
 * can_madv_lru_vma), the young bits (reclaim_folio_list() ignores references at v6.12), folio_isolate_lru() failing
 * on a folio another path isolated (the model takes the reference either way; that path's own trylock or
 * refcount checks then keep the folio, which the spec always allows), VMA borders inside the range (madvise walks
 * each VMA afresh, so a `break` or a batch ends at the VMA end; the model has no VMAs and stops the whole range:
 * fewer paths, never a false answer), and a PMD split by another thread between the lockless pmd_trans_huge() test
 * and pmd_trans_huge_lock() (the kernel then returns 0 for that PMD; the model tests both in one step).
 */
// Deliberate parallel of impl/thp's pageout.ts: the same op over the folio-era walk (folio_likely_mapped_shared, the batch of a large folio wholly in the range), kept apart so spec/thp judges each implementation on its own.
import {
  BUG_ON,
  PTE_COPY,
  PTE_FOREIGN,
  PTE_PRESENT,
  folioOf,
  folio_entire_mapcount,
  folio_get,
  folio_mapcount,
  folio_precise_page_mapcount,
  folio_put,
  inLarge,
  isCopyPte,
  v66,
  type FolioState,
  type T,
} from './folio.js';
import { SPLIT_PAGE, splitHugePageSteps } from './split-page.js';
import {
  OK,
  arg,
  badMm,
  done,
  folio_lock,
  folio_unlock,
  kernelOp,
  mmap_read_unlock,
  mmOf,
  type Done,
} from './steps.js';
import { V, shrinkFolioSteps } from './vmscan.js';
import { lockCopy } from '../thp-common/reclaim-copy.js';
import { put_copy } from './cow.js';

type G = FolioState;

const P = {
  lock: 'madvise: mmap_read_lock',
  pmd: 'madvise_cold_or_pageout_pte_range: pmd_trans_huge_lock (folio_likely_mapped_shared, folio_isolate_lru)',
  lockFolio: 'madvise_cold_or_pageout_pte_range: folio_lock (a range that is not the whole PMD)',
  splitDone: 'madvise_cold_or_pageout_pte_range: folio_unlock + folio_put after split_folio',
  pte: 'madvise_cold_or_pageout_pte_range: pte_offset_map_lock, the PTE loop (folio_pte_batch), pte_unmap_unlock',
  reclaim: 'reclaim_pages: the next isolated folio, folio_trylock',
  unlock: 'madvise: mmap_read_unlock',
} as const;

const notModelled = (what: string): never => {
  throw new Error(`not modelled: MADV_PAGEOUT of ${what}; see subsystems/thp/NOTES.md, MADV_PAGEOUT`);
};

const from = (t: T): number => arg(t, 'from');
const to = (t: T): number => arg(t, 'to');
const badRange = (t: T): boolean => badMm(t, arg(t, 'mm')) || from(t) < 0 || to(t) > t.params.nr || from(t) >= to(t);

/** The modelled kernel is 6.6: no folio_pte_batch() in this walk, every large folio is split (3931b871c493). */
const splitsEveryLarge = (t: T): boolean => t.bug('3931b871c493');

/**
 * folio_likely_mapped_shared() (include/linux/mm.h @ v6.12) of the large folio: one mapping is exclusive; a PMD
 * mapping with any other, or more mappings than pages, is shared; else page 0's mapcount decides. At 6.6
 * folio_estimated_sharers(folio) != 1: page_mapcount() of page 0 (its PTEs plus the PMD mappings).
 */
function folio_likely_mapped_shared(g: Readonly<G>, t: T): boolean {
  if (v66(t)) return folio_precise_page_mapcount(g, 0) !== 1;
  const mapcount = folio_mapcount(g, t, 0);
  if (mapcount <= 1) return false;
  if (folio_entire_mapcount(g) > 0 || mapcount > t.params.nr) return true;
  return g.pages[0]!.mapcount > 0;
}

/** folio_pte_batch() from PTE i: the present PTEs mapping the large folio's next pages, before `end`. */
function folio_pte_batch(g: Readonly<G>, t: T, i: number): number {
  const pte = mmOf(g, t).pte;
  let nr = 1;
  while (i + nr < to(t) && pte[i + nr] === PTE_PRESENT && inLarge(g, i + nr)) nr++;
  return nr;
}

/** folio_isolate_lru(): the folio holding page i joins the walk's list (t.l.list, by head), with a reference. */
function isolate(g: G, t: T, i: number): void {
  const h = folioOf(g, i);
  folio_get(g, h);
  t.l.list = t.l.list! | (1 << h);
}

/**
 * The PTE loop from t.l.addr, all under the PTL: isolates folios into t.l.list, or stops at a large folio to split
 * (t.l.nr: the batch to skip if the split fails; 6.6 ends the loop there instead).
 */
function pteLoop(g: G, t: T): typeof SPLIT_PAGE.lock | typeof P.reclaim {
  const mm = mmOf(g, t);
  if (mm.pmd !== 'table') return P.reclaim; /* pte_offset_map_lock() found no table: nothing (more) to walk */
  let nr = 1;
  for (let i = t.l.addr!; i < to(t); i += nr) {
    nr = 1;
    const e = mm.pte[i]!;
    if (e === PTE_FOREIGN) notModelled('a huge page khugepaged collapsed the range into');
    if (isCopyPte(e)) {
      /* a small folio: "Do not interfere with other mappings of this folio", isolated when mapped once */
      const k = e - PTE_COPY;
      if (g.copies[k]!.mapcount !== 0) continue;
      BUG_ON(t.params.nr + k > 30, 'madvise_pageout: copy beyond the isolation list (model bound)');
      g.copies[k]!.refcount++; /* folio_isolate_lru() */
      t.l.list = t.l.list! | (1 << (t.params.nr + k));
      continue;
    }
    if (e !== PTE_PRESENT) continue; /* pte_none, !pte_present (swap, migration), the zero page */
    if (inLarge(g, i)) {
      if (splitsEveryLarge(t)) {
        /* 6.6: "Split it if we are only owner"; a shared folio, a failed trylock (or split) is `break` */
        if (folio_likely_mapped_shared(g, t) || g.pages[0]!.locked !== 0) break;
      } else {
        nr = folio_pte_batch(g, t, i);
        if (nr === t.params.nr) {
          /* the whole folio in the range: "if its mapcount is the same as its number of pages, it must be exclusive" */
          if (folio_mapcount(g, t, 0) === t.params.nr) isolate(g, t, 0);
          continue;
        }
        if (folio_likely_mapped_shared(g, t) || g.pages[0]!.locked !== 0) continue; /* skip the batch */
      }
      folio_get(g, 0);
      folio_lock(g, t, 0); /* folio_trylock() succeeded */
      t.l.page = 0;
      t.l.addr = i; /* split, then look at this PTE again (nr = 0) */
      t.l.nr = nr;
      return SPLIT_PAGE.lock;
    }
    /* "Do not interfere with other mappings of this folio": a small folio mapped once (v6.12: mapcount == nr == 1) */
    if (folio_mapcount(g, t, i) === 1) isolate(g, t, i);
  }
  t.l.addr = to(t);
  return P.reclaim;
}

/** reclaim_pages(): the next isolated folio (lowest page first, then the copies), or the end of the op. */
const nextIsolated = (t: T): typeof P.reclaim | typeof P.unlock => (t.l.list === 0 ? P.unlock : P.reclaim);

export const madvise_pageout = kernelOp(
  'madvise(MADV_PAGEOUT) of [from, to) of a private anon range or of the file range (page cache, no swap): madvise_cold_or_pageout_pte_range (a whole PMD-mapped folio mapped once is isolated, a partial one split; a PTE-mapped large folio wholly in the range and mapped only there is isolated whole, a partial one split; small folios mapped once are isolated) under mmap_lock for read, then reclaim_pages → shrink_folio_list of each (mm/madvise.c, mm/vmscan.c @ v6.12).',
  ['addr', 'nr', 'i', 'page', 'walk', 'ret', 'list'],
  [
    {
      name: P.lock,
      enabled: (g, t) => badMm(t, arg(t, 'mm')) || mmOf(g, t).mmap_lock >= 0,
      run: (g, t) => {
        if (badRange(t)) return done('EINVAL');
        /*
         * madvise_pageout() @ v6.12: `!vma_is_anonymous(vma) && !can_do_file_pageout(vma) && (vma->vm_flags &
         * VM_MAYSHARE)` returns 0 (a private file mapping without the right pages out anon folios only,
         * pageout_anon_only_filter). can_do_file_pageout(): the caller owns the file or may open it for writing;
         * the model's processes made the file (the probe runs as root), so every file range passes.
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
        if (folio_likely_mapped_shared(g, t)) return P.unlock; /* goto huge_unlock */
        if (from(t) > 0 || to(t) < t.params.nr) {
          /*
           * next - addr != HPAGE_PMD_SIZE. @ v6.12: `if (!folio_trylock(folio)) goto huge_unlock; folio_get();
           * spin_unlock(ptl)`, all under the PMD lock. The 6.6 form is kept as it was modelled (folio_get,
           * spin_unlock, then folio_lock, waiting): its source was not read here.
           */
          t.l.page = 0;
          t.l.nr = 0;
          if (v66(t)) {
            folio_get(g, 0);
            return P.lockFolio;
          }
          if (g.pages[0]!.locked !== 0) return P.unlock; /* folio_trylock() failed: goto huge_unlock */
          folio_lock(g, t, 0);
          folio_get(g, 0);
          return SPLIT_PAGE.lock;
        }
        isolate(g, t, 0);
        return P.reclaim;
      },
    },
    {
      name: P.lockFolio,
      enabled: (g) => g.pages[0]!.locked === 0,
      run: (g, t) => {
        folio_lock(g, t, 0);
        return SPLIT_PAGE.lock;
      },
    },
    ...splitHugePageSteps(P.splitDone),
    {
      name: P.splitDone,
      run: (g, t) => {
        folio_unlock(g, t, t.l.page!);
        folio_put(g, t, t.l.page!);
        if (t.l.ret === OK) return P.pte; /* goto regular_folio / nr = 0: this PTE again, under the PTL again */
        /* the PMD path returns; 6.12's PTE loop skips the batch, 6.6's ends (break) */
        if (t.l.nr === 0 || splitsEveryLarge(t)) return nextIsolated(t);
        t.l.addr = t.l.addr! + t.l.nr!;
        return P.pte;
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
        const h = 31 - Math.clz32(list & -list);
        t.l.list = list & ~(1 << h);
        t.l.page = h;
        if (h >= t.params.nr) {
          /* a private copy: folio_trylock(), else folio_putback_lru() */
          const k = h - t.params.nr;
          if (g.copies[k]!.locked !== 0) {
            put_copy(g, k);
            return nextIsolated(t);
          }
          lockCopy(g, t, k);
          return V.add;
        }
        if (g.pages[h]!.locked !== 0) {
          folio_put(g, t, h); /* folio_trylock() failed: keep, folio_putback_lru() */
          return nextIsolated(t);
        }
        folio_lock(g, t, h);
        return V.add;
      },
    },
    ...shrinkFolioSteps((_g: G, t: T): typeof P.reclaim | typeof P.unlock | Done => nextIsolated(t)),
    {
      name: P.unlock,
      run: (g, t) => {
        mmap_read_unlock(mmOf(g, t));
        return done('ok');
      },
    },
  ],
);
