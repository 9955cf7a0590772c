/**
 * GUP, slow path (mm/gup.c @ v6.12): pin_user_pages(FOLL_PIN [| FOLL_WRITE])
 * of one subpage: follow_page_mask() → follow_huge_pmd() / follow_page_pte()
 * and try_grab_folio() under the PMD/PTE lock. A write pin of a write-protected
 * entry first takes a write fault (COW); a R/O pin of an anon page that is not
 * PageAnonExclusive must unshare first: gup_must_unshare() → -EMLINK →
 * faultin_page(FAULT_FLAG_UNSHARE) (a7f226604170 "mm/gup: trigger
 * FAULT_FLAG_UNSHARE when R/O-pinning a possibly shared anonymous page"), so
 * every pinned anon page is exclusive to the pinner. follow_page_mask() runs
 * again after the fault and re-checks. A large folio counts pins in _pincount
 * (plus one reference); a small one by GUP_PIN_COUNTING_BIAS in _refcount.
 * No fault-in of unmapped addresses: they return -EFAULT. unpin_user_page()
 * drops the pin. A R/O pin of the (huge or small) zero page pins the zero page
 * itself: gup_must_unshare() unshares only PageAnon pages (and, from v6.2,
 * FOLL_LONGTERM pins in COW mappings: `longterm` unshares the zero page into
 * a fresh exclusive page, 84209e87c696), and
 * try_grab_folio() takes no pin on the small zero folio ("Don't take a pin on
 * the zero page - it's not going anywhere"; mm/gup.c @ v6.12). A FOLL_WRITE
 * pin breaks COW first (a write fault into a fresh page).
 */
// Deliberate copy of impl/thp's gup.ts where the kernel code is unchanged: the two implementations stay independently built (own state types, own kernel-version citations) so spec/thp judges each on its own.
import { pageAnonExclusive, put_copy, targetOf } from './cow.js';
import {
  GUP_PIN_COUNTING_BIAS,
  PTE_MIGRATION,
  folioOf,
  folio_get,
  folio_put,
  inLarge,
  isAnon,
  isSwapPte,
  type FolioState,
  type MmT,
  type T,
} from './folio.js';
import { pteOf } from './pgtable.js';
import { do_swap_page, swapFolioUnlocked } from './swap.js';
import { arg, badMm, badSub, done, kernelOp, mmOf, type Done } from './steps.js';
import { FAULT_NOMAP, WP, do_wp_page, wpFaultSteps } from './wp.js';

type G = FolioState;

/** The page a pin record holds when it pinned the zero page (the model tracks no zero-page counts). */
export const PIN_ZERO_PAGE = -1;

const GUP = {
  follow: 'follow_page_mask + gup_must_unshare + try_grab_folio',
  grab: 'follow_page_mask (after faultin_page) + try_grab_folio',
} as const;

function writable(mm: Readonly<MmT>, i: number): boolean {
  if (mm.pmd === 'zero') return false;
  return mm.pmd === 'huge' ? mm.pmd_write : mm.pte_write[i]!;
}

/** try_grab_folio(FOLL_PIN) on what virtual page i maps, recording the pin for unpin. */
function try_grab_folio(g: G, t: T, mm: MmT, i: number): Done {
  const tg = targetOf(mm, i);
  if (tg.kind === 'copy') {
    g.copies[tg.k]!.refcount += GUP_PIN_COUNTING_BIAS;
    g.pins.push({ mm: arg(t, 'mm'), sub: i, page: t.params.nr + tg.k });
    return done('ok');
  }
  if (tg.kind === 'zero') {
    g.pins.push({ mm: arg(t, 'mm'), sub: i, page: PIN_ZERO_PAGE });
    return done('ok');
  }
  if (tg.kind !== 'thp') return done('EFAULT');
  if (inLarge(g, i)) {
    folio_get(g, i);
    g.pincount++; /* atomic_add(refs, &folio->_pincount) */
  } else folio_get(g, i, GUP_PIN_COUNTING_BIAS);
  g.user_pins[i]!++;
  g.pins.push({ mm: arg(t, 'mm'), sub: i, page: i });
  return done('ok');
}

/**
 * Which fault the pin needs first: 1 a write fault (FOLL_WRITE on a write-protected entry), 2 an unshare
 * (gup_must_unshare: R/O FOLL_PIN of an anon page that is not exclusive), 0 none.
 */
