/**
 * GUP, slow path (mm/gup.c @ v5.10 and @ v6.1): pin_user_pages(FOLL_PIN [|
 * FOLL_WRITE]) of one subpage: follow_page_mask() → follow_trans_huge_pmd() /
 * follow_page_pte() and try_grab_page() under the PMD/PTE lock, with
 * faultin_page() first when the entry must be made writable or unshared. A
 * compound page counts pins in hpage_pinned_refcount (47e29d32afba "mm/gup:
 * page->hpage_pinned_refcount: exact pin counts for huge pages", v5.7); a
 * small page by GUP_PIN_COUNTING_BIAS in _refcount. No fault-in of unmapped
 * addresses: they return -EFAULT. unpin_user_page() drops the pin.
 * follow_pmd_mask() reads the PMD once locklessly (pmd_present: a PMD migration
 * entry waits), then rechecks it under pmd_lock and retries when it changed
 * (688272809fcc "mm, gup: prevent pmd checking race in follow_pmd_mask()").
 *
 * When a R/O pin of a write-protected anon entry faults first, by version:
 *   - v5.19+ (6.1 and the default): gup_must_unshare() (include/linux/mm.h @
 *     v6.1) asks for FAULT_FLAG_UNSHARE only when the page is not
 *     PageAnonExclusive (a7f226604170 "mm/gup: trigger FAULT_FLAG_UNSHARE when
 *     R/O-pinning a possibly shared anonymous page"; follow_page_pte() returns
 *     -EMLINK), so an exclusive page is pinned as it is, read-only;
 *   - v5.9 – v5.18: never (a308c71bf1e6 "mm/gup: Remove enfornced COW
 *     mechanism", v5.9, removed the v5.8 break): the pin holds a page that may
 *     be shared (the a7f226604170 variant);
 *   - v5.8 (17839856fd58 "gup: document and work around 'COW can break either
 *     way' issue"): every pin of a COW mapping breaks COW with a write fault.
 * The zero page is no anon page: a short-term R/O pin pins the (huge or small)
 * zero page itself, as 6.1 does (gup_must_unshare() is false for !PageAnon,
 * include/linux/mm.h @ v6.1; follow_page_pte() returns the small zero page,
 * follow_trans_huge_pmd() the huge one, and try_grab_page() takes no pin on
 * the small one: "Don't take a pin on the zero page", mm/gup.c @ 6.1.192).
 * conform on 6.1.192 saw it: the pinned group stays the zero page. A
 * long-term R/O pin unshares it into a private copy (84209e87c696 "mm/gup:
 * reliable R/O long-term pinning in COW mappings", v6.2; 6.1 itself pins the
 * zero page there too, which the spec forbids: the model keeps the v6.2 rule
 * for `longterm`, the variant 84209e87c696 is the 6.1 code, and userspace on
 * this probe takes no R/O long-term pin);
 * under the v5.9 – v5.18 rule the pin answers EFAULT.
 */
import { pageAnonExclusive, preExclusive, put_copy, targetOf } from './cow.js';
import {
  GUP_PIN_COUNTING_BIAS,
  PTE_MIGRATION,
  BUG_ON,
  PageCompound,
  compound_head,
  get_page,
  isAnon,
  isSwapPte,
  put_page,
  type MmT,
  type T,
  type ThpState,
} from './page.js';
import { pteOf } from './pgtable.js';
import { do_swap_page, swapPageUnlocked } from './swap.js';
import { arg, badMm, badSub, done, kernelOp, mmOf, type Done } from './steps.js';
import { FAULT_NOMAP, WP, wpFaultSteps } from './wp.js';

type G = ThpState;

/** The page a pin record holds when it pinned the zero page (the model tracks no zero-page counts). */
export const PIN_ZERO_PAGE = -1;

const GUP = {
  pmd: 'follow_pmd_mask: pmdval = READ_ONCE(*pmd); pmd_none / pmd_present (lockless)',
  follow: 'follow_page_mask: follow_trans_huge_pmd / follow_page_pte (pmd_lock, recheck)',
  grab: 'follow_page_mask (after faultin_page) + try_grab_page',
} as const;

/** The PMD/PTE is write-protected: a pin needs faultin_page(FAULT_FLAG_WRITE) first. */
function writeProtected(mm: Readonly<MmT>, i: number): boolean {
  if (mm.pmd === 'zero') return true;
  return mm.pmd === 'huge' ? !mm.pmd_write : !mm.pte_write[i];
}

