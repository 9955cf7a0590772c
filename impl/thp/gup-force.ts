/**
 * /proc/pid/mem (mm/memory.c @ v5.10 access_remote_vm → __access_remote_vm):
 * get_user_pages_remote(FOLL_FORCE [| FOLL_WRITE], plus FOLL_TOUCH and
 * FOLL_GET) under mmap_lock for read, then copy_to/from_user_page into the
 * page it returned and put_page. __get_user_pages() loops follow_page_mask()
 * (under the PMD/PTE lock) and faultin_page() until it gets a page:
 *
 *  - a write follows a PMD/PTE only if it is writable, or FOLL_COW is set and
 *    it is dirty (can_follow_write_pmd / can_follow_write_pte, the Dirty COW
 *    fix 19be0eaffa3a); otherwise faultin_page(FAULT_FLAG_WRITE) COWs or
 *    reuses it, and a VM_FAULT_WRITE on a !VM_WRITE VMA sets FOLL_COW: on a
 *    read-only private mapping FOLL_FORCE writes into the process's own copy;
 *  - follow_trans_huge_pmd() → touch_pmd() marks the PMD young, and dirty only
 *    under FOLL_WRITE (a8f97366452e "mm, thp: Do not make page table dirty
 *    unconditionally in touch_p[mu]d()", v4.15): a read must not make the
 *    huge zero PMD look like a COWed one;
 *  - v6.0+ (6.1 included) has no FOLL_COW ("mm/gup: fix FOLL_FORCE COW security
 *    issue and remove FOLL_COW", Aug 2022, backported to 5.19.y; its upstream id
 *    is not verified here): can_follow_write_pte() follows a read-only entry of a
 *    !VM_WRITE private VMA when the page is PageAnonExclusive. The model keeps
 *    FOLL_COW: after the write fault both name the same page (the fault reuses
 *    an exclusive page or maps an exclusive dirty copy);
 *  - an empty entry is faulted in: a write by do_huge_pmd_anonymous_page()
 *    (or, when the model's THP is taken, do_anonymous_page()), a read maps the
 *    huge or small zero page; a swap entry is swapped in (do_swap_page,
 *    impl/thp/swap.ts) and followed again.
 */
import { alloc_copy, loadData, put_copy, targetOf } from './cow.js';
import { do_huge_pmd_anonymous_page, read_fault_zero } from './fault.js';
import {
  PTE_COPY,
  PTE_MIGRATION,
  PTE_NONE,
  get_page,
  isAnon,
  isSwapPte,
  put_page,
  type MmT,
  type T,
  type ThpState,
} from './page.js';
import { pte_alloc, pteOf } from './pgtable.js';
import { anonVmaPrepare, vmaHugeSuitable } from '../thp-common/rmap-walk.js';
import { do_swap_page, swapPageUnlocked } from './swap.js';
import { arg, badMm, badSub, done, kernelOp, mmOf, mmap_read_unlock, type KStep } from './steps.js';
import { FAULT_NOMAP, WP, wpFaultSteps } from './wp.js';
import type { OpDef } from '../../checker/types.js';
import type { ThpParams } from './page.js';

type G = ThpState;

const FORCE = {
  lock: 'access_remote_vm: mmap_read_lock',
  follow: 'follow_page_mask (FOLL_FORCE | FOLL_TOUCH): ptl, can_follow_write_*, try_grab_page, touch_pmd',
  faultin: 'faultin_page: handle_mm_fault on an empty entry (ptl)',
  swapin: 'faultin_page: handle_mm_fault → do_swap_page on a swap entry (page lock, ptl)',
  cow: 'faultin_page: VM_FAULT_WRITE on a !VM_WRITE vma → FOLL_COW',
  copy: 'access_remote_vm: copy_to_user_page / copy_from_user_page + put_page',
  unlock: 'access_remote_vm: mmap_read_unlock',
} as const;

/** The grabbed page in t.l.page: 1 + subpage i of the THP, 1 + nr + k for copy k, ZERO_GRAB for the zero page. */
const ZERO_GRAB = -1;
const NOMAP_GRAB = -2;

