/**
 * THP operations as atomic steps, cut where the kernel takes or drops a lock,
 * plus one step per subpage in the loops of __split_huge_pmd_locked() (so a
 * reader can observe a half-done PMD → PTE transfer) and one step per mm in
 * split_huge_page's rmap walks (unmap_page / remap_page).
 *
 * Modelling choices (kept small on purpose; each noted where it is made):
 *  - A caller's reference and its page lock are taken in one step
 *    (get_page + lock_page; the shrinker's get_page_unless_zero + trylock_page).
 *  - Counter updates done under one PTL with no lock boundary in between
 *    (page_remove_rmap + put_page in a zap, page_remove_file_rmap's loop) are
 *    one step; the zap's ptep_get_and_clear is its own step (the T10 window).
 */
import { done, type ImplDef, type OpDef, type StepDef, type StepResult } from '../../checker/types.js';
import {
  GUP_PIN_COUNTING_BIAS,
  PTE_FOREIGN,
  PTE_MIGRATION,
  PTE_NONE,
  PTE_PRESENT,
  PageCompound,
  compound_head,
  compound_mapcount,
  get_page,
  get_page_unless_zero,
  init,
  isAnon,
  mmMapsPage,
  page_add_anon_rmap,
  page_add_file_rmap,
  page_count,
  page_mapcount,
  page_mapped,
  page_remove_rmap,
  prep_compound_page,
  put_page,
  tableEmpty,
  thpSchema,
  total_mapcount,
  type MmT,
  type T,
  type ThpParams,
  type ThpState,
} from './kernel.js';

type G = ThpState;
type Step = StepDef<G, ThpParams>;

const OK = 1;
const BUSY = 2;

const argInt = (t: T, k: string): number => {
  const v = t.args[k];
  return typeof v === 'number' && Number.isInteger(v) ? v : -1;
};
const badMm = (t: T, m: number): boolean => m < 0 || m >= t.params.mms;
const badSub = (t: T, i: number): boolean => i < 0 || i >= t.params.nr;
const mmOf = (g: Readonly<G>, t: T): MmT => g.mms[argInt(t, 'mm')]!;
const me = (t: T): number => t.tid + 1;

function unlock_page(g: G, i: number): void {
  g.pages[compound_head(g, i)]!.locked = 0;
}

/**
 * munmap()'s free_pgtables(): once the range holds nothing, the PTE table goes
 * with the VMA, and unlink_anon_vmas() takes the VMA off the anon_vma (a
 * tombstone in the walk order, so a concurrent rmap walk's position holds).
 */
function freePgtablesIfEmpty(g: G, m: number): void {
  const mm = g.mms[m]!;
  if (mm.pmd === 'table' && tableEmpty(mm)) mm.pmd = 'none';
  if (mm.pmd === 'none') {
    const k = g.avc.indexOf(m);
    if (k >= 0) g.avc[k] = -1;
  }
}

// ---------------------------------------------------------------------------
// __split_huge_pmd() → __split_huge_pmd_locked() (mm/huge_memory.c, v5.8+)
// ---------------------------------------------------------------------------

const SPMD = '__split_huge_pmd';
const SPMD_PTE = '__split_huge_pmd_locked: set_pte_at + atomic_inc(&page[i]._mapcount)';
const SPMD_DM = '__split_huge_pmd_locked: TestSetPageDoubleMap';
const SPMD_BIAS = '__split_huge_pmd_locked: atomic_inc(&page[i]._mapcount) (DoubleMap bias)';
const SPMD_DEC = '__split_huge_pmd_locked: atomic_add_negative(-1, compound_mapcount_ptr)';
const SPMD_UNBIAS = '__split_huge_pmd_locked: TestClearPageDoubleMap, atomic_dec(&page[i]._mapcount)';
const SPMD_POP = '__split_huge_pmd_locked: pmd_populate + spin_unlock(ptl) + unlock_page';

/**
 * The steps of __split_huge_pmd(vma of args.mm), continuing at `cont`.
 * Anon: since c444eb564fb1 (T8 fix) the page lock is held around
 * __split_huge_pmd_locked() so that reuse_swap_page() never reads a mapcount
 * mid-transfer. File: the huge PMD is simply zapped ("We are going to unmap
 * this huge page. So just go ahead and zap it").
 */
