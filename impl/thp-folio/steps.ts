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
import { done, type OpDef, type RetValue, type StepDef } from '../../checker/types.js';
import { BUG_ON, folioOf, type MmT, type T, type FolioParams, type FolioState } from './folio.js';

type G = FolioState;

/** The finished-operation result of a step (checker `done`). */
export type Done = { readonly ret: RetValue };
export { done };

/** A step whose successor labels are checked against the operation's label list L. */
export interface KStep<L extends string> {
  readonly name: L;
  enabled?(g: Readonly<G>, t: T): boolean;
  run(g: G, t: T): NoInfer<L> | Done;
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
  | 'unshare';

/** An operation: its one-line doc, its locals and its steps (steps[0] is the entry). */
export function kernelOp<L extends string>(
  doc: string,
  locals: readonly Local[],
  steps: readonly KStep<L>[],
): OpDef<G, FolioParams> {
  return { doc, locals, steps: steps as readonly StepDef<G, FolioParams>[] };
}

/** The user-visible arguments of THP operations (subsystems/thp/op-schemas.ts lists them per op). */
export type ThpArg = 'mm' | 'sub' | 'from' | 'to' | 'src' | 'dst' | 'val' | 'write';

/** An integer argument, or -1 when absent or not an integer (rejected by the op as EINVAL). */
export function arg(t: T, k: ThpArg): number {
  const v = t.args[k];
  return typeof v === 'number' && Number.isInteger(v) ? v : -1;
}
export const badMm = (t: T, m: number): boolean => m < 0 || m >= t.params.mms;
export const badSub = (t: T, i: number): boolean => i < 0 || i >= t.params.nr;
/** The VMA's mm named by the `mm` argument (callers validated it in the entry step). */
export const mmOf = (g: Readonly<G>, t: T): MmT => g.mms[arg(t, 'mm')]!;
/** The lock-owner value of this thread. */
export const me = (t: T): number => t.tid + 1;

// ---------------------------------------------------------------------------
// lockdep_assert_held() equivalents
// ---------------------------------------------------------------------------

/** lockdep_assert_held(): a step that needs a lock it does not hold is a modelling error. */
export function assertHeld(held: boolean, lock: string): void {
  BUG_ON(!held, `lockdep_assert_held(${lock}) failed`);
}
export const assertFolioLocked = (g: Readonly<G>, t: T, i: number): void =>
  assertHeld(g.pages[folioOf(g, i)]!.locked === me(t), `page lock of page ${folioOf(g, i)}`);
export const assertPtlHeld = (mm: Readonly<MmT>, t: T): void => assertHeld(mm.ptl === me(t), 'pmd_lock');
export const assertMmapLocked = (mm: Readonly<MmT>): void => assertHeld(mm.mmap_lock !== 0, 'mmap_lock');
export const assertMmapWriteLocked = (mm: Readonly<MmT>): void => assertHeld(mm.mmap_lock === -1, 'mmap_lock (write)');
export const assertRmapLocked = (g: Readonly<G>, t: T): void =>
  assertHeld(g.rmap_lock === me(t), 'anon_vma/i_mmap rwsem');

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
/** spin_lock(pmd_lock(mm, pmd)) held across steps. */
export function pmd_lock(mm: MmT, t: T): void {
  BUG_ON(mm.ptl !== 0, 'pmd_lock: already held');
  mm.ptl = me(t);
}
export function spin_unlock_ptl(mm: MmT, t: T): void {
  assertPtlHeld(mm, t);
  mm.ptl = 0;
}
export function mmap_read_unlock(mm: MmT): void {
  BUG_ON(mm.mmap_lock <= 0, 'mmap_read_unlock without a reader');
  mm.mmap_lock--;
}
export function mmap_write_unlock(mm: MmT): void {
  assertMmapWriteLocked(mm);
  mm.mmap_lock = 0;
}

/** The `done` result of an operation that reports OK/BUSY in t.l.ret. */
export const OK = 1;
export const BUSY = 2;

/** A step that only finishes the operation (used where the kernel returns without another lock). */
export const finish = (ret: RetValue): Done => done(ret);
