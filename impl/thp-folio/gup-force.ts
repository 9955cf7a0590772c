/**
 * /proc/pid/mem (mm/memory.c @ v6.12 access_remote_vm → __access_remote_vm):
 * get_user_pages_remote(FOLL_FORCE [| FOLL_WRITE], plus FOLL_TOUCH and
 * FOLL_GET) under mmap_lock for read, then copy_to/from_user_page into the
 * page it returned and put_page. __get_user_pages() loops follow_page_mask()
 * (under the PMD/PTE lock) and faultin_page() until it gets a page. Since
 * 5535be309971 "mm/gup: fix FOLL_FORCE COW security issue and remove
 * FOLL_COW" (v6.0) a forced write follows a write-protected entry of a
 * read-only private VMA only if its anon page is PageAnonExclusive
 * (can_follow_write_pte / can_follow_write_pmd @ v6.12): the process's own
 * copy, never the (huge) zero page or a page shared after fork; otherwise
 * faultin_page(FAULT_FLAG_WRITE) COWs or reuses it first (wp.ts). The PMD
 * dirty bit is no longer trusted, so touch_pmd() (a8f97366452e) does not
 * matter here. An empty entry is faulted in: a write by
 * __do_huge_pmd_anonymous_page() (or, when the model's folio is taken, a small
 * page), a read maps the huge or small zero page; a swap entry is swapped in
 * (do_swap_page, impl/thp-folio/swap.ts, ending in do_wp_page() for a write it
 * could not map writable) and followed again.
 */
// Deliberate copy of impl/thp's gup-force.ts where the kernel code is unchanged: the two implementations stay independently built (own state types, own kernel-version citations) so spec/thp judges each on its own.
import type { OpDef } from '../../checker/types.js';
import { alloc_copy, loadData, pageAnonExclusive, put_copy, targetOf } from './cow.js';
import { do_huge_pmd_anonymous_page, read_fault_zero } from './fault.js';
import {
  PTE_COPY,
  PTE_MIGRATION,
  PTE_NONE,
  folio_get,
  folio_put,
  isAnon,
  isSwapPte,
  type FolioParams,
  type FolioState,
  type MmT,
  type T,
} from './folio.js';
import { pte_alloc, pteOf } from './pgtable.js';
import { anonVmaPrepare, vmaHugeSuitable } from '../thp-common/rmap-walk.js';
import { do_swap_page, swapFolioUnlocked } from './swap.js';
import { arg, badMm, badSub, done, kernelOp, mmOf, mmap_read_unlock, type KStep } from './steps.js';
import { FAULT_NOMAP, WP, do_wp_page, wpFaultSteps } from './wp.js';

type G = FolioState;

const FORCE = {
  lock: 'access_remote_vm: mmap_read_lock',
  follow: 'follow_page_mask (FOLL_FORCE | FOLL_TOUCH): ptl, can_follow_write_pte/pmd, try_grab_folio',
  faultin: 'faultin_page: handle_mm_fault on an empty entry (ptl)',
  swapin: 'faultin_page: handle_mm_fault → do_swap_page on a swap entry (folio lock, ptl)',
  again: 'faultin_page returned: follow_page_mask again',
  copy: 'access_remote_vm: copy_to_user_page / copy_from_user_page + folio_put',
  unlock: 'access_remote_vm: mmap_read_unlock',
} as const;

/** The grabbed page in t.l.page: 1 + subpage i, 1 + nr + k for copy k, ZERO_GRAB for the zero page. */
const ZERO_GRAB = -1;
const NOMAP_GRAB = -2;

/** try_grab_folio(FOLL_GET) on what virtual page i maps; the zero page takes no reference the model counts. */
function grab(g: G, t: T, mm: MmT, i: number): number {
  const tg = targetOf(mm, i);
  if (tg.kind === 'zero') return ZERO_GRAB;
  if (tg.kind === 'copy') {
    g.copies[tg.k]!.refcount++;
    return 1 + t.params.nr + tg.k;
  }
  folio_get(g, i);
  return 1 + i;
}

function put_grabbed(g: G, t: T, grabbed: number): void {
  if (grabbed <= 0) return;
  const page = grabbed - 1;
  if (page >= t.params.nr) put_copy(g, page - t.params.nr);
  else folio_put(g, t, page);
}