function splitHugePmdSteps(cont: string): Step[] {
  return [
    {
      name: SPMD,
      enabled: (g, t) => {
        const mm = mmOf(g, t);
        if (mm.ptl !== 0) return false;
        if (mm.pmd === 'huge' && isAnon(t.params) && !t.bug('T8')) return g.pages[0]!.locked === 0;
        return true;
      },
      run: (g, t) => {
        const mm = mmOf(g, t);
        if (mm.pmd === 'foreign') {
          mm.pmd = 'table';
          mm.pte.fill(PTE_FOREIGN);
          return cont;
        }
        if (mm.pmd !== 'huge') return cont; /* pmd_trans_huge() false under the ptl: nothing to do */
        if (!isAnon(t.params)) {
          mm.pmd = 'none'; /* pmdp_huge_clear_flush_notify */
          page_remove_rmap(g, t, 0, true);
          put_page(g, t, 0);
          return cont;
        }
        // T8: no lock_page() around __split_huge_pmd_locked() (before c444eb564fb1)
        if (!t.bug('T8')) {
          g.pages[0]!.locked = me(t);
          t.l.plock = 1;
        }
        mm.ptl = me(t);
        mm.pmd = 'splitting'; /* pmdp_invalidate(): the PMD stays "present" for walkers */
        get_page(g, 0, t.params.nr - 1); /* page_ref_add(page, HPAGE_PMD_NR - 1): one ref per PTE */
        t.l.i = 0;
        // T3: PG_double_map set (and its bias added) before the PTE _mapcount increments
        return t.bug('T3') ? SPMD_DM : SPMD_PTE;
      },
    },
    {
      name: SPMD_PTE,
      run: (g, t) => {
        const mm = mmOf(g, t);
        const i = t.l.i!;
        mm.pte[i] = PTE_PRESENT; /* into the deposited table: visible at pmd_populate */
        g.pages[i]!.mapcount++;
        t.l.i = i + 1;
        if (t.l.i < t.params.nr) return SPMD_PTE;
        t.l.i = 0;
        return t.bug('T3') ? SPMD_DEC : SPMD_DM;
      },
    },
    {
      name: SPMD_DM,
      run: (g, t) => {
        /* Set PG_double_map before dropping compound_mapcount to avoid false-negative page_mapped(). */
        t.l.i = 0;
        if (g.compound_mapcount + 1 > 1 && !g.double_map) {
          g.double_map = true;
          return SPMD_BIAS;
        }
        return t.bug('T3') ? SPMD_PTE : SPMD_DEC;
      },
    },
    {
      name: SPMD_BIAS,
      run: (g, t) => {
        const i = t.l.i!;
        g.pages[i]!.mapcount++;
        t.l.i = i + 1;
        if (t.l.i < t.params.nr) return SPMD_BIAS;
        t.l.i = 0;
        return t.bug('T3') ? SPMD_PTE : SPMD_DEC;
      },
    },
    {
      name: SPMD_DEC,
      run: (g, t) => {
        g.compound_mapcount--;
        t.l.i = 0;
        if (g.compound_mapcount < 0 && g.double_map) {
          /* Last compound_mapcount is gone: no need in mapcount reference anymore */
          g.double_map = false;
          return SPMD_UNBIAS;
        }
        return SPMD_POP;
      },
    },
    {
      name: SPMD_UNBIAS,
      run: (g, t) => {
        const i = t.l.i!;
        g.pages[i]!.mapcount--;
        t.l.i = i + 1;
        return t.l.i < t.params.nr ? SPMD_UNBIAS : SPMD_POP;
      },
    },
    {
      name: SPMD_POP,
      run: (g, t) => {
        const mm = mmOf(g, t);
        mm.pmd = 'table';
        mm.ptl = 0;
        if (t.l.plock) {
          unlock_page(g, 0);
          t.l.plock = 0;
        }
        return cont;
      },
    },
  ];
}

// ---------------------------------------------------------------------------
// split_huge_page_to_list() (mm/huge_memory.c, v5.x order of operations)
// ---------------------------------------------------------------------------

const SHP_LOCK = 'split_huge_page_to_list: anon_vma_lock_write / i_mmap_lock_read + can_split_huge_page';
const SHP_UNMAP = 'unmap_page: try_to_unmap_one (rmap walk, one vma)';
const SHP_FREEZE = 'split_huge_page_to_list: split_queue_lock + page_ref_freeze';
const SHP_TAIL = '__split_huge_page_tail: page_ref_add + clear_compound_head';
const SHP_HEAD = '__split_huge_page: ClearPageCompound(head)';
const SHP_REMAP = 'remap_page: remove_migration_ptes (rmap walk, one vma)';
const SHP_TAILS = '__split_huge_page: unlock_page + put_page (tails)';
const SHP_UNLOCK = 'split_huge_page_to_list: anon_vma_unlock_write';

/** The rmap walk visits mms in anon_vma order (anon: parents before children) or mm order (file i_mmap). */
function walkMm(g: Readonly<G>, t: T, pos: number): number | undefined {
  if (isAnon(t.params)) return g.avc[pos]; /* -1: an unlinked VMA, nothing to do */
  return pos < g.mms.length ? pos : undefined;
}

/**
 * try_to_unmap_one(TTU_SPLIT_HUGE_PMD | TTU_MIGRATION [| TTU_SYNC]) on one mm:
 * anon mappings become migration entries ("freeze"), file mappings are removed.
 */
function tryToUnmapOne(g: G, t: T, mm: MmT): void {
  const anon = isAnon(t.params);
  const n = t.params.nr;
  if (mm.pmd === 'huge') {
    if (!anon) {
      mm.pmd = 'none';
      page_remove_rmap(g, t, 0, true);
      put_page(g, t, 0);
      return;
    }
    // __split_huge_pmd_locked(freeze = true): migration PTEs, then page_remove_rmap on each
    get_page(g, 0, n - 1);
    for (let i = 0; i < n; i++) {
      mm.pte[i] = PTE_MIGRATION;
      g.pages[i]!.mapcount++;
    }
    if (g.compound_mapcount + 1 > 1 && !g.double_map) {
      g.double_map = true;
      for (const p of g.pages) p.mapcount++;
    }
    g.compound_mapcount--;
    if (g.compound_mapcount < 0 && g.double_map) {
      g.double_map = false;
      for (const p of g.pages) p.mapcount--;
    }
    mm.pmd = 'table';
    for (let i = 0; i < n; i++) {
      page_remove_rmap(g, t, i, false);
      put_page(g, t, i);
    }
    return;
  }
  if (mm.pmd !== 'table') return;
  for (let i = 0; i < n; i++) {
    if (mm.pte[i] !== PTE_PRESENT) continue;
    mm.pte[i] = anon ? PTE_MIGRATION : PTE_NONE;
    page_remove_rmap(g, t, i, false);
    put_page(g, t, i);
  }
}

/**
 * The body of split_huge_page_to_list(); the caller holds the page lock and a
 * reference on `t.l.page` and continues at `cont` with t.l.ret = OK or BUSY.
 */
