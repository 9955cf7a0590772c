/**
 * hugetlb reservation accounting, kernel-faithful: the functions of
 * mm/hugetlb.c and fs/hugetlbfs/inode.c (names as in v5.10 .. @0010b838,
 * reference/kernel-semantics.md §1), each operation a list of atomic steps
 * split where the kernel takes or drops hugetlb_lock, a resv_map lock, the
 * fault mutex, inode_lock or i_mmap_rwsem. Spinlocks held inside one step
 * have no state; sleeping locks held across steps are fields (owner tid+1).
 *
 * Buggy variants are `t.bug('NAME')` checks next to the correct code.
 */
import { done, type OpDef, type StepDef, type StepResult, type ThreadCtx } from '../../checker/types.js';
import {
  type ResvMap,
  regionAbort,
  regionAdd,
  regionChgCommit,
  regionChgCount,
  regionCount,
  regionDel,
  covers,
} from './regions.js';
import {
  type G,
  type ImplParams,
  type Spool,
  type Vma,
  emptyVma,
  HPAGE_RESV_OWNER,
  HPAGE_RESV_UNMAPPED,
  NORESERVE,
  PRIVATE,
  PRIVATE_NORESERVE,
  SHARED,
  SP_MOUNTED,
  SP_MOUNTING,
  SP_UNMOUNTED,
  V_CLOSING,
  V_CREATING,
  V_FREE,
  V_LIVE,
} from './state.js';

type T = ThreadCtx<ImplParams>;
type Step = StepDef<G, ImplParams>;
type Cont = (g: G, t: T) => StepResult;

const LONG_MAX = 1 << 20;

/** Integer locals shared by all operations (zeroed at op start and end). */
export const LOCALS = [
  'i', 'cont', 'chg', 'need', 'gbl', 'mapchg', 'avoid', 'restore', 'rc', 'ra', 'fail',
  'gd', 'gn', 'ga', 'gok', 'ru_n', 'ru_k', 'next', 'freed', 'key',
] as const;

// ---------------------------------------------------------------------------
// small helpers
// ---------------------------------------------------------------------------

const num = (t: T, k: string): number => {
  const v = t.args[k];
  return typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : Number(v ?? 0);
};
const isShared = (k: number): boolean => k === SHARED || k === NORESERVE;
const setAdd = (s: number[], x: number): number[] => {
  if (s.includes(x)) return s;
  const o = s.concat(x);
  o.sort((a, b) => a - b);
  return o;
};
const setDel = (s: number[], x: number): number[] => (s.includes(x) ? s.filter((y) => y !== x) : s);

function spoolIdx(t: T, v: Vma): number {
  return isShared(v.kind) ? t.params.fileMount[v.src]! : v.src;
}

/** The reserve map a VMA uses: inode map (shared), own map (private owner), none (fork child, NORESERVE private). */
function mapOf(g: G, v: Vma): ResvMap | null {
  if (isShared(v.kind)) return g.file[v.src]!;
  if (v.kind === PRIVATE && v.flags & HPAGE_RESV_OWNER) return v;
  return null;
}

/** hugetlb_fault_mutex_hash(mapping, idx): a small hash table, collisions only serialize. */
function mutexKey(t: T, v: Vma, i: number): number {
  const mapping = isShared(v.kind) ? v.src : t.params.fileMount.length + v.fam;
  return (mapping * t.params.fileSize + i) % 31;
}

// ---------------------------------------------------------------------------
// subpool (verbatim arithmetic, kernel-semantics §1.4)
// ---------------------------------------------------------------------------

/** hugepage_subpool_get_pages: returns global reservations to take, or -1 (-ENOMEM). */
export function hugepageSubpoolGetPages(s: Spool, delta: number): number {
  let ret = delta;
  if (s.max !== -1) {
    if (s.used + delta <= s.max) s.used += delta;
    else return -1;
  }
  if (s.min !== -1 && s.rsv) {
    if (delta > s.rsv) {
      ret = delta - s.rsv;
      s.rsv = 0;
    } else {
      ret = 0; // reserves already accounted for
      s.rsv -= delta;
    }
  }
  return ret;
}

/** hugepage_subpool_put_pages: returns global reservations to release. */
export function hugepageSubpoolPutPages(s: Spool, delta: number): number {
  let ret = delta;
  if (s.max !== -1) s.used -= delta;
  if (s.min !== -1 && s.used < s.min) {
    if (s.rsv + delta <= s.min) ret = 0;
    else ret = s.rsv + delta - s.min;
    s.rsv += delta;
    if (s.rsv > s.min) s.rsv = s.min;
  }
  return ret;
}

// ---------------------------------------------------------------------------
// free_huge_page (seed L2042-2066; kernel-semantics §1.6)
// ---------------------------------------------------------------------------

/** free_huge_page of a page a thread held (caller decrements g.held). */
function freeHugePage(g: G, t: T, sp: number, restoreReserve: boolean): void {
  let restore = restoreReserve;
  // H19: the `if (!restore_reserve)` guard was missing: a PagePrivate page also put back to the subpool
  if (!restore || t.bug('H19')) {
    // 0 => subpool would drop under min: keep the reservation
    // HR-9: the 0 return (subpool fell under min_size) is ignored
    if (hugepageSubpoolPutPages(g.spool[sp]!, 1) === 0 && !t.bug('HR-9')) restore = true;
  }
  // spin_lock(&hugetlb_lock)
  if (restore) g.resv++;
  if (g.surp > 0) {
    // surplus page: update_and_free_page back to buddy
    g.nr--;
    g.surp--;
  } else g.free++; // enqueue_huge_page
}

/** vma_has_reserves(vma, chg) */
function vmaHasReserves(v: Vma, chg: number): boolean {
  if (v.kind === NORESERVE) return chg === 0; // VM_MAYSHARE && chg == 0
  if (v.kind === PRIVATE_NORESERVE) return false;
  if (v.kind === SHARED) return chg === 0;
  if (v.flags & HPAGE_RESV_OWNER) return chg === 0;
  return false;
}

// ---------------------------------------------------------------------------
// return_unused_surplus_pages (v4.10+ form; H14 is the pre-v4.10 form)
// ---------------------------------------------------------------------------

/**
 * hugetlb_acct_memory(-n): entered with hugetlb_lock held. Frees up to
 * min(n, surplus) free surplus pages, decrementing resv_huge_pages as it goes
 * (cond_resched_lock drops the lock between pages: one step per page).
 */
function returnUnused(g: G, t: T, n: number, next: Cont): StepResult {
  if (n <= 0) return next(g, t);
  if (t.bug('H14')) {
    // pre-4.10: uncommit the whole reservation first, then free with the lock dropped per page
    g.resv -= n;
    t.l.ru_n = 0;
  } else t.l.ru_n = n;
  t.l.ru_k = Math.min(n, g.surp);
  return returnUnusedIter(g, t, next);
}

