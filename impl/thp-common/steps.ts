/**
 * Step machinery shared by the two THP implementations (impl/thp and
 * impl/thp-folio): BUG_ON(), argument decoding, lockdep_assert_held()-style
 * assertions and the PTL / mmap_lock primitives. These are modelling plumbing
 * and lock bookkeeping that are the same in both kernel eras, not the
 * page/folio logic the spec judges; the page-lock helpers (lock_page() vs
 * folio_lock()) and everything keyed on the page or folio layout stay in each
 * implementation's own steps.ts.
 *
 * The helpers are typed structurally (any state with `mms[]` of
 * `{ ptl, mmap_lock }` and an `rmap_lock`), so neither implementation's state
 * type leaks into the other.
 *
 * Lock fields hold `tid + 1` of the owner (PTL, anon_vma / i_mmap rwsem for
 * write) or, for mmap_lock, -1 when held for write and the reader count
 * otherwise (checker/types.ts convention).
 */
import { done, type RetValue, type ThreadCtx } from '../../checker/types.js';

/** A kernel BUG() (or a lockdep splat) hit by the model: the run fails as an internal error. */
export class KernelBug extends Error {}

export function BUG_ON(cond: boolean, text: string): void {
  if (cond) throw new KernelBug(text);
}

/** The scenario parameters the shared helpers read. */
interface Sizes {
  readonly mms: number;
  readonly nr: number;
}
type T = ThreadCtx<Sizes>;
/** The lock fields of one mm the shared helpers touch. */
export interface MmLocks {
  ptl: number;
  mmap_lock: number;
}

/** The finished-operation result of a step (checker `done`). */
export type Done = { readonly ret: RetValue };
export { done };

/** The user-visible arguments of THP operations (subsystems/thp/op-schemas.ts lists them per op). */
export const ARGS = [
  'mm',
  'sub',
  'from',
  'to',
  'src',
  'dst',
  'val',
  'write',
  'aligned',
  'longterm',
  'exec',
  'thp',
] as const;
export type ThpArg = (typeof ARGS)[number];

/** An integer argument, or -1 when absent or not an integer (rejected by the op as EINVAL). */
export function arg(t: T, k: ThpArg): number {
  const v = t.args[k];
  return typeof v === 'number' && Number.isInteger(v) ? v : -1;
}
/** The tracked THP an op names (params.thps, impl/thp-common/kthps.ts): `thp`, 0 when absent, -1 when not an integer. */
export const thpOf = (t: T): number => (t.args.thp === undefined ? 0 : arg(t, 'thp'));
export const badMm = (t: T, m: number): boolean => m < 0 || m >= t.params.mms;
export const badSub = (t: T, i: number): boolean => i < 0 || i >= t.params.nr;
/** The VMA's mm named by the `mm` argument (callers validated it in the entry step). */
export const mmOf = <M>(g: { readonly mms: readonly M[] }, t: T): M => g.mms[arg(t, 'mm')]!;
/** The lock-owner value of this thread. */
export const me = (t: T): number => t.tid + 1;

// ---------------------------------------------------------------------------
// lockdep_assert_held() equivalents
// ---------------------------------------------------------------------------

/** lockdep_assert_held(): a step that needs a lock it does not hold is a modelling error. */
export function assertHeld(held: boolean, lock: string): void {
  BUG_ON(!held, `lockdep_assert_held(${lock}) failed`);
}
export const assertPtlHeld = (mm: Readonly<MmLocks>, t: T): void => assertHeld(mm.ptl === me(t), 'pmd_lock');
export const assertMmapLocked = (mm: Readonly<MmLocks>): void => assertHeld(mm.mmap_lock !== 0, 'mmap_lock');
export const assertMmapWriteLocked = (mm: Readonly<MmLocks>): void =>
  assertHeld(mm.mmap_lock === -1, 'mmap_lock (write)');
export const assertRmapLocked = (g: { readonly rmap_lock: number }, t: T): void =>
  assertHeld(g.rmap_lock === me(t), 'anon_vma/i_mmap rwsem');

/** spin_lock(pmd_lock(mm, pmd)) held across steps. */
export function pmd_lock(mm: MmLocks, t: T): void {
  BUG_ON(mm.ptl !== 0, 'pmd_lock: already held');
  mm.ptl = me(t);
}
export function spin_unlock_ptl(mm: MmLocks, t: T): void {
  assertPtlHeld(mm, t);
  mm.ptl = 0;
}
export function mmap_read_unlock(mm: MmLocks): void {
  BUG_ON(mm.mmap_lock <= 0, 'mmap_read_unlock without a reader');
  mm.mmap_lock--;
}
export function mmap_write_unlock(mm: MmLocks): void {
  assertMmapWriteLocked(mm);
  mm.mmap_lock = 0;
}

/** The `done` result of an operation that reports OK/BUSY in t.l.ret. */
export const OK = 1;
export const BUSY = 2;

/** A step that only finishes the operation (used where the kernel returns without another lock). */
export const finish = (ret: RetValue): Done => done(ret);