function splitHugePageSteps(cont: string): Step[] {
  return [
    {
      name: SHP_LOCK,
      enabled: (g) => g.rmap_lock === 0,
      run: (g, t) => {
        const anon = isAnon(t.params);
        g.rmap_lock = me(t);
        /* Racy check whether the huge page can be split: can_split_huge_page() */
        const extra_pins = anon ? 0 : t.params.nr;
        if (!t.bug('TH-1') && total_mapcount(g, anon) !== page_count(g, 0) - extra_pins - 1) {
          t.l.ret = BUSY;
          return SHP_UNLOCK;
        }
        t.l.m = 0;
        return SHP_UNMAP;
      },
    },
    {
      name: SHP_UNMAP,
      enabled: (g, t) => {
        const m = walkMm(g, t, t.l.m!);
        if (m === undefined || m < 0) return true;
        const mm = g.mms[m]!;
        if (mm.ptl === 0) return true;
        // T10: without TTU_SYNC/PVMW_SYNC the walk does not take the PTL of an
        // entry that a racing zap has already cleared; it just moves on.
        return t.bug('T10') && !mmMapsPage(mm);
      },
      run: (g, t) => {
        const m = walkMm(g, t, t.l.m!);
        if (m !== undefined) {
          const mm = g.mms[m < 0 ? 0 : m]!;
          if (m >= 0 && mm.ptl === 0) tryToUnmapOne(g, t, mm);
          t.l.m = t.l.m! + 1;
          if (walkMm(g, t, t.l.m) !== undefined) return SHP_UNMAP;
        }
        g.split_unmapped = me(t); /* unmap_page() returned: VM_BUG_ON_PAGE(!unmap_success) */
        return SHP_FREEZE;
      },
    },
    {
      name: SHP_FREEZE,
      run: (g, t) => {
        const anon = isAnon(t.params);
        g.split_unmapped = 0;
        const extra_pins = anon ? 0 : t.params.nr;
        const mapcount = total_mapcount(g, anon);
        const head = g.pages[0]!;
        // TH-1: the freeze takes whatever count there is, so GUP pins are not honoured
        const expected = t.bug('TH-1') ? head.refcount : 1 + extra_pins;
        if (mapcount === 0 && head.refcount === expected) {
          head.refcount = 0; /* page_ref_freeze(head, 1 + extra_pins) */
          g.frozen = true;
          if (g.dsq !== 0) g.dsq = 0; /* list_del(page_deferred_list(head)) */
          t.l.i = t.params.nr - 1;
          return t.params.nr > 1 ? SHP_TAIL : SHP_HEAD;
        }
        t.l.ret = BUSY;
        t.l.m = 0;
        return anon ? SHP_REMAP : SHP_UNLOCK;
      },
    },
    {
      name: SHP_TAIL,
      run: (g, t) => {
        const i = t.l.i!;
        const p = g.pages[i]!;
        /* "All tail pages have zero ->_refcount until atomic_add()" */
        p.refcount += isAnon(t.params) ? 1 : 2; /* + page cache pin for file */
        p.tail = false; /* clear_compound_head(page_tail) */
        p.locked = g.pages[0]!.locked; /* PG_locked copied from the head */
        t.l.i = i - 1;
        return t.l.i >= 1 ? SHP_TAIL : SHP_HEAD;
      },
    },
    {
      name: SHP_HEAD,
      run: (g, t) => {
        g.head = false;
        g.double_map = false;
        g.compound_mapcount = -1;
        g.compound_pincount = 0;
        g.pages[0]!.refcount += isAnon(t.params) ? 1 : 2; /* page_ref_inc(head) / page_ref_add(head, 2) */
        g.frozen = false;
        t.l.ret = OK;
        t.l.m = 0;
        return isAnon(t.params) ? SHP_REMAP : SHP_TAILS;
      },
    },
    {
      name: SHP_REMAP,
      enabled: (g, t) => {
        const m = walkMm(g, t, t.l.m!);
        return m === undefined || m < 0 || g.mms[m]!.ptl === 0;
      },
      run: (g, t) => {
        const m = walkMm(g, t, t.l.m!);
        if (m !== undefined) {
          const mm = g.mms[m < 0 ? 0 : m]!;
          for (let i = 0; m >= 0 && i < t.params.nr; i++) {
            if (mm.pte[i] !== PTE_MIGRATION) continue;
            mm.pte[i] = PTE_PRESENT; /* remove_migration_pte() */
            get_page(g, i);
            page_add_anon_rmap(g, i, false);
          }
          t.l.m = t.l.m! + 1;
          if (walkMm(g, t, t.l.m) !== undefined) return SHP_REMAP;
        }
        return t.l.ret === OK ? SHP_TAILS : SHP_UNLOCK;
      },
    },
    {
      name: SHP_TAILS,
      run: (g, t) => {
        for (let i = 0; i < t.params.nr; i++) {
          if (i === t.l.page) continue;
          g.pages[i]!.locked = 0;
          put_page(g, t, i); /* subpages may be freed if there wasn't any mapping */
        }
        return SHP_UNLOCK;
      },
    },
    {
      name: SHP_UNLOCK,
      run: (g) => {
        g.rmap_lock = 0;
        return cont;
      },
    },
  ];
}

const retOf = (t: T, ok: string, busy: string): string => (t.l.ret === OK ? ok : busy);

// ---------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------

const ops: Record<string, OpDef<G, ThpParams>> = {};

