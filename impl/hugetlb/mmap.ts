/**
 * mmap of a hugetlbfs range: hugetlbfs_file_mmap -> hugetlb_reserve_pages
 * (fs/hugetlbfs/inode.c, mm/hugetlb.c @ v6.1). A shared mapping reserves in
 * the inode resv_map under inode_lock (region_chg ... region_add); a private
 * one gets its own resv_map and HPAGE_RESV_OWNER. Steps split where
 * resv_map->lock (allocate_file_region_entries), spool->lock and hugetlb_lock
 * (gather_surplus_pages, return_unused_surplus_pages) are dropped.
 */
import { done } from '../../checker/types.js';
import type { StepResult } from './labels.js';
import { gatherSteps, gatherSurplusPages, returnUnused, returnUnusedStep } from './accounting.js';
import { allowedMemsNr } from './node-pages.js';
import {
  type Cont,
  type T,
  LOCALS,
  argInt,
  argStr,
  at,
  faultFile,
  inodeLock,
  inodeUnlock,
  isShared,
  spoolIdx,
  vmaOf,
  type Op,
} from './context.js';
import { allocateFileRegionEntriesStep, regionChg } from './region-steps.js';
import { regionAbort, regionAdd } from './regions.js';
import { hugepageSubpoolGetPages, hugepageSubpoolPutPages } from './subpool.js';
import {
  type G,
  type Vma,
  emptyVma,
  HPAGE_RESV_OWNER,
  NORESERVE,
  PRIVATE,
  PRIVATE_NORESERVE,
  SHARED,
  SP_MOUNTED,
  V_CREATING,
  V_FREE,
  V_LIVE,
} from './state.js';

const KINDS: Readonly<Record<string, number>> = {
  shared: SHARED,
  noreserve: NORESERVE,
  private: PRIVATE,
  private_noreserve: PRIVATE_NORESERVE,
  private_file: PRIVATE, // MAP_PRIVATE of the shared file f (vma.pf)
};
/** The mmap names a shared file f (shared kinds, MAP_PRIVATE of a file), not a mount. */
const namesFile = (kindName: string): boolean => kindName !== 'private' && kindName !== 'private_noreserve';
const SUBPOOL_GET = 'hugepage_subpool_get_pages';
const CHG_ENTRIES = 'region_chg:allocate_file_region_entries';
const ADD_ENTRIES = 'region_add:allocate_file_region_entries';

/** inode_unlock at the end of hugetlbfs_file_mmap (HR-5 never took it). */
function mmapUnlock(g: G, t: T, v: Vma): void {
  const file = faultFile(v);
  if (file >= 0 && !(isShared(v.kind) && t.bug('HR-5'))) inodeUnlock(at(g.file, file), t);
}

function mmapFinish(g: G, t: T): StepResult {
  const v = vmaOf(g, t);
  v.st = V_LIVE;
  const file = faultFile(v);
  if (file >= 0) {
    // VM_WRITE && i_size < len: i_size_write (for MAP_PRIVATE too: hugetlbfs_file_mmap @ v6.12)
    const f = at(g.file, file);
    if (f.size < v.to) f.size = v.to;
  }
  mmapUnlock(g, t, v);
  t.l.chg = t.l.regions_needed = t.l.gbl_reserve = t.l.out_put_pages = 0;
  return done('ok');
}

/** out_err of hugetlb_reserve_pages: region_abort if region_chg succeeded and region_add did not. */
function mmapOutErr(g: G, t: T): StepResult {
  const v = vmaOf(g, t);
  // HR-6: the abort is forgotten
  if (isShared(v.kind) && !t.bug('HR-6')) regionAbort(at(g.file, v.src), t.l.regions_needed);
  mmapUnlock(g, t, v);
  g.vma[argInt(t, 'v')] = emptyVma();
  t.l.chg = t.l.regions_needed = t.l.gbl_reserve = t.l.out_put_pages = 0;
  return done('ENOMEM');
}

/**
 * out_put_pages of hugetlb_reserve_pages: undo the subpool charge after
 * hugetlb_acct_memory (or region_add) failed.
 * Before a833a693a490 ("mm: hugetlb: fix incorrect fallback for subpool",
 * still in Debian's 6.1.y/6.12.y: --kernel-version 6.1/6.12) it puts back all
 * of chg, so on a min_size mount the pages that came from the global pool
 * refill rsv_hpages although hugetlb_acct_memory never reserved them. Since
 * a833a693a490 (mm/hugetlb.c hugetlb_reserve_pages() @ a833a693a490) only the
 * subpool's share chg - gbl_reserve is put back and what the put cannot keep
 * goes to hugetlb_acct_memory(-gbl_resv); its follow-up then uncharges the
 * gbl_reserve pages from used_hpages (mmapRestoreUsed).
 */
