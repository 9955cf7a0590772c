/**
 * Removing pages from a hugetlbfs file (fs/hugetlbfs/inode.c @ v6.1):
 * ftruncate (hugetlbfs_setattr -> hugetlb_vmtruncate) and
 * fallocate(FALLOC_FL_PUNCH_HOLE) (hugetlbfs_punch_hole), both under
 * inode_lock, through hugetlb_vmdelete_list (i_mmap_rwsem write) and
 * remove_inode_hugepages (one folio per step under its fault mutex), ending
 * in hugetlb_unreserve_pages. Coarsening: the removed folios are freed as one
 * batch at the end (folio_batch_release).
 */
import { done } from '../../checker/types.js';
import type { StepResult } from './labels.js';
import { hugetlbFixReserveCounts, returnUnused, returnUnusedAtomic, returnUnusedStep } from './accounting.js';
import {
  type Step,
  type T,
  LOCALS,
  LONG_MAX,
  TOK_ZERO,
  argInt,
  fallocateFile,
  datSet,
  privateFile,
  at,
  faultMutexLock,
  faultMutexUnlock,
  fileMutexHash,
  fileOf,
  inodeLock,
  isShared,
  inodeUnlock,
  setDel,
  type Op,
} from './context.js';
import { migKey } from './migration-entry.js';
import { keepPinned } from './pin.js';
import { F_SEAL_SHRINK } from './udmabuf.js';
import { unshareRange } from './pmd-share.js';
import { regionDel } from './regions.js';
import { NO_SUBPOOL, freeHugePage, hugepageSubpoolPutPages } from './subpool.js';
import { batchAdd, batchTake, pageNid, withPageNid } from './node-pages.js';
import { type G, type Vma, SP_MOUNTED, V_LIVE } from './state.js';
import { mapsInRange, unmapHugepageRange } from './zap.js';

function lowestCached(pc: readonly number[], from: number, to: number): number {
  for (const x of pc) if (x >= from && x < to) return x;
  return -1;
}

/** The subpool of the op's file (args.f). */
const fileSpool = (t: T): number => at(t.params.fileMount, argInt(t, 'f'));

/**
 * folio_batch_release -> folios_put: folio_put_testzero drops each removed page's last reference
 * (g.freeing: refcount 0, not yet on the free list, which dissolve_free_hugetlb_folio can see) ...
 */
function batchPut(g: G, t: T): void {
  g.freeing += t.l.freed - t.l.pinned;
}

/** Folios the batch release frees: the removed ones but those a long-term pin keeps (pin.ts). */
const batchSize = (t: T): number => t.l.freed - t.l.pinned;

/** ... then free_huge_folio of each under hugetlb_lock (coarsened: the whole batch in one step). */
function freeBatchStep(next: (g: G, t: T) => StepResult): Step {
  return {
    name: 'free_huge_folio',
    run(g, t) {
      for (let k = 0; k < batchSize(t); k++) {
        freeHugePage(g, t, k < t.l.nosp_freed ? NO_SUBPOOL : fileSpool(t), false, false, batchTake(t));
        g.held--;
        g.freeing--;
      }
      t.l.nosp_freed = t.l.pinned = 0;
      return next(g, t);
    },
  };
}

/**
 * remove_inode_hugepages waits for the fault mutex of the next folio, and remove_inode_single_folio
 * for its folio lock, which a migration (migrate.ts) holds from try_to_migrate to its end.
 */
function nextFolioUnlocked(g: Readonly<G>, t: T, end: number): boolean {
  const fileIndex = argInt(t, 'f');
  const idx = lowestCached(at(g.file, fileIndex).pc, t.l.next, end);
  return idx < 0 || (!g.fmx.includes(fileMutexHash(t, fileIndex, idx)) && g.mig !== migKey(true, fileIndex, idx));
}

