/**
 * split_folio() → split_huge_page_to_list_to_order() (mm/huge_memory.c @
 * v6.12, order of operations): can_split_folio() under the anon_vma /
 * i_mmap lock, unmap_folio() (try_to_migrate / try_to_unmap with
 * TTU_SPLIT_HUGE_PMD | TTU_SYNC, one step per VMA of the rmap walk),
 * folio_ref_freeze() under split_queue_lock (which also takes the folio off
 * the deferred list), __split_huge_page_tail() per tail, the head,
 * remap_page() (remove_migration_ptes, one step per VMA) and the tails'
 * unlock + put.
 *
 * try_to_migrate_one() keeps PageAnonExclusive in the migration entry
 * (make_readable_exclusive_migration_entry) after folio_try_share_anon_rmap_*()
 * cleared it on the page; that fails on a maybe-pinned folio, which stops the
 * walk (the split then fails at the freeze). The caller holds a reference and
 * the folio lock on t.l.page.
 */
// Deliberate copy of impl/thp's split-page.ts where the kernel code is unchanged: the two implementations stay independently built (own state types, own kernel-version citations) so spec/thp judges each on its own.
import {
  BUG_ON,
  PTE_MIGRATION,
  PTE_NONE,
  PTE_PRESENT,
  folio_get,
  folio_mapcount,
  folio_maybe_dma_pinned,
  folio_put,
  folio_ref_count,
  isAnon,
  type FolioState,
  type MmT,
  type T,
} from './folio.js';
import { folio_add_rmap_ptes, folio_remove_rmap_pmd, folio_remove_rmap_ptes } from './rmap.js';
import { BUSY, OK, assertFolioLocked, assertRmapLocked, me, type KStep } from './steps.js';
import { rmapWalkMm, rmapWalkPiece } from '../thp-common/rmap-walk.js';

type G = FolioState;

export const SPLIT_PAGE = {
  lock: 'split_huge_page_to_list_to_order: anon_vma_lock_write / i_mmap_lock_read + can_split_folio',
  unmap: 'unmap_folio: try_to_migrate_one / try_to_unmap_one (rmap walk, one vma)',
  freeze: 'split_huge_page_to_list_to_order: split_queue_lock + folio_ref_freeze',
  tail: '__split_huge_page_tail: page_ref_add + clear_compound_head',
  head: '__split_huge_page: the head becomes a small folio',
  remap: 'remap_page: remove_migration_ptes (rmap walk, one vma)',
  tails: '__split_huge_page: folio_unlock + folio_put (tails)',
  unlock: 'split_huge_page_to_list_to_order: anon_vma_unlock_write / i_mmap_unlock_read',
} as const;
export type SplitPageStep = (typeof SPLIT_PAGE)[keyof typeof SPLIT_PAGE];

/**
 * __split_huge_pmd_locked(freeze = true) from try_to_migrate_one: an
 * exclusive head is shared first (folio_try_share_anon_rmap_pmd, -EBUSY when
 * maybe pinned: then freeze = false and the PTEs stay present); the PTEs become
 * migration entries carrying write / exclusive, the PMD mapping goes and its
 * reference is dropped.
 */
function splitHugePmdFreeze(g: G, t: T, mm: MmT): void {
  const n = t.params.nr;
  const anon_exclusive = g.pages[0]!.anon_exclusive;
  let freeze = true;
  if (anon_exclusive) {
    if (folio_maybe_dma_pinned(g, 0)) freeze = false;
    else g.pages[0]!.anon_exclusive = false;
  }
  if (!freeze) {
    folio_get(g, 0, n - 1);
    folio_add_rmap_ptes(g, 0, n, anon_exclusive);
  }
  for (let i = 0; i < n; i++) {
    mm.pte[i] = freeze ? PTE_MIGRATION : PTE_PRESENT;
    mm.pte_write[i] = mm.pmd_write;
    mm.pte_excl[i] = freeze && anon_exclusive;
  }
  mm.pmd_write = false;
  mm.pmd = 'table';
  folio_remove_rmap_pmd(g, t);
  if (freeze) folio_put(g, t, 0);
}

/**
 * try_to_migrate_one() (anon) / try_to_unmap_one() (file) on one mm, its PTL
 * taken and dropped within the step. Returns false when the walk must stop
 * (an exclusive page of a maybe-pinned folio cannot be shared).
 */
