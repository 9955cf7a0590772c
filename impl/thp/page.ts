/**
 * THP refcount/mapcount, the v4.5 – v6.1 design ("THP refcounting" +
 * PG_double_map): struct page fields, page tables and the rmap primitives.
 *
 * Sources: Documentation/vm/transhuge.rst ("Refcounts and transparent huge
 * pages"); include/linux/mm.h (compound_mapcount, page_mapcount), mm/util.c
 * (__page_mapcount), mm/huge_memory.c (total_mapcount, can_split_huge_page,
 * __split_huge_pmd_locked, split_huge_page_to_list, deferred_split_*),
 * mm/rmap.c (page_add_*_rmap, page_remove_rmap). Counters are stored exactly as
 * the kernel stores them: `_mapcount` and `compound_mapcount` are -1 based.
 *
 * Version pinned where the design moved within v4.5 – v6.1: the page lock
 * around __split_huge_pmd_locked() for anon (c444eb564fb1, v5.8; dropped again
 * with the v5.18 COW rework), the mapcount-based COW reuse of v5.8 – v5.17
 * (reuse_swap_page), FOLL_PIN with hpage_pinned_refcount (v5.7+), TTU_SYNC
 * (732ed55823fc, v5.13) and collapse_pte_mapped_thp installing the PMD (v6.1).
 *
 * The state never depends on a particular nr/mms: per-subpage and per-mm data
 * are lists sized from the scenario parameters.
 */
import { S, type Infer } from '../../checker/schema.js';
import type { ThreadCtx } from '../../checker/types.js';
import { PriorS, initPrior } from '../thp-common/prior.js';
import { swapSlots } from '../thp-common/swap-entry.js';
import { BUG_ON } from '../thp-common/steps.js';
import { VMA_FIELDS, vmaInit } from '../thp-common/rmap-walk.js';

export interface ThpParams {
  readonly nr: number;
  readonly mms: number;
  readonly kind: 'anon' | 'file';
  readonly initial: 'none' | 'pmd' | 'forked';
  readonly prior?: number; /* 1: another THP queued for deferred split before this one (thp-common/prior.ts) */
  readonly thps?: number; /* tracked THPs (impl/thp-common/kthps.ts); default 1 */
}

/** pin_user_pages() on a non-compound page (include/linux/mm.h). */
export const GUP_PIN_COUNTING_BIAS = 1024;

/** PTE values. */
export const PTE_NONE = 0;
/** A present PTE mapping subpage i of the tracked THP. */
export const PTE_PRESENT = 1;
/** A migration entry for subpage i (split_huge_page's freeze); holds no mapcount and no reference. */
export const PTE_MIGRATION = 2;
/** A present PTE mapping a subpage of a huge page khugepaged collapsed the range into (not the tracked THP). */
export const PTE_FOREIGN = 3;
/** A present PTE mapping the small zero page (do_anonymous_page() on a read, or a split huge zero PMD). */
export const PTE_ZERO = 4;
/** PTE_COPY + k: a present PTE mapping small anon page k of the copy pool (a COW copy made by wp_page_copy()). */
export const PTE_COPY = 5;
export const isCopyPte = (e: number): boolean => e >= PTE_COPY;
/** Swap PTEs name their slot and carry the exclusive bit (impl/thp-common/swap-entry.ts): every negative value. */
export { isSwapPte, pte_swp_exclusive, swp_entry, swp_offset } from '../thp-common/swap-entry.js';

