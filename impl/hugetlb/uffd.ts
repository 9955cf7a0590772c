/**
 * UFFDIO_COPY into one index of a hugetlb mapping: mfill_atomic_hugetlb
 * (mm/userfaultfd.c @ v6.12) and hugetlb_mfill_atomic_pte (mm/hugetlb.c @
 * v6.12). Under the VMA's read lock (uffd_mfill_lock; mmap_lock in the model:
 * vma.users), the fault mutex of (mapping, idx) and the hugetlb VMA lock
 * (i_mmap_rwsem read in the model: file.ir), like a fault.
 *
 * The copy from the user's buffer first runs with page faults disabled, under
 * those locks, into a folio from alloc_hugetlb_folio (which consumed the
 * index's reservation, if any). If the source is not resident it fails: the
 * folio goes back through restore_reserve_on_error + folio_put, a temporary
 * folio is taken without any reservation (alloc_hugetlb_folio_vma: a free
 * unreserved pool page, else a fresh HPageTemporary page from buddy), the
 * locks are dropped, the copy is done with faults allowed, and the whole
 * operation is retried: VMA looked up again, locks retaken, the PTE and the
 * page cache checked again (-EEXIST if a fault instantiated the page
 * meanwhile), a real folio allocated (consuming the reservation now) and the
 * temporary one copied and freed. Before 8cc5fcbb5be8 the folio that had
 * consumed the reservation was carried across the unlocked copy instead.
 *
 * The source buffer is args.src: 'resident' (the copy under the locks
 * succeeds, unless the injected site copy_from_user says the page was
 * reclaimed meanwhile), 'unpopulated' (never touched: the copy under the
 * locks fails, the one outside succeeds) or 'bad' (no mapping: both fail,
 * -EFAULT).
 *
 * anon_vma_prepare in uffd_lock_vma sets a private VMA's anon_vma (vma.av), but is
 * not a fault site. Not modelled: the map_changing_lock (no non-cooperative events), UFFDIO_COPY_MODE_WP.
 */
import { done } from '../../checker/types.js';
import type { StepResult } from './labels.js';
import { returnUnusedStep } from './accounting.js';
import { type AllocHooks, allocSteps, vmaNeedsReservation } from './alloc.js';
import {
  type Op,
  type Step,
  type T,
  LOCALS,
  PATH_UFFD,
  TOK_FILE,
  argInt,
  argStr,
  at,
  datSet,
  faultFile,
  isShared,
  tokPrivate,
  setAdd,
  spoolIdx,
  faultMutexEnter,
  faultMutexFree,
  faultVma,
  vmaOf,
} from './context.js';
import { faultRelease, faultUnlock, putPage } from './fault-release.js';
import { FAIL_EFAULT, FAIL_UFFD_RETRY, UFFD_TEMP_ALLOC, restoreReserveOnError, restoreSteps } from './restore.js';
import { freeHugePage } from './subpool.js';
import { account } from './nodes.js';
import { dequeueNid, freeToNode, preferredNid, withPageNid } from './node-pages.js';
import { regionDel } from './regions.js';
import { hugePteAlloc, mapPte } from './pmd-share.js';
import type { G } from './state.js';

/** l.temp: the folio carried across the unlocked copy. */
const TEMP_NONE = 0;
/** A free pool page dequeued without a reservation (no subpool, no restore flag). */
const TEMP_POOL = 1;
/** A fresh buddy page marked HPageTemporary (counted in nr_huge_pages, never surplus). */
const TEMP_BUDDY = 2;
/**
 * 8cc5fcbb5be8^: the folio alloc_huge_page gave, reservation consumed, carried across:
 * TEMP_CARRIED + 2 * subpool + (shared ? 1 : 0) (the VMA may be gone when it is put).
 */
const TEMP_CARRIED = 8;
/** l.temp = kind + TEMP_NID * nid: the node of a TEMP_POOL / TEMP_BUDDY folio (page_to_nid). */
const TEMP_NID = 256;

const RETRY = 'mfill_atomic_hugetlb:retry';

