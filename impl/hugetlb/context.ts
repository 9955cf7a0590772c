/**
 * What every hugetlb step shares: the step/continuation types, the integer
 * locals (named after the kernel's own locals), typed argument access, the
 * small set helpers, and the sleeping locks, released through assertHeld()
 * (impl/lockdep.ts) the way the kernel uses lockdep_assert_held().
 *
 * Sleeping locks held across steps are owner fields (tid + 1): inode_lock
 * (file.ilock), h->resize_lock (g.resize), the fault mutex table (g.fmx, a set
 * of held hash slots). i_mmap_rwsem / the hugetlb VMA lock taken for read by
 * faults is a reader count (file.ir). Spinlocks (hugetlb_lock, resv_map->lock,
 * spool->lock) are held inside one step only, so they have no state.
 */
import type { ThreadCtx } from '../../checker/types.js';
import { assertHeld, InternalError } from '../lockdep.js';
import type { LabelledOp, LabelledStep } from '../step-types.js';
import type { StepLabel, StepResult } from './labels.js';
import type { ResvMap } from './regions.js';
import {
  type File,
  type G,
  type ImplParams,
  type Vma,
  emptyVma,
  HPAGE_RESV_OWNER,
  NORESERVE,
  PRIVATE,
  SHARED,
  SP_MOUNTED,
  V_LIVE,
  VLK_FREED,
  VLK_SHARED,
} from './state.js';

/** The operation's locals, by name (every name in LOCALS). */
export type Locals = Record<(typeof LOCALS)[number], number>;
/** A hugetlb step's view of its thread: ThreadCtx with the locals typed. */
export type T = ThreadCtx<ImplParams> & { readonly l: Locals };
/** A hugetlb step: typed locals; its name and every label it returns are declared in labels.ts. */
export type Step = LabelledStep<G, ImplParams, StepLabel, T>;
/** A hugetlb operation: OpDef whose steps see typed locals. */
export interface Op extends LabelledOp<Step> {
  readonly locals: typeof LOCALS;
}
export type { StepLabel, StepResult } from './labels.js';

/** A continuation: what the caller does next, run inside the current atomic step. */
export type Cont = (g: G, t: T) => StepResult;

/** Stands for LONG_MAX in region_del(resv, start, LONG_MAX). */
export const LONG_MAX = 1 << 20;

/**
 * Integer locals shared by all operations (zeroed at op start and end), named
 * after the kernel locals they stand for:
 *   idx, chg, map_chg, gbl_chg, gbl_reserve, avoid_reserve, rc: alloc_huge_page /
 *     hugetlb_reserve_pages / restore_reserve_on_error;
 *   regions_needed, to_allocate: region_chg / allocate_file_region_entries;
 *   restore_reserve: HPageRestoreReserve (PagePrivate) of the page being allocated;
 *   delta, needed, allocated, alloc_ok: gather_surplus_pages;
 *   unused_resv_pages, nr_pages: return_unused_surplus_pages;
 *   next, freed: remove_inode_hugepages; hash: hugetlb_fault_mutex_hash;
 *   start, end, whole: the range a munmap removes (hugetlb_vm_op_close) and whether it is all of it;
 *   pagecache: hugetlb_wp's old folio is the page-cache folio (a private write to a file page: COW it);
 *   path: which caller an allocation returns to (FAULT_PATH); fail_ret: the
 *   error a backed-out fault returns; out_put_pages: hugetlb_reserve_pages
 *   error label to take after a refund;
 *   temp: UFFDIO_COPY's folio carried across the unlocked copy_folio_from_user (*foliop of
 *     hugetlb_mfill_atomic_pte: TEMP_POOL / TEMP_BUDDY, see impl/hugetlb/uffd.ts);
 *   gup: the fault is get_user_pages' (MADV_SOFT_OFFLINE, impl/hugetlb/migrate.ts): its end goes on
 *     with the migration; src_file: the migrated folio is a page-cache folio (file + 1; 0: anon);
 *     dst_temp: the target is HPageTemporary (alloc_migrate_hugetlb_folio); src_free: the old folio
 *     went to the free list; nosp_freed: of `freed`, folios without a subpool (cb6acd01e2e4 absent);
 *   pinned: of `freed`, folios a long-term pin keeps (pin.ts): not in the batch release;
 *   count: set_max_huge_pages' global target of a per-node write (nodes.ts);
 *   page_nid: page_to_nid of the page alloc_huge_page gave the op; batch_nid: the nodes of a
 *     truncate's batch of removed folios, a count per node nid != 0 in base 8 (nodes.ts);
 *   gather_nid: the nodes of the surplus pages gather_surplus_pages allocated, the same encoding;
 *   surplus_nid: folio_nid of the fresh folio alloc_surplus_hugetlb_folio holds between its lock
 *     cycles (impl/hugetlb/accounting.ts surplusSteps).
 */
