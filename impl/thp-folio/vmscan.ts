/**
 * Reclaim of the tracked anon folio (the large folio, or one small folio of a
 * split one) to swap: mm/vmscan.c shrink_folio_list() @ v6.12 for one isolated
 * folio, with mm/rmap.c try_to_unmap_one() @ v6.12 and __remove_mapping().
 *
 *   1. folio_isolate_lru() (a reference) and folio_trylock(): a locked folio is kept.
 *   2. Not yet in the swap cache: folio_maybe_dma_pinned() → keep_locked
 *      (feb889fb40fa "mm: don't put pinned pages into the swap cache"); a
 *      large folio that can_split_folio(folio, 1) refuses (an extra reference)
 *      → activate_locked; add_to_swap(): a large folio takes a whole swap
 *      cluster, add_to_swap_cache() one reference per page.
 *   3. try_to_unmap(TTU_BATCH_FLUSH | TTU_SPLIT_HUGE_PMD | TTU_SYNC for a
 *      large folio): the rmap walk under the anon_vma lock; per VMA a huge PMD
 *      is split under the PMD lock (split_huge_pmd_locked(), one step), then
 *      try_to_unmap_one() on its PTEs under the PTL (swap-unmap.ts:
 *      swap_duplicate, folio_try_share_anon_rmap_pte refusal, the exclusive
 *      swap PTE bit). TTU_SYNC makes page_vma_mapped_walk() take the PTL even
 *      where it sees no present PTE; the model's walk always takes it. Still
 *      mapped after the walk: activate_locked, kept.
 *   4. "Folio is unmapped now so it cannot be newly pinned anymore":
 *      folio_maybe_dma_pinned() → activate_locked before pageout()
 *      (d824ec2a1546 "mm: do not reclaim private data from pinned page",
 *      v6.4), unlocked like pageout(), so in the same step. For an anon folio
 *      it meets a GUP-fast pin grabbed from a PMD value read before the unmap
 *      (gup_fast_pmd_leaf() drops it at its recheck): try_to_unmap_one()
 *      never unmaps a pinned exclusive page. Then pageout() (the model's
 *      device writes synchronously) and
 *      __remove_mapping(): folio_ref_freeze(folio, 1 + nr) fails on any other
 *      reference (a pin, a scanner, a fault's lookup): kept in the swap cache,
 *      unmapped. Success: __delete_from_swap_cache() and the folio is freed ('ok').
 *
 * A private copy (a small anon folio that is not the tracked one: page handle
 * nr + k, as a pin names it) goes through the same steps as a small folio:
 * folio_trylock, folio_maybe_dma_pinned, add_to_swap() → folio_alloc_swap()
 * of one slot of the pool (thp-common/swap-entry.ts add_to_swap_copy), the rmap
 * walk over every process that maps it (swap-unmap.ts try_to_unmap_copy),
 * the freeze at 1 + 1 and the free.
 *
 * Not modelled, each a path the kernel may take that the model keeps instead
 * ('kept', which the spec always allows, so nothing is claimed about it):
 * v6.12 splits a partially mapped folio on the deferred split list right away
 * (split_folio_to_list(); 5ed890ce5147 and 8422acdc97ed, both lacking in v6.6,
 * whose marker here is 8422acdc97ed) and v6.6 every folio not mapped by a
 * PMD (!folio_entire_mapcount()); add_to_swap() failing for a large folio
 * (no free cluster) falls back to split_folio_to_list() and small folios.
 * Also not modelled: VM_LOCKED (the model's mlock only splits), MADV_FREE
 * lazyfree folios, folio_check_references() aging, dirty/writeback states.
 */
// Deliberate parallel of impl/thp's vmscan.ts: shrink_folio_list() of the folio era (can_split_folio before add_to_swap, TTU_SYNC, the split inside try_to_unmap_one's walk) over its own state, kept apart so spec/thp judges each implementation on its own.
import { put_copy } from './cow.js';
import { try_to_unmap_copy, try_to_unmap_ptes, split_huge_pmd_locked } from './swap-unmap.js';
import { addCopy, copyMaybeDmaPinned, freeCopy, isolateCopy, putbackCopy } from '../thp-common/reclaim-copy.js';
import { delete_from_swap_cache_set, swapSet } from './swap.js';
import { file_remove_mapping, file_split_huge_pmd_locked, file_unmap_ptes } from './reclaim-file.js';
import {
  BUG_ON,
  PTE_COPY,
  folioOf,
  folio_get,
  folio_mapcount,
  folio_mapped,
  folio_maybe_dma_pinned,
  folio_put,
  folio_ref_count,
  inLarge,
  isAnon,
  type FolioState,
  type T,
} from './folio.js';
import { rmapWalkEnabled, rmapWalkMm, rmapWalkNext, rmapWalkPiece } from '../thp-common/rmap-walk.js';
import {
  arg,
  assertFolioLocked,
  badMm,
  badSub,
  done,
  folio_lock,
  folio_unlock,
  kernelOp,
  me,
  mmOf,
  pmd_lock,
  spin_unlock_ptl,
  type Done,
  type KStep,
} from './steps.js';

