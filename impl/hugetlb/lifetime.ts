/**
 * The end of a file's and a mount's life (fs/hugetlbfs/inode.c, mm/hugetlb.c
 * @ v6.1): close(2) drops the descriptor, unlink(2) the name; when neither
 * remains and no VMA maps the file, the last iput evicts the inode
 * (hugetlbfs_evict_inode -> remove_inode_hugepages(inode, 0, LLONG_MAX) ->
 * hugetlb_unreserve_pages, then resv_map_release). umount succeeds only when
 * nothing on the mount is open or mapped (otherwise EBUSY); kill_sb
 * (hugetlbfs_fs_type.kill_sb = kill_litter_super @ v6.12) drops every name
 * left and evicts the inodes, so the mount's paths are gone afterwards
 * (unlink: ENOENT), and hugetlbfs_put_super drops the subpool
 * (hugepage_put_subpool -> unlock_or_release_subpool gives back the min_size
 * reservation, or leaves the subpool alive, SP_DETACHED, while subpool_is_free
 * is false). A later mount of the same mount point gets a new subpool and
 * fresh files (pool.ts).
 *
 * Coarsening: an evicted inode is unreachable by any other task (no
 * descriptor, no name, no mapping), so its whole eviction is one step; the
 * counters it updates are each under hugetlb_lock in the kernel.
 */
import { done } from '../../checker/types.js';
import type { StepResult } from './labels.js';
import { returnUnused, returnUnusedAtomic, returnUnusedStep } from './accounting.js';
import { type Op, type T, LOCALS, LONG_MAX, argInt, at, faultFile, isShared } from './context.js';
import { keepPinned } from './pin.js';
import { regionDel } from './regions.js';
import { NO_SUBPOOL, freeHugePage, hugepageSubpoolPutPages } from './subpool.js';
import { pageNid } from './node-pages.js';
import { type G, SP_DETACHED, SP_MOUNTED, SP_UNMOUNTED, V_FREE } from './state.js';

/** Does any VMA (being created, live or closing) map file fi? */
export function fileMapped(g: Readonly<G>, fileIndex: number): boolean {
  return g.vma.some((v) => v.st !== V_FREE && faultFile(v) === fileIndex);
}

/** The last reference is gone: evict when neither a descriptor, a name nor a mapping holds the inode. */
function evictable(g: Readonly<G>, fileIndex: number): boolean {
  const f = at(g.file, fileIndex);
  return f.evicted === 0 && f.fd === 0 && f.nlink === 0 && f.ilock === 0 && !fileMapped(g, fileIndex);
}

/**
 * hugetlbfs_evict_inode: remove_inode_hugepages(inode, 0, LLONG_MAX) frees
 * every cached page, hugetlb_unreserve_pages(inode, 0, LONG_MAX, freed)
 * gives back the reservations without a page, resv_map_release frees the map.
 */
export function evictInode(g: G, t: T, fileIndex: number): void {
  const f = at(g.file, fileIndex);
  const spoolIndex = at(t.params.fileMount, fileIndex);
  const freed = f.pc.length;
  for (const idx of f.pc) {
    const spool = f.nosp.includes(idx) ? NO_SUBPOOL : spoolIndex;
    // a long-term pin keeps the folio (pin.ts): it leaves the page cache and is freed at unpin
    const nid = pageNid(f.pn, idx);
    if (!keepPinned(g, fileIndex, idx, spool, nid)) freeHugePage(g, t, spool, false, false, nid);
  }
  f.pc = [];
  f.nosp = [];
  f.dat = [];
  f.pn = [];
  const chg = regionDel(f, 0, LONG_MAX, true);
  returnUnusedAtomic(g, t, hugepageSubpoolPutPages(at(g.spool, spoolIndex), chg - freed));
  f.reg = [];
  f.evicted = 1;
}

/** Evict file fi if this was its last reference (called after close, unlink or munmap). */
export function iputFinal(g: G, t: T, fileIndex: number): void {
  if (evictable(g, fileIndex)) evictInode(g, t, fileIndex);
}