export const LOCALS = [
  'idx',
  'path',
  'chg',
  'regions_needed',
  'gbl_chg',
  'map_chg',
  'avoid_reserve',
  'restore_reserve',
  'rc',
  'to_allocate',
  'fail_ret',
  'delta',
  'needed',
  'allocated',
  'alloc_ok',
  'unused_resv_pages',
  'nr_pages',
  'next',
  'freed',
  'hash',
  'gbl_reserve',
  'out_put_pages',
  'start',
  'end',
  'whole',
  'temp',
  'pagecache',
  'gup',
  'src_file',
  'dst_temp',
  'src_free',
  'nosp_freed',
  'pinned',
  'count',
  'page_nid',
  'batch_nid',
  'gather_nid',
  'surplus_nid',
] as const;

// ---------------------------------------------------------------------------
// typed arguments
// ---------------------------------------------------------------------------

/** Every argument a hugetlb op takes (subsystems/hugetlb/op-schemas.ts declares them per op). */
export const ARGS = [
  'v',
  'c',
  'd',
  'i',
  'f',
  'from',
  'to',
  'len',
  'size',
  'n',
  'nid',
  'm',
  'min',
  'write',
  'kind',
  'src',
  'mode',
  'ro',
  'misalign',
  'k',
] as const;
export type HugetlbArg = (typeof ARGS)[number];

/** An integer argument (booleans read as 0/1, a missing one as 0). */
export function argInt(t: T, k: HugetlbArg): number {
  const v = t.args[k];
  return typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : Number(v ?? 0);
}

/** Whether the op was given argument k (an optional one). */
export const hasArg = (t: T, k: HugetlbArg): boolean => t.args[k] !== undefined;

/** A string (enum) argument as text. */
export const argStr = (t: T, k: HugetlbArg): string => String(t.args[k]);

/** l.path: which caller alloc_huge_page returns to. */
export const PATH_NO_PAGE = 0;
export const PATH_WP = 1;
export const PATH_UFFD = 2;
export const PATH_FALLOCATE = 3;
/** mremap moving a range: its shrinking munmap continues with move_vma (surgery.ts). */
export const PATH_MREMAP = 4;

/**
 * hugetlbfs_fallocate allocates through a pseudo VMA (VM_HUGETLB |
 * VM_MAYSHARE | VM_SHARED over the whole file): a fresh shared VMA of args.f
 * that no slot holds.
 */
function pseudoVma(t: T): Vma {
  const v = emptyVma();
  v.st = V_LIVE;
  v.kind = SHARED;
  v.src = argInt(t, 'f');
  v.to = t.params.fileSize;
  return v;
}

/** The VMA an op works on (args.v; fallocate's pseudo VMA). Callers past the entry step know it exists. */
export function vmaOf(g: G, t: T): Vma {
  if (!hasArg(t, 'v')) return pseudoVma(t);
  const v = g.vma[argInt(t, 'v')];
  if (!v) throw new Error(`hugetlb: op on VMA slot ${argInt(t, 'v')} that does not exist`);
  return v;
}

/** The file an op works on (args.f). */
export function fileOf(g: G, t: T): File {
  const f = g.file[argInt(t, 'f')];
  if (!f) throw new Error(`hugetlb: op on file ${argInt(t, 'f')} that does not exist`);
  return f;
}

/** Element k of a list the caller has bounds-checked (throws an internal error otherwise). */
export function at<X>(xs: readonly X[], k: number): X {
  const x = xs[k];
  if (x === undefined) throw new Error(`hugetlb: index ${k} out of range (length ${xs.length})`);
  return x;
}

// ---------------------------------------------------------------------------
// sets of page indices (sorted arrays)
// ---------------------------------------------------------------------------