const PageS = S.struct({
  /** page->_refcount: on the head for a compound page; 0 on tails until split. */
  refcount: S.int(),
  /** page->_mapcount, -1 based (+1 DoubleMap bias for anon; includes PMD maps for file). */
  mapcount: S.int(),
  /** PageTail (compound_head set). */
  tail: S.bool(),
  /** PG_locked: tid + 1 of the owner, 0 when unlocked. */
  locked: S.int(),
  /** Returned to the page allocator. */
  freed: S.bool(),
  /** page->mapping set / in the page cache (file). */
  in_cache: S.bool(),
  /** The bytes userspace reads from this page (one value per page). */
  data: S.int(),
  /**
   * PG_anon_exclusive (6c287605fd56, v5.19): this anon (sub)page is mapped by one process only, so a write
   * fault may reuse it and GUP may pin it; a PMD mapping uses the head's flag, a PTE mapping the subpage's.
   * Kept through migration entries (the model keeps it on the page, the kernel in the entry). Set and
   * cleared in every version; tested only where the kernel has it (impl/thp/cow.ts preExclusive).
   */
  anon_exclusive: S.bool(),
  /** PG_swapcache: in the swap cache (set on every subpage of a compound page together; slot i = subpage i). */
  swapcache: S.bool(),
});

/** A small anon page allocated by wp_page_copy(): free when _refcount is 0. */
const CopyS = S.struct({
  refcount: S.int(),
  /** _mapcount, -1 based. */
  mapcount: S.int(),
  data: S.int(),
  /** PG_anon_exclusive (page_add_new_anon_rmap sets it; fork clears it). */
  anon_exclusive: S.bool(),
  /** slot + 1 while this page is in the swap cache for that slot (read in by do_swap_page, or add_to_swap), else 0. */
  swap: S.int(),
  /** PG_locked: tid + 1 of the owner (reclaim between trylock_page and unlock), 0 when unlocked. */
  locked: S.int(),
});

/** A swap slot (the THP's cluster, then the pool for small pages: thp-common/swap-entry.ts): swap_map count (swap PTEs), the page in the swap cache for it, the data written. */
const SlotS = S.struct({
  count: S.int(),
  /** -1: none; i: THP subpage i; nr + k: copy k (as PinS.page). */
  page: S.int(),
  data: S.int(),
});

/** A FOLL_PIN pin held by userspace (the DMA user): who pinned which address, and the page it holds (i < nr: THP subpage i; nr + k: copy k). */
const PinS = S.struct({ mm: S.int(), sub: S.int(), page: S.int() });

