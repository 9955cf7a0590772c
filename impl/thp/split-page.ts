/**
 * split_huge_page_to_list() (mm/huge_memory.c @ v5.10, order of operations):
 * can_split_huge_page() under the anon_vma / i_mmap lock, unmap_page() (one
 * step per VMA of the rmap walk), page_ref_freeze(), __split_huge_page_tail()
 * per tail, __split_huge_page(), remap_page() (one step per VMA) and the tails'
 * unlock_page + put_page.
 *
 * The caller holds a reference and the page lock on t.l.page.
 */
import {
  PTE_MIGRATION,
  PTE_NONE,
  PTE_PRESENT,
  get_page,
  isAnon,
  page_count,
  put_page,
  total_mapcount,
  type MmT,
  type T,
  type ThpState,
} from './page.js';
import { mmMapsPage } from './pgtable.js';
import { page_add_anon_rmap, page_add_file_rmap, page_remove_rmap } from './rmap.js';
import { BUSY, OK, assertPageLocked, assertRmapLocked, me, type KStep } from './steps.js';
import { rmapWalkMm, rmapWalkPiece } from '../thp-common/rmap-walk.js';

type G = ThpState;

export const SPLIT_PAGE = {
  lock: 'split_huge_page_to_list: anon_vma_lock_write / i_mmap_lock_read + can_split_huge_page',
  unmap: 'unmap_page: try_to_unmap_one (rmap walk, one vma)',
  freeze: 'split_huge_page_to_list: split_queue_lock + page_ref_freeze',
  tail: '__split_huge_page_tail: page_ref_add + clear_compound_head',
  head: '__split_huge_page: ClearPageCompound(head)',
  remap: 'remap_page: remove_migration_ptes (rmap walk, one vma)',
  tails: '__split_huge_page: unlock_page + put_page (tails)',
  unlock: 'split_huge_page_to_list: anon_vma_unlock_write',
} as const;
export type SplitPageStep = (typeof SPLIT_PAGE)[keyof typeof SPLIT_PAGE];

/**
 * __split_huge_pmd_locked(vma, pmd, address, freeze) of an anon huge PMD (mm/huge_memory.c @ v6.1) inside an rmap
 * walk, under the PMD lock, as one step: a PTE per subpage, each subpage inheriting the head's PG_anon_exclusive,
 * its own mapcount and a reference (page_ref_add(page, HPAGE_PMD_NR - 1)); PG_double_map while another PMD still
 * maps the page (the v5.8 - v6.1 counters); then page_remove_rmap(page, vma, true) of the PMD mapping.
 *   - freeze = false (reclaim: split_huge_pmd_address() for TTU_SPLIT_HUGE_PMD): present PTEs with the PMD's
 *     write and dirty bits;
 *   - freeze = true (split_huge_page's unmap_page()): migration entries, writable when the PMD was (the model keeps
 *     the exclusivity on the subpage, make_readable_exclusive_migration_entry @ v6.1), mapped clean by
 *     remove_migration_pte() (v5.10), and each subpage's rmap and reference dropped right away. Not modelled:
 *     v6.1 keeps present PTEs (freeze = false) when page_try_share_anon_rmap() fails on a maybe-pinned exclusive
 *     head; the split then fails at the refcount freeze either way.
 */
export function __split_huge_pmd_locked(g: G, t: T, mm: MmT, freeze: boolean): void {
  const n = t.params.nr;
  get_page(g, 0, n - 1);
  for (let i = 0; i < n; i++) {
    if (g.pages[0]!.anon_exclusive) g.pages[i]!.anon_exclusive = true;
    mm.pte[i] = freeze ? PTE_MIGRATION : PTE_PRESENT;
    mm.pte_write[i] = mm.pmd_write;
    mm.pte_dirty[i] = freeze ? false : mm.pmd_dirty;
    g.pages[i]!.mapcount++;
  }
  mm.pmd_write = false;
  mm.pmd_dirty = false;
  if (g.compound_mapcount + 1 > 1 && !g.double_map) {
    g.double_map = true;
    for (const p of g.pages) p.mapcount++;
  }
  g.compound_mapcount--; /* page_remove_rmap(page, vma, true) of the PMD mapping */
  if (g.compound_mapcount < 0 && g.double_map) {
    g.double_map = false;
    for (const p of g.pages) p.mapcount--;
  }
  mm.pmd = 'table';
  if (!freeze) return;
  for (let i = 0; i < n; i++) {
    page_remove_rmap(g, t, i, false);
    put_page(g, t, i);
  }
}