export function setAdd(s: number[], x: number): number[] {
  if (s.includes(x)) return s;
  const o = s.concat(x);
  o.sort((a, b) => a - b);
  return o;
}

export const setDel = (s: number[], x: number): number[] => (s.includes(x) ? s.filter((y) => y !== x) : s);

// ---------------------------------------------------------------------------
// what a VMA maps
// ---------------------------------------------------------------------------

export const isShared = (kind: number): boolean => kind === SHARED || kind === NORESERVE;

/** The subpool (mount) a VMA charges: its file's mount (shared), the private file's mount (private). */
export function spoolIdx(t: T, v: Vma): number {
  return isShared(v.kind) ? at(t.params.fileMount, v.src) : v.src;
}

/** MAP_PRIVATE of a shared file: that file's index; -1 for every other VMA. */
export const privateFile = (v: Vma): number => (v.kind === PRIVATE && v.pf > 0 ? v.pf - 1 : -1);

/** The shared file whose page cache a VMA's faults look up (shared kinds, MAP_PRIVATE of a file); -1 none. */
export const faultFile = (v: Vma): number => (isShared(v.kind) ? v.src : privateFile(v));

// ---------------------------------------------------------------------------
// page data: what a user wrote into each page, as a small token
// ---------------------------------------------------------------------------

/** Data tokens: a zero-filled page (never written). */
export const TOK_ZERO = 0;
/** Written through a shared mapping of the file (or UFFDIO_COPY into one). */
export const TOK_FILE = 1;
/** Written through the private mapping in VMA slot v. */
export const tokPrivate = (v: number): number => 2 + v;

/** The token of page idx in a sparse data list (idx * 16 + token, token != 0). */
export function datGet(dat: readonly number[], idx: number): number {
  for (const x of dat) if (x >> 4 === idx) return x & 15;
  return TOK_ZERO;
}

/** The data list with page idx holding token (a zero token is dropped: the list stays canonical). */
export function datSet(dat: readonly number[], idx: number, token: number): number[] {
  const out = dat.filter((x) => x >> 4 !== idx);
  if (token !== TOK_ZERO) {
    out.push(idx * 16 + token);
    out.sort((a, b) => a - b);
  }
  return out;
}

/** The data list without the pages failing keep (pages that left the mapping or the page cache). */
export const datKeep = (dat: readonly number[], keep: (idx: number) => boolean): number[] =>
  dat.filter((x) => keep(x >> 4));

/** The reserve map a VMA uses: inode map (shared), own map (private owner), none (fork child, NORESERVE private). */
export function mapOf(g: G, v: Vma): ResvMap | null {
  if (isShared(v.kind)) return at(g.file, v.src);
  if (v.kind === PRIVATE && v.flags & HPAGE_RESV_OWNER) return v;
  return null;
}

/** hugetlb_fault_mutex_hash(mapping, idx) of a file index: a small table, collisions only serialize. */
export function fileMutexHash(t: T, file: number, idx: number): number {
  return (file * t.params.fileSize + idx) % 31;
}

/** hugetlb_fault_mutex_hash for an index of a VMA (a private mapping hashes on its own file). */
export function vmaMutexHash(t: T, v: Vma, idx: number): number {
  const file = faultFile(v);
  return fileMutexHash(t, file >= 0 ? file : t.params.fileMount.length + v.fam, idx);
}

/**
 * The entry shared by hugetlb_fault and mfill_atomic_hugetlb (UFFDIO_COPY / UFFDIO_CONTINUE):
 * enabled() while the fault mutex of (mapping, idx) of the op's `v`/`i` is free (mutex_lock
 * sleeps otherwise); a missing or dead VMA is enabled and fails in run().
 */
export function faultMutexFree(g: Readonly<G>, t: T): boolean {
  const v = g.vma[argInt(t, 'v')];
  if (!v || v.st !== V_LIVE) return true;
  return !g.fmx.includes(vmaMutexHash(t, v, argInt(t, 'i')));
}

/** The op's live VMA `v` when the index `i` lies inside it, else null (the caller's SIGSEGV / ENOENT). */
export function faultVma(g: G, t: T): Vma | null {
  const v = g.vma[argInt(t, 'v')];
  const idx = argInt(t, 'i');
  return v && v.st === V_LIVE && idx >= v.from && idx < v.to ? v : null;
}