type G = FolioState;

export const V = {
  lock: 'shrink_folio_list: folio_isolate_lru + folio_trylock',
  add: 'shrink_folio_list: folio_maybe_dma_pinned, can_split_folio, add_to_swap (a cluster) + add_to_swap_cache',
  split: 'try_to_unmap_one: pmd_lock + split_huge_pmd_locked (TTU_SPLIT_HUGE_PMD) + page_vma_mapped_walk_restart',
  unmap: 'try_to_unmap_one: anon_vma_lock_read, one vma under its ptl (swap_duplicate, folio_try_share_anon_rmap_pte)',
  free: 'shrink_folio_list: folio_maybe_dma_pinned after try_to_unmap (d824ec2a1546), pageout (synchronous) + __remove_mapping: folio_ref_freeze(1 + nr), __delete_from_swap_cache',
  keep: 'activate_locked / keep_locked: folio_unlock + folio_putback_lru',
} as const;

/** A folio handle of reclaim (t.l.page): h < nr a page of the tracked folio, else copy h - nr. */
const copyOf = (t: T, h: number): number => h - t.params.nr;
const isCopy = (t: T, h: number): boolean => h >= t.params.nr;

/** folio_mapped() of the folio reclaim holds. */
const mapped = (g: Readonly<G>, t: T, h: number): boolean =>
  isCopy(t, h) ? g.copies[copyOf(t, h)]!.mapcount >= 0 : folio_mapped(g, t, h);

/** The folio lock of the folio reclaim holds is ours (VM_BUG_ON_FOLIO(!folio_test_locked)). */
function assertLocked(g: Readonly<G>, t: T, h: number): void {
  if (!isCopy(t, h)) return assertFolioLocked(g, t, h);
  BUG_ON(g.copies[copyOf(t, h)]!.locked !== me(t), `copy ${copyOf(t, h)} is not locked by this thread`);
}

/** After add_to_swap (or when already in the swap cache): unmap while mapped, else free. */
function afterAdd(g: Readonly<G>, t: T): (typeof V)['unmap'] | (typeof V)['free'] {
  t.l.walk = 0;
  return mapped(g, t, t.l.page!) ? V.unmap : V.free;
}

/**
 * add_to_swap() of the locked folio h (mm/swap_state.c @ v6.12): folio_alloc_swap() (a whole cluster for a large
 * folio: the model's device has one, slot i for page i) and add_to_swap_cache(), a reference per page. False when
 * the cluster is busy (the split fallback to small folios is not modelled).
 */
function add_to_swap(g: G, h: number): boolean {
  const set = swapSet(g, h);
  if (set.some((j) => g.swap[j]!.count > 0 || g.swap[j]!.page >= 0)) return false;
  for (const j of set) {
    g.pages[j]!.swapcache = true;
    g.swap[j]!.page = j;
  }
  folio_get(g, h, set.length); /* add_to_swap_cache(): folio_ref_add(folio, nr) */
  return true;
}

/** try_to_unmap_one() of one VMA (a piece of mm) for the folio reclaim holds: false when the walk must stop. */
function unmapOne(g: G, t: T, mm: G['mms'][number], h: number, piece: number): boolean {
  if (!isAnon(t.params)) {
    file_unmap_ptes(g, t, mm, swapSet(g, h), piece); /* a file folio: the PTEs cleared, the walk goes on */
    return true;
  }
  if (!isCopy(t, h)) return try_to_unmap_ptes(g, t, mm, swapSet(g, h), piece);
  const k = copyOf(t, h);
  return try_to_unmap_copy(g, t, mm, k, g.copies[k]!.swap - 1, piece);
}

/** can_split_folio(folio, 1, NULL) @ v6.12: no reference besides the mappings, the swap cache's and reclaim's own. */
function can_split_folio(g: Readonly<G>, t: T, h: number): boolean {
  const extra_pins = g.pages[h]!.swapcache ? t.params.nr : 0;
  return folio_mapcount(g, t, h) === folio_ref_count(g, h) - extra_pins - 1;
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
  if (isCopy(t, h)) {
    if (copyMaybeDmaPinned(g, copyOf(t, h))) return 'keep';
    return freeCopy(g, copyOf(t, h), (k, n) => put_copy(g, k, n)) ? 'ok' : 'keep';
  }
  const set = swapSet(g, h);
  if (!isAnon(t.params)) return file_remove_mapping(g, t, h, set) === 'ok' ? 'ok' : 'keep';
  if (folio_maybe_dma_pinned(g, h)) return 'keep'; /* activate_locked: the slot is not written */
  for (const j of set) g.swap[j]!.data = g.pages[j]!.data; /* pageout(): swap_writepage */
  if (folio_ref_count(g, h) !== 1 + set.length) return 'keep'; /* folio_ref_freeze() failed: cannot_free */
  delete_from_swap_cache_set(g, set); /* __delete_from_swap_cache() */
  for (const j of set) if (g.swap[j]!.count === 0) g.swap[j]!.data = 0; /* put_swap_folio(): an unused slot is free */
  g.pages[h]!.locked = 0; /* __folio_clear_locked() before the free */
  folio_put(g, t, h, 1 + set.length);
  return 'ok';
}