/**
 * Every shared VMA of file `file` loses its PTEs of pages in [from, to) (unmap_hugepage_range of
 * each VMA in hugetlb_vmdelete_list order): a table shared with another VMA is unshared whole
 * (huge_pmd_unshare), the last user of a table zaps the PTEs (pmd-share.ts).
 */
function unmapFileRange(g: G, t: T, file: number, from: number, to: number): void {
  for (const v of g.vma)
    if (isShared(v.kind) && v.src === file && v.from < to && v.to > from) {
      unshareRange(g, t, v, Math.max(from, v.from), Math.min(to, v.to));
      if (v.pcm.some((i) => i >= from && i < to)) v.pcm = v.pcm.filter((i) => i < from || i >= to);
    }
}

/**
 * remove_huge_page: delete the lowest cached folio in [next, end) from the page cache (a folio
 * mapped again since hugetlb_vmdelete_list is unmapped first: hugetlb_unmap_file_folio); -1 when none.
 */
function removeNextFolio(g: G, t: T, end: number): number {
  const f = fileOf(g, t);
  const idx = lowestCached(f.pc, t.l.next, end);
  if (idx < 0) return -1;
  if (t.bug('4aae8d1c051e') && end !== LONG_MAX && faultedAgain(g, argInt(t, 'f'), idx)) {
    // before 4aae8d1c051e "mm/hugetlbfs: unmap pages if page fault raced with hole punch" (v4.5):
    // a folio mapped since hugetlb_vmdelete_list was skipped ("Do nothing in this race case"),
    // so it stayed in the hole
    t.l.next = idx + 1;
    return SKIPPED;
  }
  unmapFileRange(g, t, argInt(t, 'f'), idx, idx + 1);
  f.pc = setDel(f.pc, idx);
  f.dat = datSet(f.dat, idx, TOK_ZERO);
  const nid = pageNid(f.pn, idx);
  f.pn = withPageNid(f.pn, idx, 0);
  const nosp = f.nosp.includes(idx);
  if (nosp) f.nosp = setDel(f.nosp, idx);
  // a long-term pin keeps the folio: counted as removed (hugetlb_unreserve_pages' freed), not in the batch
  const pinned = keepPinned(g, argInt(t, 'f'), idx, nosp ? NO_SUBPOOL : fileSpool(t), nid);
  if (pinned) t.l.pinned++;
  else if (nosp) t.l.nosp_freed++; // a folio without a subpool (cb6acd01e2e4 absent): freed first in the batch
  // remove_inode_single_folio: a folio mapped again since hugetlb_vmdelete_list (a fault in between)
  // gets hugetlb_vmdelete_list(index, index + 1) once more, which unmaps whatever every VMA maps
  // there, a private copy made meanwhile too. Shared mappings' ptes are not tracked: a live shared
  // VMA over the index counts as mapping the folio.
  const mapped = g.vma.some(
    (v) =>
      v.st === V_LIVE &&
      (isShared(v.kind) ? v.src === argInt(t, 'f') && idx >= v.from && idx < v.to : v.pcm.includes(idx)),
  );
  if (mapped) for (const v of privateMappings(g, t)) unmapHugepageRange(g, t, v, idx, idx + 1);
  if (!pinned) {
    g.held++;
    batchAdd(t, nid);
  }
  t.l.freed++;
  t.l.next = idx + 1;
  return idx;
}

/** removeNextFolio skipped a folio (variant 4aae8d1c051e): go on with the next one. */
const SKIPPED = -2;

/** page_mapped(folio) of file page idx: some mapping of the file has a pte for it (shared, or read-only private). */
function faultedAgain(g: Readonly<G>, file: number, idx: number): boolean {
  return g.vma.some(
    (v) => v.st === V_LIVE && v.pcm.includes(idx) && (isShared(v.kind) ? v.src === file : privateFile(v) === file),
  );
}

/** The live MAP_PRIVATE mappings of the op's file (they are in its i_mmap tree). */
function privateMappings(g: Readonly<G>, t: T): Vma[] {
  const fileIndex = argInt(t, 'f');
  return g.vma.filter((v) => v.st === V_LIVE && privateFile(v) === fileIndex);
}

