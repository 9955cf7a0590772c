/**
 * Reclaim of the tracked anon THP (or of one small page of a split one) to
 * swap: mm/vmscan.c shrink_page_list() @ v6.1 for one isolated page, with
 * mm/rmap.c try_to_unmap_one() @ v6.1 and __remove_mapping().
 *
 *   1. isolate_lru_page() (a reference) and trylock_page(): a locked page is kept.
 *   2. For a page not yet in the swap cache: refused while
 *      page_maybe_dma_pinned() (feb889fb40fa "mm: don't put pinned pages into
 *      the swap cache", v5.11, in 5.10.y: keep_locked). A THP that
 *      can_split_folio() refuses (a reference besides the mappings and ours:
 *      "cannot split folio, skip it") goes to activate_locked; a THP no PMD
 *      maps (!folio_entire_mapcount()) is split right away,
 *      split_folio_to_list(folio, page_list) (the split_huge_page_to_list()
 *      steps of split-page.ts, the tails onto page_list with a reference each;
 *      a failed split: activate_locked), and the head goes on alone. Then
 *      add_to_swap(): a THP takes a whole swap cluster (the model's device has
 *      one; when its slots are busy the page is kept: the split fallback to
 *      small pages is not modelled), add_to_swap_cache() one reference per
 *      subpage. The tails' own passes through shrink_page_list() later in the
 *      same call are not modelled: at the end of the op they are put back on
 *      the LRU as a pass ends that folio_check_references() finds referenced
 *      (the young bits are not modelled), and a later swap_out of a tail is a
 *      pass of it. madvise_pageout (pageout.ts) keeps a THP no PMD maps
 *      (see its notes) instead of splitting it.
 *   3. try_to_unmap(TTU_BATCH_FLUSH | TTU_SPLIT_HUGE_PMD): the rmap walk under
 *      the anon_vma lock; per VMA split_huge_pmd_address() under the PMD lock,
 *      then try_to_unmap_one() under the PTL: swap_duplicate(), and for a
 *      PageAnonExclusive page page_try_share_anon_rmap(), which fails on a
 *      maybe-pinned page: swap_free(), the PTE is restored and the walk stops
 *      (6c287605fd56; before it, v5.10 - v5.18, a pinned page is unmapped).
 *      The swap PTE keeps the exclusive bit (1493a1913e34). Still mapped after
 *      the walk: activate_locked, kept.
 *   4. "Folio is unmapped now so it cannot be newly pinned anymore":
 *      folio_maybe_dma_pinned() → activate_locked, before pageout()
 *      (d824ec2a1546 "mm: do not reclaim private data from pinned page",
 *      v6.4, in 6.1.y; --kernel-version 5.10 / 5.13 lack it). Unlocked, as
 *      pageout() is, so it is part of the next step. What it meets for an
 *      anon page is a GUP-fast pin grabbed from a PMD value read before the
 *      unmap (gup_huge_pmd() drops it at its recheck): a pinned exclusive
 *      page is never unmapped (step 3). Then pageout() (the model's device
 *      writes synchronously) and __remove_mapping(): page_ref_freeze(1 + nr)
 *      fails on any other reference (a pin, a scanner): kept in the swap
 *      cache, unmapped. Success: __delete_from_swap_cache() and the page is
 *      freed ('ok').
 *
 * A private copy (a small anon page that is not the THP's: page handle nr + k,
 * as a pin names it) goes through the same steps as a small page: trylock,
 * the maybe-pinned check, add_to_swap() of one slot of the pool
 * (thp-common/swap-entry.ts add_to_swap_copy, folio_alloc_swap at v6.12), the rmap
 * walk over every process that maps it (swap-unmap.ts swapUnmapCopy: each
 * PTE a swap entry of its slot, a maybe-pinned exclusive page refused), the
 * freeze at 1 + 1 and the free.
 *
 * Not modelled: VM_LOCKED (the model's mlock only splits), MADV_FREE lazyfree
 * pages, the dirty/writeback states (the device is synchronous).
 */