/** try_grab_page(FOLL_GET) on what virtual page i maps; the zero page takes no reference the model counts. */
function grab(g: G, t: T, mm: MmT, i: number): number {
  const tg = targetOf(mm, i);
  if (tg.kind === 'zero') return ZERO_GRAB;
  if (tg.kind === 'copy') {
    g.copies[tg.k]!.refcount++;
    return 1 + t.params.nr + tg.k;
  }
  get_page(g, i);
  return 1 + i;
}

function put_grabbed(g: G, t: T, grabbed: number): void {
  if (grabbed <= 0) return;
  const page = grabbed - 1;
  if (page >= t.params.nr) put_copy(g, page - t.params.nr);
  else put_page(g, t, page);
}

/** The bytes the grabbed page holds (read) or now holds (write). */
function pageData(g: G, t: T, grabbed: number, v?: number): number {
  if (grabbed === ZERO_GRAB) {
    if (v !== undefined) g.zero_data = v; /* only a bug gets here with a write (a8f97366452e) */
    return g.zero_data;
  }
  const page = grabbed - 1;
  if (page >= t.params.nr) {
    const c = g.copies[page - t.params.nr]!;
    if (v !== undefined) c.data = v;
    return c.data;
  }
  if (v !== undefined) g.pages[page]!.data = v;
  return g.pages[page]!.data;
}

const isHugeEntry = (mm: Readonly<MmT>): boolean => mm.pmd === 'huge' || mm.pmd === 'zero';

function followEnabled(g: Readonly<G>, t: T): boolean {
  const mm = mmOf(g, t);
  if (mm.pmd === 'migration') return false; /* pmd_migration_entry_wait */
  return mm.ptl === 0 && mm.pmd !== 'splitting' && pteOf(mm, arg(t, 'sub')) !== PTE_MIGRATION;
}

/** follow_page_mask() under the ptl: grab the page (and touch a huge PMD), or ask for a fault. */
function follow(g: G, t: T, write: boolean): string {
  const mm = mmOf(g, t);
  const i = arg(t, 'sub');
  if (isSwapPte(pteOf(mm, i))) return FORCE.swapin; /* follow_page_pte(): not present → faultin_page() */
  const kind = targetOf(mm, i).kind;
  if (kind === 'none') return FORCE.faultin;
  if (kind === 'foreign') {
    /* a huge page khugepaged made: the model does not write those */
    if (write) t.l.page = NOMAP_GRAB;
    else t.l.ret = loadData(g, mm, i);
    return FORCE.unlock;
  }
  if (write) {
    const writable = mm.pmd === 'huge' ? mm.pmd_write : mm.pmd === 'table' && mm.pte_write[i]!;
    const dirty = isHugeEntry(mm) ? mm.pmd_dirty : mm.pte_dirty[i]!;
    /* can_follow_write_pmd() / can_follow_write_pte() */
    if (!(writable || (t.l.foll_cow === 1 && dirty))) return WP.entry;
  }
  t.l.page = grab(g, t, mm, i);
  // a8f97366452e: touch_pmd() made the PMD dirty on every FOLL_TOUCH, a read included
  if (isHugeEntry(mm) && (write || t.bug('a8f97366452e'))) mm.pmd_dirty = true;
  return FORCE.copy;
}

/** faultin_page() on an empty entry: a write maps a fresh anon page, a read the zero page. */
function faultinEmpty(g: G, t: T, write: boolean): void {
  const m = arg(t, 'mm');
  const mm = g.mms[m]!;
  const i = arg(t, 'sub');
  if (!write) {
    read_fault_zero(mm, i);
    return;
  }
  if (mm.pmd === 'none' && vmaHugeSuitable(mm, t.params.nr) && g.pages.every((p) => p.freed)) {
    do_huge_pmd_anonymous_page(g, m);
    return;
  }
  /* VM_FAULT_FALLBACK (no one VMA over the range, or the model's one THP is in use): __pte_alloc + do_anonymous_page */
  if (mm.pmd === 'none') pte_alloc(mm);
  if (mm.pmd !== 'table' || mm.pte[i] !== PTE_NONE) return;
  anonVmaPrepare(mm, t.params.nr, i); /* do_anonymous_page(): "Allocate our own private page." */
  mm.pte[i] = PTE_COPY + alloc_copy(g, 0);
  /* if (vma->vm_flags & VM_WRITE) entry = pte_mkwrite(pte_mkdirty(entry)) */
  mm.pte_write[i] = mm.vm_write;
  mm.pte_dirty[i] = mm.vm_write;
}