/** try_grab_page(FOLL_PIN) on what virtual page i maps, recording the pin for unpin. */
function try_grab_page(g: G, t: T, mm: MmT, i: number): Done {
  const tg = targetOf(mm, i);
  if (tg.kind === 'copy') {
    g.copies[tg.k]!.refcount += GUP_PIN_COUNTING_BIAS;
    g.pins.push({ mm: arg(t, 'mm'), sub: i, page: t.params.nr + tg.k });
    return done('ok');
  }
  if (tg.kind === 'zero' && !preExclusive(t)) {
    g.pins.push({ mm: arg(t, 'mm'), sub: i, page: PIN_ZERO_PAGE }); /* no counts on the zero page */
    return done('ok');
  }
  if (tg.kind !== 'thp') return done('EFAULT');
  if (PageCompound(g, i)) {
    get_page(g, i); /* head _refcount + 1 */
    g.compound_pincount++; /* hpage_pincount_add() */
  } else get_page(g, i, GUP_PIN_COUNTING_BIAS);
  g.user_pins[i]!++;
  g.pins.push({ mm: arg(t, 'mm'), sub: i, page: i });
  return done('ok');
}

/** v5.8 - v5.18: whether this pin must first break COW (FOLL_WRITE, or any FOLL_PIN in v5.8: 17839856fd58). */
function mustBreakCow(t: T): boolean {
  if (arg(t, 'write') === 1) return true;
  // a7f226604170: a R/O pin does not unshare (v5.9 – v5.18, after a308c71bf1e6 "mm/gup: Remove enfornced COW mechanism")
  // 17839856fd58: before it, a R/O GUP never broke COW
  return !t.bug('a7f226604170') && !t.bug('17839856fd58');
}

const FAULT_NONE = 0;
const FAULT_WRITE = 1;
const FAULT_UNSHARE = 2;

/** Which fault follow_page_mask() asks for before it may grab virtual page i (anon): none, a write fault or an unshare. */
function faultNeeded(g: Readonly<G>, t: T, mm: Readonly<MmT>, i: number): number {
  const zero = targetOf(mm, i).kind === 'zero';
  if (preExclusive(t)) {
    if (zero) return mustBreakCow(t) ? FAULT_WRITE : FAULT_NONE; /* never pin the zero page */
    /* can_follow_write_pte/pmd() @ v5.10: FOLL_COW and a dirty entry (the COW was done on a !VM_WRITE vma) */
    const cowed = t.l.foll_cow === 1 && (mm.pmd === 'huge' ? mm.pmd_dirty : mm.pte_dirty[i]!);
    return writeProtected(mm, i) && mustBreakCow(t) && !cowed ? FAULT_WRITE : FAULT_NONE;
  }
  if (!writeProtected(mm, i)) return FAULT_NONE;
  /* FOLL_WRITE: can_follow_write_pmd() / can_follow_write_pte() fail on a write-protected entry */
  if (arg(t, 'write') === 1) return FAULT_WRITE;
  // a7f226604170: gup_must_unshare() does not exist, the page is pinned as it is (the zero page: EFAULT, as above)
  if (t.bug('a7f226604170')) return FAULT_NONE;
  /* gup_must_unshare(): !PageAnon → no unshare, the zero page is pinned; FOLL_LONGTERM: 84209e87c696 (header) */
  // 84209e87c696: a R/O long-term pin pins the zero page as it is (!PageAnon → false, v5.19 - v6.1)
  if (zero) return arg(t, 'longterm') === 1 && !t.bug('84209e87c696') ? FAULT_UNSHARE : FAULT_NONE;
  /* gup_must_unshare(flags, page): R/O FOLL_PIN of PageAnon && !PageAnonExclusive → -EMLINK → FAULT_FLAG_UNSHARE */
  return pageAnonExclusive(g, mm, i) ? FAULT_NONE : FAULT_UNSHARE;
}

/**
 * follow_page_mask() under the ptl: grab the page, or (anon) go back to
 * faultin_page() for a write or unshare fault. __get_user_pages() runs it
 * again after every fault: a fork() between the fault and this retry
 * write-protects the fresh copy again (and clears its PG_anon_exclusive), so
 * the pin faults again instead of pinning a page now shared with the child
 * (mm/gup.c __get_user_pages() @ v5.10, @ v6.1).
 */
function follow_page_mask(g: G, t: T, mm: MmT): Done | typeof WP.entry | typeof GUP.follow {
  const i = arg(t, 'sub');
  if (isSwapPte(pteOf(mm, i))) {
    /* follow_page_pte(): not present → faultin_page() → do_swap_page(), then follow again */
    do_swap_page(g, t, mm, i, arg(t, 'write') === 1);
    return GUP.follow;
  }
  const kind = targetOf(mm, i).kind;
  if (kind !== 'thp' && kind !== 'copy' && kind !== 'zero') return done('EFAULT');
  const f = isAnon(t.params) ? faultNeeded(g, t, mm, i) : FAULT_NONE;
  if (f !== FAULT_NONE) {
    t.l.unshare = f === FAULT_UNSHARE ? 1 : 0;
    return WP.entry;
  }
  return try_grab_page(g, t, mm, i);
}