import { put_copy } from './cow.js';
import { swapUnmapCopy, swapUnmapPtes } from './swap-unmap.js';
import { addCopy, copyMaybeDmaPinned, freeCopy, isolateCopy, putbackCopy } from '../thp-common/reclaim-copy.js';
import { delete_from_swap_cache_set, swapSet } from './swap.js';
import { file_remove_mapping, file_split_huge_pmd_locked, file_unmap_ptes } from './reclaim-file.js';
import {
  BUG_ON,
  PTE_COPY,
  PageCompound,
  compound_head,
  get_page,
  isAnon,
  maybeDmaPinnedPage,
  page_count,
  page_mapped,
  put_page,
  type T,
  type ThpState,
} from './page.js';
import { SPLIT_PAGE, __split_huge_pmd_locked, can_split_huge_page, splitHugePageSteps } from './split-page.js';
import { rmapWalkEnabled, rmapWalkMm, rmapWalkNext, rmapWalkPiece } from '../thp-common/rmap-walk.js';
import {
  OK,
  arg,
  assertPageLocked,
  badMm,
  badSub,
  done,
  kernelOp,
  lock_page,
  me,
  mmOf,
  unlock_page,
  type Done,
  type KStep,
} from './steps.js';

type G = ThpState;

export const V = {
  lock: 'shrink_page_list: isolate_lru_page + trylock_page',
  add: 'add_to_swap: page_maybe_dma_pinned, get_swap_page (a cluster) + add_to_swap_cache',
  split: 'try_to_unmap_one: split_huge_pmd_address (TTU_SPLIT_HUGE_PMD, pmd_lock)',
  unmap: 'try_to_unmap_one: anon_vma_lock_read, one vma under its ptl (swap_duplicate, page_try_share_anon_rmap)',
  free: 'shrink_page_list: folio_maybe_dma_pinned after try_to_unmap (d824ec2a1546), pageout (synchronous) + __remove_mapping: page_ref_freeze(1 + nr), __delete_from_swap_cache',
  keep: 'activate_locked / keep_locked: unlock_page + putback_lru_page',
} as const;

/** After split_folio_to_list() in shrink_page_list(): the head goes on to add_to_swap(), a failed split activates. */
const SPLIT_DONE = 'shrink_page_list: split_folio_to_list returned (the tails on page_list), add_to_swap (the head)';

/**
 * add_to_swap() of the locked page h (mm/swap_state.c @ v6.1): get_swap_page() (a whole cluster for a THP: the
 * model's device has one, slot i for subpage i; busy slots fail it) and add_to_swap_cache(), a reference per
 * subpage. False when no slot is free.
 */
function add_to_swap(g: G, h: number): boolean {
  const set = swapSet(g, h);
  if (set.some((j) => g.swap[j]!.count > 0 || g.swap[j]!.page >= 0)) return false; /* no free cluster */
  for (const j of set) {
    g.pages[j]!.swapcache = true;
    g.swap[j]!.page = j;
  }
  get_page(g, h, set.length); /* add_to_swap_cache(): folio_ref_add(folio, nr) */
  return true;
}

/** A page handle of reclaim (t.l.page): h < nr a THP (sub)page, else copy h - nr. */
const copyOf = (t: T, h: number): number => h - t.params.nr;
const isCopy = (t: T, h: number): boolean => h >= t.params.nr;

/** page_mapped() of the page reclaim holds. */
const mapped = (g: Readonly<G>, t: T, h: number): boolean =>
  isCopy(t, h) ? g.copies[copyOf(t, h)]!.mapcount >= 0 : page_mapped(g, h);

/** The page lock of the page reclaim holds is ours (VM_BUG_ON_PAGE(!PageLocked)). */
function assertLocked(g: Readonly<G>, t: T, h: number): void {
  if (!isCopy(t, h)) return assertPageLocked(g, t, h);
  BUG_ON(g.copies[copyOf(t, h)]!.locked !== me(t), `copy ${copyOf(t, h)} is not locked by this thread`);
}

/** After add_to_swap (or when already in the swap cache): unmap while mapped, else free. */
function afterAdd(g: Readonly<G>, t: T): (typeof V)['unmap'] | (typeof V)['free'] {
  t.l.walk = 0;
  return mapped(g, t, t.l.page!) ? V.unmap : V.free;
}

/** try_to_unmap_one() of one VMA (a piece of mm) for the page reclaim holds: false when the walk must stop. */
function unmapOne(g: G, t: T, mm: G['mms'][number], h: number, piece: number): boolean {
  if (!isAnon(t.params)) {
    file_unmap_ptes(g, t, mm, swapSet(g, h), piece); /* a file folio: the PTEs cleared, the walk goes on */
    return true;
  }
  if (!isCopy(t, h)) return swapUnmapPtes(g, t, mm, swapSet(g, h), piece);
  const k = copyOf(t, h);
  return swapUnmapCopy(g, t, mm, k, g.copies[k]!.swap - 1, piece);
}