/** Does a MAP_PRIVATE mapping of the op's file map anything in [start, end)? */
function privatelyMapped(g: Readonly<G>, t: T, start: number, end: number): boolean {
  return privateMappings(g, t).some((v) => mapsInRange(v, start, end));
}

/**
 * hugetlb_vmdelete_list: i_mmap_lock_write waits for faults holding i_mmap_rwsem / the vma lock,
 * then unmaps [start, end) in every VMA of the file: a MAP_PRIVATE mapping loses its read-only
 * ptes of the file's pages and its private copies there too (unmap_hugepage_range, zap.ts).
 */
function vmdeleteListStep(start: 'size' | 'from'): Step {
  return {
    name: 'hugetlb_vmdelete_list',
    enabled: (g, t) => fileOf(g, t).ir === 0,
    run(g, t) {
      const from = argInt(t, start);
      const end = start === 'size' ? LONG_MAX : argInt(t, 'to');
      unmapFileRange(g, t, argInt(t, 'f'), from, end);
      for (const v of privateMappings(g, t)) unmapHugepageRange(g, t, v, from, end);
      t.l.next = from;
      return 'remove_inode_hugepages';
    },
  };
}

/** inode_lock is free (the entry step then takes it). */
const inodeUnlocked = (g: Readonly<G>, t: T): boolean => {
  const f = g.file[argInt(t, 'f')];
  return !f || f.ilock === 0;
};

// ---------------------------------------------------------------------------
// ftruncate
// ---------------------------------------------------------------------------

function truncateFinish(g: G, t: T): StepResult {
  inodeUnlock(fileOf(g, t), t);
  t.l.freed = t.l.next = 0;
  return done('ok');
}

export const truncateOp: Op = {
  doc: 'ftruncate of a hugetlbfs file: hugetlbfs_setattr -> hugetlb_vmtruncate -> remove_inode_hugepages -> hugetlb_unreserve_pages',
  locals: LOCALS,
  steps: [
    {
      name: 'hugetlbfs_setattr',
      enabled: inodeUnlocked,
      run(g, t) {
        const fileIndex = argInt(t, 'f');
        const size = argInt(t, 'size');
        const f = g.file[fileIndex];
        const mount = t.params.fileMount[fileIndex];
        if (!f || size < 0 || size > t.params.fileSize || mount === undefined || g.spool[mount]?.st !== SP_MOUNTED)
          return done('EINVAL');
        if (f.fd === 0) return done('EBADF'); // ftruncate(2) needs the descriptor
        const old = f.size;
        if (size < old && f.seals & F_SEAL_SHRINK) return done('EPERM'); // hugetlbfs_setattr: sealed memfd
        f.size = size; // i_size_write
        const stale = f.reg.length > 0 && at(f.reg, f.reg.length - 1) > size;
        if (size >= old && !stale && !f.pc.some((x) => x >= size) && !privatelyMapped(g, t, size, LONG_MAX))
          return done('ok');
        inodeLock(f, t);
        return 'hugetlb_vmdelete_list';
      },
    },
    vmdeleteListStep('size'),
    {
      // one folio under its fault mutex: remove_huge_page (delete from page cache)
      name: 'remove_inode_hugepages',
      enabled: (g, t) => nextFolioUnlocked(g, t, LONG_MAX),
      run(g, t) {
        if (removeNextFolio(g, t, LONG_MAX) >= 0) return 'remove_inode_hugepages';
        batchPut(g, t);
        return batchSize(t) > 0 ? 'free_huge_folio' : 'hugetlb_unreserve_pages';
      },
    },
    freeBatchStep(() => 'hugetlb_unreserve_pages'),
    {
      // hugetlb_unreserve_pages(inode, size, LONG_MAX, freed): region_del to LONG_MAX never fails (HR-12)
      name: 'hugetlb_unreserve_pages',
      run(g, t) {
        const start = argInt(t, 'size') + (t.bug('HR-12') ? 1 : 0);
        const chg = regionDel(fileOf(g, t), start, LONG_MAX, true);
        const gblReserve = hugepageSubpoolPutPages(at(g.spool, fileSpool(t)), chg - t.l.freed);
        t.l.freed = t.l.pinned = 0;
        return returnUnused(g, t, gblReserve, truncateFinish);
      },
    },
    returnUnusedStep(truncateFinish),
  ],
};

