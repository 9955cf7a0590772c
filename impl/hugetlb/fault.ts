/**
 * Page faults on one index: hugetlb_fault -> hugetlb_no_page (alloc_huge_page
 * + instantiate) or hugetlb_wp (COW, unmap_ref_private) (mm/hugetlb.c @ v6.1).
 * Entered under mmap_lock (read), i_mmap_rwsem (read) / the hugetlb VMA lock,
 * and the fault mutex of (mapping, idx). UFFDIO_COPY is impl/hugetlb/uffd.ts.
 * On a userfaultfd-registered VMA hugetlb_no_page hands a missing page
 * (VM_UFFD_MISSING) or a page-cache hit (VM_UFFD_MINOR) to
 * hugetlb_handle_userfault instead, which with UFFD_FEATURE_SIGBUS (the
 * probe's setting) is SIGBUS.
 */
import { done } from '../../checker/types.js';
import type { StepResult } from './labels.js';
import { returnUnusedStep } from './accounting.js';
import { type AllocHooks, allocSteps, vmaNeedsReservation } from './alloc.js';
import {
  type Step,
  type T,
  LOCALS,
  PATH_NO_PAGE,
  TOK_FILE,
  TOK_ZERO,
  datSet,
  privateFile,
  tokPrivate,
  PATH_WP,
  argInt,
  at,
  faultMutexLock,
  faultMutexUnlock,
  isShared,
  setAdd,
  setDel,
  spoolIdx,
  faultMutexEnter,
  faultVma,
  vmaLockUse,
  vmaOf,
  type Op,
} from './context.js';
import { faultRelease, putPageAndRelease } from './fault-release.js';
import { faultMayEnter } from './migration-entry.js';
import { FAIL_OOM, FAIL_SIGBUS, restoreReserveOnError, restoreSteps } from './restore.js';
import { hugePteAlloc, mapPte } from './pmd-share.js';
import { freeHugePage } from './subpool.js';
import { pageNid, withPageNid } from './node-pages.js';
import { type G, type Vma, HPAGE_RESV_OWNER, HPAGE_RESV_UNMAPPED, UFFD_MINOR, UFFD_MISSING, V_LIVE } from './state.js';

/**
 * anon_vma_prepare(vma) (include/linux/rmap.h @ v6.1) / __vmf_anon_prepare(vmf) (mm/memory.c @ v6.12): both
 * return at once while vma->anon_vma is set, else call __anon_vma_prepare() (mm/rmap.c), which may fail
 * (-ENOMEM: its anon_vma_chain or anon_vma allocation). True when it failed (the fault is VM_FAULT_OOM).
 */
function anonVmaPrepareFails(t: T, v: Vma): boolean {
  if (v.av) return false;
  if (t.inject('anon_vma_prepare')) return true;
  v.av = 1;
  return false;
}

/** hugetlb_no_page after alloc_huge_page: page cache insertion or anon_vma_prepare may fail. */
function noPageBackout(g: G, t: T): StepResult | null {
  const v = vmaOf(g, t);
  if (isShared(v.kind)) {
    if (t.inject('add_to_page_cache')) {
      // hugetlb_no_page() @ v6.1 and v6.12: restore_reserve_on_error, put the folio, `goto out` with ret still
      // VM_FAULT_SIGBUS (confirmed on Debian 6.1.192 and 6.12.118 with the failure injected, kernel/inject.ts)
      if (t.bug('HR-1')) return putPageAndRelease(g, t, 'SIGBUS'); // HR-1: no restore_reserve_on_error
      return restoreReserveOnError(g, t, FAIL_SIGBUS);
    }
    // H1 (ebed4bfc8da8^): i_size checked only after alloc_huge_page, no back-out
    if (t.bug('H1') && t.l.idx >= at(g.file, v.src).size) return putPageAndRelease(g, t, 'SIGBUS');
  } else if ((t.bug(ANON_PREPARE_FIRST) || t.bug('H13')) && anonVmaPrepareFails(t, v)) {
    // v6.1 (before 37641efaa3fa): anon_vma_prepare() after alloc_huge_page(), backout_unlocked restores;
    // H13 is a bug of that code shape (the v6.1 path without its restore), so it implies the shape
    if (t.bug('H13')) return putPageAndRelease(g, t, 'OOM'); // H13: no restore_reserve_on_error
    return restoreReserveOnError(g, t, FAIL_OOM);
  }
  return null;
}