function try_to_unmap_one(g: G, t: T, mm: MmT, piece: number): boolean {
  const anon = isAnon(t.params);
  if (mm.pmd === 'foreign_migration') {
    // be6e843fc51a: split_huge_pmd_address(vma, address, freeze, folio) → __split_huge_pmd() compares
    // folio != page_folio(pmd_page(*pmd)) on a PMD migration entry of another folio: an invalid struct page
    BUG_ON(t.bug('be6e843fc51a'), 'page_folio(pmd_page()) of a PMD migration entry: invalid address access');
    return true; /* the folio lock guarantees a migration entry is of the wrong folio: goto out */
  }
  if (mm.pmd === 'huge') {
    if (!anon) {
      mm.pmd = 'none';
      mm.pmd_write = false;
      folio_remove_rmap_pmd(g, t);
      folio_put(g, t, 0);
      return true;
    }
    splitHugePmdFreeze(g, t, mm);
  }
  return try_to_migrate_ptes(g, t, mm, piece);
}

/**
 * try_to_migrate_one() (anon) / try_to_unmap_one() (file) on the present PTEs
 * of mm inside the VMA piece `piece` (subpage mask; page_vma_mapped_walk()
 * stays within the VMA): false when the walk must stop (a maybe-pinned
 * exclusive page).
 */
export function try_to_migrate_ptes(g: G, t: T, mm: MmT, piece: number, fileEntries = false): boolean {
  const anon = isAnon(t.params);
  if (mm.pmd !== 'table') return true;
  for (let i = 0; i < t.params.nr; i++) {
    if (mm.pte[i] !== PTE_PRESENT || !(piece & (1 << i))) continue;
    if (anon) {
      const anon_exclusive = g.pages[i]!.anon_exclusive;
      /* folio_try_share_anon_rmap_pte(): -EBUSY on a maybe-pinned folio: restore the PTE, stop the walk */
      if (anon_exclusive && folio_maybe_dma_pinned(g, i)) return false;
      g.pages[i]!.anon_exclusive = false;
      mm.pte[i] = PTE_MIGRATION;
      mm.pte_excl[i] = anon_exclusive;
    } else mm.pte[i] = fileEntries ? PTE_MIGRATION : PTE_NONE; /* try_to_migrate() / try_to_unmap() of a file folio */
    folio_remove_rmap_ptes(g, t, i, 1);
    folio_put(g, t, i);
  }
  return true;
}

/** remove_migration_pte() for every migration entry of one mm inside the VMA piece `piece`: RMAP_EXCLUSIVE unless a plain readable entry. */
export function remove_migration_ptes(g: G, mm: MmT, piece: number): void {
  for (let i = 0; i < mm.pte.length; i++) {
    if (mm.pte[i] !== PTE_MIGRATION || !(piece & (1 << i))) continue;
    mm.pte[i] = PTE_PRESENT;
    folio_get(g, i);
    folio_add_rmap_ptes(
      g,
      i,
      1,
      g.anon && (mm.pte_write[i]! || mm.pte_excl[i]!),
    ); /* folio_add_file_rmap_pte() for a file folio */
    mm.pte_excl[i] = false;
  }
}

/** The swap cache's or page cache's references: anon in the swap cache nr, anon otherwise 0, file nr. */
const extraPins = (g: Readonly<G>, t: T): number => (isAnon(t.params) && !g.pages[0]!.swapcache ? 0 : t.params.nr);

/** can_split_folio(folio, 1, &extra_pins): "Racy check whether the huge page can be split". */
function can_split_folio(g: Readonly<G>, t: T): boolean {
  const extra_pins = extraPins(g, t);
  return folio_mapcount(g, t, 0) === folio_ref_count(g, 0) - extra_pins - 1;
}

/** The first steps: lock the rmap, can_split_folio, then the unmap walk. */
function lockAndUnmapSteps(): KStep<SplitPageStep>[] {
  const S = SPLIT_PAGE;
  return [
    {
      name: S.lock,
      enabled: (g) => g.rmap_lock === 0,
      run: (g, t) => {
        assertFolioLocked(g, t, t.l.page!);
        g.rmap_lock = me(t);
        // TH-1: no can_split_folio(): a pinned folio is unmapped and frozen at whatever count it has
        if (!t.bug('TH-1') && !can_split_folio(g, t)) {
          t.l.ret = BUSY;
          return S.unlock;
        }
        t.l.walk = 0;
        return S.unmap;
      },
    },
    {
      name: S.unmap,
      enabled: (g, t) => {
        const m = rmapWalkMm(g, t, t.l.walk!);
        return m === undefined || m < 0 || g.mms[m]!.ptl === 0; /* TTU_SYNC: page_vma_mapped_walk takes the PTL */
      },
      run: (g, t) => {
        assertRmapLocked(g, t);
        const m = rmapWalkMm(g, t, t.l.walk!);
        if (m !== undefined) {
          const goOn = m < 0 || try_to_unmap_one(g, t, g.mms[m]!, rmapWalkPiece(g, t, t.l.walk!));
          t.l.walk = t.l.walk! + 1;
          if (goOn && rmapWalkMm(g, t, t.l.walk) !== undefined) return S.unmap;
        }
        return S.freeze;
      },
    },
  ];
}

