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
 * visited in insertion order. The range's VMA in every mm has one vm_pgoff
 * (do_mmap(): a private anon mapping's pgoff is addr >> PAGE_SHIFT; fork's
 * dup_mmap() copies it), so the order moves only when a VMA is re-inserted:
 * fork (anon_vma_fork() → anon_vma_clone() inserts the child's avc), a split
 * (__split_vma() @ v6.1 / v6.12: anon_vma_clone(new, vma), then the shrunk
 * vma is taken out and put back, vma_adjust() @ v6.1 / vma_prepare() +
 * vma_complete() @ v6.12 through anon_vma_interval_tree_pre/post_update_vma(),
 * its vm_pgoff advanced when its start moved: `vma->vm_pgoff += (addr -
 * new->vm_start) >> PAGE_SHIFT`) and mremap (move_vma() → copy_vma(): a new
 * VMA, same pgoff, inserted; the old one unlinked). Each insert takes the
 * anon_vma lock for write, so no walk is under way.
 *
 * The model keeps per mm `vma`, the subpages of the range its VMAs still
 * cover (bit i), whose lowest bit is the key, and one walk entry per mm in
 * `avc`, placed at its lowest VMA. Not modelled: an mm whose VMAs in the range
 * were split into several pieces is visited once, at its lowest piece (the
 * kernel visits each piece at its own place), and splits at mprotect/mlock
 * borders are not remembered (a later op re-inserts the mm when it touches
 * its lowest run of covered subpages).
 */
interface TreeState {
  avc: number[];
  rmap_lock: number;
  readonly mms: readonly { vma: number }[];
}
type TreeT = ThreadCtx<{ readonly kind: string; readonly nr: number }>;

/** vma_start_pgoff() of mm's lowest VMA over the range, in subpages from the range's first page. */
const startPgoff = (vma: number): number => (vma === 0 ? 0 : 31 - Math.clz32(vma & -vma));

/** anon_vma_interval_tree_insert() of mm m's entry: after every entry whose start is <= its own. */
function anonVmaTreeInsert(g: TreeState, m: number): void {
  /* a fork landing at the end while a walk is under way (vmaTreeForkAppends): the walk's positions must hold */
  if (g.rmap_lock !== 0) {
    g.avc = [...g.avc.filter((x) => x !== m), m];
    return;
  }
  const avc = g.avc.filter((x) => x >= 0 && x !== m); /* no walk is under way: drop the tombstones */
  const key = startPgoff(g.mms[m]!.vma);
  let k = 0;
  while (k < avc.length && startPgoff(g.mms[avc[k]!]!.vma) <= key) k++;
  avc.splice(k, 0, m);
  g.avc = avc;
}

/** How an op changes mm's VMAs over [from, to): munmap removes them, split cuts them at the borders, move (mremap) re-creates them. */
export type VmaChange = 'munmap' | 'split' | 'move';

/** The lowest run of set bits of a mask. */
const lowestRun = (x: number): number => {
  const low = x & -x;
  return x & ~(x + low);
};

/** Does the change re-insert mm m's walk entry (so it needs the anon_vma lock for write)? */
export function vmaTreeMoves(
  g: Readonly<TreeState>,
  t: TreeT,
  m: number,
  from: number,
  to: number,
  c: VmaChange,
): boolean {
  if (t.params.kind !== 'anon' || !g.avc.includes(m)) return false;
  const vma = g.mms[m]!.vma;
  const range = ((1 << to) - 1) & ~((1 << from) - 1);
  const low = lowestRun(vma);
  if (c === 'move') return vma !== 0;
  if ((low & range) === 0) return false;
  return c === 'munmap' ? (vma & ~range) !== 0 : (low & ~range) !== 0;
}

/** An op changing mm m's VMAs over [from, to) (under its mmap_lock for write): may it run now? (anon_vma_lock_write) */
export const vmaTreeWriteOk = (
  g: Readonly<TreeState>,
  t: TreeT,
  m: number,
  from: number,
  to: number,
  c: VmaChange,
): boolean => g.rmap_lock === 0 || !vmaTreeMoves(g, t, m, from, to, c);

/** Apply the change to mm m's `vma` and re-insert its walk entry where the kernel's re-insert puts it. */
export function vmaTreeChange(g: TreeState, t: TreeT, m: number, from: number, to: number, c: VmaChange): void {
  const moves = vmaTreeMoves(g, t, m, from, to, c);
  /* kept only while the mm is in the walk (canonical: an unlinked mm's, or a file's, stays all ones) */
  if (c === 'munmap' && t.params.kind === 'anon' && g.avc.includes(m))
    g.mms[m]!.vma &= ~(((1 << to) - 1) & ~((1 << from) - 1));
  if (moves) anonVmaTreeInsert(g, m);
}

/** fork: the child's VMAs copy the parent's (dup_mmap; kept only when linked); when `link`, its avc goes in after every entry with the same start. */
export function vmaTreeFork(g: TreeState, s: number, d: number, link: boolean): void {
  if (!link) return;
  g.mms[d]!.vma = g.mms[s]!.vma;
  anonVmaTreeInsert(g, d);
}

/** A fork's insert lands at the end of the walk (a walk under way sees the positions it had). */
export const vmaTreeForkAppends = (g: Readonly<TreeState>, s: number): boolean =>
  g.avc.every((x) => x < 0 || startPgoff(g.mms[x]!.vma) <= startPgoff(g.mms[s]!.vma));

/** The mm the walk visits at `pos`: anon_vma order (-1: an unlinked VMA, nothing to do) or mm order (file). */
export function rmapWalkMm(g: Readonly<WalkState>, t: T, pos: number): number | undefined {
  if (t.params.kind === 'anon') return g.avc[pos];
  return pos < g.mms.length ? pos : undefined;
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