function returnUnusedIter(g: G, t: T, next: Cont): StepResult {
  if (t.l.ru_k > 0) {
    t.l.ru_k--;
    if (!t.bug('H14')) {
      g.resv--;
      t.l.ru_n--;
    }
    // free_pool_huge_page(h, nodes, acct_surplus=1): a free page on a node with surplus
    if (g.surp > 0 && g.free > 0) {
      g.nr--;
      g.free--;
      g.surp--;
      if (t.l.ru_k > 0) return 'return_unused_surplus_pages'; // cond_resched_lock(&hugetlb_lock)
    }
  }
  // out: fully uncommit the reservation
  g.resv -= t.l.ru_n;
  t.l.ru_n = 0;
  t.l.ru_k = 0;
  return next(g, t);
}

function returnUnusedStep(next: Cont): Step {
  return { name: 'return_unused_surplus_pages', run: (g, t) => returnUnusedIter(g, t, next) };
}

// ---------------------------------------------------------------------------
// gather_surplus_pages (hugetlb_acct_memory(delta > 0))
// ---------------------------------------------------------------------------

/** Entered with hugetlb_lock held; `ok`/`fail` run with the lock held. */
function gatherSurplusPages(g: G, t: T, delta: number, ok: Cont, fail: Cont): StepResult {
  if (delta <= 0) return ok(g, t);
  if (t.bug('HR-11')) {
    // Documentation/vm/hugetlbfs_reserv.rst L1931 taken literally (operands swapped, no surplus)
    if (delta <= g.resv - g.free) {
      g.resv += delta;
      return ok(g, t);
    }
    return fail(g, t);
  }
  const needed = g.resv + delta - g.free;
  if (needed <= 0) {
    g.resv += delta;
    return ok(g, t);
  }
  t.l.gd = delta;
  t.l.gn = needed;
  t.l.ga = 0;
  t.l.gok = 1;
  return 'alloc_surplus_huge_page'; // spin_unlock(&hugetlb_lock)
}

/**
 * free_huge_page of pages on the gather list: back to buddy while the node has
 * surplus pages, else onto the free list (a concurrent nr_hugepages grow may
 * have turned their surplus count into persistent pages meanwhile).
 */
function freeGathered(g: G, n: number): void {
  for (let k = 0; k < n; k++) {
    g.held--;
    if (g.surp > 0) {
      g.nr--;
      g.surp--;
    } else g.free++;
  }
}

function gatherSteps(ok: Cont, fail: Cont): Step[] {
  const recheck = (g: G, t: T): StepResult => {
    // spin_lock(&hugetlb_lock); needed = (resv + delta) - (free + allocated)
    let needed = g.resv + t.l.gd - (g.free + t.l.ga);
    if (needed > 0) {
      if (t.l.gok) {
        t.l.gn = needed;
        return 'alloc_surplus_huge_page'; // retry
      }
      // could not allocate enough: free what we allocated (put_page -> free_huge_page)
      freeGathered(g, t.l.ga);
      t.l.gd = t.l.gn = t.l.ga = t.l.gok = 0;
      return fail(g, t);
    }
    needed += t.l.ga;
    g.resv += t.l.gd;
    const enq = Math.max(0, needed);
    g.free += enq; // enqueue_huge_page of the needed pages
    g.held -= enq;
    freeGathered(g, t.l.ga - enq); // free_huge_page of the rest
    t.l.gd = t.l.gn = t.l.ga = t.l.gok = 0;
    return ok(g, t);
  };
  return [
    {
      // alloc_surplus_huge_page (lock dropped around the buddy allocation)
      name: 'alloc_surplus_huge_page',
      run(g, t) {
        if (g.surp >= g.over || t.inject('alloc_buddy')) {
          t.l.gok = 0;
          t.l.gn = 0;
          return recheck(g, t);
        }
        g.nr++;
        g.surp++;
        g.held++;
        t.l.ga++;
        t.l.gn--;
        if (t.l.gn > 0) return 'alloc_surplus_huge_page';
        return recheck(g, t);
      },
    },
  ];
}

// ---------------------------------------------------------------------------
// alloc_huge_page (seed L1957-2029) with vma_needs/commit/end_reservation
// ---------------------------------------------------------------------------

/** Private maps invert region_chg/region_add results (__vma_reservation_common). */
const invert = (v: Vma, ret: number): number => (isShared(v.kind) ? ret : ret > 0 ? 0 : 1);

/** vma_end_reservation: region_abort of the pending chg. */
function vmaEndReservation(g: G, v: Vma, t: T): void {
  const m = mapOf(g, v);
  if (m && t.l.need) regionAbort(m, t.l.need);
  t.l.need = 0;
}

/**
 * vma_needs_reservation (region_chg of [i, i+1) under resv->lock). The first
 * step of alloc_huge_page; entered from the caller's step.
 */
function vmaNeedsReservation(g: G, t: T): StepResult {
  const v = g.vma[num(t, 'v')]!;
  const m = mapOf(g, v);
  if (!m) {
    t.l.mapchg = 1; // no reserve map: "every call returns 1"
    t.l.need = 0;
    return 'dequeue_huge_page_vma';
  }
  const { chg, needed, missing } = regionChgCount(m, t.l.i, t.l.i + 1);
  t.l.chg = chg;
  t.l.need = needed;
  if (missing > 0) {
    t.l.ra = missing;
    return 'allocate_file_region_entries'; // drops resv->lock to kmalloc
  }
  regionChgCommit(m, needed);
  t.l.mapchg = invert(v, chg);
  t.l.chg = 0;
  return 'dequeue_huge_page_vma';
}

interface AllocHooks {
  /** After vma_commit_reservation succeeded: the page is held (g.held), PagePrivate in l.restore. */
  after: Cont;
  /** alloc_huge_page failed; ret = 'OOM' (map_chg < 0, -ENOMEM) or 'SIGBUS' (-ENOSPC). */
  fail: (g: G, t: T, ret: 'OOM' | 'SIGBUS') => StepResult;
}

