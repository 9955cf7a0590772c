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
import {
  anonVmaPrepare,
  bit,
  lowest,
  mergeAnonVmas,
  pieceAt,
  piecesOf,
  rangeMask,
  startsOf,
  vmaHugeSuitable,
  vmaInit,
  type VmaLayout,
} from './vma-layout.js';

export { VMA_FIELDS, anonVmaPrepare, hasAnonVma, vmaHugeSuitable, vmaInit } from './vma-layout.js';

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
 * entry per piece, m + mms * start, in tree order, for the mms in the walk.
 * The layout is kept for every mm of an anon scenario (session 15: fork copies
 * page tables only for a VMA with an anon_vma, and a read fault maps the huge
 * zero page only where one VMA covers the range, so it matters outside the walk
 * too); a file scenario keeps the initial one VMA.
 */
interface TreeState {
  avc: number[];
  rmap_lock: number;
  readonly mms: readonly VmaLayout[];
}
type TreeT = ThreadCtx<{ readonly kind: string; readonly nr: number }>;

/** The mm of a walk entry (-1: unlinked). */
const entryMm = (g: Readonly<TreeState>, e: number): number => (e < 0 ? -1 : e % g.mms.length);
/** vma_start_pgoff() of a walk entry's VMA, in subpages from the range's first page: the tree's key. */
const entryKey = (g: Readonly<TreeState>, e: number): number => Math.floor(e / g.mms.length);

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

/**
 * How an op changes mm's VMAs over [from, to): munmap removes them (cut at its borders, unlinked later by
 * vmaTreeUnlink), move (mremap) re-creates them, and the flag changes of mprotect (PROT_EXEC added, or back to
 * PROT_READ|PROT_WRITE: 'noexec') and mlock/munlock (VM_LOCKED) split and merge them.
 */
export type VmaChange = 'munmap' | 'move' | 'exec' | 'noexec' | 'lock' | 'unlock';

interface Layout {
  starts: number;
  exec: number;
  locked: number;
  anon: number;
}

/** mm m's piece layout after the change. */
function layoutAfter(g: Readonly<TreeState>, t: TreeT, m: number, from: number, to: number, c: VmaChange): Layout {
  const mm = g.mms[m]!;
  const nr = t.params.nr;
  if (c === 'munmap' || c === 'move') {
    let starts = mm.vma_start;
    if (c === 'munmap' && from > 0 && mm.vma & bit(from)) starts |= bit(from); /* __split_vma(vma, start) */
    if (c === 'munmap' && to < nr && mm.vma & bit(to)) starts |= bit(to); /* __split_vma(vma, end) */
    return { starts, exec: mm.vm_exec, locked: mm.vm_locked, anon: mm.anon_vma };
  }
  const range = rangeMask(from, to) & mm.vma;
  const exec = c === 'exec' ? mm.vm_exec | range : c === 'noexec' ? mm.vm_exec & ~range : mm.vm_exec;
  const locked = c === 'lock' ? mm.vm_locked | range : c === 'unlock' ? mm.vm_locked & ~range : mm.vm_locked;
  const changed = range & ((exec ^ mm.vm_exec) | (locked ^ mm.vm_locked));
  const anon = mergeAnonVmas(mm.vma, exec, locked, mm.anon_vma, mm.vma_nomerge, changed, nr);
  return { starts: startsOf(mm.vma, exec, locked, anon, mm.vma_nomerge, nr), exec, locked, anon };
}