ops.fault = {
  doc: 'Fault the THP into mm by PMD: do_huge_pmd_anonymous_page (anon, allocates the THP) or do_set_pmd under the page lock (file).',
  steps: [
    {
      name: 'handle_mm_fault: do_huge_pmd_anonymous_page / do_set_pmd',
      enabled: (g, t) => {
        const m = argInt(t, 'mm');
        if (badMm(t, m)) return true;
        const mm = g.mms[m]!;
        return mm.mmap_lock >= 0 && mm.ptl === 0 && (isAnon(t.params) || g.pages[0]!.locked === 0);
      },
      run: (g, t) => {
        const m = argInt(t, 'mm');
        if (badMm(t, m)) return done('EINVAL');
        const mm = g.mms[m]!;
        if (mm.pmd === 'huge' || mm.pmd === 'foreign') return done('exists');
        if (mm.pmd === 'table') return done(tableEmpty(mm) ? 'fallback' : 'exists');
        if (isAnon(t.params)) {
          if (!g.pages.every((p) => p.freed)) return done('ENOMEM');
          prep_compound_page(g);
          g.pages[0]!.refcount = 1;
          g.compound_mapcount = 0; /* page_add_new_anon_rmap(page, vma, haddr, true) */
          g.avc = [m]; /* a new anon_vma */
          mm.pmd = 'huge';
          return done('pmd');
        }
        if (g.head && !g.pages[0]!.freed && g.pages[0]!.in_cache) {
          get_page(g, 0);
          page_add_file_rmap(g, t, 0, true);
          mm.pmd = 'huge';
          return done('pmd');
        }
        if (!g.head && g.pages.some((p) => !p.freed)) return done('fallback');
        return done('ENOENT');
      },
    },
  ],
};

ops.fault_pte = {
  doc: 'File fault of one subpage by PTE: filemap_fault (page locked) → alloc_set_pte → page_add_file_rmap(page, false), which sets PG_double_map.',
  steps: [
    {
      name: 'filemap_fault + alloc_set_pte',
      enabled: (g, t) => {
        const m = argInt(t, 'mm');
        const i = argInt(t, 'sub');
        if (badMm(t, m) || badSub(t, i) || isAnon(t.params)) return true;
        const mm = g.mms[m]!;
        return mm.mmap_lock >= 0 && mm.ptl === 0 && g.pages[compound_head(g, i)]!.locked === 0;
      },
      run: (g, t) => {
        const m = argInt(t, 'mm');
        const i = argInt(t, 'sub');
        if (badMm(t, m) || badSub(t, i) || isAnon(t.params)) return done('EINVAL');
        const mm = g.mms[m]!;
        if (mm.pmd === 'huge' || mm.pmd === 'foreign') return done('exists');
        if (mm.pmd === 'table' && mm.pte[i] !== PTE_NONE) return done('exists');
        if (g.pages[i]!.freed || !g.pages[i]!.in_cache) return done('ENOENT');
        if (mm.pmd === 'none') {
          mm.pmd = 'table';
          mm.pte.fill(PTE_NONE);
        }
        get_page(g, i);
        page_add_file_rmap(g, t, i, false);
        mm.pte[i] = PTE_PRESENT;
        return done('pte');
      },
    },
  ],
};

ops.fork = {
  doc: 'fork(): dup_mmap → anon_vma_fork (child linked after the parent) → copy_page_range (copy_huge_pmd / copy_pte_range, page_dup_rmap); shared file VMAs are not copied.',
  steps: [
    {
      name: 'dup_mmap: anon_vma_fork + copy_page_range',
      enabled: (g, t) => {
        const s = argInt(t, 'src');
        const d = argInt(t, 'dst');
        if (badMm(t, s) || badMm(t, d) || s === d) return true;
        const src = g.mms[s]!;
        const dst = g.mms[d]!;
        return src.mmap_lock === 0 && dst.mmap_lock === 0 && src.ptl === 0 && dst.ptl === 0;
      },
      run: (g, t) => {
        const s = argInt(t, 'src');
        const d = argInt(t, 'dst');
        if (badMm(t, s) || badMm(t, d) || s === d) return done('EINVAL');
        const src = g.mms[s]!;
        const dst = g.mms[d]!;
        if (!isAnon(t.params)) return done('ok'); /* shared file VMA: the child faults it in later */
        if (dst.pmd !== 'none') return done('EEXIST');
        /* anon_vma_fork(): the child's VMA is linked after its parent's (rmap walks see parents first) */
        if (src.pmd !== 'none' && !g.avc.includes(d) && g.avc.includes(s)) g.avc.push(d);
        if (src.pmd === 'huge') {
          get_page(g, 0);
          page_add_anon_rmap(g, 0, true); /* page_dup_rmap(src_page, true) */
          dst.pmd = 'huge';
        } else if (src.pmd === 'foreign') dst.pmd = 'foreign';
        else if (src.pmd === 'table') {
          dst.pmd = 'table';
          for (let i = 0; i < t.params.nr; i++) {
            const e = src.pte[i]!;
            dst.pte[i] = e; /* migration entries are copied as they are */
            if (e === PTE_PRESENT) {
              get_page(g, i);
              page_add_anon_rmap(g, i, false);
            }
          }
        }
        return done('ok');
      },
    },
  ],
};

ops.split_huge_pmd = {
  doc: 'split_huge_pmd(vma, pmd, addr) from a page-table walker holding mmap_lock for read ("Graceful fallback"); never fails.',
  locals: ['i', 'plock'],
  steps: [
    {
      name: 'mmap_read_lock',
      enabled: (g, t) => badMm(t, argInt(t, 'mm')) || mmOf(g, t).mmap_lock >= 0,
      run: (g, t) => {
        if (badMm(t, argInt(t, 'mm'))) return done('EINVAL');
        mmOf(g, t).mmap_lock++;
        return SPMD;
      },
    },
    ...splitHugePmdSteps('mmap_read_unlock'),
    {
      name: 'mmap_read_unlock',
      run: (g, t) => {
        mmOf(g, t).mmap_lock--;
        return done('ok');
      },
    },
  ],
};