/** The data a fault leaves in the page it maps at l.idx: a write stores the writer's token. */
function writeToken(t: T, shared: boolean): number {
  if (shared) return argInt(t, 'write') ? TOK_FILE : TOK_ZERO;
  return argInt(t, 'write') ? tokPrivate(argInt(t, 'v')) : TOK_ZERO;
}

/**
 * hugetlb_wp after alloc_hugetlb_folio, on a VMA without an anon_vma (its first anonymous page: the COW of a
 * page-cache page through a MAP_PRIVATE mapping of the file, or a fork child of such a mapping): "When the
 * original hugepage is shared one, it does not have anon_vma prepared." (mm/hugetlb.c hugetlb_wp() @ v6.1:
 * anon_vma_prepare(); @ v6.12: __vmf_anon_prepare()). Its own step: the allocation has returned (resv_map lock
 * and hugetlb_lock dropped) and __anon_vma_prepare() takes mm->page_table_lock and the anon_vma lock. On failure
 * `ret = VM_FAULT_OOM; goto out_release_all`: restore_reserve_on_error(h, vma, address, new_folio) and
 * folio_put(new_folio), the old folio (the page-cache page, still mapped read-only) only unreferenced. Both
 * kernels do this after the allocation (37641efaa3fa moved only hugetlb_no_page()'s call before it), so a
 * folio that consumed a reservation is freed with its restore flag. Coarsening: the copy
 * (copy_user_large_folio, no lock) and the page table lock's pte_same check share the step on success.
 */
const wpAnonVmaPrepare: Step = {
  name: 'hugetlb_wp:__vmf_anon_prepare',
  run(g, t) {
    if (anonVmaPrepareFails(t, vmaOf(g, t))) {
      // H13 (96b96a96ddee^): hugetlb_cow's out_release_all put the new page without restore_reserve_on_error
      if (t.bug('H13')) return putPageAndRelease(g, t, 'OOM');
      return restoreReserveOnError(g, t, FAIL_OOM);
    }
    return wpInstall(g, t);
  },
};

/** hugetlb_wp after alloc_huge_page: retake the page table lock; pte_same? */
function wpInstall(g: G, t: T): StepResult {
  const v = vmaOf(g, t);
  const idx = t.l.idx;
  if (t.l.pagecache) {
    // COW of the page-cache folio: the private copy replaces our read-only pte of it
    // (hugetlb_remove_rmap of the file folio, hugetlb_add_new_anon_rmap of the copy); the file keeps its page
    v.pcm = setDel(v.pcm, idx);
  } else {
    // unmap_ref_private took our page away meanwhile: back out, the retried fault SIGBUSes
    // (H13, 96b96a96ddee^: out_release_all put the new page without restore_reserve_on_error)
    if (!v.anon.includes(idx))
      return t.bug('H13') ? putPageAndRelease(g, t, 'SIGBUS') : restoreReserveOnError(g, t, FAIL_SIGBUS);
    if (v.cow.includes(idx)) {
      const peer = at(g.vma, v.peer);
      v.cow = setDel(v.cow, idx);
      peer.cow = setDel(peer.cow, idx);
    } else {
      // old page was ours alone by now: its last reference (HPageRestoreReserve if the owner's zap set it)
      freeHugePage(g, t, spoolIdx(t, v), v.rr.includes(idx), false, pageNid(v.an, idx));
      v.rr = setDel(v.rr, idx);
    }
  }
  v.anon = setAdd(v.anon, idx);
  v.an = withPageNid(v.an, idx, t.l.page_nid);
  v.dat = datSet(v.dat, idx, tokPrivate(argInt(t, 'v')));
  t.l.restore_reserve = t.l.pagecache = 0;
  g.held--;
  return faultRelease(g, t, 'ok');
}