function faultNeeded(g: Readonly<G>, t: T, mm: Readonly<MmT>, i: number): number {
  if (!isAnon(t.params)) return 0;
  if (targetOf(mm, i).kind === 'zero') {
    /* the zero page is no anon page: a FOLL_WRITE pin faults (COW) first; a short-term R/O pin pins it as it is */
    if (arg(t, 'write') === 1) return 1;
    /*
     * gup_must_unshare(): !PageAnon and FOLL_LONGTERM in a COW mapping (is_cow_mapping) → unshare (84209e87c696
     * "mm/gup: reliable R/O long-term pinning in COW mappings")
     */
    // 84209e87c696: a R/O long-term pin pins the zero page as it is (!PageAnon → false, v5.19 - v6.1)
    return arg(t, 'longterm') === 1 && !t.bug('84209e87c696') ? 2 : 0;
  }
  if (writable(mm, i)) return 0;
  if (arg(t, 'write') === 1) return 1;
  // a7f226604170: a R/O pin never unshares
  if (!t.bug('a7f226604170') && !pageAnonExclusive(g, mm, i)) return 2;
  return 0;
}

const followEnabled = (g: Readonly<G>, t: T): boolean => {
  const m = arg(t, 'mm');
  const i = arg(t, 'sub');
  if (badMm(t, m) || badSub(t, i)) return true;
  const mm = g.mms[m]!;
  /* a migration entry: wait for the split (migration_entry_wait); a PMD being split or collapsed: wait */
  if (mm.mmap_lock < 0 || mm.ptl !== 0 || pteOf(mm, i) === PTE_MIGRATION) return false;
  if (mm.pmd === 'splitting' || mm.pmd === 'collapsing') return false;
  /* a PMD migration entry: pmd_migration_entry_wait() until remove_migration_pmd() */
  if (mm.pmd === 'migration' || mm.pmd === 'foreign_migration') return false;
  /* a swap PTE: faultin_page → do_swap_page sleeps in folio_lock of the swap cache folio */
  if (isSwapPte(pteOf(mm, i))) return swapFolioUnlocked(g, t, pteOf(mm, i));
  /* file, nothing mapped: faultin_page → filemap_fault sleeps in folio_lock (e.g. behind a split) */
  const kind = targetOf(mm, i).kind;
  return kind === 'thp' || kind === 'copy' || isAnon(t.params) || g.pages[folioOf(g, i)]!.locked === 0;
};

/**
 * follow_page_mask() under the PTL: grab, or fault first (write / unshare) and come back. A swap PTE is not
 * present: faultin_page() → do_swap_page() (FAULT_FLAG_WRITE for a write pin), then follow again.
 */
function follow(g: G, t: T): Done | typeof WP.entry | typeof GUP.grab {
  const mm = mmOf(g, t);
  const i = arg(t, 'sub');
  /* check_vma_flags(): FOLL_WRITE without FOLL_FORCE needs VM_WRITE */
  if (arg(t, 'write') === 1 && isAnon(t.params) && !mm.vm_write) return done('EFAULT');
  if (isSwapPte(pteOf(mm, i))) {
    const write = arg(t, 'write') === 1;
    t.l.unshare = 0;
    /* do_swap_page() ends in do_wp_page() for FAULT_FLAG_WRITE when it could not map the page writable */
    if (!do_swap_page(g, t, mm, i, write) && write) do_wp_page(g, t, mm, i);
    t.l.fault = 0;
    return GUP.grab;
  }
  const kind = targetOf(mm, i).kind;
  if (kind !== 'thp' && kind !== 'copy' && kind !== 'zero') return done('EFAULT');
  const f = faultNeeded(g, t, mm, i);
  if (f === 0) return try_grab_folio(g, t, mm, i);
  t.l.unshare = f === 2 ? 1 : 0;
  return WP.entry;
}

export const pin = kernelOp(
  'pin_user_pages(FOLL_PIN, write = FOLL_WRITE, longterm = FOLL_LONGTERM) of one subpage through mm: follow_page_mask + try_grab_folio under the ptl, after a write fault (FOLL_WRITE on a write-protected entry) or an unshare fault (gup_must_unshare: R/O pin of a page that is not PageAnonExclusive, or R/O long-term pin of the zero page); no fault-in of unmapped addresses.',
  ['fault', 'unshare'],
  [
    {
      name: GUP.follow,
      enabled: followEnabled,
      run: (g, t) => {
        if (badMm(t, arg(t, 'mm')) || badSub(t, arg(t, 'sub'))) return done('EINVAL');
        return follow(g, t);
      },
    },
    ...wpFaultSteps(GUP.grab, false),
    {
      name: GUP.grab,
      enabled: followEnabled,
      run: (g, t) => {
        if (t.l.fault === FAULT_NOMAP) return done('EFAULT');
        return follow(g, t);
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
        if (page === PIN_ZERO_PAGE) return done('ok'); /* gup_put_folio(): nothing to drop on the zero folio */
        if (page >= t.params.nr) {
          put_copy(g, page - t.params.nr, GUP_PIN_COUNTING_BIAS);
          return done('ok');
        }
        g.user_pins[page]!--;
        if (inLarge(g, page)) {
          g.pincount--;
          folio_put(g, t, page);
        } else folio_put(g, t, page, GUP_PIN_COUNTING_BIAS);
        return done('ok');
      },
    },
  ],
);