function borderSplitOp(doc: string): OpDef<G, ThpParams> {
  return {
    doc,
    locals: ['i', 'plock'],
    steps: [
      {
        name: 'mmap_write_lock',
        enabled: (g, t) => badMm(t, argInt(t, 'mm')) || mmOf(g, t).mmap_lock === 0,
        run: (g, t) => {
          const from = argInt(t, 'from');
          const to = argInt(t, 'to');
          if (badMm(t, argInt(t, 'mm')) || from < 0 || to > t.params.nr || from >= to) return done('EINVAL');
          mmOf(g, t).mmap_lock = -1;
          /* vma_adjust_trans_huge(): split the PMD straddling the new VMA border */
          if (from > 0 || to < t.params.nr) return SPMD;
          return 'mmap_write_unlock';
        },
      },
      ...splitHugePmdSteps('mmap_write_unlock'),
      {
        name: 'mmap_write_unlock',
        run: (g, t) => {
          mmOf(g, t).mmap_lock = 0;
          return done('ok');
        },
      },
    ],
  };
}

ops.mprotect = borderSplitOp(
  'mprotect(addr range) of part of the THP: split_vma → vma_adjust_trans_huge → split_huge_pmd at the border; the page is not split.',
);
ops.mlock = borderSplitOp(
  'mlock(addr range) of part of the THP: "the PMD on border of VM_LOCKED VMA will be split into PTE table" (transhuge.rst); never split_huge_page.',
);

const Z_PMD_CLEAR = 'zap_huge_pmd: pmdp_huge_get_and_clear_full';
const Z_PMD_RMAP = 'zap_huge_pmd: page_remove_rmap(compound) + put_page + spin_unlock';
const Z_PTE_CLEAR = 'zap_pte_range: ptep_get_and_clear_full';
const Z_PTE_RMAP = 'zap_pte_range: page_remove_rmap + put_page + pte_unmap_unlock';

ops.munmap = {
  doc: 'munmap(addr range): unmap_region → zap_pmd_range (whole THP: zap_huge_pmd; part: __split_huge_pmd then zap_pte_range); partial unmap queues the THP for deferred split in page_remove_rmap.',
  locals: ['i', 'plock', 'mask'],
  steps: [
    {
      name: 'mmap_write_lock',
      enabled: (g, t) => badMm(t, argInt(t, 'mm')) || mmOf(g, t).mmap_lock === 0,
      run: (g, t) => {
        const from = argInt(t, 'from');
        const to = argInt(t, 'to');
        if (badMm(t, argInt(t, 'mm')) || from < 0 || to > t.params.nr || from >= to) return done('EINVAL');
        const mm = mmOf(g, t);
        mm.mmap_lock = -1;
        const whole = from === 0 && to === t.params.nr;
        if (mm.pmd === 'huge') return whole ? Z_PMD_CLEAR : SPMD;
        if (mm.pmd === 'foreign') {
          if (whole) {
            mm.pmd = 'none';
            return 'mmap_write_unlock';
          }
          return SPMD;
        }
        return Z_PTE_CLEAR;
      },
    },
    ...splitHugePmdSteps(Z_PTE_CLEAR),
    {
      name: Z_PMD_CLEAR,
      enabled: (g, t) => mmOf(g, t).ptl === 0,
      run: (g, t) => {
        const mm = mmOf(g, t);
        /* __pmd_trans_huge_lock(): re-check under the ptl; split_huge_page may have frozen/zapped it */
        if (mm.pmd !== 'huge') return Z_PTE_CLEAR;
        mm.ptl = me(t);
        mm.pmd = 'none';
        return Z_PMD_RMAP;
      },
    },
    {
      name: Z_PMD_RMAP,
      run: (g, t) => {
        page_remove_rmap(g, t, 0, true);
        put_page(g, t, 0);
        mmOf(g, t).ptl = 0;
        return 'mmap_write_unlock';
      },
    },
    {
      name: Z_PTE_CLEAR,
      enabled: (g, t) => mmOf(g, t).ptl === 0,
      run: (g, t) => {
        const mm = mmOf(g, t);
        if (mm.pmd !== 'table') return 'mmap_write_unlock';
        mm.ptl = me(t);
        let mask = 0;
        for (let i = argInt(t, 'from'); i < argInt(t, 'to'); i++) {
          if (mm.pte[i] === PTE_PRESENT) mask |= 1 << i;
          mm.pte[i] = PTE_NONE; /* present, foreign and migration entries alike */
        }
        t.l.mask = mask;
        return Z_PTE_RMAP;
      },
    },
    {
      name: Z_PTE_RMAP,
      run: (g, t) => {
        for (let i = 0; i < t.params.nr; i++) {
          if (!(t.l.mask! & (1 << i))) continue;
          page_remove_rmap(g, t, i, false);
          put_page(g, t, i);
        }
        mmOf(g, t).ptl = 0;
        return 'mmap_write_unlock';
      },
    },
    {
      name: 'mmap_write_unlock',
      run: (g, t) => {
        const mm = mmOf(g, t);
        freePgtablesIfEmpty(g, argInt(t, 'mm'));
        mm.mmap_lock = 0;
        return done('ok');
      },
    },
  ],
};

/** The PTE entry for subpage i in mm, or undefined when mm does not PTE-map it. */
const pteOf = (mm: Readonly<MmT>, i: number): number => (mm.pmd === 'table' ? mm.pte[i]! : PTE_NONE);

