/**
 * The THP spec's state (the view users may rely on), its derived counts and
 * the initial state. See spec/thp/machine.ts for what the spec promises.
 */
import type { RetValue } from '../../checker/types.js';
import { canonicalCopies } from './identity.js';
import { collapseFileChoices } from './collapse-file-ops.js';

export type ThpKind = 'anon' | 'file';
/** Initial state: nothing mapped, mapped by PMD in mm 0, or shared by PMD in mm 0 and mm 1 (after fork). */
export type ThpInitial = 'none' | 'pmd' | 'forked';

export interface ThpParams {
  /** Subpages per huge page (HPAGE_PMD_NR; 4 in scenarios). */
  readonly nr: number;
  /** Processes (mm_structs), each with one VMA covering the huge page's range. */
  readonly mms: number;
  readonly kind: ThpKind;
  readonly initial: ThpInitial;
  /** Tracked THPs K (spec/thp/kthps.ts): K > 1 makes the view one ThpView per THP; default 1. */
  readonly thps?: number;
}

/** pin_user_pages() on a small (non-compound) page adds this to _refcount (include/linux/mm.h). */
export const GUP_PIN_COUNTING_BIAS = 1024;

export interface ThpView {
  kind: ThpKind;
  mms: number;
  /** The huge page is still compound (not split). */
  compound: boolean;
  /** mms mapping the whole THP with a PMD. */
  pmd: number[];
  /** pte[i]: mms mapping subpage i with a PTE. */
  pte: number[][];
  /** mms whose PMD slot holds a page table (PTE-mapped range); a PMD fault needs pmd_none. */
  ptable: number[];
  /** foreign[i]: mms whose address for subpage i maps a huge page khugepaged collapsed the range into. */
  foreign: number[][];
  /** fdata[mm][i]: the data mm reads at subpage i of its collapsed huge page (0 when none). */
  fdata: number[][];
  /**
   * zero[i]: mms whose virtual page i maps the (huge or small) zero page: a read
   * fault of a private anon range (a huge one when no page table is there yet).
   */
  zero: number[][];
  /** What every mapping of the zero page reads: 0, always (the zero page is never written). */
  zeroData: number;
  /** mms whose VMA is read-only (mprotect(PROT_READ)): a store faults (SIGSEGV), FOLL_FORCE still writes privately. */
  ro: number[];
  /** Anon, vmaHole[i]: mms with no VMA at subpage i (munmap); vmaExec / vmaLocked: PROT_EXEC from mprotect, VM_LOCKED (vmas.ts). */
  vmaHole: number[][];
  vmaExec: number[][];
  vmaLocked: number[][];
  /** Anon: mms whose range is not one VMA (a hole, a flag change, or VMAs not merged again): mremap fails EFAULT. */
  vmaCut: number[];
  /** data[i]: the data of THP subpage i (identity: page i). */
  data: number[];
  /** cow[mm][i]: the private copy (id, canonical) mm maps at subpage i, or -1. */
  cow: number[][];
  /** copyData[id]: the data of private copy id. */
  copyData: number[];
  /**
   * Every FOLL_PIN pin as [mm, sub, page], sorted: who pinned which address and
   * the page it holds (page < nr: THP subpage; nr + id: private copy id).
   */
  pinned: number[][];
  /** GUP (FOLL_PIN) pins held on THP subpage i (derived from pinned). */
  pins: number[];
  /** Speculative references (get_page_unless_zero) held on subpage i. */
  refs: number[];
  /** File: subpage i is in the page cache. */
  cached: boolean[];
  /**
   * swapped[i]: mms whose PTE for subpage i is a swap entry of page i while page i is
   * still in memory, in the swap cache (reclaim unmapped it and kept it): the
   * mm still maps page i for identity and data (pageAt), but no mapcount.
   */
  swapped: number[][];
  /** Anon: subpage i is in the swap cache (one reference per subpage, as the page cache's). */
  swapcache: boolean[];
  /** On the deferred split queue. */
  queued: boolean;
  /**
   * The splits and migrations in flight that may have replaced mappings by
   * migration entries (anon) or cleared them (file) until they remap them,
   * one key per operation (splitKey: split, deferred_split_scan, a swap_out
   * that splits a THP no PMD maps, or a migrate,
   * whose own migration entries or split of a queued THP count): a lookup that does not wait for a
   * migration entry (move_pages()) may find no page there while another
   * operation's key is present. Added only by that operation's own pending
   * step and removed by its linearization, so empty at quiescence (the
   * abstraction says so).
   */
  splitting: string[];
  /**
   * The file pages each madvise_pageout in flight found mapped by its own process in its range (the pages
   * madvise_cold_or_pageout_pte_range() isolated for reclaim): one entry `pageout:<mm>:<from>:<to>@<page>` per
   * page, `<page>` `thp` for the whole compound THP, else the small page's index (pageoutFound). Added only by
   * that call's pending step pageout_find, removed by its linearization, so empty at quiescence (the
   * abstraction says so); the call unmaps and evicts only pages it has an entry for.
   */
  pageoutFound: string[];
  freed: boolean[];
  /** page_mapcount(i) (derived). */
  mapcount: number[];
  /** page_count(i) (derived): what the head's _refcount says for a compound page. */
  refcount: number[];
}