/** After alloc_huge_page succeeded (commit done): instantiate, per path. */
function afterAlloc(g: G, t: T): StepResult {
  // hugetlb_wp: __vmf_anon_prepare returns at once when vma->anon_vma is set (every VMA with an anonymous page)
  if (t.l.path === PATH_WP) return vmaOf(g, t).av ? wpInstall(g, t) : wpAnonVmaPrepare.name;
  const backout = noPageBackout(g, t);
  if (backout !== null) return backout;
  // instantiate: hugetlb_add_to_page_cache / hugepage_add_new_anon_rmap clear HPageRestoreReserve;
  // the page is zeroed (folio_zero_user), then the faulting write lands
  const v = vmaOf(g, t);
  if (isShared(v.kind)) {
    const f = at(g.file, v.src);
    f.pc = setAdd(f.pc, t.l.idx);
    f.pn = withPageNid(f.pn, t.l.idx, t.l.page_nid);
    mapPte(g, t, v, t.l.idx);
    f.dat = datSet(f.dat, t.l.idx, writeToken(t, true));
  } else {
    v.anon = setAdd(v.anon, t.l.idx);
    v.an = withPageNid(v.an, t.l.idx, t.l.page_nid);
    v.dat = datSet(v.dat, t.l.idx, writeToken(t, false));
  }
  t.l.restore_reserve = 0;
  g.held--;
  return faultRelease(g, t, 'ok');
}

function allocFail(g: G, t: T, ret: 'OOM' | 'SIGBUS'): StepResult {
  if (t.l.path === PATH_WP) {
    const v = vmaOf(g, t);
    if (t.l.avoid_reserve && v.flags & HPAGE_RESV_OWNER) {
      if (t.bug('HR-10')) return faultRelease(g, t, 'SIGBUS'); // HR-10: owner SIGBUSed instead of unmapping the child
      // drop the fault mutex, unmap_ref_private, retake and retry (hugetlb_wp)
      faultMutexUnlock(g, t.l.hash);
      t.l.avoid_reserve = 0;
      return 'unmap_ref_private';
    }
    return faultRelease(g, t, 'SIGBUS');
  }
  return faultRelease(g, t, ret);
}

/** A shared mapping: page cache lookup, else allocate. */
function sharedFault(g: G, t: T): StepResult {
  const f = at(g.file, vmaOf(g, t).src);
  const idx = t.l.idx;
  vmaLockUse(vmaOf(g, t), 'hugetlb_fault');
  f.ir++; // i_mmap_lock_read / hugetlb_vma_lock_read
  // hugetlb_no_page: beyond i_size -> SIGBUS, also for a page still in the page cache while a
  // truncate is removing it (v5.10+ re-checks i_size under the page table lock; H1: the check
  // came only after alloc_huge_page).
  if (idx >= f.size && !t.bug('H1')) return faultRelease(g, t, 'SIGBUS');
  const v = vmaOf(g, t);
  const write = argInt(t, 'write') === 1;
  hugePteAlloc(g, t, v, idx); // huge_pte_alloc: may share another mapping's page table (pmd-share.ts)
  if (v.pcm.includes(idx)) {
    if (write) f.dat = datSet(f.dat, idx, TOK_FILE); // the store lands in the file's page
    return faultRelease(g, t, 'ok'); // the PTE is present: no fault at all
  }
  if (f.pc.includes(idx)) {
    // a MINOR-registered VMA reports the page-cache hit (hugetlb_handle_userfault, VM_UFFD_MINOR)
    if (v.uffd === UFFD_MINOR) return faultRelease(g, t, 'SIGBUS');
    mapPte(g, t, v, idx);
    if (write) f.dat = datSet(f.dat, idx, TOK_FILE); // the store lands in the file's page
    return faultRelease(g, t, 'ok');
  }
  if (v.uffd === UFFD_MISSING) return faultRelease(g, t, 'SIGBUS'); // VM_UFFD_MISSING
  t.l.path = PATH_NO_PAGE;
  return vmaNeedsReservation(g, t);
}