function allocSteps(h: AllocHooks): Step[] {
  const failPath = (g: G, t: T): StepResult => {
    const v = g.vma[num(t, 'v')]!;
    // out_subpool_put: if (map_chg || avoid_reserve) hugepage_subpool_put_pages(spool, 1)
    if (t.l.mapchg || t.l.avoid) hugepageSubpoolPutPages(g.spool[spoolIdx(t, v)]!, 1);
    vmaEndReservation(g, v, t);
    t.l.gbl = t.l.mapchg = 0;
    return h.fail(g, t, 'SIGBUS');
  };
  const takeReserve = (g: G, t: T, v: Vma): void => {
    if (!t.l.avoid && vmaHasReserves(v, t.l.gbl)) {
      t.l.restore = 1; // SetPagePrivate(page)
      g.resv--;
    }
  };
  return [
    {
      // allocate_file_region_entries: kmalloc with resv->lock dropped, retake, recheck
      name: 'allocate_file_region_entries',
      run(g, t) {
        const v = g.vma[num(t, 'v')]!;
        const m = mapOf(g, v)!;
        if (t.inject('region_chg_kmalloc')) {
          t.l.ra = t.l.chg = t.l.need = 0;
          return h.fail(g, t, 'OOM'); // region_chg -ENOMEM: adds_in_progress untouched
        }
        m.cache += t.l.ra;
        const missing = m.adds + t.l.need - m.cache;
        if (missing > 0) {
          t.l.ra = missing;
          return 'allocate_file_region_entries';
        }
        t.l.ra = 0;
        regionChgCommit(m, t.l.need);
        t.l.mapchg = invert(v, t.l.chg); // chg was counted before the lock was dropped
        t.l.chg = 0;
        return 'dequeue_huge_page_vma';
      },
    },
    {
      // hugepage_subpool_get_pages (spool->lock) + dequeue_huge_page_vma (hugetlb_lock)
      name: 'dequeue_huge_page_vma',
      run(g, t) {
        const v = g.vma[num(t, 'v')]!;
        let gbl = 0;
        if (t.l.mapchg || t.l.avoid) {
          gbl = hugepageSubpoolGetPages(g.spool[spoolIdx(t, v)]!, 1);
          if (gbl < 0) {
            vmaEndReservation(g, v, t);
            t.l.mapchg = 0;
            return h.fail(g, t, 'SIGBUS'); // -ENOSPC
          }
          if (t.l.avoid) gbl = 1;
        }
        t.l.gbl = gbl;
        const hasRes = vmaHasReserves(v, gbl);
        // HR-13: with cpusets/mempolicy the free pages may all be on disallowed nodes
        const offNode = t.params.numa && g.free > 0 && t.choose(2) === 1;
        const avail = g.free - g.resv;
        const refuse = (!hasRes && avail <= 0) || (t.l.avoid && avail <= 0) || g.free === 0 || offNode;
        if (!refuse) {
          g.free--;
          g.held++;
          takeReserve(g, t, v);
          return 'vma_commit_reservation';
        }
        // alloc_buddy_huge_page_with_mpol: surplus page, hugetlb_lock dropped
        if (g.surp < g.over) return 'alloc_buddy_huge_page';
        return failPath(g, t);
      },
    },
    {
      // alloc_surplus_huge_page: buddy allocation, then recheck surplus < overcommit under the lock
      name: 'alloc_buddy_huge_page',
      run(g, t) {
        const v = g.vma[num(t, 'v')]!;
        if (t.inject('alloc_buddy') || g.surp >= g.over) return failPath(g, t);
        g.nr++;
        g.surp++;
        g.held++;
        takeReserve(g, t, v);
        return 'vma_commit_reservation';
      },
    },
    {
      // vma_commit_reservation (region_add of [i, i+1)), then the needs/commit race fix-up
      name: 'vma_commit_reservation',
      run(g, t) {
        const v = g.vma[num(t, 'v')]!;
        const m = mapOf(g, v);
        let mapCommit = 1;
        if (m) {
          const add = regionAdd(m, t.l.i, t.l.i + 1, t.l.need); // one page: cannot need more descriptors
          mapCommit = invert(v, add);
        }
        t.l.need = 0;
        if (t.l.mapchg > mapCommit && !t.bug('HR-4')) {
          // raced with hugetlb_reserve_pages: drop the subpool charge and the global reservation
          // it added for this page (seed L2019-2029)
          const rsvAdjust = hugepageSubpoolPutPages(g.spool[spoolIdx(t, v)]!, 1);
          t.l.gbl = t.l.mapchg = 0;
          return returnUnused(g, t, rsvAdjust, h.after);
        }
        t.l.gbl = t.l.mapchg = 0;
        return h.after(g, t);
      },
    },
  ];
}

// ---------------------------------------------------------------------------
// restore_reserve_on_error (post 846be08578ed decision table)
// ---------------------------------------------------------------------------

const FAIL_RET = ['ok', 'OOM', 'EFAULT', 'SIGBUS'] as const;

/** Entered from the caller's step: starts restore_reserve_on_error for the held page, then put_page. */
function restoreReserveOnError(g: G, t: T, failRet: number): StepResult {
  t.l.fail = failRet;
  const v = g.vma[num(t, 'v')]!;
  const m = mapOf(g, v);
  if (!m) {
    t.l.rc = 1;
    return restoreDecide(g, t);
  }
  const { chg, needed, missing } = regionChgCount(m, t.l.i, t.l.i + 1);
  t.l.chg = chg;
  t.l.need = needed;
  if (missing > 0) {
    t.l.ra = missing;
    return 'restore:allocate_file_region_entries';
  }
  regionChgCommit(m, needed);
  t.l.rc = invert(v, chg);
  t.l.chg = 0;
  return restoreDecide(g, t);
}

function restoreDecide(g: G, t: T): StepResult {
  const v = g.vma[num(t, 'v')]!;
  const m = mapOf(g, v);
  const rc = t.l.rc;
  const i = t.l.i;
  if (t.l.restore) {
    if (rc < 0) {
      // Rare OOM in reserve map manipulation: clear the flag so free_huge_page does not
      // re-credit the global count (seed L2312-2318)
      if (!t.bug('HR-2')) t.l.restore = 0;
    } else if (rc > 0) {
      // vma_add_reservation
      if (isShared(v.kind)) regionAdd(m!, i, i + 1, t.l.need);
      else if (m) {
        regionAbort(m, t.l.need);
        regionDel(m, i, i + 1, false); // after the abort a cached descriptor is free: cannot fail
      }
    } else if (m) regionAbort(m, t.l.need); // vma_end_reservation
  } else if (rc === 0 && m) {
    // vma_del_reservation: remove the entry alloc_huge_page added
    if (isShared(v.kind)) {
      regionAbort(m, t.l.need);
      t.l.need = 0;
      if (regionDel(m, i, i + 1, false) < 0) return 'restore:region_del_kmalloc';
    } else regionAdd(m, i, i + 1, t.l.need);
  } else if (rc < 0) {
    if (!isShared(v.kind)) t.l.restore = 1; // reserve count re-incremented when freed
  } else if (m) regionAbort(m, t.l.need); // vma_end_reservation
  t.l.need = 0;
  return restoreFree(g, t);
}

/** put_page(page) -> free_huge_page, then finish the operation. */
function restoreFree(g: G, t: T): StepResult {
  const v = g.vma[num(t, 'v')]!;
  freeHugePage(g, t, spoolIdx(t, v), t.l.restore === 1);
  g.held--;
  t.l.restore = t.l.rc = t.l.need = 0;
  const ret = FAIL_RET[t.l.fail]!;
  return faultRelease(g, t, ret);
}

const restoreSteps: Step[] = [
  {
    name: 'restore:allocate_file_region_entries',
    run(g, t) {
      const v = g.vma[num(t, 'v')]!;
      const m = mapOf(g, v)!;
      if (t.inject('region_chg_kmalloc')) {
        t.l.ra = t.l.chg = t.l.need = 0;
        t.l.rc = -1;
        return restoreDecide(g, t);
      }
      m.cache += t.l.ra;
      const missing = m.adds + t.l.need - m.cache;
      if (missing > 0) {
        t.l.ra = missing;
        return 'restore:allocate_file_region_entries';
      }
      t.l.ra = 0;
      regionChgCommit(m, t.l.need);
      t.l.rc = invert(v, t.l.chg);
      t.l.chg = 0;
      return restoreDecide(g, t);
    },
  },
  {
    // region_del needs to split and has no cached descriptor: kmalloc with the lock dropped
    name: 'restore:region_del_kmalloc',
    run(g, t) {
      const v = g.vma[num(t, 'v')]!;
      const m = mapOf(g, v)!;
      if (t.inject('region_del_split')) t.l.restore = 1; // could not delete: reserve restored at free
      else regionDel(m, t.l.i, t.l.i + 1, true);
      return restoreFree(g, t);
    },
  },
];

