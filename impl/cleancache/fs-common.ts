/**
 * Shared pieces of the filesystem layer (one cleancache-enabled filesystem,
 * superblock index nsb): argument access, inode lookup, the op epilogues and
 * the one step factory every i_rwsem writer starts with.
 */
import { done, type ThreadCtx } from '../../checker/types.js';
import { assertHeld } from '../lockdep.js';
import type { LabelledOp, LabelledStep } from '../step-types.js';
import type { StepLabel } from './labels.js';
import type { CleancacheParams, CleancacheState } from './state.js';

export type G = CleancacheState;
export type P = CleancacheParams;
export type T = ThreadCtx<P>;
/** A cleancache step: its name and every label it returns are declared in labels.ts. */
export type Step = LabelledStep<G, P, StepLabel>;
/** A cleancache operation: OpDef whose steps are typed Steps. */
export type Op = LabelledOp<Step>;

/** Every argument a cleancache op takes (subsystems/cleancache/op-schemas.ts declares them per op). */
export const ARGS = ['sb', 'key', 'idx', 'f', 'v', 'uuid', 'locked', 'size'] as const;
export type CleancacheArg = (typeof ARGS)[number];

/** An integer op argument (the op schema guarantees its presence and type). */
export const arg = (t: T, name: CleancacheArg): number => t.args[name] as number;
/** An optional integer op argument, `dflt` when absent. */
export const optArg = (t: T, name: CleancacheArg, dflt: number): number => (t.args[name] as number | undefined) ?? dflt;
/** An optional boolean op argument (true or 1), `dflt` when absent. */
export function flagArg(t: T, name: CleancacheArg, dflt: boolean): boolean {
  const v = t.args[name];
  return v === undefined ? dflt : v === 1 || v === true;
}

/** The superblock index of the filesystem layer's filesystem. */
export const fsSuperBlock = (t: T): number => t.params.nsb;

/** Index of (inode, page index) in the disk and page-cache tables. */
export const pageSlot = (t: T, ino: number, index: number): number => ino * t.params.pages + index;

/** The page-cache page of (inode, index). */
export const pageOf = (g: G, t: T, ino: number, index: number) => g.pc[pageSlot(t, ino, index)]!;

/** Look up file `f`'s inode; returns a done() result when the op cannot start. */
export function lookupInode(g: Readonly<G>, t: T): number | { ret: string } {
  if (!g.mounted) return done('unmounted') as { ret: string };
  const ino = g.dent[arg(t, 'f')]!;
  if (ino < 0) return done('enoent') as { ret: string };
  return ino;
}

/** End of a file operation: drop the s_active-like count. */
export function finishFileOp(g: G, ret: number | string | null) {
  g.users--;
  return done(ret);
}

/** End of a read: drop the inode reference (iput) and the s_active-like count. */
export function finishRead(g: G, t: T, ret: number | string) {
  g.inodes[t.l.ino!]!.refs--;
  return finishFileOp(g, ret);
}

export function pagesOf(g: Readonly<G>, t: T, ino: number) {
  const out = [];
  for (let i = 0; i < t.params.pages; i++) out.push(g.pc[pageSlot(t, ino, i)]!);
  return out;
}

/** No page of the inode is locked or under writeback (lock_page / wait_on_page_writeback would sleep). */
export function inodePagesIdle(g: Readonly<G>, t: T, ino: number): boolean {
  return pagesOf(g, t, ino).every((pg) => pg.lock === 0 && !pg.wb);
}

/** mapping->nrpages */
export const nrpages = (g: Readonly<G>, t: T, ino: number) => pagesOf(g, t, ino).filter((pg) => pg.present).length;

/**
 * inode_lock(inode) of file f, the first step of every i_rwsem writer (write,
 * O_DIRECT write, truncate, unlink): sleeps while another writer holds
 * i_rwsem; a missing file or unmounted filesystem finishes the op at once.
 * `onLocked` runs under i_rwsem right after it is taken.
 */
export function inodeLockStep(next: StepLabel, onLocked?: (g: G, t: T, ino: number) => void): Step {
  return {
    name: 'inode_lock',
    enabled: (g, t) => !g.mounted || g.dent[arg(t, 'f')]! < 0 || g.inodes[g.dent[arg(t, 'f')]!]!.rwsem === 0,
    run(g, t) {
      const ino = lookupInode(g, t);
      if (typeof ino !== 'number') return ino;
      t.l.ino = ino;
      g.users++;
      g.inodes[ino]!.rwsem = t.tid + 1;
      onLocked?.(g, t, ino);
      return next;
    },
  };
}

/** inode_unlock(inode): the caller must hold i_rwsem. */
export function inodeUnlock(g: G, t: T, ino: number): void {
  assertHeld(g.inodes[ino]!.rwsem, t.tid, 'inode->i_rwsem');
  g.inodes[ino]!.rwsem = 0;
}

/** unlock_page(page): the caller must hold the page lock. */
export function unlockPage(g: G, t: T, ino: number, index: number): void {
  const page = pageOf(g, t, ino, index);
  assertHeld(page.lock, t.tid, 'PG_locked');
  page.lock = 0;
}