function mmapOutPutPages(g: G, t: T): StepResult {
  const spool = at(g.spool, spoolIdx(t, vmaOf(g, t)));
  if (t.bug('a833a693a490')) {
    // put back original number of pages, chg (return value ignored)
    hugepageSubpoolPutPages(spool, t.l.chg);
    return mmapOutErr(g, t);
  }
  const spoolResv = t.l.chg - t.l.gbl_reserve;
  if (!spoolResv) return mmapRestoreUsed(g, t);
  t.l.out_put_pages = 2; // hugetlb_acct_memory(h, -gbl_resv), then restore used_hpages
  return returnUnused(g, t, hugepageSubpoolPutPages(spool, spoolResv), mmapAfterRefund);
}

/**
 * The follow-up to a833a693a490 ("mm/hugetlb: restore failed global
 * reservations to subpool"): used_hpages -= gbl_reserve under the subpool
 * lock, after the put above (so that put still saw used_hpages inflated).
 */
function mmapRestoreUsed(g: G, t: T): StepResult {
  const spool = at(g.spool, spoolIdx(t, vmaOf(g, t)));
  if (t.l.gbl_reserve && spool.max !== -1) spool.used -= t.l.gbl_reserve;
  return mmapOutErr(g, t);
}

/** After a refund through return_unused_surplus_pages: finish (0), out_put_pages (1), or restore used_hpages (2). */
const mmapAfterRefund: Cont = (g, t) =>
  t.l.out_put_pages === 1 ? mmapOutPutPages(g, t) : t.l.out_put_pages === 2 ? mmapRestoreUsed(g, t) : mmapFinish(g, t);

function mmapRegionAdd(g: G, t: T): StepResult {
  const v = vmaOf(g, t);
  const add = regionAdd(at(g.file, v.src), v.from, v.to, t.l.regions_needed);
  if (add < 0) {
    t.l.to_allocate = -add;
    return ADD_ENTRIES;
  }
  t.l.regions_needed = 0;
  if (t.l.chg > add && !t.bug('H11') && !t.bug('HR-5')) {
    // raced with alloc_huge_page: region_add added less than region_chg counted
    const rsvAdjust = hugepageSubpoolPutPages(at(g.spool, spoolIdx(t, v)), t.l.chg - add);
    t.l.out_put_pages = 0;
    return returnUnused(g, t, rsvAdjust, mmapAfterRefund);
  }
  return mmapFinish(g, t);
}

const afterAcct: Cont = (g, t) => (isShared(vmaOf(g, t).kind) ? 'region_add' : mmapFinish(g, t));

/**
 * hugetlb_acct_memory(h, delta > 0) after gather_surplus_pages, still under hugetlb_lock
 * (mm/hugetlb.c @ v6.1): "if (delta > allowed_mems_nr(h)) { return_unused_surplus_pages(h,
 * delta); goto out; }", -ENOMEM (node-pages.ts). The kernel's comment calls it a best attempt:
 * the free pages it counts are not set aside for the mapping. With one node it never fires
 * (gather left free >= resv >= delta), so it is only evaluated with several.
 */
const afterGather: Cont = (g, t) => {
  if (g.nd.length === 0 || t.l.gbl_reserve <= 0 || t.l.gbl_reserve <= allowedMemsNr(g, t)) return afterAcct(g, t);
  t.l.out_put_pages = 1;
  return returnUnused(g, t, t.l.gbl_reserve, mmapAfterRefund);
};

/** Is the mmap request well formed? (-EINVAL otherwise, nothing changed) */
function badRequest(g: G, t: T, kind: number | undefined): boolean {
  const slot = g.vma[argInt(t, 'v')];
  const src = argInt(t, 'f');
  const from = argInt(t, 'from');
  const to = argInt(t, 'to');
  if (kind === undefined || !slot || slot.st !== V_FREE || !(from >= 0 && from < to && to <= t.params.fileSize))
    return true;
  const file = namesFile(argStr(t, 'kind'));
  if (file ? !g.file[src] : !g.spool[src]) return true;
  const spoolIndex = file ? t.params.fileMount[src] : src;
  return spoolIndex === undefined || g.spool[spoolIndex]?.st !== SP_MOUNTED;
}