/**
 * shrink_folio_list() after try_to_unmap() for the unmapped, locked page t.l.page: the folio_maybe_dma_pinned()
 * check (d824ec2a1546), pageout() and __remove_mapping(); 'ok' when it was freed, 'keep' for activate_locked /
 * keep_locked.
 */
function pageoutAndFree(g: G, t: T): 'ok' | 'keep' {
  const h = t.l.page!;
  assertLocked(g, t, h);
  /* d824ec2a1546: folio_maybe_dma_pinned() after the unmap → activate_locked (a file folio: reclaim-file.ts) */
  const pinnedKeep = !t.bug('d824ec2a1546');
  if (isCopy(t, h)) {
    if (pinnedKeep && copyMaybeDmaPinned(g, copyOf(t, h))) return 'keep';
    return freeCopy(g, copyOf(t, h), (k, n) => put_copy(g, k, n)) ? 'ok' : 'keep';
  }
  const set = swapSet(g, h);
  if (!isAnon(t.params)) return file_remove_mapping(g, t, h, set) === 'ok' ? 'ok' : 'keep';
  if (pinnedKeep && maybeDmaPinnedPage(g, h)) return 'keep'; /* activate_locked: the slot is not written */
  for (const j of set) g.swap[j]!.data = g.pages[j]!.data; /* pageout(): swap_writepage */
  if (page_count(g, h) !== 1 + set.length) return 'keep'; /* page_ref_freeze() failed: cannot_free */
  delete_from_swap_cache_set(g, set); /* __delete_from_swap_cache() */
  for (const j of set) if (g.swap[j]!.count === 0) g.swap[j]!.data = 0; /* put_swap_page(): an unused slot is free */
  g.pages[h]!.locked = 0; /* __folio_clear_locked() before the free */
  put_page(g, t, h, 1 + set.length);
  return 'ok';
}

/** What shrink_page_list() did with the page: freed ('ok'), or kept (putback_lru_page). */
export type ShrinkResult = 'ok' | 'kept';
export type ShrinkStep = (typeof V)[Exclude<keyof typeof V, 'lock'>];

/**
 * shrink_page_list() of the isolated page t.l.page, locked by the caller (steps 2 - 4 above); then `next`
 * with the result, which ends the op or goes on (madvise_pageout's next isolated page: impl/thp/pageout.ts).
 * `split`: where a THP no PMD maps goes (the split_huge_page_to_list() steps, swap_out); without it such a THP
 * is kept (madvise_pageout, see pageout.ts).
 */