/** args.src: 0 resident, 1 unpopulated, 2 bad. */
function srcMode(t: T): number {
  const s = argStr(t, 'src');
  return s === 'unpopulated' ? 1 : s === 'bad' ? 2 : 0;
}

/**
 * folio_put of the temporary folio (free_huge_folio, mm/hugetlb.c @ v6.12): it has no
 * subpool and no restore flag; an HPageTemporary page leaves the pool, a pool page goes
 * back to buddy while there are surplus pages, else to the free list.
 */
function putTemp(g: G, t: T): void {
  const temp = t.l.temp % TEMP_NID;
  const nid = Math.floor(t.l.temp / TEMP_NID);
  t.l.temp = TEMP_NONE;
  if (temp === TEMP_NONE) return;
  if (temp >= TEMP_CARRIED) {
    // __mcopy_atomic_hugetlb's out: path before 8cc5fcbb5be8 (the 21205bf8f77b fix-up): a shared
    // page keeps PagePrivate (its entry stays a reservation), a private one clears it
    const shared = (temp - TEMP_CARRIED) % 2 === 1;
    freeHugePage(g, t, (temp - TEMP_CARRIED) >> 1, shared, false, t.l.page_nid);
    g.held--;
    return;
  }
  g.held--;
  if (temp === TEMP_BUDDY) account(g, nid, -1, 0, 0);
  else freeToNode(g, nid); // a surplus page of its node back to buddy, else its node's free list
}

/** -EEXIST (or another early error) with the locks held: put the carried folio, unlock. */
function fail(g: G, t: T, ret: string): StepResult {
  putTemp(g, t);
  return faultRelease(g, t, ret);
}

/** hugetlb_mfill_atomic_pte up to the allocation, with the locks held (also on the retry). */
function mfillPte(g: G, t: T): StepResult {
  const v = vmaOf(g, t);
  const idx = t.l.idx;
  if (isShared(v.kind)) {
    // hugetlbfs_pagecache_present: "a folio already exists, then it's UFFDIO_COPY for a
    // non-missing case" (the PTE check of mfill_atomic_hugetlb is subsumed: shared PTEs are
    // not tracked)
    if (at(g.file, v.src).pc.includes(idx)) return fail(g, t, 'EEXIST');
  } else if (v.anon.includes(idx) || v.pcm.includes(idx)) return fail(g, t, 'EEXIST'); // !huge_pte_none_mostly
  if (t.l.temp >= TEMP_CARRIED && t.l.temp < TEMP_NID) {
    // 8cc5fcbb5be8^: no new allocation; the carried folio is installed (PagePrivate as the
    // out: path would leave it, should it still fail)
    t.l.restore_reserve = (t.l.temp - TEMP_CARRIED) % 2;
    return install(g, t);
  }
  t.l.path = PATH_UFFD;
  return vmaNeedsReservation(g, t); // alloc_hugetlb_folio
}

/** Install the held folio: page cache (shared, within i_size) and PTE. */
function install(g: G, t: T): StepResult {
  const v = vmaOf(g, t);
  if (isShared(v.kind)) {
    const f = at(g.file, v.src);
    // idx >= i_size: out_release_nounlock, restore_reserve_on_error (the folio is not in the page cache)
    if (t.l.idx >= f.size) {
      t.l.temp = TEMP_NONE;
      return restoreReserveOnError(g, t, FAIL_EFAULT);
    }
    f.pc = setAdd(f.pc, t.l.idx); // hugetlb_add_to_page_cache
    f.pn = withPageNid(f.pn, t.l.idx, t.l.page_nid);
    mapPte(g, t, v, t.l.idx);
    f.dat = datSet(f.dat, t.l.idx, TOK_FILE); // the copied data
  } else {
    v.anon = setAdd(v.anon, t.l.idx); // hugetlb_add_new_anon_rmap
    v.an = withPageNid(v.an, t.l.idx, t.l.page_nid);
    v.dat = datSet(v.dat, t.l.idx, tokPrivate(argInt(t, 'v'))); // the copied data, this mapping's own
  }
  t.l.restore_reserve = 0;
  t.l.temp = TEMP_NONE;
  g.held--;
  return faultRelease(g, t, 'ok');
}