// ---------------------------------------------------------------------------
// faults: hugetlb_fault -> hugetlb_no_page / hugetlb_wp, and UFFDIO_COPY
// ---------------------------------------------------------------------------

/** Drop the fault mutex, i_mmap_rwsem (read) and mmap_lock (read); finish with ret. */
function faultRelease(g: G, t: T, ret: string): StepResult {
  const v = g.vma[num(t, 'v')]!;
  g.fmx = setDel(g.fmx, t.l.key);
  v.users--;
  if (isShared(v.kind)) g.file[v.src]!.ir--;
  return done(ret);
}

const CONT_NOPAGE = 0;
const CONT_COW = 1;
const CONT_UFFD = 2;

/** After alloc_huge_page succeeded (commit done): instantiate, per path. */
function afterAlloc(g: G, t: T): StepResult {
  const v = g.vma[num(t, 'v')]!;
  const i = t.l.i;
  const sp = spoolIdx(t, v);
  if (t.l.cont === CONT_UFFD) {
    if (t.inject('copy_from_user')) {
      // mm/userfaultfd.c error path: cannot call restore_reserve_on_error (seed L2320-2322)
      if (!t.bug('HR-3')) t.l.restore = isShared(v.kind) ? 1 : 0;
      freeHugePage(g, t, sp, t.l.restore === 1);
      g.held--;
      t.l.restore = 0;
      return faultRelease(g, t, 'EFAULT');
    }
  } else if (t.l.cont === CONT_NOPAGE) {
    if (isShared(v.kind)) {
      if (t.inject('add_to_page_cache')) {
        if (t.bug('HR-1')) {
          // HR-1: page freed without restore_reserve_on_error (seed L2296-2304)
          freeHugePage(g, t, sp, t.l.restore === 1);
          g.held--;
          t.l.restore = 0;
          return faultRelease(g, t, 'OOM');
        }
        return restoreReserveOnError(g, t, 1);
      }
      if (t.bug('H1') && i >= g.file[v.src]!.size) {
        // H1: i_size checked only after alloc_huge_page, no back-out
        freeHugePage(g, t, sp, t.l.restore === 1);
        g.held--;
        t.l.restore = 0;
        return faultRelease(g, t, 'SIGBUS');
      }
    } else if (t.inject('anon_vma_prepare')) {
      if (t.bug('H13')) {
        // H13: backout frees the new page without restore_reserve_on_error
        freeHugePage(g, t, sp, t.l.restore === 1);
        g.held--;
        t.l.restore = 0;
        return faultRelease(g, t, 'OOM');
      }
      return restoreReserveOnError(g, t, 1);
    }
  } else {
    // hugetlb_wp: retake the page table lock; pte_same?
    if (!v.anon.includes(i)) {
      // unmap_ref_private took our page away meanwhile: back out, the retried fault SIGBUSes
      return restoreReserveOnError(g, t, 3);
    }
    if (v.cow.includes(i)) {
      const peer = g.vma[v.peer]!;
      v.cow = setDel(v.cow, i);
      peer.cow = setDel(peer.cow, i);
    } else freeHugePage(g, t, sp, false); // old page was ours alone by now: its last reference
    t.l.restore = 0;
    g.held--;
    return faultRelease(g, t, 'ok');
  }
  // instantiate: huge_add_to_page_cache / hugepage_add_new_anon_rmap clear PagePrivate
  if (isShared(v.kind)) {
    const f = g.file[v.src]!;
    f.pc = setAdd(f.pc, i);
  } else v.anon = setAdd(v.anon, i);
  t.l.restore = 0;
  g.held--;
  return faultRelease(g, t, 'ok');
}

function allocFail(g: G, t: T, ret: 'OOM' | 'SIGBUS'): StepResult {
  if (t.l.cont === CONT_UFFD) return faultRelease(g, t, 'ENOMEM');
  if (t.l.cont === CONT_COW) {
    const v = g.vma[num(t, 'v')]!;
    if (t.l.avoid && v.flags & HPAGE_RESV_OWNER) {
      if (t.bug('HR-10')) return faultRelease(g, t, 'SIGBUS'); // HR-10: owner SIGBUSed instead of unmapping the child
      // drop the fault mutex, unmap_ref_private, retake and retry (hugetlb_wp)
      g.fmx = setDel(g.fmx, t.l.key);
      t.l.avoid = 0;
      return 'unmap_ref_private';
    }
    return faultRelease(g, t, 'SIGBUS');
  }
  return faultRelease(g, t, ret);
}

/** Entry of hugetlb_fault / UFFDIO_COPY: under mmap_lock (read), i_mmap_rwsem (read), fault mutex. */
function faultEntry(uffd: boolean): Step {
  return {
    name: uffd ? 'hugetlb_mcopy_atomic_pte' : 'hugetlb_fault',
    enabled(g, t) {
      const v = g.vma[num(t, 'v')];
      if (!v || v.st !== V_LIVE) return true;
      return !g.fmx.includes(mutexKey(t, v, num(t, 'i')));
    },
    run(g, t) {
      const v = g.vma[num(t, 'v')];
      const i = num(t, 'i');
      if (!v || v.st !== V_LIVE || i < v.from || i >= v.to) return done(uffd ? 'ENOENT' : 'SIGSEGV');
      t.l.i = i;
      t.l.key = mutexKey(t, v, i);
      g.fmx = setAdd(g.fmx, t.l.key);
      v.users++;
      if (isShared(v.kind)) {
        const f = g.file[v.src]!;
        f.ir++;
        // hugetlb_no_page: beyond i_size -> SIGBUS, also for a page still in the page cache while a
        // truncate is removing it (v5.10 re-checks i_size under the page table lock; H1: the check
        // came only after alloc_huge_page). UFFDIO_COPY: -EFAULT.
        if (i >= f.size && (uffd || !t.bug('H1'))) return faultRelease(g, t, uffd ? 'EFAULT' : 'SIGBUS');
        if (f.pc.includes(i)) return faultRelease(g, t, uffd ? 'EEXIST' : 'ok');
        t.l.cont = uffd ? CONT_UFFD : CONT_NOPAGE;
        return vmaNeedsReservation(g, t);
      }
      if (v.anon.includes(i)) {
        if (uffd) return faultRelease(g, t, 'EEXIST');
        if (!num(t, 'write') || !v.cow.includes(i)) return faultRelease(g, t, 'ok'); // mapped / reuse
        // hugetlb_wp: the owner allocates outside its reserves (old_page != pagecache_page)
        t.l.cont = CONT_COW;
        t.l.avoid = v.flags & HPAGE_RESV_OWNER ? 1 : 0;
        return vmaNeedsReservation(g, t);
      }
      if (!uffd && v.flags & HPAGE_RESV_UNMAPPED) return faultRelease(g, t, 'SIGBUS'); // "killed due to inadequate hugepage pool"
      t.l.cont = uffd ? CONT_UFFD : CONT_NOPAGE;
      return vmaNeedsReservation(g, t);
    },
  };
}