ops.pin = {
  doc: 'pin_user_pages(FOLL_PIN) of one subpage through mm (follow_trans_huge_pmd / follow_page_pte + try_grab_page under the ptl); no fault-in.',
  steps: [
    {
      name: 'follow_page_mask + try_grab_page',
      enabled: (g, t) => {
        const m = argInt(t, 'mm');
        const i = argInt(t, 'sub');
        if (badMm(t, m) || badSub(t, i)) return true;
        const mm = g.mms[m]!;
        /* a migration entry: wait for the split (migration_entry_wait) */
        if (mm.mmap_lock < 0 || mm.ptl !== 0 || pteOf(mm, i) === PTE_MIGRATION) return false;
        /* file, nothing mapped: faultin_page → filemap_fault sleeps in lock_page (e.g. behind a split) */
        const mapped = mm.pmd === 'huge' || pteOf(mm, i) === PTE_PRESENT;
        return mapped || isAnon(t.params) || g.pages[compound_head(g, i)]!.locked === 0;
      },
      run: (g, t) => {
        const m = argInt(t, 'mm');
        const i = argInt(t, 'sub');
        if (badMm(t, m) || badSub(t, i)) return done('EINVAL');
        const mm = g.mms[m]!;
        if (mm.pmd === 'huge' || pteOf(mm, i) === PTE_PRESENT) {
          if (PageCompound(g, i)) {
            get_page(g, i); /* head _refcount + 1 */
            g.compound_pincount++; /* hpage_pincount_add() */
          } else get_page(g, i, GUP_PIN_COUNTING_BIAS);
          g.user_pins[i]!++;
          return done('ok');
        }
        return done('EFAULT');
      },
    },
  ],
};

ops.unpin = {
  doc: 'unpin_user_page() of a subpage pinned earlier.',
  steps: [
    {
      name: 'unpin_user_page',
      run: (g, t) => {
        const i = argInt(t, 'sub');
        if (badSub(t, i) || g.user_pins[i]! === 0) return done('EINVAL');
        g.user_pins[i]!--;
        if (PageCompound(g, i)) {
          g.compound_pincount--;
          put_page(g, t, i);
        } else put_page(g, t, i, GUP_PIN_COUNTING_BIAS);
        return done('ok');
      },
    },
  ],
};

ops.scan_get = {
  doc: 'A physical memory scanner (pfn walker) takes a speculative reference: get_page_unless_zero(pfn_to_page(pfn)), lockless.',
  steps: [
    {
      name: 'get_page_unless_zero',
      run: (g, t) => {
        const i = argInt(t, 'sub');
        if (badSub(t, i)) return done('EINVAL');
        if (!get_page_unless_zero(g, t, i)) return done('fail');
        g.user_refs[i]!++;
        return done('ok');
      },
    },
  ],
};

ops.scan_put = {
  doc: 'The scanner drops its speculative reference: put_page().',
  steps: [
    {
      name: 'put_page',
      run: (g, t) => {
        const i = argInt(t, 'sub');
        if (badSub(t, i) || g.user_refs[i]! === 0) return done('EINVAL');
        g.user_refs[i]!--;
        put_page(g, t, i);
        return done('ok');
      },
    },
  ],
};

ops.split = {
  doc: 'split_huge_page(page): the caller holds a reference and the page lock (get_page + lock_page), then split_huge_page_to_list.',
  locals: ['page', 'ret', 'm', 'i'],
  steps: [
    {
      name: 'get_page + lock_page',
      enabled: (g, t) => {
        const i = argInt(t, 'sub');
        if (badSub(t, i)) return true;
        const h = g.pages[compound_head(g, i)]!;
        return h.freed || h.locked === 0;
      },
      run: (g, t) => {
        const i = argInt(t, 'sub');
        if (badSub(t, i)) return done('EINVAL');
        const h = compound_head(g, i);
        if (g.pages[h]!.freed) return done('ENOENT');
        if (!PageCompound(g, i)) return done('EINVAL'); /* not PageTransHuge */
        get_page(g, h);
        g.pages[h]!.locked = me(t);
        t.l.page = i;
        return SHP_LOCK;
      },
    },
    ...splitHugePageSteps('unlock_page + put_page'),
    {
      name: 'unlock_page + put_page',
      run: (g, t) => {
        unlock_page(g, t.l.page!);
        put_page(g, t, t.l.page!);
        return done(retOf(t, 'ok', 'EBUSY'));
      },
    },
  ],
};

const DS_LOCK = 'deferred_split_scan: split_queue_lock, get_page_unless_zero, list_move to local list, trylock_page';
const DS_PUT = 'deferred_split_scan: unlock_page + put_page';
const DS_SPLICE = 'deferred_split_scan: split_queue_lock, list_splice_tail(local list)';

ops.deferred_split_scan = {
  doc: 'The deferred split shrinker (deferred_split_scan): isolate queued THPs on an on-stack list, split_huge_page each, splice survivors back.',
  locals: ['page', 'ret', 'm', 'i', 'plock'],
  steps: [
    {
      name: DS_LOCK,
      run: (g, t): StepResult => {
        if (g.dsq !== 1) return done('done');
        if (!get_page_unless_zero(g, t, 0)) {
          g.dsq = 0; /* We lost race with put_compound_page() */
          return done('done');
        }
        g.dsq = 2 + t.tid;
        t.l.page = 0;
        if (g.pages[0]!.locked !== 0) {
          /* trylock_page() failed: goto next; put_page(page) (same loop iteration, no lock in between) */
          t.l.ret = BUSY;
          put_page(g, t, 0);
          return DS_SPLICE;
        }
        g.pages[0]!.locked = me(t);
        t.l.plock = 1;
        return SHP_LOCK;
      },
    },
    ...splitHugePageSteps(DS_PUT),
    {
      name: DS_PUT,
      run: (g, t) => {
        if (t.l.plock) unlock_page(g, 0);
        t.l.plock = 0;
        put_page(g, t, 0);
        return DS_SPLICE;
      },
    },
    {
      name: DS_SPLICE,
      run: (g, t) => {
        if (g.dsq === 2 + t.tid) g.dsq = 1;
        return done('done');
      },
    },
  ],
};

