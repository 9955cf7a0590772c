/**
 * Shared step machinery of the folio-era THP implementation (as in impl/thp): typed step labels (a typo
 * in a `run` result does not compile), typed operation arguments, and
 * lockdep_assert_held()-style assertions that fail the run as an internal
 * error (`impl-error`) instead of letting a step run without its lock.
 *
 * Lock fields hold `tid + 1` of the owner (folio lock, PTL, anon_vma /
 * i_mmap rwsem for write) or, for mmap_lock, -1 when held for write and the
 * reader count otherwise (checker/types.ts convention).
 */
// Deliberate parallel of impl/thp's steps.ts: the step type, the locals and kernelOp are typed by this implementation's own state (FolioState, folio locals), so a label or local of one era does not type-check in the other; the era-independent plumbing is shared in impl/thp-common/steps.ts.
import type { OpDef, StepDef } from '../../checker/types.js';
import { assertHeld, me, type Done } from '../thp-common/steps.js';
import { BUG_ON, folioOf, type T, type FolioParams, type FolioState } from './folio.js';

type G = FolioState;

// The era-independent plumbing (arguments, lockdep assertions, PTL / mmap_lock) is shared with the
// other THP implementation; only the page/folio lock helpers below are this implementation's own.
export {
  arg,
  assertHeld,
  assertMmapLocked,
  assertMmapWriteLocked,
  assertPtlHeld,
  assertRmapLocked,
  badMm,
  badSub,
  BUSY,
  done,
  finish,
  me,
  mmap_read_unlock,
  mmap_write_unlock,
  mmOf,
  OK,
  pmd_lock,
  spin_unlock_ptl,
  type Done,
  type ThpArg,
} from '../thp-common/steps.js';

/** A step whose successor labels are checked against the operation's label list L. */
export interface KStep<L extends string> {
  readonly name: L;
  enabled?(g: Readonly<G>, t: T): boolean;
  run(g: G, t: T): NoInfer<L> | Done;
  /** Reads and writes only the thread's locals (StepDef.threadLocal: `check --por`). */
  readonly threadLocal?: boolean;
}

/** The integer locals THP operations use, named after the kernel's locals where one exists. */
export type Local =
  | 'i'
  | 'page'
  | 'ret'
  | 'walk'
  | 'page_locked'
  | 'mapcount'
  | 'zapped'
  | 'fault'
  | 'early_cow'
  | 'seq'
  | 'snapshot'
  | 'grabbed'
  | 'pmdsnap'
  | 'unshare'
  | 'prev'
  | 'entry_prev'
  | 'split_folios'
  | 'unmap_folios'
  | 'nr_failed'
  | 'moving'
  | 'mode_sync'
  | 'src_deferred_split'
  | 'src_partially_mapped'
  | 'addr'
  | 'nr'
  | 'list';

/** An operation: its one-line doc, its locals and its steps (steps[0] is the entry). */
export function kernelOp<L extends string>(
  doc: string,
  locals: readonly Local[],
  steps: readonly KStep<L>[],
): OpDef<G, FolioParams> {
  return { doc, locals, steps: steps as readonly StepDef<G, FolioParams>[] };
}

// ---------------------------------------------------------------------------
// lockdep_assert_held() equivalents
// ---------------------------------------------------------------------------

export const assertFolioLocked = (g: Readonly<G>, t: T, i: number): void =>
  assertHeld(g.pages[folioOf(g, i)]!.locked === me(t), `page lock of page ${folioOf(g, i)}`);

/** folio_lock() taken in the current step (the caller's enabled() waited for it to be free). */
export function folio_lock(g: G, t: T, i: number): void {
  const head = g.pages[folioOf(g, i)]!;
  BUG_ON(head.locked !== 0, `folio_lock: page ${folioOf(g, i)} already locked`);
  head.locked = me(t);
}
/** folio_unlock(): only the owner may unlock. */
export function folio_unlock(g: G, t: T, i: number): void {
  assertFolioLocked(g, t, i);
  g.pages[folioOf(g, i)]!.locked = 0;
}