const MmS = S.struct({
  /**
   * The PMD covering the THP's range. 'splitting' = pmdp_invalidate()d inside
   * __split_huge_pmd_locked; 'zero' = the huge zero page (set_huge_zero_page);
   * 'migration' = a PMD migration entry of the THP (set_pmd_migration_entry:
   * no mapcount, no reference; pmd_write is the entry's write bit).
   */
  pmd: S.enum('none', 'huge', 'splitting', 'table', 'foreign', 'zero', 'migration'),
  /** The PTE table under it (meaningful when pmd is 'table' or 'splitting'). */
  pte: S.list(S.int()),
  /** pmd_lock()/pte lock (one split PTL per PMD): tid + 1 of the owner. */
  ptl: S.int(),
  /** mmap_lock: -1 held for write, n > 0 readers. */
  mmap_lock: S.int(),
  /** mm->write_protect_seq (v5.13+, 57efa1fe5957): odd while fork() write-protects this mm's COW mappings. */
  write_protect_seq: S.int(),
  /** pmd_write(): the huge PMD is writable (a write needs no fault). */
  pmd_write: S.bool(),
  /** pte_write() per subpage of the PTE table (kept across migration entries, as the writable migration entry does). */
  pte_write: S.list(S.bool()),
  /** pmd_dirty(): set by a write fault (and by touch_pmd() under FOLL_WRITE); FOLL_COW trusts it (can_follow_write_pmd). */
  pmd_dirty: S.bool(),
  /** pte_dirty() per subpage: set by wp_page_copy()/wp_page_reuse(); FOLL_COW trusts it (can_follow_write_pte). */
  pte_dirty: S.list(S.bool()),
  /** VM_WRITE of the VMA (cleared by mprotect(PROT_READ)); VM_MAYWRITE stays, so it is still a COW mapping. */
  vm_write: S.bool(),
  /** Data of the huge page khugepaged collapsed this mm's range into (pmd 'foreign' / PTE_FOREIGN), per subpage. */
  foreign_data: S.list(S.int()),
  /** Its VMAs over the range: pieces, flags and anon_vma (anon; thp-common/rmap-walk.ts VMA_FIELDS). */
  ...VMA_FIELDS,
});
export const thpSchema = S.struct({
  /** PageAnon(head) (page->mapping & PAGE_MAPPING_ANON): fixed by the scenario. */
  anon: S.bool(),
  pages: S.list(PageS),
  /** PG_head on page[0] (the page is compound). */
  head: S.bool(),
  /** page[1].compound_mapcount, -1 based: PMD mappings of the whole page. */
  compound_mapcount: S.int(),
  /** page[1].hpage_pinned_refcount (v5.7+): FOLL_PIN pins of a compound page. */
  compound_pincount: S.int(),
  /** PG_double_map on page[1]. */
  double_map: S.bool(),
  /** page_deferred_list(head): 0 empty, 1 on ds_queue->split_queue, 2 + tid on that shrinker's on-stack list. */
  dsq: S.int(),
  /** page_ref_freeze() succeeded: the head's refcount is frozen at 0 by split_huge_page. */
  frozen: S.bool(),
  /** tid + 1 of a split_huge_page_to_list() between unmap_page() returning and the refcount freeze (model marker). */
  split_unmapped: S.int(),
  /** anon_vma rwsem (anon) / i_mmap_rwsem (file), held for write by split and collapse: tid + 1. */
  rmap_lock: S.int(),
  /** The rmap walk: a VMA piece (mm + mms * start) per anon_vma interval tree entry, by start then insertion (rmap-walk.ts); -1 unlinked. */
  avc: S.list(S.int()),
  mms: S.list(MmS),
  /** The bytes the huge zero page (and the small zero page) reads: 0 unless someone wrote into it. */
  zero_data: S.int(),
  /** Small anon pages for COW copies (fixed pool; running out is a model-bound error, never silent). */
  copies: S.list(CopyS),
  /** User side (not kernel state): pins on THP subpages and speculative references, per subpage, for unpin/put. */
  user_pins: S.list(S.int()),
  user_refs: S.list(S.int()),
  /** User side: every FOLL_PIN pin with the page it holds. */
  pins: S.list(PinS),
  /** Another THP queued for deferred split before this one (impl/thp-common/prior.ts). */
  prior: PriorS,
  /** The swap device (anon): the THP's cluster (slot i for subpage i), then a slot pool for small pages (thp-common/swap-entry.ts). */
  swap: S.list(SlotS),
});

export type ThpState = Infer<typeof thpSchema>;
export type PageT = ThpState['pages'][number];
export type MmT = ThpState['mms'][number];
export type CopyT = ThpState['copies'][number];
export type T = ThreadCtx<ThpParams>;

export const isAnon = (p: ThpParams): boolean => p.kind === 'anon';

// ---------------------------------------------------------------------------
// struct page accessors
// ---------------------------------------------------------------------------

/** compound_head(): tails point at page[0]. */
export function compound_head(g: Readonly<ThpState>, i: number): number {
  return i > 0 && g.pages[i]!.tail ? 0 : i;
}

/** page_maybe_dma_pinned() (include/linux/mm.h @ v6.1) of page h: the THP's pincount, or a small page's bias. */
export function maybeDmaPinnedPage(g: Readonly<ThpState>, h: number): boolean {
  if (h === 0 && g.head) return g.compound_pincount > 0;
  return g.pages[h]!.refcount >= GUP_PIN_COUNTING_BIAS;
}

/** PageCompound() / PageTransCompound(). */
export function PageCompound(g: Readonly<ThpState>, i: number): boolean {
  return i === 0 ? g.head : g.pages[i]!.tail;
}

/** compound_mapcount() (include/linux/mm.h): atomic_read(compound_mapcount_ptr(head)) + 1. */
export function compound_mapcount(g: Readonly<ThpState>): number {
  return g.compound_mapcount + 1;
}