const K_SCAN = 'khugepaged_scan_pmd: mmap_read_lock + pte scan';
const K_WLOCK = 'collapse_huge_page: mmap_write_lock + hugepage_vma_revalidate';
const K_COPY =
  'collapse_huge_page: anon_vma_lock_write + pmdp_collapse_flush + __collapse_huge_page_isolate + __collapse_huge_page_copy';
const KF_WLOCK = 'khugepaged_collapse_pte_mapped_thps: mmap_write_trylock';
const KF_COLLAPSE = 'collapse_pte_mapped_thp: find_lock_page + retract PTEs + install PMD';

function allPresent(mm: Readonly<MmT>): boolean {
  return mm.pmd === 'table' && mm.pte.every((x) => x === PTE_PRESENT);
}

ops.collapse = {
  doc: 'khugepaged: anon collapse_huge_page (PTE-mapped range copied into a fresh THP, only if every page has no extra reference) or file collapse_pte_mapped_thp (PTE-mapped THP back to a PMD).',
  steps: [
    {
      name: K_SCAN,
      enabled: (g, t) => {
        if (badMm(t, argInt(t, 'mm'))) return true;
        const mm = mmOf(g, t);
        return mm.mmap_lock >= 0 && mm.ptl === 0;
      },
      run: (g, t) => {
        if (badMm(t, argInt(t, 'mm'))) return done('EINVAL');
        if (!isAnon(t.params)) return KF_WLOCK;
        return allPresent(mmOf(g, t)) ? K_WLOCK : done('fail');
      },
    },
    {
      name: K_WLOCK,
      enabled: (g, t) => mmOf(g, t).mmap_lock === 0,
      run: (g, t) => {
        const mm = mmOf(g, t);
        if (!allPresent(mm)) return done('fail');
        mm.mmap_lock = -1;
        return K_COPY;
      },
    },
    {
      name: K_COPY,
      enabled: (g, t) => g.rmap_lock === 0 && mmOf(g, t).ptl === 0,
      run: (g, t) => {
        const mm = mmOf(g, t);
        const n = t.params.nr;
        /* __collapse_huge_page_isolate(): trylock_page + is_refcount_suitable() per distinct page */
        for (let i = 0; i < n; i++) {
          const h = compound_head(g, i);
          if (h !== i) continue;
          const p = g.pages[h]!;
          const expected = PageCompound(g, h) ? total_mapcount(g, true) : page_mapcount(g, true, h);
          if (p.locked !== 0 || p.refcount !== expected) {
            mm.mmap_lock = 0; /* the pmd is restored; SCAN_PAGE_LOCK / SCAN_PAGE_COUNT */
            return done('fail');
          }
        }
        /* __collapse_huge_page_copy(): the old PTEs go, each page loses that mapping */
        for (let i = 0; i < n; i++) {
          mm.pte[i] = PTE_NONE;
          page_remove_rmap(g, t, i, false);
          put_page(g, t, i);
        }
        mm.pmd = 'foreign'; /* set_pmd_at(new THP) */
        mm.mmap_lock = 0;
        return done('ok');
      },
    },
    {
      name: KF_WLOCK,
      run: (g, t) => {
        const mm = mmOf(g, t);
        if (mm.mmap_lock !== 0) return done('fail');
        mm.mmap_lock = -1;
        return KF_COLLAPSE;
      },
    },
    {
      name: KF_COLLAPSE,
      enabled: (g, t) => g.pages[0]!.locked === 0 && mmOf(g, t).ptl === 0,
      run: (g, t) => {
        const mm = mmOf(g, t);
        const n = t.params.nr;
        mm.mmap_lock = 0;
        if (!g.head || g.pages[0]!.freed || !g.pages[0]!.in_cache) return done('fail');
        if (mm.pmd !== 'table') return done('fail');
        if (!mm.pte.every((x) => x === PTE_NONE || x === PTE_PRESENT)) return done('fail');
        if (!mm.pte.some((x) => x === PTE_PRESENT)) return done('fail');
        for (let i = 0; i < n; i++) {
          if (mm.pte[i] !== PTE_PRESENT) continue;
          mm.pte[i] = PTE_NONE;
          page_remove_rmap(g, t, i, false);
          put_page(g, t, i);
        }
        get_page(g, 0);
        page_add_file_rmap(g, t, 0, true);
        mm.pmd = 'huge';
        return done('ok');
      },
    },
  ],
};

const W_ENTRY = 'handle_mm_fault (write)';
const W_READ1 = 'reuse_swap_page → page_trans_huge_mapcount: atomic_read(&page[i]._mapcount)';
const W_READ2 = 'page_trans_huge_mapcount: PageDoubleMap + compound_mapcount → reuse?';
const W_DONE = 'VM_FAULT_FALLBACK → handle_pte_fault → do_wp_page';

/** do_wp_page() on a PTE-mapped (sub)page, v5.9+: reuse only when the page's only reference is this PTE. */
function doWpPage(g: G, t: T, mm: MmT, i: number): string {
  const h = compound_head(g, i);
  if (page_count(g, i) === 1 && g.pages[h]!.locked === 0 && page_mapcount(g, true, i) === 1) return 'reuse';
  /* wp_page_copy(): the PTE now maps a private copy */
  mm.pte[i] = PTE_FOREIGN;
  page_remove_rmap(g, t, i, false);
  put_page(g, t, i);
  return 'copy';
}