const cowSteps: Step[] = [
  {
    // unmap_ref_private: under i_mmap_rwsem (write), unmap the page from every other private
    // non-owner VMA still mapping it and mark it HPAGE_RESV_UNMAPPED (seed L2114-2135)
    name: 'unmap_ref_private',
    run(g, t) {
      const v = g.vma[num(t, 'v')]!;
      const i = t.l.i;
      if (v.peer >= 0) {
        const peer = g.vma[v.peer]!;
        if (!(peer.flags & HPAGE_RESV_OWNER) && peer.cow.includes(i)) {
          peer.anon = setDel(peer.anon, i);
          peer.cow = setDel(peer.cow, i);
          peer.flags |= HPAGE_RESV_UNMAPPED;
          v.cow = setDel(v.cow, i);
        }
      }
      return 'hugetlb_wp:retry';
    },
  },
  {
    // retake the fault mutex; pte_same -> retry_avoidcopy
    name: 'hugetlb_wp:retry',
    enabled: (g, t) => !g.fmx.includes(t.l.key),
    run(g, t) {
      const v = g.vma[num(t, 'v')]!;
      g.fmx = setAdd(g.fmx, t.l.key);
      if (v.anon.includes(t.l.i) && v.cow.includes(t.l.i)) {
        t.l.avoid = 1;
        return vmaNeedsReservation(g, t);
      }
      return faultRelease(g, t, 'ok'); // page now exclusive: reuse
    },
  },
];

const hooks: AllocHooks = { after: afterAlloc, fail: allocFail };
const faultAllocSteps = [...allocSteps(hooks), returnUnusedStep(afterAlloc), ...restoreSteps];

// ---------------------------------------------------------------------------
// mmap -> hugetlb_reserve_pages (seed L1872-1942; kernel-semantics §1.6)
// ---------------------------------------------------------------------------

const KINDS: Record<string, number> = { shared: SHARED, noreserve: NORESERVE, private: PRIVATE, private_noreserve: PRIVATE_NORESERVE };

function mmapFinish(g: G, t: T): StepResult {
  const slot = num(t, 'v');
  const v = g.vma[slot]!;
  v.st = V_LIVE;
  if (isShared(v.kind)) {
    const f = g.file[v.src]!;
    if (f.size < v.to) f.size = v.to; // VM_WRITE && i_size < len: i_size_write
    if (f.ilock === t.tid + 1) f.ilock = 0;
  }
  t.l.chg = t.l.need = t.l.gbl = t.l.cont = 0;
  return done('ok');
}

/**
 * out_put_pages of hugetlb_reserve_pages: undo the subpool charge after
 * hugetlb_acct_memory (or region_add) failed.
 * Before a833a693a490 ("mm: hugetlb: fix incorrect fallback for subpool",
 * still in Debian 6.1.y/6.12.y) it puts back all of chg, so on a min_size
 * mount the pages that came from the global pool refill rsv_hpages although
 * hugetlb_acct_memory never reserved them. Since a833a693a490 (mm/hugetlb.c
 * hugetlb_reserve_pages() @ a833a693a490) only the subpool's share
 * chg - gbl_reserve is put back and what the put cannot keep goes to
 * hugetlb_acct_memory(-gbl_resv); its follow-up then uncharges the
 * gbl_reserve pages from used_hpages (mmapRestoreUsed).
 */
function mmapOutPutPages(g: G, t: T): StepResult {
  const slot = num(t, 'v');
  const v = g.vma[slot]!;
  const spool = g.spool[spoolIdx(t, v)]!;
  if (t.bug('a833a693a490')) {
    // put back original number of pages, chg (return value ignored)
    hugepageSubpoolPutPages(spool, t.l.chg);
    return mmapOutErr(g, t);
  }
  const spoolResv = t.l.chg - t.l.gbl;
  if (!spoolResv) return mmapRestoreUsed(g, t);
  t.l.cont = 2; // hugetlb_acct_memory(h, -gbl_resv), then restore used_hpages
  return returnUnused(g, t, hugepageSubpoolPutPages(spool, spoolResv), mmapAfterRefund);
}

/**
 * The follow-up to a833a693a490 ("mm/hugetlb: restore failed global
 * reservations to subpool"): used_hpages -= gbl_reserve under the subpool
 * lock, after the put above (so that put still saw used_hpages inflated).
 */
function mmapRestoreUsed(g: G, t: T): StepResult {
  const spool = g.spool[spoolIdx(t, g.vma[num(t, 'v')]!)]!;
  if (t.l.gbl && spool.max !== -1) spool.used -= t.l.gbl;
  return mmapOutErr(g, t);
}

function mmapOutErr(g: G, t: T): StepResult {
  const slot = num(t, 'v');
  const v = g.vma[slot]!;
  if (isShared(v.kind)) {
    const f = g.file[v.src]!;
    // if (chg >= 0 && add < 0) region_abort(); HR-6: the abort is forgotten
    if (!t.bug('HR-6')) regionAbort(f, t.l.need);
    if (f.ilock === t.tid + 1) f.ilock = 0;
  }
  g.vma[slot] = emptyVma();
  t.l.chg = t.l.need = t.l.gbl = t.l.cont = 0;
  return done('ENOMEM');
}

/** After region_add (or refund): refund continuation by l.cont: 0 finish, 1 out_put_pages, 2 restore used_hpages + out_err. */
const mmapAfterRefund: Cont = (g, t) =>
  t.l.cont === 1 ? mmapOutPutPages(g, t) : t.l.cont === 2 ? mmapRestoreUsed(g, t) : mmapFinish(g, t);

function mmapRegionAdd(g: G, t: T): StepResult {
  const slot = num(t, 'v');
  const v = g.vma[slot]!;
  const f = g.file[v.src]!;
  const add = regionAdd(f, v.from, v.to, t.l.need);
  if (add < 0) {
    t.l.ra = -add;
    return 'region_add:allocate_file_region_entries';
  }
  t.l.need = 0;
  if (t.l.chg > add && !t.bug('H11') && !t.bug('HR-5')) {
    // raced with alloc_huge_page: region_add added less than region_chg counted (seed L2175-2185)
    const rsvAdjust = hugepageSubpoolPutPages(g.spool[spoolIdx(t, v)]!, t.l.chg - add);
    t.l.cont = 0;
    return returnUnused(g, t, rsvAdjust, mmapAfterRefund);
  }
  return mmapFinish(g, t);
}