/** hugetlbfs_file_mmap + the start of hugetlb_reserve_pages. */
function hugetlbfsFileMmap(g: G, t: T): StepResult {
  const kind = KINDS[argStr(t, 'kind')];
  if (kind === undefined || badRequest(g, t, kind)) return done('EINVAL');
  const src = argInt(t, 'f');
  const file = namesFile(argStr(t, 'kind'));
  if (file && at(g.file, src).fd === 0) return done('EBADF'); // the descriptor was closed
  const from = argInt(t, 'from');
  const to = argInt(t, 'to');
  const slot = argInt(t, 'v');
  const nv: Vma = emptyVma();
  nv.st = V_CREATING;
  nv.kind = kind;
  // a private mapping charges the mount of its file; vma.src is that mount
  nv.src = file && !isShared(kind) ? at(t.params.fileMount, src) : src;
  nv.pf = file && !isShared(kind) ? src + 1 : 0;
  nv.from = from;
  nv.to = to;
  nv.fam = slot;
  g.vma[slot] = nv;
  if (file && !(isShared(kind) && t.bug('HR-5'))) inodeLock(at(g.file, src), t);
  // VM_NORESERVE: no reservations are desired
  if (kind === NORESERVE || kind === PRIVATE_NORESERVE) return mmapFinish(g, t);
  if (kind === PRIVATE) {
    // resv_map_alloc + set_vma_resv_map + HPAGE_RESV_OWNER; chg = to - from
    nv.cache = 1;
    nv.flags = HPAGE_RESV_OWNER;
    t.l.chg = to - from;
    return SUBPOOL_GET;
  }
  return regionChg(g, t, at(g.file, src), from, to, CHG_ENTRIES, () => SUBPOOL_GET);
}

export const mmapOp: Op = {
  doc: 'mmap(MAP_SHARED|MAP_PRIVATE[|MAP_NORESERVE]) of a hugetlbfs range: hugetlbfs_file_mmap -> hugetlb_reserve_pages',
  locals: LOCALS,
  steps: [
    {
      name: 'hugetlbfs_file_mmap',
      enabled(g, t) {
        const kind = KINDS[argStr(t, 'kind')];
        if (kind === undefined || !namesFile(argStr(t, 'kind'))) return true;
        const f = g.file[argInt(t, 'f')];
        return !f || f.ilock === 0 || (isShared(kind) && t.bug('HR-5')); // inode_lock (HR-5: not taken)
      },
      run: hugetlbfsFileMmap,
    },
    allocateFileRegionEntriesStep({
      name: CHG_ENTRIES,
      caller: 'region_chg',
      map: (g, t) => at(g.file, vmaOf(g, t).src),
      // region_chg returned -ENOMEM: out_err with chg < 0, no region_abort
      noMemory: (g, t) => {
        mmapUnlock(g, t, vmaOf(g, t));
        g.vma[argInt(t, 'v')] = emptyVma();
        t.l.chg = t.l.regions_needed = 0;
        return done('ENOMEM');
      },
      charged: () => SUBPOOL_GET,
    }),
    {
      name: SUBPOOL_GET,
      run(g, t) {
        const gblReserve = hugepageSubpoolGetPages(at(g.spool, spoolIdx(t, vmaOf(g, t))), t.l.chg);
        if (gblReserve < 0) return mmapOutErr(g, t); // out_uncharge_cgroup -> out_err
        t.l.gbl_reserve = gblReserve;
        return 'hugetlb_acct_memory';
      },
    },
    {
      name: 'hugetlb_acct_memory',
      run: (g, t) => gatherSurplusPages(g, t, t.l.gbl_reserve, afterGather, mmapOutPutPages),
    },
    ...gatherSteps(afterGather, mmapOutPutPages),
    { name: 'region_add', run: mmapRegionAdd },
    allocateFileRegionEntriesStep({
      name: ADD_ENTRIES,
      caller: 'region_add',
      map: (g, t) => at(g.file, vmaOf(g, t).src),
      // region_add -ENOMEM: hugetlb_acct_memory(h, -gbl_reserve); goto out_put_pages
      noMemory: (g, t) => {
        t.l.out_put_pages = 1;
        return returnUnused(g, t, t.l.gbl_reserve, mmapAfterRefund);
      },
      charged: mmapRegionAdd,
    }),
    returnUnusedStep(mmapAfterRefund),
  ],
};