/** hugetlb_fault_mutex_hash + mutex_lock for the op's index of `v`; t.l.idx and t.l.hash kept for the unlock. */
export function faultMutexEnter(g: G, t: T, v: Vma): void {
  t.l.idx = argInt(t, 'i');
  t.l.hash = vmaMutexHash(t, v, t.l.idx);
  faultMutexLock(g, t.l.hash);
}

/**
 * What fallocate(2) checks before hugetlbfs_fallocate / hugetlbfs_punch_hole take inode_lock: the
 * range [from, to) lies in the file and its hugetlbfs is mounted (EINVAL), the descriptor is open
 * (EBADF, vfs_fallocate needs it). The file, or the error the op returns.
 */
export function fallocateFile(g: G, t: T): File | 'EINVAL' | 'EBADF' {
  const fileIndex = argInt(t, 'f');
  const from = argInt(t, 'from');
  const to = argInt(t, 'to');
  const f = g.file[fileIndex];
  const mount = t.params.fileMount[fileIndex];
  if (!f || !(from >= 0 && from < to && to <= t.params.fileSize) || mount === undefined) return 'EINVAL';
  if (g.spool[mount]?.st !== SP_MOUNTED) return 'EINVAL';
  return f.fd === 0 ? 'EBADF' : f;
}

// ---------------------------------------------------------------------------
// sleeping locks
// ---------------------------------------------------------------------------

// assertHeld (impl/lockdep.ts) fails the run as an internal error, the way lockdep_assert_held
// catches a kernel path that releases a lock it does not hold.

export function inodeLock(f: File, t: T): void {
  f.ilock = t.tid + 1;
}

export function inodeUnlock(f: File, t: T): void {
  assertHeld(f.ilock, t.tid, 'inode->i_rwsem');
  f.ilock = 0;
}

export function faultMutexLock(g: G, hash: number): void {
  g.fmx = setAdd(g.fmx, hash);
}

/** The fault mutex table has no owner field (a held hash slot): assert the slot is held at all. */
export function faultMutexUnlock(g: G, hash: number): void {
  if (!g.fmx.includes(hash))
    throw new InternalError(`lockdep_assert_held(hugetlb_fault_mutex_table[${hash}]) failed: not held`);
  g.fmx = setDel(g.fmx, hash);
}

export function resizeUnlock(g: G, t: T): void {
  assertHeld(g.resize, t.tid, 'h->resize_lock');
  g.resize = 0;
}

// ---------------------------------------------------------------------------
// the hugetlb VMA lock's lifetime (vma.lk)
// ---------------------------------------------------------------------------

/** A kernel crash the model detects (KASAN report, BUG): the checker reports the step as failing. */
export class KernelBug extends Error {
  constructor(message: string) {
    super(`kernel bug: ${message}`);
    this.name = 'KernelBug';
  }
}

/** hugetlb_vma_lock_read/write of a shared VMA: its vma_lock must not have been freed. */
export function vmaLockUse(v: Vma, where: string): void {
  if (v.lk === VLK_FREED) throw new KernelBug(`KASAN: use-after-free of a hugetlb vma_lock in ${where}`);
}

/**
 * hugetlb_vma_lock_free at a shared VMA's close: with a struct two VMAs
 * point at (VLK_SHARED, 131a79b474e9 absent) the other VMA keeps a dangling
 * pointer; freeing a freed one is a double free.
 */
export function vmaLockFree(g: G, v: Vma): void {
  if (!isShared(v.kind)) return;
  vmaLockUse(v, 'hugetlb_vma_lock_free (double free)');
  if (v.lk !== VLK_SHARED) return;
  for (const w of g.vma)
    if (w !== v && w.st !== 0 && w.lk === VLK_SHARED && isShared(w.kind) && w.src === v.src) w.lk = VLK_FREED;
}

/**
 * hugetlb_vm_op_open of a piece split or copied from `v`: a new vma_lock
 * (VLK_OWN); before 131a79b474e9 the pointer vm_area_dup copied stays.
 */
export function vmaLockOpen(t: T, v: Vma, piece: Vma): void {
  if (!isShared(v.kind) || !t.bug('131a79b474e9')) return;
  piece.lk = v.lk = v.lk === VLK_FREED ? VLK_FREED : VLK_SHARED;
}