export const closeOp: Op = {
  doc: 'close(2) of the file descriptor: fput; the last reference of an unlinked, unmapped file evicts the inode',
  locals: LOCALS,
  steps: [
    {
      // an in-flight ftruncate/fallocate holds its own file reference (fdget): close waits for it here
      name: 'fput',
      enabled: (g, t) => (g.file[argInt(t, 'f')]?.ilock ?? 0) === 0,
      run(g, t) {
        const fileIndex = argInt(t, 'f');
        const f = g.file[fileIndex];
        if (!f || f.fd === 0) return done('EBADF');
        f.fd = 0;
        iputFinal(g, t, fileIndex);
        return done('ok');
      },
    },
  ],
};

export const unlinkOp: Op = {
  doc: 'unlink(2) of the file: drop the name; an unlinked file with no descriptor and no mapping is evicted',
  locals: LOCALS,
  steps: [
    {
      // hugetlbfs uses simple_unlink under the parent directory's and the inode's i_rwsem
      name: 'simple_unlink',
      enabled: (g, t) => (g.file[argInt(t, 'f')]?.ilock ?? 0) === 0,
      run(g, t) {
        const fileIndex = argInt(t, 'f');
        const f = g.file[fileIndex];
        if (!f || f.nlink === 0) return done('ENOENT');
        f.nlink = 0;
        iputFinal(g, t, fileIndex);
        return done('ok');
      },
    },
  ],
};

function umountFinish(g: G, t: T): StepResult {
  const spool = at(g.spool, argInt(t, 'm'));
  spool.st = SP_UNMOUNTED;
  spool.max = spool.min = -1;
  spool.used = spool.rsv = 0;
  return done('ok');
}

/** Mount m is busy while a file on it is open or mapped, or a private mapping uses it. */
function mountBusy(g: Readonly<G>, t: T, m: number): boolean {
  for (let k = 0; k < g.file.length; k++) {
    const f = at(g.file, k);
    if (at(t.params.fileMount, k) === m && f.evicted === 0 && (f.fd === 1 || f.ilock !== 0 || fileMapped(g, k)))
      return true;
  }
  return g.vma.some((v) => v.st !== V_FREE && !isShared(v.kind) && v.src === m);
}

/**
 * hugepage_put_subpool at kill_sb: with no other handle left and nothing
 * charged (subpool_is_free), unlock_or_release_subpool gives back the
 * min_size reservation with hugetlb_acct_memory(-min_hpages) and frees it.
 */
function hugepagePutSubpool(g: G, t: T): StepResult {
  const spool = at(g.spool, argInt(t, 'm'));
  const free = spool.max !== -1 ? spool.used === 0 : spool.min === -1 || spool.rsv === spool.min;
  if (!free) {
    spool.st = SP_DETACHED; // pages still charged: the subpool outlives the mount
    return done('ok');
  }
  // 1c5ecae3a93f-umount: the subpool is freed without giving back its min_size reservation
  if (spool.min === -1 || t.bug('1c5ecae3a93f-umount')) return umountFinish(g, t);
  return returnUnused(g, t, spool.min, umountFinish);
}

export const umountOp: Op = {
  doc: 'umount(2) of a hugetlbfs mount: kill_sb evicts the remaining inodes, hugepage_put_subpool releases the min_size reservation; EBUSY while a file is open or mapped',
  locals: LOCALS,
  steps: [
    {
      name: 'kill_sb',
      run(g, t) {
        const m = argInt(t, 'm');
        const spool = g.spool[m];
        if (!spool || spool.st !== SP_MOUNTED || t.params.mounts[m]?.internal) return done('EINVAL');
        if (mountBusy(g, t, m)) return done('EBUSY');
        // kill_litter_super: d_genocide drops every name left on the mount, then the inodes are evicted
        for (let k = 0; k < g.file.length; k++) {
          if (at(t.params.fileMount, k) !== m) continue;
          const f = at(g.file, k);
          f.nlink = 0;
          if (f.evicted === 0) evictInode(g, t, k);
        }
        return hugepagePutSubpool(g, t);
      },
    },
    returnUnusedStep(umountFinish),
  ],
};