/**
 * try_to_unmap_one(TTU_SPLIT_HUGE_PMD | TTU_MIGRATION [| TTU_SYNC]) on one mm
 * (its PTL taken and dropped within the step): anon mappings become migration
 * entries ("freeze"), file mappings are removed.
 */
function try_to_unmap_one(g: G, t: T, mm: MmT, piece: number): void {
  const anon = isAnon(t.params);
  if (mm.pmd === 'huge') {
    if (anon) {
      __split_huge_pmd_locked(g, t, mm, true);
      return;
    }
    mm.pmd = 'none';
    page_remove_rmap(g, t, 0, true);
    put_page(g, t, 0);
    return;
  }
  unmapPtes(g, t, mm, anon, piece);
}

/**
 * try_to_unmap_one() on the present PTEs of mm inside the VMA piece `piece` (subpage mask; page_vma_mapped_walk()
 * stays within the VMA): migration entries (anon) or none (file), each dropping its mapcount and reference.
 */
export function unmapPtes(g: G, t: T, mm: MmT, migrate: boolean, piece: number): void {
  if (mm.pmd !== 'table') return;
  for (let i = 0; i < t.params.nr; i++) {
    if (mm.pte[i] !== PTE_PRESENT || !(piece & (1 << i))) continue;
    mm.pte[i] = migrate ? PTE_MIGRATION : PTE_NONE;
    mm.pte_dirty[i] = false;
    page_remove_rmap(g, t, i, false);
    put_page(g, t, i);
  }
}

/** remove_migration_pte() for every migration entry of one mm inside the VMA piece `piece` (subpage mask). */
export function remove_migration_ptes(g: G, t: T, mm: MmT, piece: number): void {
  for (let i = 0; i < t.params.nr; i++) {
    if (mm.pte[i] !== PTE_MIGRATION || !(piece & (1 << i))) continue;
    mm.pte[i] = PTE_PRESENT;
    get_page(g, i);
    if (isAnon(t.params)) page_add_anon_rmap(g, i, false);
    else page_add_file_rmap(g, t, i, false);
  }
}

/** can_split_huge_page() @ v6.1: an anon THP in the swap cache has a reference per subpage there. */
const swapCachePins = (g: Readonly<G>, t: T): number => (g.pages[0]!.swapcache ? t.params.nr : 0);

/**
 * can_split_huge_page() (can_split_folio(folio, NULL) @ v6.1): "Racy check whether the huge page can be split":
 * no reference besides the mappings, the swap or page cache's and the caller's own.
 */
export function can_split_huge_page(g: Readonly<G>, t: T): boolean {
  const anon = isAnon(t.params);
  const extra_pins = anon ? swapCachePins(g, t) : t.params.nr;
  return total_mapcount(g, anon) === page_count(g, 0) - extra_pins - 1;
}