/** The locked follow step waits for the ptl and for a PTE migration entry or a splitting PMD (not for a PMD migration entry). */
const followLockedEnabled = (g: Readonly<G>, t: T): boolean => {
  const m = arg(t, 'mm');
  const i = arg(t, 'sub');
  if (badMm(t, m) || badSub(t, i)) return true;
  const mm = g.mms[m]!;
  /* a migration entry: wait for the split (migration_entry_wait) */
  if (mm.mmap_lock < 0 || mm.ptl !== 0 || pteOf(mm, i) === PTE_MIGRATION || mm.pmd === 'splitting') return false;
  /* a swap PTE: faultin_page → do_swap_page sleeps in lock_page of the swap cache page */
  if (isSwapPte(pteOf(mm, i))) return swapPageUnlocked(g, t, pteOf(mm, i));
  /* file, nothing mapped: faultin_page → filemap_fault sleeps in lock_page (e.g. behind a split) */
  const kind = targetOf(mm, i).kind;
  return kind === 'thp' || kind === 'copy' || isAnon(t.params) || g.pages[compound_head(g, i)]!.locked === 0;
};

/** ... and a PMD migration entry: pmd_migration_entry_wait() until remove_migration_pmd(). */
const followEnabled = (g: Readonly<G>, t: T): boolean =>
  followLockedEnabled(g, t) && (badMm(t, arg(t, 'mm')) || g.mms[arg(t, 'mm')]!.pmd !== 'migration');

export const pin = kernelOp(
  'pin_user_pages(FOLL_PIN, write = FOLL_WRITE) of one subpage through mm: faultin_page first for a write fault (FOLL_WRITE on a write-protected entry) or an unshare (gup_must_unshare: a R/O pin of an anon page that is not PageAnonExclusive; v5.8: every pin breaks COW), then follow_page_mask + try_grab_page under the ptl; no fault-in of unmapped addresses.',
  ['i', 'page_locked', 'mapcount', 'fault', 'unshare', 'foll_cow'],
  [
    {
      name: GUP.pmd,
      enabled: (g, t) => badMm(t, arg(t, 'mm')) || mmOf(g, t).pmd !== 'migration',
      run: (g, t) => {
        if (badMm(t, arg(t, 'mm')) || badSub(t, arg(t, 'sub'))) return done('EINVAL');
        return GUP.follow;
      },
    },
    {
      name: GUP.follow,
      enabled: followLockedEnabled,
      run: (g, t) => {
        const mm = mmOf(g, t);
        if (mm.pmd === 'migration') {
          // 688272809fcc: follow_pmd_mask() re-reads *pmd after its pmd_present() check: a PMD that became a
          // migration entry in between is !pmd_trans_huge, so it goes to follow_page_pte() as if it were a table
          BUG_ON(t.bug('688272809fcc'), 'follow_page_pte() on a PMD migration entry (pte_offset_map of a swap pmd)');
          return GUP.pmd; /* follow_trans_huge_pmd(): !pmd_trans_huge(*pmd) under pmd_lock → retry */
        }
        /* check_vma_flags(): FOLL_WRITE without FOLL_FORCE needs VM_WRITE */
        if (arg(t, 'write') === 1 && isAnon(t.params) && !mm.vm_write) return done('EFAULT');
        return follow_page_mask(g, t, mm);
      },
    },
    ...wpFaultSteps(GUP.grab, false),
    {
      name: GUP.grab,
      enabled: followEnabled,
      run: (g, t) => {
        if (t.l.fault === FAULT_NOMAP) return done('EFAULT');
        const mm = mmOf(g, t);
        /* faultin_page(): if ((ret & VM_FAULT_WRITE) && !(vma->vm_flags & VM_WRITE)) *flags |= FOLL_COW (v5.10) */
        if (!t.l.unshare && !mm.vm_write) t.l.foll_cow = 1;
        return follow_page_mask(g, t, mm);
      },
    },
  ],
);

export const unpin = kernelOp(
  'unpin_user_page() of the page mm pinned at subpage `sub`.',
  [],
  [
    {
      name: 'unpin_user_page',
      run: (g, t) => {
        const m = arg(t, 'mm');
        const i = arg(t, 'sub');
        const at = g.pins.findIndex((p) => p.mm === m && p.sub === i);
        if (at < 0) return done('EINVAL');
        const page = g.pins[at]!.page;
        g.pins.splice(at, 1);
        if (page === PIN_ZERO_PAGE) return done('ok'); /* unpin_user_page(): nothing to drop on the zero page */
        if (page >= t.params.nr) {
          put_copy(g, page - t.params.nr, GUP_PIN_COUNTING_BIAS);
          return done('ok');
        }
        g.user_pins[page]!--;
        if (PageCompound(g, page)) {
          g.compound_pincount--;
          put_page(g, t, page);
        } else put_page(g, t, page, GUP_PIN_COUNTING_BIAS);
        return done('ok');
      },
    },
  ],
);