const mmapOp: OpDef<G, ImplParams> = {
  doc: 'mmap(MAP_SHARED|MAP_PRIVATE[|MAP_NORESERVE]) of a hugetlbfs range: hugetlbfs_file_mmap -> hugetlb_reserve_pages',
  locals: LOCALS,
  steps: [
    {
      name: 'hugetlbfs_file_mmap',
      enabled(g, t) {
        const kind = KINDS[String(t.args.kind)];
        if (kind === undefined || !isShared(kind)) return true;
        const f = g.file[num(t, 'f')];
        return !f || f.ilock === 0 || t.bug('HR-5'); // inode_lock (HR-5: not taken)
      },
      run(g, t) {
        const slot = num(t, 'v');
        const kind = KINDS[String(t.args.kind)];
        const src = num(t, 'f');
        const from = num(t, 'from');
        const to = num(t, 'to');
        const v = g.vma[slot];
        const shared = kind !== undefined && isShared(kind);
        const spi = shared ? t.params.fileMount[src] : src;
        if (
          kind === undefined ||
          !v ||
          v.st !== V_FREE ||
          !(from >= 0 && from < to && to <= t.params.fileSize) ||
          (shared ? !g.file[src] : !g.spool[src]) ||
          spi === undefined ||
          g.spool[spi]!.st !== SP_MOUNTED
        )
          return done('EINVAL');
        const nv: Vma = emptyVma();
        nv.st = V_CREATING;
        nv.kind = kind;
        nv.src = src;
        nv.from = from;
        nv.to = to;
        nv.fam = slot;
        g.vma[slot] = nv;
        if (shared && !t.bug('HR-5')) g.file[src]!.ilock = t.tid + 1;
        // VM_NORESERVE: no reservations are desired
        if (kind === NORESERVE || kind === PRIVATE_NORESERVE) return mmapFinish(g, t);
        if (kind === PRIVATE) {
          // resv_map_alloc + set_vma_resv_map + HPAGE_RESV_OWNER; chg = to - from
          nv.cache = 1;
          nv.flags = HPAGE_RESV_OWNER;
          t.l.chg = to - from;
          return 'hugepage_subpool_get_pages';
        }
        const f = g.file[src]!;
        const { chg, needed, missing } = regionChgCount(f, from, to);
        t.l.chg = chg;
        t.l.need = needed;
        if (missing > 0) {
          t.l.ra = missing;
          return 'region_chg:allocate_file_region_entries';
        }
        regionChgCommit(f, needed);
        return 'hugepage_subpool_get_pages';
      },
    },
    {
      name: 'region_chg:allocate_file_region_entries',
      run(g, t) {
        const v = g.vma[num(t, 'v')]!;
        const f = g.file[v.src]!;
        if (t.inject('region_chg_kmalloc')) {
          // region_chg returned -ENOMEM: out_err with chg < 0, no region_abort
          t.l.ra = 0;
          if (f.ilock === t.tid + 1) f.ilock = 0;
          g.vma[num(t, 'v')] = emptyVma();
          t.l.chg = t.l.need = 0;
          return done('ENOMEM');
        }
        f.cache += t.l.ra;
        const missing = f.adds + t.l.need - f.cache;
        if (missing > 0) {
          t.l.ra = missing;
          return 'region_chg:allocate_file_region_entries';
        }
        t.l.ra = 0;
        regionChgCommit(f, t.l.need);
        return 'hugepage_subpool_get_pages';
      },
    },
    {
      name: 'hugepage_subpool_get_pages',
      run(g, t) {
        const v = g.vma[num(t, 'v')]!;
        const gbl = hugepageSubpoolGetPages(g.spool[spoolIdx(t, v)]!, t.l.chg);
        if (gbl < 0) return mmapOutErr(g, t); // out_uncharge_cgroup -> out_err
        t.l.gbl = gbl;
        return 'hugetlb_acct_memory';
      },
    },
    {
      name: 'hugetlb_acct_memory',
      run(g, t) {
        const v = g.vma[num(t, 'v')]!;
        const ok: Cont = (g2, t2) => (isShared(v.kind) ? 'region_add' : mmapFinish(g2, t2));
        return gatherSurplusPages(g, t, t.l.gbl, ok, mmapOutPutPages);
      },
    },
    ...gatherSteps((g, t) => (isShared(g.vma[num(t, 'v')]!.kind) ? 'region_add' : mmapFinish(g, t)), mmapOutPutPages),
    { name: 'region_add', run: mmapRegionAdd },
    {
      name: 'region_add:allocate_file_region_entries',
      run(g, t) {
        const v = g.vma[num(t, 'v')]!;
        const f = g.file[v.src]!;
        if (t.inject('region_chg_kmalloc')) {
          // region_add -ENOMEM: hugetlb_acct_memory(h, -gbl_reserve); goto out_put_pages
          t.l.ra = 0;
          t.l.cont = 1;
          return returnUnused(g, t, t.l.gbl, mmapAfterRefund);
        }
        f.cache += t.l.ra;
        t.l.ra = 0;
        return mmapRegionAdd(g, t);
      },
    },
    returnUnusedStep(mmapAfterRefund),
  ],
};

// ---------------------------------------------------------------------------
// munmap -> unmap_vmas + hugetlb_vm_op_close
// ---------------------------------------------------------------------------

function munmapFinish(g: G, t: T): StepResult {
  g.vma[num(t, 'v')] = emptyVma();
  return done('ok');
}

const munmapOp: OpDef<G, ImplParams> = {
  doc: 'munmap of a whole hugetlb VMA: unmap_vmas (free anon pages) then hugetlb_vm_op_close',
  locals: LOCALS,
  steps: [
    {
      name: 'unmap_vmas',
      enabled(g, t) {
        const v = g.vma[num(t, 'v')];
        return !v || v.st !== V_LIVE || v.users === 0; // mmap_lock (write)
      },
      run(g, t) {
        const v = g.vma[num(t, 'v')];
        if (!v || v.st !== V_LIVE) return done('EINVAL');
        v.st = V_CLOSING;
        if (!isShared(v.kind)) {
          const sp = spoolIdx(t, v);
          const peer = v.peer >= 0 ? g.vma[v.peer]! : null;
          for (const i of v.anon) {
            if (peer && v.cow.includes(i)) peer.cow = setDel(peer.cow, i);
            else freeHugePage(g, t, sp, false);
          }
          v.anon = [];
          v.cow = [];
          if (peer) peer.peer = -1;
          v.peer = -1;
          if (v.flags & HPAGE_RESV_OWNER) return 'hugetlb_vm_op_close';
        }
        return munmapFinish(g, t);
      },
    },
    {
      // hugetlb_vm_op_close: reserve = (end - start) - region_count(resv, start, end) (HR-8)
      name: 'hugetlb_vm_op_close',
      run(g, t) {
        const v = g.vma[num(t, 'v')]!;
        const reserve = t.bug('HR-8') ? v.to - v.from : v.to - v.from - regionCount(v.reg, v.from, v.to);
        if (reserve) {
          const gblReserve = hugepageSubpoolPutPages(g.spool[spoolIdx(t, v)]!, reserve);
          return returnUnused(g, t, gblReserve, munmapFinish);
        }
        return munmapFinish(g, t);
      },
    },
    returnUnusedStep(munmapFinish),
  ],
};

// ---------------------------------------------------------------------------
// ftruncate -> hugetlb_vmtruncate -> remove_inode_hugepages -> hugetlb_unreserve_pages
// ---------------------------------------------------------------------------

function lowestCached(pc: readonly number[], from: number, to: number): number {
  for (const x of pc) if (x >= from && x < to) return x;
  return -1;
}

function truncFinish(g: G, t: T): StepResult {
  g.file[num(t, 'f')]!.ilock = 0;
  t.l.freed = t.l.next = 0;
  return done('ok');
}

/** folio_batch_release: the removed pages' last reference -> free_huge_page. */
function batchRelease(g: G, t: T, fi: number): void {
  const sp = t.params.fileMount[fi]!;
  for (let k = 0; k < t.l.freed; k++) {
    freeHugePage(g, t, sp, false);
    g.held--;
  }
}

