/**
 * Shared step machinery of the THP implementation: typed step labels (a typo
 * in a `run` result does not compile), typed operation arguments, and
 * lockdep_assert_held()-style assertions that fail the run as an internal
 * error (`impl-error`) instead of letting a step run without its lock.
 *
 * Lock fields hold `tid + 1` of the owner (page lock, PTL, anon_vma /
 * i_mmap rwsem for write) or, for mmap_lock, -1 when held for write and the
 * reader count otherwise (checker/types.ts convention).
 */
import type { OpDef, StepDef } from '../../checker/types.js';
import { assertHeld, me, type Done } from '../thp-common/steps.js';
import { BUG_ON, compound_head, type T, type ThpParams, type ThpState } from './page.js';

type G = ThpState;

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
  | 'foll_cow'
  | 'unshare'
  | 'pmdval'
  | 'list'
  | 'addr';

/** An operation: its one-line doc, its locals and its steps (steps[0] is the entry). */
export function kernelOp<L extends string>(
  doc: string,
  locals: readonly Local[],
  steps: readonly KStep<L>[],
): OpDef<G, ThpParams> {
  return { doc, locals, steps: steps as readonly StepDef<G, ThpParams>[] };
}

// ---------------------------------------------------------------------------
// lockdep_assert_held() equivalents
// ---------------------------------------------------------------------------

export const assertPageLocked = (g: Readonly<G>, t: T, i: number): void =>
  assertHeld(g.pages[compound_head(g, i)]!.locked === me(t), `page lock of page ${compound_head(g, i)}`);

/** lock_page() taken in the current step (the caller's enabled() waited for it to be free). */
export function lock_page(g: G, t: T, i: number): void {
  const head = g.pages[compound_head(g, i)]!;
  BUG_ON(head.locked !== 0, `lock_page: page ${compound_head(g, i)} already locked`);
  head.locked = me(t);
}
/** unlock_page(): only the owner may unlock. */
export function unlock_page(g: G, t: T, i: number): void {
  assertPageLocked(g, t, i);
  g.pages[compound_head(g, i)]!.locked = 0;
}