/** The first steps: lock the rmap, can_split_huge_page, then the unmap walk. */
function lockAndUnmapSteps(): KStep<SplitPageStep>[] {
  const S = SPLIT_PAGE;
  return [
    {
      name: S.lock,
      enabled: (g) => g.rmap_lock === 0,
      run: (g, t) => {
        assertPageLocked(g, t, t.l.page!);
        g.rmap_lock = me(t);
        if (!t.bug('TH-1') && !can_split_huge_page(g, t)) {
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
        if (m === undefined || m < 0) return true;
        const mm = g.mms[m]!;
        if (mm.ptl === 0) return true;
        // T10: without TTU_SYNC/PVMW_SYNC the walk does not take the PTL of an
        // entry that a racing zap has already cleared; it just moves on.
        return t.bug('T10') && !mmMapsPage(mm);
      },
      run: (g, t) => {
        assertRmapLocked(g, t);
        const m = rmapWalkMm(g, t, t.l.walk!);
        if (m !== undefined) {
          if (m >= 0 && g.mms[m]!.ptl === 0) try_to_unmap_one(g, t, g.mms[m]!, rmapWalkPiece(g, t, t.l.walk!));
          t.l.walk = t.l.walk! + 1;
          if (rmapWalkMm(g, t, t.l.walk) !== undefined) return S.unmap;
        }
        g.split_unmapped = me(t); /* unmap_page() returned: VM_BUG_ON_PAGE(!unmap_success) */
        return S.freeze;
      },
    },
  ];
}

/**
 * page_ref_freeze() and the split of the compound page into small pages. `toList`: split_huge_page_to_list() with
 * a list (reclaim's split_folio_to_list()): lru_add_page_tail() puts each tail on it with a reference of its own
 * (get_page(tail)) instead of on the LRU, while the head is frozen.
 */
function freezeAndSplitSteps(toList: boolean): KStep<SplitPageStep>[] {
  const S = SPLIT_PAGE;
  return [
    {
      name: S.freeze,
      run: (g, t) => {
        const anon = isAnon(t.params);
        g.split_unmapped = 0;
        const extra_pins = anon ? swapCachePins(g, t) : t.params.nr;
        const head = g.pages[0]!;
        // TH-1: the freeze takes whatever count there is, so GUP pins are not honoured
        const expected = t.bug('TH-1') ? head.refcount : 1 + extra_pins;
        if (total_mapcount(g, anon) === 0 && head.refcount === expected) {
          head.refcount = 0; /* page_ref_freeze(head, 1 + extra_pins) */
          g.frozen = true;
          if (g.dsq !== 0) g.dsq = 0; /* list_del(page_deferred_list(head)) */
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
        /* "All tail pages have zero ->_refcount until atomic_add()" */
        p.refcount += isAnon(t.params) && !p.swapcache ? 1 : 2; /* + page cache / swap cache pin */
        if (toList) p.refcount++; /* lru_add_page_tail(head, tail, lruvec, list): get_page(tail) */
        p.tail = false; /* clear_compound_head(page_tail) */
        p.locked = g.pages[0]!.locked; /* PG_locked copied from the head */
        t.l.i = i - 1;
        return t.l.i >= 1 ? S.tail : S.head;
      },
    },
    {
      name: S.head,
      run: (g, t) => {
        g.head = false;
        g.double_map = false;
        g.compound_mapcount = -1;
        g.compound_pincount = 0;
        /* page_ref_inc(head) / page_ref_add(head, 2) (PageSwapCache: each page keeps its swap cache reference) */
        g.pages[0]!.refcount += isAnon(t.params) && !g.pages[0]!.swapcache ? 1 : 2;
        g.frozen = false;
        t.l.ret = OK;
        t.l.walk = 0;
        return isAnon(t.params) ? S.remap : S.tails;
      },
    },
  ];
}

/** remap_page(), the tails' release, and the rmap unlock; then `cont`. */
function remapAndUnlockSteps<C extends string>(cont: C): KStep<SplitPageStep | C>[] {
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
          if (m >= 0) remove_migration_ptes(g, t, g.mms[m]!, rmapWalkPiece(g, t, t.l.walk!));
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
          put_page(g, t, i); /* subpages may be freed if there wasn't any mapping */
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
 * The body of split_huge_page_to_list(); continues at `cont` with t.l.ret = OK or BUSY. Locals: page, ret, walk, i.
 * `toList`: the caller passes a list (reclaim), which holds the tails afterwards, a reference each (freezeAndSplitSteps).
 */
export function splitHugePageSteps<C extends string>(cont: C, toList = false): KStep<SplitPageStep | C>[] {
  return [...lockAndUnmapSteps(), ...freezeAndSplitSteps(toList), ...remapAndUnlockSteps(cont)];
}
