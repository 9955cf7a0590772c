/**
 * The rmap walk as both THP implementations step through it: one VMA (one mm)
 * per step, in anon_vma order for anon memory (rmap_walk_anon(): the
 * anon_vma's interval tree, here the order the VMAs were linked, parents
 * before children; `avc`) or i_mmap order for a file (rmap_walk_file(), here
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