/**
 * A write to the page-cache page through a MAP_PRIVATE mapping of the file
 * (hugetlb_no_page maps it, then hugetlb_wp; or hugetlb_fault on the
 * read-only pte): always copied, never reused (the folio is not anon);
 * outside_reserve = 0 since old_folio == pagecache_folio, so an owner's copy
 * consumes its reservation for the index (mm/hugetlb.c hugetlb_wp() @ v6.12).
 * Coarsening: the vma_needs_reservation/vma_end_reservation pair that only
 * pre-allocates a region descriptor before the page table lock is folded
 * into alloc_hugetlb_folio's own.
 */
function pagecacheCow(g: G, t: T): StepResult {
  const v = vmaOf(g, t);
  v.pcm = setAdd(v.pcm, t.l.idx); // mapped read-only first: a failed copy leaves it mapped
  if (t.bug('HR-14') && soleMapping(g, v, t.l.idx)) {
    // HR-14: the pre-v3.12 "avoidcopy" reused any page mapped once, the page-cache page too: the
    // private write lands in the file (Joonsoo Kim, "mm, hugetlb: do not use a page in page cache
    // for cow optimization", 2013)
    const f = at(g.file, privateFile(v));
    f.dat = datSet(f.dat, t.l.idx, tokPrivate(argInt(t, 'v')));
    return faultRelease(g, t, 'ok');
  }
  t.l.path = PATH_WP;
  t.l.pagecache = 1;
  t.l.avoid_reserve = 0;
  return vmaNeedsReservation(g, t);
}

/** HR-14's page_mapcount(old_page) == 1: no shared mapping of the file and no other private pte maps the page. */
function soleMapping(g: G, v: Vma, idx: number): boolean {
  const file = privateFile(v);
  return !g.vma.some(
    (w) =>
      w !== v &&
      w.st === V_LIVE &&
      (isShared(w.kind) ? w.src === file : privateFile(w) === file && w.pcm.includes(idx)),
  );
}

/** A private mapping: anonymous page present (reuse or COW), else the file's page, else allocate. */
function privateFault(g: G, t: T): StepResult {
  const v = vmaOf(g, t);
  const idx = t.l.idx;
  const write = argInt(t, 'write') === 1;
  const file = privateFile(v);
  if (file >= 0) at(g.file, file).ir++; // hugetlb_vma_lock_read (the private VMA lock)
  if (v.anon.includes(idx)) {
    if (!write) return faultRelease(g, t, 'ok');
    if (!v.cow.includes(idx)) {
      v.dat = datSet(v.dat, idx, tokPrivate(argInt(t, 'v'))); // mapped / reuse: the store lands in our page
      return faultRelease(g, t, 'ok');
    }
    // hugetlb_wp: the owner allocates outside its reserves (old_page != pagecache_page)
    t.l.path = PATH_WP;
    t.l.avoid_reserve = v.flags & HPAGE_RESV_OWNER ? 1 : 0;
    return vmaNeedsReservation(g, t);
  }
  if (v.pcm.includes(idx)) return write ? pagecacheCow(g, t) : faultRelease(g, t, 'ok');
  // "PID killed due to inadequate hugepage pool"
  if (v.flags & HPAGE_RESV_UNMAPPED) return faultRelease(g, t, 'SIGBUS');
  if (file >= 0) {
    const f = at(g.file, file);
    // hugetlb_no_page beyond i_size (checked first, as for shared mappings)
    if (idx >= f.size) return faultRelease(g, t, 'SIGBUS');
    if (f.pc.includes(idx)) {
      // hugetlb_no_page's userfaultfd_minor(vma) check does not ask VM_SHARED: a MINOR-registered
      // private mapping reports the page-cache hit too, before any copy (mm/hugetlb.c
      // hugetlb_no_page() @ v6.12; conform seed 20261205 script 174 on 6.1.192 and 6.12.118)
      if (v.uffd === UFFD_MINOR) return faultRelease(g, t, 'SIGBUS');
      if (!write) {
        v.pcm = setAdd(v.pcm, idx); // hugetlb_add_file_rmap + read-only pte
        return faultRelease(g, t, 'ok');
      }
      return pagecacheCow(g, t);
    }
  }
  if (v.uffd === UFFD_MISSING) return faultRelease(g, t, 'SIGBUS'); // VM_UFFD_MISSING
  // mm/hugetlb.c hugetlb_no_page() @ v6.12: `if (!(vma->vm_flags & VM_MAYSHARE)) { ret = __vmf_anon_prepare(vmf);
  // if (unlikely(ret)) goto out; }` before alloc_hugetlb_folio(): a failure (VM_FAULT_OOM) allocates nothing.
  // Since 37641efaa3fa ("hugetlb: check for anon_vma prior to folio allocation", v6.9); v6.1 fails after the
  // allocation (noPageBackout). Only while vma->anon_vma is NULL (vma.av) does it call __anon_vma_prepare().
  if (!t.bug(ANON_PREPARE_FIRST) && !t.bug('H13') && anonVmaPrepareFails(t, v)) return faultRelease(g, t, 'OOM');
  t.l.path = PATH_NO_PAGE;
  return vmaNeedsReservation(g, t);
}