// ---------------------------------------------------------------------------
// fallocate(FALLOC_FL_PUNCH_HOLE)
// ---------------------------------------------------------------------------

function punchFinish(g: G, t: T): StepResult {
  batchPut(g, t);
  return batchSize(t) > 0 ? 'free_huge_folio' : punchUnlock(g, t);
}

function punchUnlock(g: G, t: T): StepResult {
  inodeUnlock(fileOf(g, t), t);
  t.l.freed = t.l.next = t.l.idx = t.l.hash = t.l.pinned = 0;
  return done('ok');
}

/** hugetlb_unreserve_pages(inode, idx, idx + 1, 1) after region_del returned chg. */
function punchUnreserve(g: G, t: T, chg: number): void {
  const gblReserve = hugepageSubpoolPutPages(at(g.spool, fileSpool(t)), chg - 1);
  returnUnusedAtomic(g, t, gblReserve); // one page at most: no lock drop
}

export const punchOp: Op = {
  doc: 'fallocate(PUNCH_HOLE): hugetlbfs_punch_hole -> remove_inode_hugepages (region_del per page, hugetlb_fix_reserve_counts on -ENOMEM)',
  locals: LOCALS,
  steps: [
    {
      name: 'hugetlbfs_punch_hole',
      enabled: inodeUnlocked,
      run(g, t) {
        const f = fallocateFile(g, t);
        if (typeof f === 'string') return done(f);
        const from = argInt(t, 'from');
        const to = argInt(t, 'to');
        // nothing cached and nothing privately mapped in the hole: nothing to remove
        if (!f.pc.some((x) => x >= from && x < to) && !privatelyMapped(g, t, from, to)) return done('ok');
        inodeLock(f, t);
        return 'hugetlb_vmdelete_list';
      },
    },
    vmdeleteListStep('from'),
    {
      // remove_inode_single_folio under the folio's fault mutex, then hugetlb_unreserve_pages(idx, idx+1, 1)
      name: 'remove_inode_hugepages',
      enabled: (g, t) => nextFolioUnlocked(g, t, argInt(t, 'to')),
      run(g, t) {
        const idx = removeNextFolio(g, t, argInt(t, 'to'));
        if (idx === SKIPPED) return 'remove_inode_hugepages';
        if (idx < 0) return punchFinish(g, t);
        const chg = regionDel(fileOf(g, t), idx, idx + 1, false);
        if (chg < 0) {
          // must split and no cached descriptor: kmalloc with resv_map->lock dropped, fault mutex held
          t.l.idx = idx;
          t.l.hash = fileMutexHash(t, argInt(t, 'f'), idx);
          faultMutexLock(g, t.l.hash);
          return 'region_del:kmalloc';
        }
        punchUnreserve(g, t, chg);
        return 'remove_inode_hugepages';
      },
    },
    {
      name: 'region_del:kmalloc',
      run(g, t) {
        if (t.inject('region_del_split')) {
          // region_del -ENOMEM; HR-7: counters not fixed
          if (!t.bug('HR-7')) hugetlbFixReserveCounts(g, t, fileSpool(t));
        } else punchUnreserve(g, t, regionDel(fileOf(g, t), t.l.idx, t.l.idx + 1, true));
        faultMutexUnlock(g, t.l.hash);
        t.l.idx = t.l.hash = 0;
        return 'remove_inode_hugepages';
      },
    },
    freeBatchStep(punchUnlock),
  ],
};
