/**
 * The rmap walk as both THP implementations step through it: one VMA (one mm)
 * per step, in anon_vma order for anon memory (rmap_walk_anon(): the
 * anon_vma's interval tree; `avc`, kept in that tree's order by
 * anonVmaTreeInsert below) or i_mmap order for a file (rmap_walk_file(), here
 * mm order). mm/rmap.c @ v6.1 and v6.12 walk the same way; only the callbacks
 * (try_to_unmap_one, try_to_migrate_one, remove_migration_pte, ...) differ
 * between the page and folio eras, and they stay in each implementation.
 *
 * The walk's position is the operation's local `walk`. Its first visit takes
 * the anon_vma lock (anon_vma_lock_read / i_mmap_lock_read, `rmap_lock` =
 * tid + 1), which the walk holds until its end; every visit needs the PTL of
 * its mm.
 *
 * Typed structurally (state with `avc`, `rmap_lock` and `mms[].ptl`), like
 * steps.ts, so neither implementation's state type leaks into the other.
 */
import type { ThreadCtx } from '../../checker/types.js';
import { me } from './steps.js';

interface WalkParams {
  readonly kind: string;
  readonly mms: number;
  readonly nr: number;
}
type T = ThreadCtx<WalkParams>;

interface WalkState {
  readonly avc: readonly number[];
  rmap_lock: number;
  readonly mms: readonly { readonly ptl: number }[];
}

/*
 * The walk order. rmap_walk_anon() @ v6.1 / v6.12 (mm/rmap.c) visits
 * anon_vma_interval_tree_foreach(avc, &anon_vma->rb_root, pgoff_start,
 * pgoff_end): an in-order walk of an rb tree keyed on vma_start_pgoff() =
 * vma->vm_pgoff (mm/interval_tree.c), where an insert goes right of every
 * node with the same start (include/linux/interval_tree_generic.h _insert():
 * `if (start < ITSTART(parent)) left; else right`), so equal starts are
 * visited in insertion order. The tree has one entry per VMA: every VMA piece
 * of an mm that overlaps the THP is visited at its own place, and its
 * rmap_one callback (try_to_unmap_one, try_to_migrate_one,
 * remove_migration_pte) walks only the PTEs inside that VMA
 * (page_vma_mapped_walk() stops at vma->vm_end; vma_address() starts at
 * vma->vm_start for a THP that straddles it). A VMA piece of a private anon
 * mapping has vm_pgoff = its start address >> PAGE_SHIFT (do_mmap(); fork's
 * dup_mmap() copies it), so the key is the piece's first subpage.
 *
 * Entries go in when a VMA is created and out when it is unlinked:
 * - fork: anon_vma_fork() → anon_vma_clone() inserts the child's avc per
 *   parent VMA, in address order (dup_mmap());
 * - __split_vma() @ v6.1 (mm/mmap.c) / @ v6.12 (mm/vma.c): anon_vma_clone(new,
 *   vma) inserts the new piece, then the shrunk vma is taken out and put back
 *   (__vma_adjust() @ v6.1 / vma_prepare() + vma_complete() @ v6.12 through
 *   anon_vma_interval_tree_pre/post_update_vma(), under anon_vma_lock_write;
 *   both pieces are re-inserted whichever side is new, since only their
 *   starts differ);
 * - munmap's splits at its borders as above; the pieces it removes stay in
 *   the tree until unmap_region() → free_pgtables() → unlink_anon_vmas(), after
 *   their PTEs are zapped (vmaTreeUnlink);
 * - mremap (move_vma() → copy_vma(): a new VMA, same pgoff once an anon_vma
 *   exists, inserted; the old one unlinked).
 *
 * The model keeps per mm `vma`, the subpages of the range its VMAs still
 * cover (bit i), and `vma_start`, the subpages where a VMA piece starts; the
 * pieces are the runs of covered subpages cut at those starts. `avc` holds one
 * entry per piece, m + mms * start, in tree order. Both are kept only while
 * the mm is in the walk (all ones and bit 0 otherwise, so equal states stay
 * equal).
 */
interface TreeState {
  avc: number[];
  rmap_lock: number;
  readonly mms: readonly { vma: number; vma_start: number }[];
}
type TreeT = ThreadCtx<{ readonly kind: string; readonly nr: number }>;

const bit = (i: number): number => 1 << i;
/** The subpages [from, to) as a mask. */
const rangeMask = (from: number, to: number): number => (bit(to) - 1) & ~(bit(from) - 1);

/** The mm of a walk entry (-1: unlinked). */
const entryMm = (g: Readonly<TreeState>, e: number): number => (e < 0 ? -1 : e % g.mms.length);
/** vma_start_pgoff() of a walk entry's VMA, in subpages from the range's first page: the tree's key. */
const entryKey = (g: Readonly<TreeState>, e: number): number => Math.floor(e / g.mms.length);