/** What shrink_folio_list() did with the folio: freed ('ok'), or kept (folio_putback_lru). */
export type ShrinkResult = 'ok' | 'kept';
export type ShrinkStep = (typeof V)[Exclude<keyof typeof V, 'lock'>];

/**
 * shrink_folio_list() of the isolated folio t.l.page, locked by the caller (steps 2 - 4 above); then `next` with
 * the result, which ends the op (swap_out) or goes on (madvise_pageout's next isolated folio: pageout.ts).
 */
export function shrinkFolioSteps<C extends string>(
  next: (g: G, t: T, r: ShrinkResult) => C | Done,
): KStep<ShrinkStep | C>[] {
  return [
    {
      name: V.add,
      run: (g, t) => {
        const h = t.l.page!;
        assertLocked(g, t, h);
        if (isCopy(t, h)) return addCopy(g, t, copyOf(t, h), V, true);
        /* a file folio (not anon, not swap-backed): no add_to_swap; try_to_unmap (reclaim-file.ts) */
        if (!isAnon(t.params) || g.pages[h]!.swapcache) return afterAdd(g, t);
        if (folio_maybe_dma_pinned(g, h)) return V.keep; /* feb889fb40fa: keep_locked */
        if (inLarge(g, h)) {
          if (!can_split_folio(g, t, h)) return V.keep; /* "cannot split folio, skip it": activate_locked */
          /* partially mapped (v6.12) / not PMD-mapped (v6.6): split_folio_to_list() right away, not modelled */
          const v66 = t.bug('8422acdc97ed');
          if (v66 ? g.entire_mapcount < 0 : g.deferred !== 0 && g.partially_mapped) return V.keep;
        }
        return add_to_swap(g, h) ? afterAdd(g, t) : V.keep;
      },
    },
    {
      name: V.split,
      enabled: (g, t) => g.mms[rmapWalkMm(g, t, t.l.walk!)!]!.ptl === 0,
      run: (g, t) => {
        const mm = g.mms[rmapWalkMm(g, t, t.l.walk!)!]!;
        /* page_vma_mapped_walk(): under the PMD lock, pmd_trans_huge() again (a fault may have split it) */
        pmd_lock(mm, t);
        if (mm.pmd === 'huge' && !isAnon(t.params)) file_split_huge_pmd_locked(g, t, mm);
        else if (mm.pmd === 'huge') split_huge_pmd_locked(g, t, mm);
        spin_unlock_ptl(mm, t); /* page_vma_mapped_walk_restart(): drop the PTL, walk the PTEs again */
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
        if (mm?.pmd === 'huge' && !isCopy(t, h) && inLarge(g, h)) return V.split;
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
          folio_unlock(g, t, h);
          folio_put(g, t, h); /* folio_putback_lru() */
        }
        return next(g, t, 'kept');
      },
    },
  ];
}

export const swap_out = kernelOp(
  'Reclaim of the anon folio holding subpage `sub` (the large folio, or small folio `sub` of a split one) to swap: shrink_folio_list → add_to_swap → try_to_unmap (TTU_SPLIT_HUGE_PMD | TTU_SYNC) → __remove_mapping (mm/vmscan.c @ v6.12).',
  ['page', 'walk'],
  [
    {
      name: V.lock,
      run: (g, t) => {
        const sub = arg(t, 'sub');
        if (badSub(t, sub) || !isAnon(t.params)) return done('EINVAL');
        if (arg(t, 'mm') >= 0) {
          /* the folio mm maps at sub: a private copy there is reclaimed as a small folio (on the LRU while mapped) */
          if (badMm(t, arg(t, 'mm'))) return done('EINVAL'); /* the schema keeps it a natural number */
          const e = mmOf(g, t).pte[sub]!;
          if (mmOf(g, t).pmd === 'table' && e >= PTE_COPY) return isolateCopy(g, t, e - PTE_COPY, V.add);
        }
        const h = folioOf(g, sub);
        const p = g.pages[h]!;
        /* not on the LRU (freed, or frozen by a split), or folio_trylock() fails: nothing to reclaim */
        if (p.freed || p.refcount <= 0 || p.locked !== 0) return done('kept');
        folio_get(g, h); /* folio_isolate_lru() */
        folio_lock(g, t, h);
        t.l.page = h;
        return V.add;
      },
    },
    ...shrinkFolioSteps((_g, _t, r) => done(r)),
  ],
);