function forceOp(doc: string, write: boolean): OpDef<G, ThpParams> {
  const steps: KStep<string>[] = [
    {
      name: FORCE.lock,
      enabled: (g, t) => {
        const m = arg(t, 'mm');
        return badMm(t, m) || g.mms[m]!.mmap_lock >= 0;
      },
      run: (g, t) => {
        if (badMm(t, arg(t, 'mm')) || badSub(t, arg(t, 'sub')) || !isAnon(t.params)) return done('EINVAL');
        mmOf(g, t).mmap_lock++;
        t.l.foll_cow = 0;
        return FORCE.follow;
      },
    },
    { name: FORCE.follow, enabled: followEnabled, run: (g, t) => follow(g, t, write) },
    {
      name: FORCE.faultin,
      enabled: followEnabled,
      run: (g, t) => {
        faultinEmpty(g, t, write);
        return FORCE.follow;
      },
    },
    {
      name: FORCE.swapin,
      enabled: (g, t) => followEnabled(g, t) && swapPageUnlocked(g, t, pteOf(mmOf(g, t), arg(t, 'sub'))),
      run: (g, t) => {
        const mm = mmOf(g, t);
        const i = arg(t, 'sub');
        do_swap_page(g, t, mm, i, write);
        /* do_swap_page() dirtied the entry for FAULT_FLAG_WRITE (VM_FAULT_WRITE) on a !VM_WRITE vma: FOLL_COW */
        if (write && mm.pte_dirty[i] && !mm.vm_write) t.l.foll_cow = 1;
        return FORCE.follow;
      },
    },
  ];
  if (write)
    steps.push(...(wpFaultSteps(FORCE.cow, false) as KStep<string>[]), {
      name: FORCE.cow,
      run: (g, t) => {
        /* if ((ret & VM_FAULT_WRITE) && !(vma->vm_flags & VM_WRITE)) *flags |= FOLL_COW */
        if (t.l.fault !== FAULT_NOMAP && !mmOf(g, t).vm_write) t.l.foll_cow = 1;
        return FORCE.follow;
      },
    });
  steps.push(
    {
      name: FORCE.copy,
      run: (g, t) => {
        const grabbed = t.l.page!;
        if (write) {
          const v = arg(t, 'val');
          pageData(g, t, grabbed, v >= 0 ? v : 1);
        } else t.l.ret = pageData(g, t, grabbed);
        put_grabbed(g, t, grabbed);
        return FORCE.unlock;
      },
    },
    {
      name: FORCE.unlock,
      run: (g, t) => {
        mmap_read_unlock(mmOf(g, t));
        if (!write) return done(t.l.ret!);
        return done(t.l.page === NOMAP_GRAB ? 'nomap' : 'ok');
      },
    },
  );
  return kernelOp(doc, ['i', 'page_locked', 'mapcount', 'fault', 'unshare', 'page', 'ret', 'foll_cow'], steps);
}

export const force_write = forceOp(
  'A /proc/pid/mem write of `val` (default 1) to subpage `sub` of mm: get_user_pages_remote(FOLL_FORCE | FOLL_WRITE) loops follow_page_mask / faultin_page (COW, FOLL_COW) under mmap_lock for read, then copy_to_user_page; also on a read-only private VMA.',
  true,
);
export const force_read = forceOp(
  'A /proc/pid/mem read of subpage `sub` of mm: get_user_pages_remote(FOLL_FORCE) (FOLL_TOUCH: touch_pmd), faulting in the zero page when nothing is mapped; returns the data.',
  false,
);