function removeEnabled(g: Readonly<G>, t: T, to: number): boolean {
  const fi = num(t, 'f');
  const idx = lowestCached(g.file[fi]!.pc, t.l.next, to);
  return idx < 0 || !g.fmx.includes((fi * t.params.fileSize + idx) % 31);
}

const truncateOp: OpDef<G, ImplParams> = {
  doc: 'ftruncate of a hugetlbfs file: hugetlbfs_setattr -> hugetlb_vmtruncate -> remove_inode_hugepages -> hugetlb_unreserve_pages',
  locals: LOCALS,
  steps: [
    {
      name: 'hugetlbfs_setattr',
      enabled: (g, t) => {
        const f = g.file[num(t, 'f')];
        return !f || f.ilock === 0;
      },
      run(g, t) {
        const fi = num(t, 'f');
        const size = num(t, 'size');
        const f = g.file[fi];
        if (!f || size < 0 || size > t.params.fileSize || g.spool[t.params.fileMount[fi]!]!.st !== SP_MOUNTED) return done('EINVAL');
        const old = f.size;
        f.size = size; // i_size_write
        const stale = f.reg.length > 0 && f.reg[f.reg.length - 1]! > size;
        if (size >= old && !stale && !f.pc.some((x) => x >= size)) return done('ok');
        f.ilock = t.tid + 1;
        return 'hugetlb_vmdelete_list';
      },
    },
    {
      // i_mmap_lock_write: waits for faults holding i_mmap_rwsem / the vma lock
      name: 'hugetlb_vmdelete_list',
      enabled: (g, t) => g.file[num(t, 'f')]!.ir === 0,
      run(g, t) {
        t.l.next = num(t, 'size');
        return 'remove_inode_hugepages';
      },
    },
    {
      // one folio under its fault mutex: remove_huge_page (delete from page cache)
      name: 'remove_inode_hugepages',
      enabled: (g, t) => removeEnabled(g, t, LONG_MAX),
      run(g, t) {
        const fi = num(t, 'f');
        const f = g.file[fi]!;
        const idx = lowestCached(f.pc, t.l.next, LONG_MAX);
        if (idx < 0) {
          batchRelease(g, t, fi);
          return 'hugetlb_unreserve_pages';
        }
        f.pc = setDel(f.pc, idx);
        g.held++;
        t.l.freed++;
        t.l.next = idx + 1;
        return 'remove_inode_hugepages';
      },
    },
    {
      // hugetlb_unreserve_pages(inode, size, LONG_MAX, freed): region_del never fails to LONG_MAX (HR-12)
      name: 'hugetlb_unreserve_pages',
      run(g, t) {
        const fi = num(t, 'f');
        const f = g.file[fi]!;
        const start = num(t, 'size') + (t.bug('HR-12') ? 1 : 0);
        const chg = regionDel(f, start, LONG_MAX, true);
        const gbl = hugepageSubpoolPutPages(g.spool[t.params.fileMount[fi]!]!, chg - t.l.freed);
        t.l.freed = 0;
        return returnUnused(g, t, gbl, truncFinish);
      },
    },
    returnUnusedStep(truncFinish),
  ],
};

// ---------------------------------------------------------------------------
// fallocate(FALLOC_FL_PUNCH_HOLE) -> hugetlbfs_punch_hole
// ---------------------------------------------------------------------------

function punchFinish(g: G, t: T): StepResult {
  const fi = num(t, 'f');
  batchRelease(g, t, fi);
  g.file[fi]!.ilock = 0;
  t.l.freed = t.l.next = t.l.i = t.l.key = 0;
  return done('ok');
}

/** hugetlb_unreserve_pages(inode, idx, idx + 1, 1) after region_del returned chg. */
function punchUnreserve(g: G, t: T, fi: number, chg: number): void {
  const gbl = hugepageSubpoolPutPages(g.spool[t.params.fileMount[fi]!]!, chg - 1);
  // hugetlb_acct_memory(h, -gbl): one page at most, no lock drop needed
  if (gbl > 0) {
    t.l.ru_n = gbl;
    t.l.ru_k = Math.min(gbl, g.surp);
    while (t.l.ru_k > 0) {
      t.l.ru_k--;
      g.resv--;
      t.l.ru_n--;
      if (!(g.surp > 0 && g.free > 0)) break;
      g.nr--;
      g.free--;
      g.surp--;
    }
    g.resv -= t.l.ru_n;
    t.l.ru_n = t.l.ru_k = 0;
  } else if (gbl < 0) g.resv -= gbl;
}

/** hugetlb_fix_reserve_counts: make the undeletable entry a live reservation. */
function hugetlbFixReserveCounts(g: G, t: T, fi: number): void {
  const rsvAdjust = hugepageSubpoolGetPages(g.spool[t.params.fileMount[fi]!]!, 1);
  if (rsvAdjust > 0) {
    // hugetlb_acct_memory(h, 1), taken atomically here (its surplus gathering is not split)
    const needed = g.resv + 1 - g.free;
    if (needed <= 0) g.resv++;
    else if (g.surp + needed <= g.over) {
      g.nr += needed;
      g.surp += needed;
      g.free += needed;
      g.resv++;
    } // else: "hugetlb: Huge Page Reserved count may go negative."
  }
}

const punchOp: OpDef<G, ImplParams> = {
  doc: 'fallocate(PUNCH_HOLE): hugetlbfs_punch_hole -> remove_inode_hugepages (region_del per page, hugetlb_fix_reserve_counts on -ENOMEM)',
  locals: LOCALS,
  steps: [
    {
      name: 'hugetlbfs_punch_hole',
      enabled: (g, t) => {
        const f = g.file[num(t, 'f')];
        return !f || f.ilock === 0;
      },
      run(g, t) {
        const fi = num(t, 'f');
        const from = num(t, 'from');
        const to = num(t, 'to');
        const f = g.file[fi];
        if (!f || !(from >= 0 && from < to && to <= t.params.fileSize) || g.spool[t.params.fileMount[fi]!]!.st !== SP_MOUNTED)
          return done('EINVAL');
        if (!f.pc.some((x) => x >= from && x < to)) return done('ok'); // nothing to remove
        f.ilock = t.tid + 1;
        return 'hugetlb_vmdelete_list';
      },
    },
    {
      name: 'hugetlb_vmdelete_list',
      enabled: (g, t) => g.file[num(t, 'f')]!.ir === 0,
      run(g, t) {
        t.l.next = num(t, 'from');
        return 'remove_inode_hugepages';
      },
    },
    {
      // remove_inode_single_folio under the folio's fault mutex, then hugetlb_unreserve_pages(idx, idx+1, 1)
      name: 'remove_inode_hugepages',
      enabled: (g, t) => removeEnabled(g, t, num(t, 'to')),
      run(g, t) {
        const fi = num(t, 'f');
        const f = g.file[fi]!;
        const idx = lowestCached(f.pc, t.l.next, num(t, 'to'));
        if (idx < 0) return punchFinish(g, t);
        f.pc = setDel(f.pc, idx);
        g.held++;
        t.l.freed++;
        t.l.next = idx + 1;
        const chg = regionDel(f, idx, idx + 1, false);
        if (chg < 0) {
          // must split and no cached descriptor: kmalloc with resv->lock dropped, fault mutex held
          t.l.i = idx;
          t.l.key = (fi * t.params.fileSize + idx) % 31;
          g.fmx = setAdd(g.fmx, t.l.key);
          return 'region_del:kmalloc';
        }
        punchUnreserve(g, t, fi, chg);
        return 'remove_inode_hugepages';
      },
    },
    {
      name: 'region_del:kmalloc',
      run(g, t) {
        const fi = num(t, 'f');
        const f = g.file[fi]!;
        if (t.inject('region_del_split')) {
          // region_del -ENOMEM (seed L2205-2213); HR-7: counters not fixed
          if (!t.bug('HR-7')) hugetlbFixReserveCounts(g, t, fi);
        } else punchUnreserve(g, t, fi, regionDel(f, t.l.i, t.l.i + 1, true));
        g.fmx = setDel(g.fmx, t.l.key);
        t.l.i = t.l.key = 0;
        return 'remove_inode_hugepages';
      },
    },
  ],
};