/** The VMA piece of mm that starts at subpage s: its covered subpages up to the next start. */
function pieceAt(vma: number, vma_start: number, s: number): number {
  let mask = 0;
  for (let i = s; vma & bit(i) && (i === s || !(vma_start & bit(i))); i++) mask |= bit(i);
  return mask;
}

/** mm's VMA pieces over the range, in address order, as subpage masks. */
function piecesOf(vma: number, vma_start: number, nr: number): number[] {
  const out: number[] = [];
  for (let s = 0; s < nr; s++)
    if (vma & bit(s) && (s === 0 || vma_start & bit(s) || !(vma & bit(s - 1))))
      out.push(pieceAt(vma, vma_start | bit(s), s));
  return out;
}

/** The lowest subpage of a piece mask. */
const lowest = (mask: number): number => 31 - Math.clz32(mask & -mask);

/** Is mm m in the anon walk (has a linked VMA piece)? */
export const inAnonWalk = (g: Readonly<TreeState>, m: number): boolean => g.avc.some((e) => entryMm(g, e) === m);

/** anon_vma_interval_tree_insert() of entry e: after every entry whose start is <= its own. */
function anonVmaTreeInsert(g: TreeState, e: number): void {
  /* a fork landing at the end while a walk is under way (vmaTreeForkAppends): the walk's positions must hold */
  if (g.rmap_lock !== 0) {
    g.avc = [...g.avc, e];
    return;
  }
  const avc = g.avc.filter((x) => x >= 0); /* no walk is under way: drop the tombstones */
  const key = entryKey(g, e);
  let k = 0;
  while (k < avc.length && entryKey(g, avc[k]!) <= key) k++;
  avc.splice(k, 0, e);
  g.avc = avc;
}

/** How an op changes mm's VMAs over [from, to): munmap removes them, split cuts them at the borders, move (mremap) re-creates them. */
export type VmaChange = 'munmap' | 'split' | 'move';

/** mm m's piece starts after the change (munmap: the removed part becomes its own pieces, unlinked by vmaTreeUnlink). */
function startsAfter(g: Readonly<TreeState>, t: TreeT, m: number, from: number, to: number): number {
  const { vma, vma_start } = g.mms[m]!;
  let starts = vma_start;
  if (from > 0 && vma & bit(from)) starts |= bit(from); /* __split_vma(vma, start) */
  if (to < t.params.nr && vma & bit(to)) starts |= bit(to); /* __split_vma(vma, end) */
  return starts;
}

/** The pieces of mm m the change (re-)inserts, in address order ([] when it moves nothing). */
function reinserted(g: Readonly<TreeState>, t: TreeT, m: number, from: number, to: number, c: VmaChange): number[] {
  if (t.params.kind !== 'anon' || !inAnonWalk(g, m)) return [];
  const { vma, vma_start } = g.mms[m]!;
  const before = piecesOf(vma, vma_start, t.params.nr);
  if (c === 'move') return before; /* copy_vma() of each */
  const after = piecesOf(vma, startsAfter(g, t, m, from, to), t.params.nr);
  return after.filter((p) => !before.includes(p));
}

/** Does the change re-insert a walk entry of mm m (so it needs the anon_vma lock for write)? */
export const vmaTreeMoves = (
  g: Readonly<TreeState>,
  t: TreeT,
  m: number,
  from: number,
  to: number,
  c: VmaChange,
): boolean => reinserted(g, t, m, from, to, c).length > 0;

/** An op changing mm m's VMAs over [from, to) (under its mmap_lock for write): may it run now? (anon_vma_lock_write) */
export const vmaTreeWriteOk = (
  g: Readonly<TreeState>,
  t: TreeT,
  m: number,
  from: number,
  to: number,
  c: VmaChange,
): boolean => g.rmap_lock === 0 || !vmaTreeMoves(g, t, m, from, to, c);

/** Apply the change to mm m's pieces and (re-)insert the ones it creates where the kernel's inserts put them. */
export function vmaTreeChange(g: TreeState, t: TreeT, m: number, from: number, to: number, c: VmaChange): void {
  const pieces = reinserted(g, t, m, from, to, c);
  if (pieces.length === 0) return;
  const mm = g.mms[m]!;
  if (c !== 'move') mm.vma_start = startsAfter(g, t, m, from, to);
  const mms = g.mms.length;
  /* the pieces that changed leave the tree (pre_update / unlink) and come back in address order */
  const gone = new Set(pieces.map((p) => m + mms * lowest(p)));
  g.avc = g.avc.filter((e) => !(entryMm(g, e) === m && (c === 'move' || gone.has(e) || !liveEntry(g, e))));
  for (const p of pieces) anonVmaTreeInsert(g, m + mms * lowest(p));
}