export interface ThpContext extends ThpView {
  ret?: RetValue;
}

export type ThpEvent = { type: string; [arg: string]: unknown };

/** Outcomes of the nondeterministic operations (SpecDef.choices). */
export const thpChoices = {
  /** split_huge_page: success, -EBUSY before unmapping, -EBUSY after the unmap/freeze failed. */
  split: ['ok', 'busy', 'busy-remapped', 'gone'],
  /** the deferred split shrinker is best effort. */
  deferred_split_scan: ['split', 'skip', 'skip-remapped'],
  /** khugepaged is best effort (trylock failures). */
  collapse: ['ok', 'fail'],
  /** khugepaged's file collapse: page tables kept (bitmask of mms), or failed after unmapping a prefix (collapse-file-ops.ts). */
  collapse_file: collapseFileChoices,
  /** A write: reuse the page (only when it is exclusive to the writer), or copy it (never leaving the writer's pin behind). */
  wp_fault: ['reuse', 'copy'],
  /** A pin of a page exclusive to the pinner may still copy it first (an unshare that did not reuse). */
  pin: ['same', 'copy'],
  /** GUP-fast pins locklessly or falls back to the slow path. */
  pin_fast: ['ok', 'fallback'],
  /** page_count() may include up to two transient references of racing lockless paths. */
  page_count: [0, 1, 2],
  /** A mapcount reader may count a PMD that a concurrent split is replacing by PTEs (at most once per such process). */
  page_mapcount: [0, 1, 2],
  total_mapcount: [0, 1, 2],
  /** fork: the child shares the unpinned THP subpages, or gets copies of all of them (maybe-pinned heuristics). */
  fork: ['share', 'copy'],
  /**
   * get_page_unless_zero may fail on a frozen refcount; it may also find a page
   * whose last user reference is gone while a kernel path (the shrinker, a
   * splitter) still holds it, which then lives on (possibly still queued).
   */
  scan_get: ['ok', 'fail', 'ok-compound', 'ok-compound-queued'],
  /** A THP allocation may fail ("regular pages should be gracefully allocated instead"). */
  fault: ['ok', 'enomem'],
  /** A FOLL_FORCE write: in place when the page is exclusive, or into a private copy (as wp_fault). */
  force_write: ['reuse', 'copy'],
  /** Reclaim of the anon THP (or of one small page of a split one): it left memory, or it was kept (always allowed). */
  swap_out: ['ok', 'kept'],
  /**
   * Migration: moved, or not moved (a transient reference, a racing split); an anon THP may be split first;
   * 'lookup-miss' (answers 'none'): the page lookup met a split's migration entries (view.splitting).
   */
  migrate: ['ok', 'EAGAIN', 'split', 'split-EAGAIN', 'remapped', 'remapped-EAGAIN', 'lookup-miss'],
  /**
   * A read fault where no page table is: the huge zero page by PMD, or ('pte') a page table of small zero pages: the
   * huge one needs a single VMA over the whole range, which mprotect / mlock / munmap of part of it cut (the spec
   * keeps no VMAs).
   */
  populate_read: ['huge', 'pte'],
  force_read: ['huge', 'pte'],
  /** VMAs whose flags became equal again may merge or not (vma_merge() needs mergeable anon_vmas; spec/thp/vmas.ts). */
  mprotect: ['one', 'cut'],
  mlock: ['one', 'cut'],
  munlock: ['one', 'cut'],
  mprotect_ro: ['one', 'cut'],
} as const;