export function shrinkPageSteps<C extends string, S extends string = never>(
  next: (g: G, t: T, r: ShrinkResult) => C | Done,
  split?: S,
): KStep<ShrinkStep | C | S>[] {
  return [
    {
      name: V.add,
      run: (g, t) => {
        const h = t.l.page!;
        assertLocked(g, t, h);
        // feb889fb40fa: before it (5.10 as released) a pinned page goes into the swap cache
        if (isCopy(t, h)) return addCopy(g, t, copyOf(t, h), V, !t.bug('feb889fb40fa'));
        /* a file folio (not anon, not swap-backed): no add_to_swap, no split; try_to_unmap (reclaim-file.ts) */
        if (!isAnon(t.params) || g.pages[h]!.swapcache) return afterAdd(g, t);
        // feb889fb40fa: before it (5.10 as released) a pinned page goes into the swap cache
        if (maybeDmaPinnedPage(g, h) && !t.bug('feb889fb40fa')) return V.keep; /* keep_locked */
        if (PageCompound(g, h)) {
          if (!can_split_huge_page(g, t)) return V.keep; /* "cannot split folio, skip it": activate_locked */
          /* "Split folios without a PMD map right away": !folio_entire_mapcount(folio) */
          if (g.compound_mapcount < 0) return split ?? V.keep;
        }
        return add_to_swap(g, h) ? afterAdd(g, t) : V.keep; /* activate_locked(_split) */
      },
    },
    {
      name: V.split,
      enabled: (g, t) => g.mms[rmapWalkMm(g, t, t.l.walk!)!]!.ptl === 0,
      run: (g, t) => {
        const mm = g.mms[rmapWalkMm(g, t, t.l.walk!)!]!;
        if (isAnon(t.params)) __split_huge_pmd_locked(g, t, mm, false);
        else if (mm.pmd === 'huge') file_split_huge_pmd_locked(g, t, mm); /* __split_huge_pmd: pmd_trans_huge again */
        return V.unmap;
      },
    },
    {
      name: V.unmap,
      enabled: rmapWalkEnabled,
      run: (g, t) => {
        const h = t.l.page!;
        assertLocked(g, t, h);
        if (t.l.walk === 0) g.rmap_lock = me(t); /* anon_vma_lock_read (the model's rmap lock is exclusive) */
        const m = rmapWalkMm(g, t, t.l.walk!);
        const mm = m !== undefined && m >= 0 ? g.mms[m]! : undefined;
        if (mm?.pmd === 'huge' && !isCopy(t, h)) return V.split;
        const ok = mm === undefined || unmapOne(g, t, mm, h, rmapWalkPiece(g, t, t.l.walk!));
        if (!rmapWalkNext(g, t, !ok)) return V.unmap;
        return mapped(g, t, h) ? V.keep : V.free; /* still mapped: activate_locked */
      },
    },
    {
      name: V.free,
      run: (g, t) => (pageoutAndFree(g, t) === 'ok' ? next(g, t, 'ok') : V.keep),
    },
    {
      name: V.keep,
      run: (g, t) => {
        const h = t.l.page!;
        if (isCopy(t, h)) putbackCopy(g, t, copyOf(t, h), (k) => put_copy(g, k));
        else {
          unlock_page(g, t, h);
          put_page(g, t, h); /* putback_lru_page() */
        }
        return next(g, t, 'kept');
      },
    },
  ];
}

/** The end of shrink_page_list(): the pages left on page_list (the tails of a split) go back to the LRU. */
function putbackList(g: G, t: T, r: ShrinkResult): Done {
  for (let j = 0; j < t.params.nr; j++) if ((t.l.list! & (1 << j)) !== 0) put_page(g, t, j); /* putback_lru_page() */
  t.l.list = 0;
  return done(r);
}

export const swap_out = kernelOp(
  'Reclaim of the anon THP holding subpage `sub` (or of small page `sub` of a split one) to swap: shrink_page_list → can_split_folio, split_folio_to_list of a THP no PMD maps (the head goes on) → add_to_swap → try_to_unmap (TTU_SPLIT_HUGE_PMD) → __remove_mapping (mm/vmscan.c @ v6.1).',
  ['page', 'walk', 'ret', 'i', 'list'],
  [
    {
      name: V.lock,
      run: (g, t) => {
        const sub = arg(t, 'sub');
        if (badSub(t, sub) || !isAnon(t.params)) return done('EINVAL');
        if (arg(t, 'mm') >= 0) {
          /* the page mm maps at sub: a private copy there is reclaimed as a small page (on the LRU while mapped) */
          if (badMm(t, arg(t, 'mm'))) return done('EINVAL'); /* the schema keeps it a natural number */
          const e = mmOf(g, t).pte[sub]!;
          if (mmOf(g, t).pmd === 'table' && e >= PTE_COPY) return isolateCopy(g, t, e - PTE_COPY, V.add);
        }
        const h = compound_head(g, sub);
        const p = g.pages[h]!;
        /* not on the LRU (freed, or frozen by a split), or trylock_page() fails: nothing to reclaim */
        if (p.freed || p.refcount <= 0 || p.locked !== 0) return done('kept');
        get_page(g, h); /* isolate_lru_page() */
        lock_page(g, t, h);
        t.l.page = h;
        return V.add;
      },
    },
    ...shrinkPageSteps(putbackList, SPLIT_PAGE.lock),
    ...splitHugePageSteps(SPLIT_DONE, true),
    {
      name: SPLIT_DONE,
      run: (g, t) => {
        if (t.l.ret !== OK) return V.keep; /* split_folio_to_list() failed: activate_locked */
        for (let j = 0; j < t.params.nr; j++) if (j !== t.l.page) t.l.list = t.l.list! | (1 << j);
        return add_to_swap(g, t.l.page!) ? afterAdd(g, t) : V.keep; /* a small page: activate_locked_split */
      },
    },
  ],
);