/** alloc_hugetlb_folio succeeded (commit done): copy into it, or back out for the unlocked copy. */
function afterAlloc(g: G, t: T): StepResult {
  if (t.l.temp !== TEMP_NONE) {
    putTemp(g, t); // copy_user_large_folio from the temporary folio, folio_put(*foliop)
    return install(g, t);
  }
  // copy_folio_from_user(folio, src, false): page faults disabled
  const copied = srcMode(t) === 0 && !t.inject('copy_from_user');
  if (copied) return install(g, t);
  if (t.bug('8cc5fcbb5be8')) {
    // keep the folio (its reservation consumed) across the unlocked copy
    const v = vmaOf(g, t);
    t.l.temp = TEMP_CARRIED + 2 * spoolIdx(t, v) + (isShared(v.kind) ? 1 : 0);
    t.l.restore_reserve = 0;
    faultUnlock(g, t);
    return unlockedCopy(g, t);
  }
  if (t.bug('HR-3')) {
    putPage(g, t); // folio_put without restore_reserve_on_error
    return UFFD_TEMP_ALLOC;
  }
  return restoreReserveOnError(g, t, FAIL_UFFD_RETRY);
}

/** alloc_hugetlb_folio failed: -ENOMEM, the temporary folio put (da9a298f5fad^: leaked). */
function allocFail(g: G, t: T): StepResult {
  if (t.l.temp !== TEMP_NONE && t.bug('da9a298f5fad')) t.l.temp = TEMP_NONE;
  return fail(g, t, 'ENOMEM');
}

/** copy_folio_from_user(folio, src, true) with no lock held: -EFAULT for a bad source. */
function unlockedCopy(g: G, t: T): StepResult {
  if (srcMode(t) === 2) {
    putTemp(g, t);
    return done('EFAULT');
  }
  return RETRY;
}

const tempAllocStep: Step = {
  // alloc_hugetlb_folio_vma -> alloc_hugetlb_folio_nodemask: a free page if any is unreserved
  // (hugetlb_lock), else alloc_migrate_hugetlb_folio from buddy. Then mfill_atomic_hugetlb drops
  // the VMA lock, the fault mutex and the VMA read lock, and copies with faults allowed.
  // Coarsening: the unlocks and the unlocked copy (thread-local) share the step.
  name: UFFD_TEMP_ALLOC,
  run(g, t) {
    // huge_node(vma): the task policy's node and nodemask (node-pages.ts); a free page of a node
    // it allows, else a buddy page on the preferred node (a bound task's node, or the local one)
    const nid = g.free - g.resv > 0 ? dequeueNid(g, t) : -1;
    if (nid >= 0) {
      account(g, nid, 0, -1, 0);
      t.l.temp = TEMP_POOL + TEMP_NID * nid;
    } else if (t.inject('alloc_buddy')) return faultRelease(g, t, 'ENOMEM');
    else {
      const bnid = preferredNid(g, t);
      account(g, bnid, 1, 0, 0);
      t.l.temp = TEMP_BUDDY + TEMP_NID * bnid;
    }
    g.held++;
    faultUnlock(g, t);
    return unlockedCopy(g, t);
  },
};

/** mfill_atomic_hugetlb entry (`first`) and its retry: look the VMA up, take the fault mutex and the VMA lock. */
function entry(first: boolean): Step {
  return {
    name: first ? 'mfill_atomic_hugetlb' : RETRY,
    enabled: faultMutexFree,
    run(g, t) {
      const v = faultVma(g, t);
      if (!v) {
        putTemp(g, t); // out: folio_put(folio)
        return done('ENOENT');
      }
      // uffd_mfill_lock -> find_vma_and_prepare_anon (mm/userfaultfd.c @ v6.12; @ v6.1 __mcopy_atomic_hugetlb's
      // `if (!vm_shared) anon_vma_prepare(dst_vma)`): a COW mapping gets its anon_vma first (not a fault site)
      if (!isShared(v.kind)) v.av = 1;
      faultMutexEnter(g, t, v);
      v.users++; // uffd_mfill_lock
      if (faultFile(v) >= 0) at(g.file, faultFile(v)).ir++; // hugetlb_vma_lock_read
      hugePteAlloc(g, t, v, t.l.idx); // huge_pte_alloc (pmd-share.ts)
      return mfillPte(g, t);
    },
  };
}

