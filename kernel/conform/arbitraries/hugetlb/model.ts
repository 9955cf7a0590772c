/**
 * The generation model for hugetlb scripts: which VMA slots hold a mapping
 * (and of what), which mounts are mounted. Optimistic: a step is assumed to
 * succeed, so a later step may still meet a failed mmap (the op language
 * defines that case too: a fault on an empty slot is SIGSEGV).
 */
import type { HugetlbParams } from '../../../../spec/hugetlb/params.js';

export interface GenVma {
  readonly kind: string;
  readonly from: number;
  readonly to: number;
  /** Took part in a fork (as parent or child): the op language forks a mapping once. */
  forked: boolean;
}

export interface HugetlbGenModel {
  readonly vmas: (GenVma | null)[];
  readonly mounted: boolean[];
  /** Mounted before the first step (the probe has created the mount's files). */
  readonly mountedAtStart: readonly boolean[];
  /** An umount of the mount was generated (it may have succeeded: its files are then gone in the probe). */
  readonly umountTried: boolean[];
  /** A set_nr or set_overcommit was generated: surplus pages may exist from then on. */
  poolResized: boolean;
}

export type P = HugetlbParams;
export type Raw = Readonly<Record<string, number | boolean | string>>;

export function initModel(p: P): HugetlbGenModel {
  return {
    vmas: Array.from({ length: p.vmas }, () => null),
    mounted: p.mounts.map((m) => m.mounted),
    mountedAtStart: p.mounts.map((m) => m.mounted),
    umountTried: p.mounts.map(() => false),
    poolResized: false,
  };
}

/** The `sel`-th (modulo) element of `xs`, or undefined when `xs` is empty. */
export function pick<T>(xs: readonly T[], sel: unknown): T | undefined {
  if (xs.length === 0) return undefined;
  return xs[Number(sel) % xs.length];
}

export const freeSlots = (m: Readonly<HugetlbGenModel>): number[] => m.vmas.flatMap((v, i) => (v ? [] : [i]));
export const liveSlots = (m: Readonly<HugetlbGenModel>): number[] => m.vmas.flatMap((v, i) => (v ? [i] : []));

/** A page range [from, to) inside a file of `size` pages, from two raw naturals. */
export function range(size: number, from: unknown, len: unknown): { from: number; to: number } {
  const f = Number(from) % size;
  return { from: f, to: f + 1 + (Number(len) % (size - f)) };
}

/**
 * A file the probe and the model both know, from a raw natural: only files whose mount was mounted when
 * the script started and has not been umounted since. The probe creates a mount's files when it mounts
 * it and loses them at umount, while the model's files exist from the start and stay linked after
 * umount (open work in the hugetlb issue), so other files are not the same inode in the two.
 */
export function createdFile(m: Readonly<HugetlbGenModel>, raw: unknown, p: P): { f: number } | undefined {
  const f = Number(raw) % p.fileMount.length;
  const mount = p.fileMount[f] ?? -1;
  return m.mountedAtStart[mount] && !m.umountTried[mount] ? { f } : undefined;
}