/** page_mapcount() → __page_mapcount() (mm/util.c, v5.x). */
export function page_mapcount(g: Readonly<ThpState>, anon: boolean, i: number): number {
  let ret = g.pages[i]!.mapcount + 1;
  if (!PageCompound(g, i)) return ret;
  /* File THP: _mapcount already includes PMD maps */
  if (!anon) return ret;
  ret += compound_mapcount(g);
  if (g.double_map) ret--; /* remove the bias */
  return ret;
}

/** total_mapcount() (mm/huge_memory.c, v5.x). */
export function total_mapcount(g: Readonly<ThpState>, anon: boolean): number {
  if (!g.head) return g.pages[0]!.mapcount + 1;
  const n = g.pages.length;
  const compound = compound_mapcount(g);
  let ret = compound;
  for (let i = 0; i < n; i++) ret += g.pages[i]!.mapcount + 1;
  /* File pages has compound_mapcount included in _mapcount */
  if (!anon) return ret - compound * n;
  if (g.double_map) ret -= n;
  return ret;
}

/** page_mapped(): any mapping of the (compound) page. */
export function page_mapped(g: Readonly<ThpState>, i: number): boolean {
  if (!PageCompound(g, i)) return g.pages[i]!.mapcount >= 0;
  if (g.compound_mapcount >= 0) return true;
  return g.pages.some((p) => p.mapcount >= 0);
}

/** page_count(): the head's _refcount. */
export function page_count(g: Readonly<ThpState>, i: number): number {
  return g.pages[compound_head(g, i)]!.refcount;
}

// BUG_ON() is the same plumbing in both THP implementations (one KernelBug class for the checker).
export { BUG_ON, KernelBug } from '../thp-common/steps.js';

/** get_page(): an elevated refcount is a precondition (VM_BUG_ON_PAGE(page_ref_zero_or_close_to_overflow)). */
export function get_page(g: ThpState, i: number, n = 1): void {
  const h = compound_head(g, i);
  BUG_ON(g.pages[h]!.refcount <= 0, `get_page on page ${h} with _refcount ${g.pages[h]!.refcount}`);
  g.pages[h]!.refcount += n;
}

/** get_page_unless_zero(): the only legitimate way for a physical scanner to take a reference; on the page given (a tail's _refcount is 0). */
export function get_page_unless_zero(g: ThpState, t: T, i: number): boolean {
  // TH-8: the scanner takes the reference through compound_head(), succeeding on a tail page
  const idx = t.bug('TH-8') ? compound_head(g, i) : i;
  const p = g.pages[idx]!;
  if (p.refcount <= 0) return false;
  p.refcount++;
  return true;
}

/** put_page() / put_page_testzero() + the compound destructor. */
export function put_page(g: ThpState, t: T, i: number, n = 1): void {
  const h = compound_head(g, i);
  const p = g.pages[h]!;
  p.refcount -= n;
  BUG_ON(p.refcount < 0, `put_page: page ${h} _refcount went negative (${p.refcount})`);
  if (p.refcount === 0) free_page(g, t, h);
}

function free_page(g: ThpState, t: T, h: number): void {
  if (h === 0 && g.head) {
    // free_transhuge_page(): "The page will be dropped from list on freeing
    // through compound page destructor." (thp: introduce deferred_split_huge_page())
    // TH-6: the destructor forgets to take the page off the deferred split queue
    if (g.dsq !== 0 && !t.bug('TH-6')) g.dsq = 0;
    for (const p of g.pages) {
      BUG_ON(p.mapcount !== -1, 'free_transhuge_page: subpage still mapped (bad_page)');
      p.freed = true;
      p.anon_exclusive = false; /* free_pages_prepare(): page flags are cleared on free */
      BUG_ON(p.swapcache, 'free_transhuge_page: still in the swap cache');
    }
    BUG_ON(g.compound_mapcount !== -1, 'free_transhuge_page: compound_mapcount != 0 (bad_page)');
  } else {
    BUG_ON(g.pages[h]!.mapcount !== -1, `free_page: page ${h} still mapped (bad_page)`);
    g.pages[h]!.freed = true;
    g.pages[h]!.anon_exclusive = false;
  }
}

