/**
 * The folio implementation's initial state: the copy pool's size, a fresh
 * large folio (folio_prep_large_rmappable) and init() for a scenario's
 * parameters (moved out of folio.ts, which holds the state and accessors).
 */
import { vmaInit } from '../thp-common/rmap-walk.js';
import { initPrior } from '../thp-common/prior.js';
import { swapSlots } from '../thp-common/swap-entry.js';
import { ENTIRELY_MAPPED, PTE_NONE, isAnon, type FolioParams, type FolioState } from './folio.js';

/** Copy-pool slots: enough for every mm to hold a private copy of every subpage, plus one set for pins left behind. */
export function copyPoolSize(p: FolioParams): number {
  return isAnon(p) ? p.nr * (p.mms + 1) : p.nr; /* file: pages a collapse could leave behind (variant only) */
}

/** folio_prep_large_rmappable(): a fresh, unmapped large folio. */
export function prep_large_folio(g: FolioState): void {
  g.large = true;
  g.entire_mapcount = -1;
  g.nr_pages_mapped = 0;
  g.large_mapcount = -1;
  g.pincount = 0;
  g.deferred = 0;
  g.partially_mapped = false;
  g.frozen = false;
  g.pages.forEach((pg, i) => {
    pg.refcount = 0;
    pg.mapcount = -1;
    pg.anon_exclusive = false;
    pg.tail = i > 0;
    pg.locked = 0;
    pg.freed = false;
    pg.in_cache = false;
    pg.data = 0;
    pg.swapcache = false;
  });
}

export function init(p: FolioParams): FolioState {
  const n = p.nr;
  const anon = isAnon(p);
  const g: FolioState = {
    anon,
    pages: Array.from({ length: n }, () => ({
      refcount: 0,
      mapcount: -1,
      anon_exclusive: false,
      tail: false,
      locked: 0,
      freed: true,
      in_cache: false,
      data: 0,
      swapcache: false,
    })),
    large: false,
    entire_mapcount: -1,
    nr_pages_mapped: 0,
    large_mapcount: -1,
    pincount: 0,
    deferred: 0,
    partially_mapped: false,
    frozen: false,
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
      pte_excl: new Array(n).fill(false),
      pmd_excl: false,
      vm_write: true,
      foreign_data: new Array(n).fill(0),
      ...vmaInit(n),
    })),
    zero_data: 0,
    copies: Array.from({ length: copyPoolSize(p) }, () => ({
      refcount: 0,
      mapcount: -1,
      anon_exclusive: false,
      data: 0,
      swap: 0,
      locked: 0,
    })),
    user_pins: new Array(n).fill(0),
    user_refs: new Array(n).fill(0),
    pins: [],
    prior: initPrior(p),
    /* the model's swap device: one cluster of nr slots for an anon folio (impl/thp-folio/swap.ts) */
    swap: Array.from({ length: swapSlots(p) }, () => ({ count: 0, page: -1, data: 0 })),
  };
  if (anon && p.initial === 'none') return g;
  prep_large_folio(g);
  if (!anon) {
    // __filemap_add_folio(): folio_ref_add(folio, nr) for the page cache
    for (const pg of g.pages) pg.in_cache = true;
    g.pages[0]!.refcount = n;
  }
  const mappers = p.initial === 'pmd' ? [0] : p.initial === 'forked' ? [0, 1] : [];
  for (const m of mappers) {
    g.mms[m]!.pmd = 'huge';
    g.mms[m]!.pmd_write = anon && mappers.length === 1; /* after fork both sides are write-protected */
    g.pages[0]!.refcount++;
    g.entire_mapcount++;
    g.nr_pages_mapped = ENTIRELY_MAPPED;
    g.large_mapcount++;
    if (anon) {
      g.avc.push(m);
      g.mms[m]!.anon_vma =
        (1 << n) - 1; /* do_huge_pmd_anonymous_page(): anon_vma_prepare(); anon_vma_fork() for the child */
    }
  }
  /* a THP mapped by one process only is exclusive to it (folio_add_new_anon_rmap(RMAP_EXCLUSIVE)); fork shares it */
  if (anon) g.pages[0]!.anon_exclusive = mappers.length === 1;
  /*
   * Not on the deferred split queue: under 6.12 the fault queued it unflagged (deferred_split_folio(folio,
   * false), dafff3f4c850) and the shrinker drops such a folio at once while thp_underused() is false (the
   * default max_ptes_none); the state after that is this one.
   */
  return g;
}