/** The pieces of mm m the change (re-)inserts, in address order ([] when it moves nothing). */
function reinserted(g: Readonly<TreeState>, t: TreeT, m: number, from: number, to: number, c: VmaChange): number[] {
  if (t.params.kind !== 'anon' || !inAnonWalk(g, m)) return [];
  const { vma, vma_start } = g.mms[m]!;
  const before = piecesOf(vma, vma_start, t.params.nr);
  if (c === 'move') return before; /* copy_vma() of each */
  const after = piecesOf(vma, layoutAfter(g, t, m, from, to, c).starts, t.params.nr);
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

/**
 * Apply the change to mm m's pieces (every mm of an anon scenario) and, for an mm in the walk, (re-)insert the ones
 * it creates where the kernel's inserts put them; a merge re-inserts the VMA that grew (__vma_adjust() @ v6.1 /
 * commit_merge() @ v6.12 pre/post-update it) and unlinks the ones it swallowed. Coarsened: the kernel unlinks those
 * (vma_complete() → anon_vma_merge() → unlink_anon_vmas()) after dropping the anon_vma lock it re-inserted under, so a
 * walk in between may visit their range twice (once more through the stale VMA), which finds nothing left to do the
 * second time.
 */
export function vmaTreeChange(g: TreeState, t: TreeT, m: number, from: number, to: number, c: VmaChange): void {
  if (t.params.kind !== 'anon') return;
  const mm = g.mms[m]!;
  const pieces = reinserted(g, t, m, from, to, c);
  const after = layoutAfter(g, t, m, from, to, c);
  mm.vm_exec = after.exec;
  mm.vm_locked = after.locked;
  mm.anon_vma = after.anon;
  if (pieces.length === 0 && after.starts === mm.vma_start) return;
  mm.vma_start = after.starts;
  if (!inAnonWalk(g, m)) return;
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
 * PTEs are zapped by now; the VMAs go), and every walk entry of m when `all` (the mm holds nothing of the range any
 * more: the model drops it from the walk, which would find nothing there; the VMAs outside [from, to) stay). A
 * tombstone keeps a concurrent walk's positions.
 */
export function vmaTreeUnlink(g: TreeState, t: TreeT, m: number, from: number, to: number, all: boolean): void {
  const mm = g.mms[m]!;
  const range = rangeMask(from, to);
  g.avc = g.avc.map((e) => (entryMm(g, e) === m && (all || range & bit(entryKey(g, e))) ? -1 : e));
  if (t.params.kind !== 'anon') return;
  mm.vma &= ~range;
  mm.vma_start &= ~range;
  mm.vm_exec &= ~range;
  mm.vm_locked &= ~range;
  mm.vma_nomerge &= ~range;
  mm.anon_vma &= ~range;
}

/**
 * fork: the child's VMAs copy the parent's (dup_mmap() → vm_area_dup()), each with an anon_vma of its own where the
 * parent's VMA has one (anon_vma_fork(): "Don't bother if the parent process has no anon_vma here", else "Then add
 * our own anon_vma"). Two child VMAs with anon_vmas have different ones, and one with an anon_vma has a chain that
 * is not singular, so it never merges with one without (is_mergeable_anon_vma()): only a border between two VMAs
 * without one may merge later. When `link`, each piece's avc goes in after every entry with the same start.
 */
export function vmaTreeFork(g: TreeState, t: TreeT, s: number, d: number, link: boolean): void {
  if (t.params.kind !== 'anon' || inAnonWalk(g, d)) return;
  const src = g.mms[s]!;
  const dst = g.mms[d]!;
  dst.vma = src.vma;
  dst.vma_start = src.vma_start;
  dst.vm_exec = src.vm_exec;
  dst.vm_locked = src.vm_locked;
  dst.anon_vma = src.anon_vma;
  const neither = ~src.anon_vma & ~(src.anon_vma << 1); /* bit b: neither b - 1 nor b has an anon_vma */
  dst.vma_nomerge = src.vma_start & ~1 & ~neither;
  if (!link) return;
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

/**
 * A fresh anon THP in mm m (do_huge_pmd_anonymous_page(): anon_vma_prepare() of its VMA; that VMA linked, nobody else
 * is in the new THP's walk). The kernel maps it only where one VMA covers the range (vmaHugeSuitable); the model's
 * `fault` op keeps no small anon pages to fall back to, so where the mm's VMAs were cut or unmapped (conform never
 * generates that fault) it gives the mm one VMA over the range again, as the model did for every mm before session 15.
 */
export function vmaTreeNew(g: TreeState, nr: number, m: number): void {
  const mm = g.mms[m]!;
  if (!vmaHugeSuitable(mm, nr)) Object.assign(mm, vmaInit(nr));
  g.avc = [m];
  anonVmaPrepare(mm, nr, 0);
}

/**
 * The model's tree against its VMAs (the invariant anon-vma-tree-per-vma): every mm in the anon walk has exactly one
 * live entry per VMA piece, and live entries are in key order (anon_vma_interval_tree_foreach's in-order walk).
 * null when no anon THP has a walk to check.
 */
export function vmaTreeProblem(g: Readonly<TreeState>, nr: number): string | null | true {
  const live = g.avc.filter((e) => e >= 0);
  if (live.length === 0) return null;
  for (let k = 1; k < live.length; k++)
    if (entryKey(g, live[k - 1]!) > entryKey(g, live[k]!)) return `avc entries out of key order: ${live.join(',')}`;
  for (let m = 0; m < g.mms.length; m++) {
    const mine = live.filter((e) => entryMm(g, e) === m).map((e) => entryKey(g, e));
    if (mine.length === 0) continue;
    const { vma, vma_start } = g.mms[m]!;
    const starts = piecesOf(vma, vma_start, nr).map(lowest);
    if (mine.length !== starts.length || starts.some((s, i) => mine[i] !== s))
      return `mm ${m}: avc entries at ${mine.join(',')} but VMA pieces start at ${starts.join(',')}`;
  }
  return true;
}