const hooks: AllocHooks = { after: afterAlloc, fail: (g, t) => allocFail(g, t) };

export const uffdCopyOp: Op = {
  doc: 'UFFDIO_COPY into one index: mfill_atomic_hugetlb / hugetlb_mfill_atomic_pte (alloc_hugetlb_folio, copy under the locks, else restore_reserve_on_error, a temporary folio, the copy outside the locks and a retry)',
  locals: LOCALS,
  steps: [
    entry(true),
    ...allocSteps(hooks),
    returnUnusedStep(afterAlloc),
    ...restoreSteps,
    tempAllocStep,
    entry(false),
  ],
};

// ---------------------------------------------------------------------------
// UFFDIO_CONTINUE (minor faults); UFFDIO_REGISTER is uffd-register.ts
// ---------------------------------------------------------------------------

const continueStep: Step = {
  // mfill_atomic_hugetlb (no PTE check for MFILL_ATOMIC_CONTINUE), then hugetlb_mfill_atomic_pte
  // is_continue: filemap_lock_hugetlb_folio (-EFAULT without a page-cache folio), the PTE check
  // under the page table lock (-EEXIST), hugetlb_add_file_rmap + set_huge_pte_at. The folio is in
  // the page cache: no restore_reserve_on_error on its error path (folio_in_pagecache).
  // Nothing asks VM_SHARED: a MAP_PRIVATE mapping of a file gets the file's folio too, mapped
  // read-only (writable = 0 for !vm_shared) with the file rmap, and -EEXIST when its PTE maps
  // anything, its own COW copy included (mm/userfaultfd.c mfill_atomic_hugetlb() and mm/hugetlb.c
  // hugetlb_mfill_atomic_pte() @ v6.12; __mcopy_atomic_hugetlb() / hugetlb_mcopy_atomic_pte() @ v6.1;
  // conform seed 20261206 script 994 on Debian 6.1.192: EEXIST where the model said EFAULT).
  name: 'mfill_atomic_hugetlb:continue',
  enabled: faultMutexFree,
  run(g, t) {
    const v = faultVma(g, t);
    if (!v) return done('ENOENT');
    if (!isShared(v.kind)) v.av = 1; // uffd_mfill_lock -> find_vma_and_prepare_anon, as for UFFDIO_COPY
    const idx = argInt(t, 'i');
    // the fault mutex and the VMA lock are taken and dropped inside this step: nothing else
    // happens under them (the folio is looked up, checked and mapped)
    const file = faultFile(v);
    if (file < 0) return done('EFAULT'); // a private mapping of a file of its own: no page cache
    const f = at(g.file, file);
    if (!f.pc.includes(idx)) return done('EFAULT');
    if (v.pcm.includes(idx) || v.anon.includes(idx)) {
      // cc30042df6fc^: the error path treated the page-cache folio as newly allocated and ran
      // restore_reserve_on_error on it: no HPageRestoreReserve, vma_needs_reservation finds the
      // entry (rc 0), so vma_del_reservation deletes the reservation of a cached page
      if (t.bug('cc30042df6fc') && isShared(v.kind)) regionDel(f, idx, idx + 1, true);
      return done('EEXIST');
    }
    hugePteAlloc(g, t, v, idx); // huge_pte_alloc (a MINOR-registered VMA never shares)
    mapPte(g, t, v, idx);
    return done('ok');
  },
};

export const uffdContinueOp: Op = {
  doc: 'UFFDIO_CONTINUE of one index: map the page-cache page, into a shared or a MAP_PRIVATE mapping of the file (mfill_atomic_hugetlb / hugetlb_mfill_atomic_pte is_continue): EFAULT without one, EEXIST when a page is mapped there',
  locals: LOCALS,
  steps: [continueStep],
};