// ---------------------------------------------------------------------------
// fork (dup_mmap of a private hugetlb VMA)
// ---------------------------------------------------------------------------

const forkOp: OpDef<G, ImplParams> = {
  doc: 'fork of a MAP_PRIVATE hugetlb VMA: child gets no reserve map (vm_private_data = NULL), anon pages shared COW (copy_hugetlb_page_range)',
  locals: LOCALS,
  steps: [
    {
      name: 'dup_mmap',
      enabled(g, t) {
        const v = g.vma[num(t, 'v')];
        return !v || v.st !== V_LIVE || v.users === 0; // mmap_lock (write)
      },
      run(g, t) {
        const s = num(t, 'v');
        const c = num(t, 'c');
        const v = g.vma[s];
        const cv = g.vma[c];
        if (!v || !cv || s === c || v.st !== V_LIVE || cv.st !== V_FREE || isShared(v.kind) || v.peer !== -1) return done('EINVAL');
        const child = emptyVma();
        child.st = V_LIVE;
        child.kind = v.kind;
        child.src = v.src;
        child.from = v.from;
        child.to = v.to;
        child.fam = v.fam;
        child.anon = v.anon.slice();
        child.cow = v.anon.slice();
        child.peer = s;
        g.vma[c] = child;
        v.cow = v.anon.slice();
        v.peer = c;
        return done('ok');
      },
    },
  ],
};

// ---------------------------------------------------------------------------
// faults
// ---------------------------------------------------------------------------

const faultOp: OpDef<G, ImplParams> = {
  doc: 'page fault (read/write) on one index: hugetlb_fault -> hugetlb_no_page (alloc_huge_page + instantiate) or hugetlb_wp (COW, unmap_ref_private)',
  locals: LOCALS,
  steps: [faultEntry(false), ...faultAllocSteps, ...cowSteps],
};

const uffdOp: OpDef<G, ImplParams> = {
  doc: 'UFFDIO_COPY into one index: hugetlb_mcopy_atomic_pte (alloc_huge_page, copy_from_user, install; PagePrivate fix-up on error)',
  locals: LOCALS,
  steps: [faultEntry(true), ...faultAllocSteps],
};

// ---------------------------------------------------------------------------
// pool sizing: nr_hugepages, nr_overcommit_hugepages, mount
// ---------------------------------------------------------------------------

const persistent = (g: G): number => g.nr - g.surp;

function setNrShrink(g: G, t: T): StepResult {
  const count = num(t, 'n');
  // never free below in-use + reserved
  const minCount = Math.max(count, g.resv + g.nr - g.free);
  while (minCount < persistent(g) && g.free > 0) {
    g.nr--; // remove_pool_huge_page (collected; freed with the lock dropped)
    g.free--;
  }
  return 'adjust_pool_surplus';
}

const setNrOp: OpDef<G, ImplParams> = {
  doc: 'write nr_hugepages: set_max_huge_pages (grow: surplus -> persistent, then fresh pages; shrink: free pages, rest -> surplus)',
  locals: LOCALS,
  steps: [
    {
      name: 'set_max_huge_pages',
      enabled: (g) => g.resize === 0, // h->resize_lock
      run(g, t) {
        const count = num(t, 'n');
        if (count < 0) return done('EINVAL');
        g.resize = t.tid + 1;
        while (g.surp > 0 && count > persistent(g)) g.surp--; // adjust_pool_surplus(h, nodes, -1)
        if (count > persistent(g)) return 'alloc_pool_huge_page';
        return setNrShrink(g, t);
      },
    },
    {
      // hugetlb_lock dropped per fresh page
      name: 'alloc_pool_huge_page',
      run(g, t) {
        if (t.inject('alloc_buddy')) {
          g.resize = 0; // goto out
          return done('ok');
        }
        g.nr++;
        g.free++;
        if (num(t, 'n') > persistent(g)) return 'alloc_pool_huge_page';
        return setNrShrink(g, t);
      },
    },
    {
      name: 'adjust_pool_surplus',
      run(g, t) {
        const count = num(t, 'n');
        while (count < persistent(g) && g.surp < g.nr) g.surp++;
        g.resize = 0;
        return done('ok');
      },
    },
  ],
};

const setOvercommitOp: OpDef<G, ImplParams> = {
  doc: 'write nr_overcommit_hugepages (under hugetlb_lock)',
  locals: LOCALS,
  steps: [
    {
      name: 'hugetlb_overcommit_handler',
      run(g, t) {
        g.over = num(t, 'n');
        return done('ok');
      },
    },
  ],
};

function mountFinish(g: G, t: T): StepResult {
  const s = g.spool[num(t, 'm')]!;
  const min = num(t, 'min');
  s.st = SP_MOUNTED;
  s.max = num(t, 'size');
  s.min = min;
  s.used = 0;
  s.rsv = min > 0 ? min : 0;
  return done('ok');
}

function mountFail(g: G, t: T): StepResult {
  g.spool[num(t, 'm')]!.st = SP_UNMOUNTED;
  return done('ENOMEM');
}

const mountOp: OpDef<G, ImplParams> = {
  doc: 'mount hugetlbfs with size=/min_size=: hugetlbfs_fill_super -> hugepage_new_subpool (hugetlb_acct_memory(min_hpages))',
  locals: LOCALS,
  steps: [
    {
      name: 'hugepage_new_subpool',
      run(g, t) {
        const m = num(t, 'm');
        const size = num(t, 'size');
        const min = num(t, 'min');
        const s = g.spool[m];
        if (!s) return done('EINVAL');
        if (s.st !== SP_UNMOUNTED) return done('EBUSY');
        if (size !== -1 && min > size) return done('EINVAL'); // "Minimum size can not be greater than maximum size"
        s.st = SP_MOUNTING;
        if (min > 0) return gatherSurplusPages(g, t, min, mountFinish, mountFail);
        return mountFinish(g, t);
      },
    },
    ...gatherSteps(mountFinish, mountFail),
  ],
};

export const OPS: Record<string, OpDef<G, ImplParams>> = {
  set_nr: setNrOp,
  set_overcommit: setOvercommitOp,
  mount: mountOp,
  mmap: mmapOp,
  fault: faultOp,
  uffd_copy: uffdOp,
  munmap: munmapOp,
  truncate: truncateOp,
  punch: punchOp,
  fork: forkOp,
};

export { covers };