/**
 * The fix that moved hugetlb_no_page()'s anon_vma preparation before the allocation: commit 37641efaa3fa
 * "hugetlb: check for anon_vma prior to folio allocation" (Vishal Moola, Fixes: 9acad7ba3e25); a kernel
 * version that lacks it (v6.1) prepares after alloc_huge_page() and backs out through restore_reserve_on_error().
 */
export const ANON_PREPARE_FIRST = '37641efaa3fa';

/** Entry of hugetlb_fault: takes the fault mutex (waits while another holds it). */
export const faultEntry: Step = {
  name: 'hugetlb_fault',
  enabled: faultMayEnter,
  run(g, t) {
    const v = faultVma(g, t);
    if (!v) return done('SIGSEGV');
    if (v.ro && argInt(t, 'write')) return done('SIGSEGV'); // access_error: no VM_WRITE (mprotect)
    faultMutexEnter(g, t, v);
    v.users++; // mmap_read_lock
    return isShared(v.kind) ? sharedFault(g, t) : privateFault(g, t);
  },
};

const cowSteps: Step[] = [
  wpAnonVmaPrepare,
  {
    // unmap_ref_private: under i_mmap_rwsem (write), unmap the page from every other private
    // non-owner VMA still mapping it and mark it HPAGE_RESV_UNMAPPED
    name: 'unmap_ref_private',
    run(g, t) {
      const v = vmaOf(g, t);
      const idx = t.l.idx;
      if (v.peer >= 0) {
        const peer = at(g.vma, v.peer);
        if (!(peer.flags & HPAGE_RESV_OWNER) && peer.cow.includes(idx)) {
          peer.anon = setDel(peer.anon, idx);
          peer.cow = setDel(peer.cow, idx);
          peer.dat = datSet(peer.dat, idx, TOK_ZERO);
          peer.an = withPageNid(peer.an, idx, 0);
          peer.flags |= HPAGE_RESV_UNMAPPED;
          v.cow = setDel(v.cow, idx);
        }
      }
      return 'hugetlb_wp:retry';
    },
  },
  {
    // retake the fault mutex; pte_same -> retry_avoidcopy
    name: 'hugetlb_wp:retry',
    enabled: (g, t) => !g.fmx.includes(t.l.hash),
    run(g, t) {
      const v = vmaOf(g, t);
      faultMutexLock(g, t.l.hash);
      if (v.anon.includes(t.l.idx) && v.cow.includes(t.l.idx)) {
        t.l.avoid_reserve = 1;
        return vmaNeedsReservation(g, t);
      }
      if (v.anon.includes(t.l.idx)) v.dat = datSet(v.dat, t.l.idx, tokPrivate(argInt(t, 'v')));
      return faultRelease(g, t, 'ok'); // page now exclusive: reuse
    },
  },
];

const hooks: AllocHooks = { after: afterAlloc, fail: allocFail };
const faultAllocSteps = [...allocSteps(hooks), returnUnusedStep(afterAlloc), ...restoreSteps];

export const faultOp: Op = {
  doc: 'page fault (read/write) on one index: hugetlb_fault -> hugetlb_no_page (alloc_huge_page + instantiate) or hugetlb_wp (COW, unmap_ref_private)',
  locals: LOCALS,
  steps: [faultEntry, ...faultAllocSteps, ...cowSteps],
};