/** The bytes the grabbed page holds (read) or now holds (write). */
function pageData(g: G, t: T, grabbed: number, v?: number): number {
  if (grabbed === ZERO_GRAB) {
    if (v !== undefined) g.zero_data = v; /* only a bug gets here with a write */
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

function followEnabled(g: Readonly<G>, t: T): boolean {
  const mm = mmOf(g, t);
  if (mm.pmd === 'collapsing' || mm.pmd === 'migration' || mm.pmd === 'foreign_migration') return false;
  return mm.ptl === 0 && mm.pmd !== 'splitting' && pteOf(mm, arg(t, 'sub')) !== PTE_MIGRATION;
}

/** can_follow_write_pte() / can_follow_write_pmd() @ v6.12 for a FOLL_FORCE write. */
function canFollowWrite(g: Readonly<G>, mm: Readonly<MmT>, i: number): boolean {
  const kind = targetOf(mm, i).kind;
  const writable = mm.pmd === 'huge' ? mm.pmd_write : mm.pmd === 'table' && mm.pte_write[i]!;
  if (writable) return true;
  if (mm.vm_write || kind === 'zero') return false; /* VM_WRITE set: a normal write fault; the zero page is not anon */
  return pageAnonExclusive(g, mm, i);
}

/** follow_page_mask() under the ptl: grab the page, or ask for a fault. */
function follow(g: G, t: T, write: boolean): string {
  const mm = mmOf(g, t);
  const i = arg(t, 'sub');
  if (isSwapPte(pteOf(mm, i))) return FORCE.swapin; /* follow_page_pte(): not present → faultin_page() */
  const kind = targetOf(mm, i).kind;
  if (kind === 'none') return FORCE.faultin;
  if (kind === 'foreign') {
    /* a THP khugepaged made: the model does not write those */
    if (write) t.l.page = NOMAP_GRAB;
    else t.l.ret = loadData(g, mm, i);
    return FORCE.unlock;
  }
  if (write && !canFollowWrite(g, mm, i)) {
    t.l.unshare = 0;
    return WP.entry;
  }
  t.l.page = grab(g, t, mm, i);
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
    do_huge_pmd_anonymous_page(g, t, m);
    return;
  }
  /* VM_FAULT_FALLBACK (no one VMA over the range, or the model's one folio is in use): __pte_alloc + do_anonymous_page */
  if (mm.pmd === 'none') pte_alloc(mm);
  if (mm.pmd !== 'table' || mm.pte[i] !== PTE_NONE) return;
  anonVmaPrepare(
    mm,
    t.params.nr,
    i,
  ); /* do_anonymous_page(): vmf_anon_prepare() before "Allocate our own private page." */
  mm.pte[i] = PTE_COPY + alloc_copy(g, 0); /* folio_add_new_anon_rmap(RMAP_EXCLUSIVE) */
  mm.pte_write[i] = mm.vm_write; /* if (vma->vm_flags & VM_WRITE) entry = pte_mkwrite(...) */
}

function forceOp(doc: string, write: boolean): OpDef<G, FolioParams> {
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
      enabled: (g, t) => followEnabled(g, t) && swapFolioUnlocked(g, t, pteOf(mmOf(g, t), arg(t, 'sub'))),
      run: (g, t) => {
        const mm = mmOf(g, t);
        const i = arg(t, 'sub');
        if (!isSwapPte(pteOf(mm, i))) return FORCE.follow; /* handle_pte_fault(): !pte_same, the fault is retried */
        t.l.unshare = 0;
        /* FAULT_FLAG_WRITE: do_swap_page() → do_wp_page() when it could not map the page writable */
        if (!do_swap_page(g, t, mm, i, write) && write) do_wp_page(g, t, mm, i);
        return FORCE.follow;
      },
    },
  ];
  if (write)
    steps.push(...(wpFaultSteps(FORCE.again, false) as KStep<string>[]), {
      name: FORCE.again,
      threadLocal: true, // decides on t.l.fault alone
      run: (_g, t) => (t.l.fault === FAULT_NOMAP ? FORCE.faultin : FORCE.follow),
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
  return kernelOp(doc, ['fault', 'unshare', 'page', 'ret'], steps);
}

export const force_write = forceOp(
  'A /proc/pid/mem write of `val` (default 1) to subpage `sub` of mm: get_user_pages_remote(FOLL_FORCE | FOLL_WRITE) loops follow_page_mask (can_follow_write_*: writable, or PageAnonExclusive on a read-only private VMA) / faultin_page (COW) under mmap_lock for read, then copy_to_user_page.',
  true,
);
export const force_read = forceOp(
  'A /proc/pid/mem read of subpage `sub` of mm: get_user_pages_remote(FOLL_FORCE), faulting in the zero page when nothing is mapped; returns the data.',
  false,
);
