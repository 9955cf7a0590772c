/**
 * The generation model for hugetlb scripts: which VMA slots hold a mapping
 * (and of what), which mounts are mounted. Optimistic: a step is assumed to
 * succeed, so a later step may still meet a failed mmap (the op language
 * defines that case too: a fault on an empty slot is SIGSEGV).
 */
import { type HugetlbParams, PIN_SLOTS } from '../../../../spec/hugetlb/params.js';

export interface GenVma {
  readonly kind: string;
  /** The file (shared, noreserve, private_file) or mount (private kinds) the mapping names. */
  readonly f: number;
  readonly from: number;
  readonly to: number;
  /** Took part in a fork (as parent or child): the op language forks a mapping once. */
  forked: boolean;
  /** mprotect(PROT_READ) (mprotect.ts). */
  ro?: boolean;
  /** UFFDIO_REGISTER'ed (mprotect and mremap leave such mappings alone). */
  registered?: boolean;
  /**
   * The slot whose addresses the mapping lives at (the probe's VBASE): its mmap's slot, kept by
   * the pieces of a split, the target slot of an mremap move.
   */
  base?: number;
}

export interface HugetlbGenModel {
  readonly vmas: (GenVma | null)[];
  /** Mounted as far as generation knows (an umount is assumed to succeed; if it did not, a mount is EBUSY). */
  readonly mounted: boolean[];
  /** A set_nr or set_overcommit was generated: surplus pages may exist from then on. */
  poolResized: boolean;
  /** Pin slots holding a pin (io_uring ring or udmabuf) as far as generation knows. */
  readonly pinned: boolean[];
  /**
   * Per file slot, the indices a MAP_SHARED mapping reserved (or whose page it faulted in) and no
   * punch, truncate or new memfd took away since: where a udmabuf is promised a page.
   */
  readonly reserved: number[][];
  /** File slots a memfd_create was generated for. */
  readonly memfd: boolean[];
  /**
   * Per file slot: it may hold page-cache pages (a file mapping or a fallocate was generated since
   * it was last truncated to 0, recreated or its mount unmounted): dissolve.ts keeps memory offline
   * to states where no huge page can be in use.
   */
  readonly touched: boolean[];
  /** Per file slot: a close was generated since it was last created (a truncate is then EBADF). */
  readonly closed: boolean[];
  /**
   * A memory offline (dissolve) was generated: the script boots with a DIMM onlined movable, where
   * its huge pages sit, and a long-term pin (pin, udmabuf) of such a page migrates it out of
   * ZONE_MOVABLE first (FOLL_LONGTERM; not modelled): no long-term pin is generated then.
   */
  offlined: boolean;
  /** A long-term pin was generated: no memory offline is generated then (see offlined). */
  longterm: boolean;
}

export type P = HugetlbParams;
export type Raw = Readonly<Record<string, number | boolean | string>>;

export function initModel(p: P): HugetlbGenModel {
  return {
    vmas: Array.from({ length: p.vmas }, () => null),
    mounted: p.mounts.map((m) => m.mounted),
    poolResized: false,
    pinned: Array.from({ length: PIN_SLOTS }, () => false),
    reserved: p.fileMount.map(() => []),
    memfd: p.fileMount.map(() => false),
    touched: p.fileMount.map(() => false),
    closed: p.fileMount.map(() => false),
    offlined: false,
    longterm: false,
  };
}

/** The `sel`-th (modulo) element of `xs`, or undefined when `xs` is empty. */
export function pick<T>(xs: readonly T[], sel: unknown): T | undefined {
  if (xs.length === 0) return undefined;
  return xs[Number(sel) % xs.length];
}

/**
 * Slots a new mapping (mmap, mremap's target) may take: free, and no piece of another mapping still
 * lives at its addresses (a split-off piece keeps its original's: MAP_FIXED_NOREPLACE would be
 * EEXIST, MREMAP_FIXED would unmap the piece, neither of which the op language's slots model).
 */
export const freeSlots = (m: Readonly<HugetlbGenModel>): number[] =>
  m.vmas.flatMap((v, i) => (v || m.vmas.some((x) => x?.base === i) ? [] : [i]));
export const liveSlots = (m: Readonly<HugetlbGenModel>): number[] => m.vmas.flatMap((v, i) => (v ? [i] : []));

/** A page range [from, to) inside a file of `size` pages, from two raw naturals. */
export function range(size: number, from: unknown, len: unknown): { from: number; to: number } {
  const f = Number(from) % size;
  return { from: f, to: f + 1 + (Number(len) % (size - f)) };
}

/** Any file of the script, from a raw natural (also one whose mount is not mounted: ENOENT/EBADF on both sides). */
export function anyFile(raw: unknown, p: P): { f: number } {
  return { f: Number(raw) % p.fileMount.length };
}

/** The lowest free slots after `taken` are booked (the op language's default for a new piece). */
export function lowestFree(m: Readonly<HugetlbGenModel>, taken: readonly number[] = []): number {
  return m.vmas.findIndex((x, i) => !x && !taken.includes(i));
}

/** File f loses its reservations at and above `from` (below `to`). */
export function unreserve(m: HugetlbGenModel, f: number, from: number, to = Infinity): void {
  const r = m.reserved[f];
  if (r) m.reserved[f] = r.filter((i) => i < from || i >= to);
}