/**
 * The outcomes of op in spec state c: thpChoices, and for fork also the sets of the parent's small zero pages the
 * child leaves out (`share:z5`: subpages 0 and 2), with or without a page table of its own (`share:n5`: none, only
 * when the child maps nothing by PTE then): fork copies page tables only for a VMA with an anon_vma, and a VMA where
 * only read faults happened has none (the zero page is mapped without one); the spec keeps no VMAs. Listed from the
 * state, so a parent without small zero pages keeps fork's two outcomes (and `:n0` where it has a page table).
 */
export function thpChoicesOf(
  op: string,
  args: Readonly<Record<string, unknown>>,
  c: ThpView,
): readonly (string | number)[] | undefined {
  if (op !== 'fork') return (thpChoices as Readonly<Record<string, readonly (string | number)[]>>)[op];
  const src = Number(args.src);
  if (!Number.isInteger(src) || src < 0 || src >= c.mms || !c.ptable.includes(src)) return thpChoices.fork;
  let zero = 0;
  c.zero.forEach((s, i) => {
    if (s.includes(src)) zero |= 1 << i;
  });
  const out: string[] = [...thpChoices.fork];
  for (const k of thpChoices.fork) out.push(`${k}:n0`);
  for (let z = zero; z > 0; z = (z - 1) & zero) for (const k of thpChoices.fork) out.push(`${k}:z${z}`, `${k}:n${z}`);
  return out;
}

// ---------------------------------------------------------------------------
// Helpers over a draft (mutable copy)
// ---------------------------------------------------------------------------

export const add = (s: number[], x: number): void => {
  if (!s.includes(x)) {
    s.push(x);
    s.sort((a, b) => a - b);
  }
};
export const del = (s: number[], x: number): void => {
  const i = s.indexOf(x);
  if (i >= 0) s.splice(i, 1);
};
export const sum = (a: readonly number[]): number => a.reduce((x, y) => x + y, 0);

export function clone(c: ThpView): ThpView {
  return {
    kind: c.kind,
    mms: c.mms,
    compound: c.compound,
    pmd: [...c.pmd],
    pte: c.pte.map((s) => [...s]),
    ptable: [...c.ptable],
    foreign: c.foreign.map((s) => [...s]),
    fdata: c.fdata.map((s) => [...s]),
    zero: c.zero.map((s) => [...s]),
    zeroData: c.zeroData,
    ro: [...c.ro],
    vmaHole: c.vmaHole.map((s) => [...s]),
    vmaExec: c.vmaExec.map((s) => [...s]),
    vmaLocked: c.vmaLocked.map((s) => [...s]),
    vmaCut: [...c.vmaCut],
    data: [...c.data],
    cow: c.cow.map((s) => [...s]),
    copyData: [...c.copyData],
    pinned: c.pinned.map((s) => [...s]),
    pins: [...c.pins],
    refs: [...c.refs],
    cached: [...c.cached],
    swapped: c.swapped.map((s) => [...s]),
    swapcache: [...c.swapcache],
    queued: c.queued,
    splitting: [...c.splitting],
    pageoutFound: [...c.pageoutFound],
    freed: [...c.freed],
    mapcount: [...c.mapcount],
    refcount: [...c.refcount],
  };
}

/** total_mapcount(): a PMD mapping counts once; for a split page, the head's own mapcount. */
export function specTotalMapcount(c: ThpView): number {
  if (c.compound) return c.pmd.length + sum(c.pte.map((s) => s.length));
  return c.pte[0]!.length;
}

function compoundRefs(c: ThpView): number {
  const n = c.pte.length;
  return specTotalMapcount(c) + sum(c.pins) + sum(c.refs) + (c.cached[0] ? n : 0) + (c.swapcache[0] ? n : 0);
}

function smallRefs(c: ThpView, i: number): number {
  const cache = (c.cached[i] ? 1 : 0) + (c.swapcache[i] ? 1 : 0);
  return c.pte[i]!.length + GUP_PIN_COUNTING_BIAS * c.pins[i]! + c.refs[i]! + cache;
}