/** folio_ref_freeze() and the split of the large folio into small ones. */
function freezeAndSplitSteps(): KStep<SplitPageStep>[] {
  const S = SPLIT_PAGE;
  return [
    {
      name: S.freeze,
      run: (g, t) => {
        const anon = isAnon(t.params);
        const extra_pins = extraPins(g, t);
        const head = g.pages[0]!;
        // TH-1: the freeze takes whatever count there is, so GUP pins are not honoured
        const expected = t.bug('TH-1') ? head.refcount : 1 + extra_pins;
        if (head.refcount === expected) {
          head.refcount = 0; /* folio_ref_freeze(folio, 1 + extra_pins) */
          g.frozen = true;
          if (g.deferred !== 0) {
            g.deferred = 0; /* list_del_init(&folio->_deferred_list) */
            g.partially_mapped = false;
          }
          t.l.i = t.params.nr - 1;
          return t.params.nr > 1 ? S.tail : S.head;
        }
        t.l.ret = BUSY;
        t.l.walk = 0;
        return anon ? S.remap : S.unlock;
      },
    },
    {
      name: S.tail,
      run: (g, t) => {
        const i = t.l.i!;
        const p = g.pages[i]!;
        /* page_ref_unfreeze(page_tail, 1 + (!anon || swapcache)): + the page cache's / swap cache's reference */
        p.refcount += isAnon(t.params) && !p.swapcache ? 1 : 2;
        p.tail = false;
        p.locked = g.pages[0]!.locked; /* new folios start locked like the head */
        t.l.i = i - 1;
        return t.l.i >= 1 ? S.tail : S.head;
      },
    },
    {
      name: S.head,
      run: (g, t) => {
        g.large = false;
        g.entire_mapcount = -1;
        g.nr_pages_mapped = 0;
        g.large_mapcount = -1;
        g.pincount = 0;
        g.partially_mapped = false;
        /* folio_ref_inc(head) / folio_ref_add(head, 2): "Additional pin to swap cache" (or page cache) */
        g.pages[0]!.refcount += isAnon(t.params) && !g.pages[0]!.swapcache ? 1 : 2;
        g.frozen = false;
        t.l.ret = OK;
        t.l.walk = 0;
        return isAnon(t.params) ? S.remap : S.tails;
      },
    },
  ];
}

/**
 * remap_page(), the tails' release, and the rmap unlock; then `cont`. With a
 * `list` (split_folio_to_list() from migration, __split_huge_page() @ v6.12):
 * each tail stays on the list with a reference of its own (t.l.split_folios),
 * except one nobody maps, which the split frees at once (folio_ref_freeze(new_folio, 2)).
 */
function remapAndUnlockSteps<C extends string>(cont: C, list: boolean): KStep<SplitPageStep | C>[] {
  const S = SPLIT_PAGE;
  return [
    {
      name: S.remap,
      enabled: (g, t) => {
        const m = rmapWalkMm(g, t, t.l.walk!);
        return m === undefined || m < 0 || g.mms[m]!.ptl === 0;
      },
      run: (g, t) => {
        const m = rmapWalkMm(g, t, t.l.walk!);
        if (m !== undefined) {
          if (m >= 0) remove_migration_ptes(g, g.mms[m]!, rmapWalkPiece(g, t, t.l.walk!));
          t.l.walk = t.l.walk! + 1;
          if (rmapWalkMm(g, t, t.l.walk) !== undefined) return S.remap;
        }
        return t.l.ret === OK ? S.tails : S.unlock;
      },
    },
    {
      name: S.tails,
      run: (g, t) => {
        for (let i = 0; i < t.params.nr; i++) {
          if (i === t.l.page) continue;
          g.pages[i]!.locked = 0;
          if (list && folio_ref_count(g, i) > 1) t.l.split_folios = t.l.split_folios! | (1 << i);
          else folio_put(g, t, i); /* a tail nobody maps is freed here */
        }
        return S.unlock;
      },
    },
    {
      name: S.unlock,
      run: (g, t) => {
        assertRmapLocked(g, t);
        g.rmap_lock = 0;
        return cont;
      },
    },
  ];
}

/**
 * The body of split_huge_page_to_list_to_order(); continues at `cont` with t.l.ret = OK or BUSY. Locals: page,
 * ret, walk, i (and split_folios with a `list`).
 */
export function splitHugePageSteps<C extends string>(cont: C, list = false): KStep<SplitPageStep | C>[] {
  return [...lockAndUnmapSteps(), ...freezeAndSplitSteps(), ...remapAndUnlockSteps(cont, list)];
}