/** Does entry e still name a piece of its mm (a start that is covered and cut there)? */
function liveEntry(g: Readonly<TreeState>, e: number): boolean {
  const mm = g.mms[entryMm(g, e)]!;
  const s = entryKey(g, e);
  return (mm.vma & bit(s)) !== 0 && (s === 0 || (mm.vma_start & bit(s)) !== 0 || (mm.vma & bit(s - 1)) === 0);
}

/**
 * munmap's unmap_region() → free_pgtables() → unlink_anon_vmas() of the pieces of mm m inside [from, to) (their
 * PTEs are zapped by now), and of every piece when `all` (the mm holds nothing of the range any more: the model
 * drops it from the walk, which would find nothing there). A tombstone keeps a concurrent walk's positions.
 */
export function vmaTreeUnlink(g: TreeState, t: TreeT, m: number, from: number, to: number, all: boolean): void {
  const mm = g.mms[m]!;
  const nr = t.params.nr;
  if (t.params.kind === 'anon' && inAnonWalk(g, m) && !all) {
    const range = rangeMask(from, to);
    g.avc = g.avc.map((e) => (entryMm(g, e) === m && range & bit(entryKey(g, e)) ? -1 : e));
    mm.vma &= ~range;
    mm.vma_start &= ~range;
    if (inAnonWalk(g, m)) return;
  }
  g.avc = g.avc.map((e) => (entryMm(g, e) === m ? -1 : e));
  mm.vma = bit(nr) - 1; /* out of the walk: its VMAs no longer matter (canonical) */
  mm.vma_start = 1;
}

/** fork: the child's VMAs copy the parent's (dup_mmap; kept only when linked); when `link`, each piece's avc goes in after every entry with the same start. */
export function vmaTreeFork(g: TreeState, t: TreeT, s: number, d: number, link: boolean): void {
  if (!link) return;
  const src = g.mms[s]!;
  g.mms[d]!.vma = src.vma;
  g.mms[d]!.vma_start = src.vma_start;
  for (const p of piecesOf(src.vma, src.vma_start, t.params.nr)) anonVmaTreeInsert(g, d + g.mms.length * lowest(p));
}

/** A fork's inserts land at the end of the walk (a walk under way sees the positions it had). */
export function vmaTreeForkAppends(g: Readonly<TreeState>, s: number): boolean {
  const keys = g.avc.filter((e) => entryMm(g, e) === s).map((e) => entryKey(g, e));
  const first = Math.min(...keys);
  return g.avc.every((x) => x < 0 || entryKey(g, x) <= first);
}

/** The subpages of the VMA piece the walk visits at `pos` (anon; a file walk visits each mm's whole range). */
export function rmapWalkPiece(g: Readonly<WalkState & TreeState>, t: T, pos: number): number {
  if (t.params.kind !== 'anon') return bit(t.params.nr) - 1;
  const e = g.avc[pos];
  if (e === undefined || e < 0) return 0;
  const mm = g.mms[entryMm(g, e)]!;
  return pieceAt(mm.vma, mm.vma_start | bit(entryKey(g, e)), entryKey(g, e));
}

/** The mm the walk visits at `pos`: anon_vma order (-1: an unlinked VMA, nothing to do) or mm order (file); rmapWalkPiece names the VMA piece. */
export function rmapWalkMm(g: Readonly<WalkState>, t: T, pos: number): number | undefined {
  if (t.params.kind !== 'anon') return pos < g.mms.length ? pos : undefined;
  const e = g.avc[pos];
  return e === undefined || e < 0 ? e : e % g.mms.length;
}

/**
 * An rmap walk's step may run: the anon_vma lock free (its first visit takes it) or already ours (a later visit,
 * or the same visit again after a step inside it, as reclaim's PMD split), and the PTL of its mm free.
 */
export function rmapWalkEnabled(g: Readonly<WalkState>, t: T): boolean {
  if (g.rmap_lock !== 0 && g.rmap_lock !== me(t)) return false;
  const m = rmapWalkMm(g, t, t.l.walk!);
  return m === undefined || m < 0 || g.mms[m]!.ptl === 0;
}

/**
 * Advance an rmap walk whose first visit took the anon_vma lock (anon_vma_lock_read); at its end, or when
 * `stop` (the visit's callback answered false), drop the lock and return true.
 */
export function rmapWalkNext(g: WalkState, t: T, stop = false): boolean {
  t.l.walk = t.l.walk! + 1;
  if (!stop && rmapWalkMm(g, t, t.l.walk) !== undefined) return false;
  g.rmap_lock = 0;
  t.l.walk = 0;
  return true;
}

/** A fresh anon THP in mm m (do_huge_pmd_anonymous_page: a new anon_vma, its one VMA linked; nobody else is in its walk). */
export function vmaTreeNew(g: TreeState, nr: number, m: number): void {
  g.avc = [m];
  for (const mm of g.mms) {
    mm.vma = bit(nr) - 1;
    mm.vma_start = 1;
  }
}