/**
 * The deferred split queue is not something a user can tell, nor a promise:
 * the view always says not queued, and the shrinker may split any unpinned,
 * unreferenced anon THP (ref-ops.ts). Kernels differ on membership: v6.12
 * zaps a fully PTE-mapped THP in one folio_remove_rmap_ptes() batch and does
 * not queue it (__folio_remove_rmap: partially_mapped = nr &&
 * atomic_read(mapped)) while v5.10 and v6.6 queue it on the first PTE; v6.12
 * also queues fully mapped underused THPs at fault (dafff3f4c850); a partial
 * unmap during a THP migration counts no mapping for the PMD migration entries
 * and queues a THP that is PMD-mapped again afterwards; and v5.10
 * remove_migration_pte() maps PTEs without PG_double_map, so a THP mapped by
 * PMD in one process and by PTEs in another is queued by a PTE unmap and not
 * by its last PMD unmap (mm/migrate.c remove_migration_pte() @ v5.10).
 * Shared with the abstractions, which apply the same rule.
 */
export function normaliseQueued(c: ThpView): void {
  c.queued = false;
}

/** Free whatever has no reference left, then recompute the derived counts. */
export function settle(c: ThpView): void {
  const n = c.pte.length;
  canonicalCopies(c);
  normaliseQueued(c);
  if (c.compound) {
    if (!c.freed[0] && compoundRefs(c) === 0) {
      for (let i = 0; i < n; i++) c.freed[i] = true;
      c.queued = false; // free_transhuge_page() takes it off the deferred list
      c.compound = false; // a freed page is no compound page any more
    }
  } else {
    for (let i = 0; i < n; i++) if (!c.freed[i] && smallRefs(c, i) === 0) c.freed[i] = true;
  }
  for (let i = 0; i < n; i++) {
    if (c.freed[i]) {
      c.mapcount[i] = 0;
      c.refcount[i] = 0;
    } else if (c.compound) {
      c.mapcount[i] = c.pmd.length + c.pte[i]!.length;
      c.refcount[i] = compoundRefs(c);
    } else {
      c.mapcount[i] = c.pte[i]!.length;
      c.refcount[i] = smallRefs(c, i);
    }
  }
}

export function initialThp(p: ThpParams): ThpContext {
  const n = p.nr;
  const c: ThpView = {
    kind: p.kind,
    mms: p.mms,
    compound: p.kind === 'file' || p.initial !== 'none',
    pmd: p.initial === 'pmd' ? [0] : p.initial === 'forked' ? [0, 1] : [],
    pte: Array.from({ length: n }, () => []),
    ptable: [],
    foreign: Array.from({ length: n }, () => []),
    fdata: Array.from({ length: p.mms }, () => new Array(n).fill(0)),
    zero: Array.from({ length: n }, () => []),
    zeroData: 0,
    ro: [],
    vmaHole: Array.from({ length: n }, () => []),
    vmaExec: Array.from({ length: n }, () => []),
    vmaLocked: Array.from({ length: n }, () => []),
    vmaCut: [],
    data: new Array(n).fill(0),
    cow: Array.from({ length: p.mms }, () => new Array(n).fill(-1)),
    copyData: [],
    pinned: [],
    pins: new Array(n).fill(0),
    refs: new Array(n).fill(0),
    cached: new Array(n).fill(p.kind === 'file'),
    swapped: Array.from({ length: n }, () => []),
    swapcache: new Array(n).fill(false),
    queued: false,
    splitting: [],
    pageoutFound: [],
    freed: new Array(n).fill(p.kind === 'anon' && p.initial === 'none'),
    mapcount: new Array(n).fill(0),
    refcount: new Array(n).fill(0),
  };
  settle(c);
  return { ...c, ret: undefined };
}

/** The key of a split in flight (view.splitting): the operation and the argument that names its target. */
export function splitKey(op: string, args: Readonly<Record<string, unknown>>): string {
  if (op === 'split') return `split:${String(args.sub)}`;
  if (op === 'migrate') return `migrate:${String(args.mm)}`;
  if (op === 'swap_out') return `swap_out:${String(args.sub)}`;
  return op;
}

/** The linearization of an operation removes its own key (one instance) from view.splitting. */
export function endSplit(c: ThpView, key: string): void {
  const k = c.splitting.indexOf(key);
  if (k >= 0) c.splitting.splice(k, 1);
}