ops.wp_fault = {
  doc: 'Write fault on a private anon THP: do_huge_pmd_wp_page (reuse_swap_page under the page lock, else split the PMD and fall back) or do_wp_page for a PTE.',
  locals: ['i', 'plock', 'max'],
  steps: [
    {
      name: W_ENTRY,
      enabled: (g, t) => {
        const m = argInt(t, 'mm');
        const i = argInt(t, 'sub');
        if (badMm(t, m) || badSub(t, i) || !isAnon(t.params)) return true;
        const mm = g.mms[m]!;
        if (mm.mmap_lock < 0 || mm.ptl !== 0) return false;
        if (pteOf(mm, i) === PTE_MIGRATION) return false; /* migration_entry_wait */
        return mm.pmd !== 'huge' || g.pages[0]!.locked === 0;
      },
      run: (g, t) => {
        const m = argInt(t, 'mm');
        const i = argInt(t, 'sub');
        if (badMm(t, m) || badSub(t, i) || !isAnon(t.params)) return done('EINVAL');
        const mm = g.mms[m]!;
        if (mm.pmd === 'huge') {
          mm.mmap_lock++;
          mm.ptl = me(t);
          g.pages[0]!.locked = me(t); /* "Lock page for reuse_swap_page()" */
          return W_READ1;
        }
        if (pteOf(mm, i) === PTE_PRESENT) return done(doWpPage(g, t, mm, i));
        return done('nomap');
      },
    },
    {
      name: W_READ1,
      run: (g, t) => {
        let max = 0;
        for (const p of g.pages) max = Math.max(max, p.mapcount + 1);
        t.l.max = max;
        return W_READ2;
      },
    },
    {
      name: W_READ2,
      run: (g, t) => {
        let max = t.l.max!;
        if (g.double_map) max -= 1;
        max += compound_mapcount(g);
        const mm = mmOf(g, t);
        /* v5.8 reuse_swap_page(): reuse only if no other mapping (max page_mapcount <= 1). The
         * page_maybe_dma_pinned() test is this model's "unpinned" requirement; kernels of
         * that era did not make it here (the GUP-after-fork COW problem). */
        const reuse = max <= 1 && g.compound_pincount === 0;
        unlock_page(g, 0);
        mm.ptl = 0;
        if (reuse) {
          mm.mmap_lock--;
          return done('reuse');
        }
        return SPMD; /* fallback: __split_huge_pmd(vma, vmf->pmd, vmf->address, false, NULL) */
      },
    },
    ...splitHugePmdSteps(W_DONE),
    {
      name: W_DONE,
      enabled: (g, t) => {
        const mm = mmOf(g, t);
        return mm.ptl === 0 && pteOf(mm, argInt(t, 'sub')) !== PTE_MIGRATION;
      },
      run: (g, t) => {
        const mm = mmOf(g, t);
        const i = argInt(t, 'sub');
        mm.mmap_lock--;
        if (pteOf(mm, i) === PTE_PRESENT) return done(doWpPage(g, t, mm, i));
        return done('nomap');
      },
    },
  ],
};

ops.evict = {
  doc: 'Evict the file THP from the page cache (invalidate_inode_page → __remove_mapping: not mapped, page_ref_freeze(1 + nr)); clears PG_double_map. After a split, each small page.',
  steps: [
    {
      name: 'find_lock_page + invalidate_inode_page',
      enabled: (g) => g.pages.every((p, i) => compound_head(g, i) !== i || p.freed || p.locked === 0),
      run: (g, t) => {
        if (isAnon(t.params)) return done('EINVAL');
        const n = t.params.nr;
        if (!g.pages.some((p) => p.in_cache && !p.freed)) return done('ENOENT');
        if (g.head) {
          if (page_mapped(g, 0)) return done('EBUSY');
          const head = g.pages[0]!;
          if (head.refcount !== n) return done('EBUSY'); /* page_ref_freeze(page, 1 + nr) with our reference */
          for (const p of g.pages) p.in_cache = false;
          g.double_map = false; /* "goes away when the page gets evicted from the page cache" */
          put_page(g, t, 0, n);
          return done('ok');
        }
        for (let i = 0; i < n; i++) {
          const p = g.pages[i]!;
          if (!p.in_cache || p.freed) continue;
          if (p.mapcount >= 0 || p.refcount !== 1) continue;
          p.in_cache = false;
          put_page(g, t, i);
        }
        return done(g.pages.some((p) => p.in_cache && !p.freed) ? 'EBUSY' : 'ok');
      },
    },
  ],
};

/** A read-only query under the page lock (as reuse_swap_page and can_split_huge_page read mapcounts). */
function query(doc: string, name: string, read: (g: G, t: T) => number | boolean | string): OpDef<G, ThpParams> {
  return {
    doc,
    steps: [
      {
        name,
        enabled: (g, t) => {
          const i = argInt(t, 'sub');
          const idx = badSub(t, i) ? 0 : compound_head(g, i);
          const p = g.pages[idx]!;
          return p.freed || p.locked === 0;
        },
        run: (g, t) => done(read(g, t)),
      },
    ],
  };
}

ops.page_mapcount = query('page_mapcount(subpage) under the page lock.', 'lock_page; page_mapcount; unlock_page', (g, t) => {
  const i = argInt(t, 'sub');
  return badSub(t, i) ? 'EINVAL' : page_mapcount(g, isAnon(t.params), i);
});
ops.total_mapcount = query('total_mapcount(head) under the page lock.', 'lock_page; total_mapcount; unlock_page', (g, t) =>
  total_mapcount(g, isAnon(t.params)),
);
ops.page_mapped = query('page_mapped(subpage) under the page lock.', 'lock_page; page_mapped; unlock_page', (g, t) => {
  const i = argInt(t, 'sub');
  return badSub(t, i) ? 'EINVAL' : page_mapped(g, i);
});
ops.page_count = query('page_count(subpage) under the page lock.', 'lock_page; page_count; unlock_page', (g, t) => {
  const i = argInt(t, 'sub');
  return badSub(t, i) ? 'EINVAL' : page_count(g, i);
});

export const thpImpl: ImplDef<G, ThpParams> = {
  state: thpSchema,
  init,
  ops,
};