export function init(p: ThpParams): ThpState {
  const n = p.nr;
  const anon = isAnon(p);
  const g: ThpState = {
    anon,
    pages: Array.from({ length: n }, () => ({
      refcount: 0,
      mapcount: -1,
      tail: false,
      locked: 0,
      freed: true,
      in_cache: false,
      data: 0,
      anon_exclusive: false,
      swapcache: false,
    })),
    head: false,
    compound_mapcount: -1,
    compound_pincount: 0,
    double_map: false,
    dsq: 0,
    frozen: false,
    split_unmapped: 0,
    rmap_lock: 0,
    avc: [],
    mms: Array.from({ length: p.mms }, () => ({
      pmd: 'none' as const,
      pte: new Array(n).fill(PTE_NONE),
      ptl: 0,
      mmap_lock: 0,
      write_protect_seq: 0,
      pmd_write: false,
      pte_write: new Array(n).fill(false),
      pmd_dirty: false,
      pte_dirty: new Array(n).fill(false),
      vm_write: true,
      foreign_data: new Array(n).fill(0),
      ...vmaInit(n),
    })),
    zero_data: 0,
    copies: Array.from({ length: copyPoolSize(p) }, () => ({
      refcount: 0,
      mapcount: -1,
      data: 0,
      anon_exclusive: false,
      swap: 0,
      locked: 0,
    })),
    user_pins: new Array(n).fill(0),
    user_refs: new Array(n).fill(0),
    pins: [],
    prior: initPrior(p),
    swap: Array.from({ length: swapSlots(p) }, () => ({ count: 0, page: -1, data: 0 })),
  };
  if (anon && p.initial === 'none') return g;
  prep_compound_page(g);
  if (!anon) {
    // add_to_page_cache: one reference per subpage index, held on the head
    for (const pg of g.pages) pg.in_cache = true;
    g.pages[0]!.refcount = n;
  }
  const mappers = p.initial === 'pmd' ? [0] : p.initial === 'forked' ? [0, 1] : [];
  for (const m of mappers) {
    g.mms[m]!.pmd = 'huge';
    g.mms[m]!.pmd_write = anon && mappers.length === 1; /* after fork both sides are write-protected */
    g.mms[m]!.pmd_dirty = anon; /* the anon THP was written (do_huge_pmd_anonymous_page: pmd_mkdirty) */
    g.pages[0]!.refcount++;
    if (anon) {
      g.compound_mapcount++;
      g.avc.push(m);
      g.mms[m]!.anon_vma =
        (1 << n) - 1; /* do_huge_pmd_anonymous_page(): anon_vma_prepare(); anon_vma_fork() for the child */
      /* page_add_new_anon_rmap() set PG_anon_exclusive on the head; fork cleared it (page_try_dup_anon_rmap) */
      g.pages[0]!.anon_exclusive = mappers.length === 1;
    } else {
      for (const pg of g.pages) pg.mapcount++;
      g.compound_mapcount++;
    }
  }
  return g;
}

/** prep_compound_page() + prep_transhuge_page(): a fresh, unmapped compound page. */
export function prep_compound_page(g: ThpState): void {
  g.head = true;
  g.compound_mapcount = -1;
  g.compound_pincount = 0;
  g.double_map = false;
  g.dsq = 0;
  g.frozen = false;
  g.pages.forEach((pg, i) => {
    pg.refcount = 0;
    pg.mapcount = -1;
    pg.tail = i > 0;
    pg.locked = 0;
    pg.freed = false;
    pg.in_cache = false;
    pg.data = 0;
    pg.anon_exclusive = false;
    pg.swapcache = false;
  });
}

/** Copy-pool slots: enough for every mm to hold a private copy of every subpage, plus one set for pins left behind. */
export function copyPoolSize(p: ThpParams): number {
  return isAnon(p) ? p.nr * (p.mms + 1) : p.nr; /* file: pages a collapse could leave behind (variant only) */
}
