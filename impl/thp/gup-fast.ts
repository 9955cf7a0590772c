/**
 * GUP-fast (mm/gup.c @ v5.13 lockless_pages_from_mm → gup_pgd_range →
 * gup_huge_pmd / gup_pte_range): no mmap_lock and no page-table lock. It
 * samples mm->write_protect_seq (an odd value means fork() is
 * write-protecting: fall back), reads the PMD/PTE locklessly, grabs the page
 * (try_grab_compound_head: fails on a frozen refcount), then re-reads the
 * entry and the sequence and drops the pin if either changed
 * ("grab-then-recheck"). Anything it cannot handle falls back to the slow
 * path (gup.ts), which this op reports as 'fallback' without pinning.
 * A write-protected anon entry: v5.8 (17839856fd58) leaves it to the slow path,
 * which breaks COW first; v5.9 – v5.18 pin it as it is (no unsharing: the
 * a7f226604170 variant); v5.19+ pin it only when the page is PageAnonExclusive,
 * checked after the grab (gup_pte_range() / gup_huge_pmd() @ v6.1:
 * `!pte_write(pte) && gup_must_unshare(flags, page)` → drop it and fall back). The PTE path also rechecks that the PMD still
 * points to the page table it walked (70cbc3cc78a9 "mm: gup: fix the fast GUP
 * race against THP collapse", v6.0): khugepaged detaches the table with
 * pmdp_collapse_flush() before it checks the refcounts, and RCU GUP-fast is
 * not held off by that flush.
 */
import { preExclusive, put_copy } from './cow.js';
import {
  GUP_PIN_COUNTING_BIAS,
  PTE_COPY,
  PTE_PRESENT,
  PageCompound,
  isAnon,
  isCopyPte,
  put_page,
  type MmT,
  type T,
  type ThpState,
} from './page.js';
import { arg, badMm, badSub, done, kernelOp, mmOf } from './steps.js';

type G = ThpState;

const FAST = {
  seq: 'lockless_pages_from_mm: raw_read_seqcount(&mm->write_protect_seq)',
  pmd: 'gup_pmd_range: pmd = READ_ONCE(*pmdp)',
  grab: 'gup_huge_pmd / gup_pte_range: READ_ONCE(pte) + try_grab_compound_head',
  recheck: 'gup_huge_pmd / gup_pte_range: pmd or pte changed? read_seqcount_retry?',
} as const;

/** The PMD as a lockless walker reads it: -3/-2 a huge THP PMD (writable or not), -4 a page table, -1 anything else. */
const PMD_TABLE = -4;
function pmdSnapshot(mm: Readonly<MmT>): number {
  if (mm.pmd === 'huge') return mm.pmd_write ? -3 : -2;
  return mm.pmd === 'table' ? PMD_TABLE : -1;
}

/** A PTE value with its write bit, as one integer. */
const pteSnapshot = (mm: Readonly<MmT>, i: number): number => mm.pte[i]! * 2 + (mm.pte_write[i] ? 1 : 0);

/**
 * try_grab_compound_head(FOLL_PIN) / try_grab_page() on the page an entry
 * names (a huge PMD: subpage i of the THP; a PTE value `e`): returns the page
 * id grabbed + 1, or 0 on failure (a frozen or freed page).
 */
function tryGrab(g: G, t: T, e: number | 'huge', i: number): number {
  if (e !== 'huge' && isCopyPte(e)) {
    const c = g.copies[e - PTE_COPY]!;
    if (c.refcount <= 0) return 0;
    c.refcount += GUP_PIN_COUNTING_BIAS;
    return t.params.nr + (e - PTE_COPY) + 1;
  }
  if (e !== 'huge' && e !== PTE_PRESENT) return 0;
  const head = PageCompound(g, i) ? 0 : i;
  if (g.pages[head]!.freed || g.pages[head]!.refcount <= 0)
    return 0; /* page_cache_add_speculative() on a frozen/free page */
  if (PageCompound(g, i)) {
    g.pages[0]!.refcount++;
    g.compound_pincount++;
  } else g.pages[i]!.refcount += GUP_PIN_COUNTING_BIAS;
  return i + 1;
}

/** PageAnonExclusive() of the page grabbed (a huge PMD: the head's flag). */
function grabbedExclusive(g: Readonly<G>, t: T, grabbed: number, huge: boolean): boolean {
  const page = grabbed - 1;
  if (page >= t.params.nr) return g.copies[page - t.params.nr]!.anon_exclusive;
  return g.pages[huge ? 0 : page]!.anon_exclusive;
}

/** unpin_user_page() of a pin GUP-fast took and then had to drop. */
function undoGrab(g: G, t: T, grabbed: number): void {
  const page = grabbed - 1;
  if (page >= t.params.nr) put_copy(g, page - t.params.nr, GUP_PIN_COUNTING_BIAS);
  else if (PageCompound(g, page)) {
    g.compound_pincount--;
    put_page(g, t, page);
  } else put_page(g, t, page, GUP_PIN_COUNTING_BIAS);
}

/**
 * The PTE step reads the table the PMD pointed to when it was read, even if
 * khugepaged has since detached it (pmdp_collapse_flush): mm.pte keeps the
 * detached table's entries until __collapse_huge_page_copy clears them.
 */
export const pin_fast = kernelOp(
  'pin_user_pages_fast(FOLL_PIN) of one subpage: lockless walk (PMD, then PTE), grab, then recheck the PMD, the PTE and mm->write_protect_seq; falls back (no pin) when it cannot pin locklessly.',
  ['seq', 'snapshot', 'grabbed', 'pmdval'],
  [
    {
      name: FAST.seq,
      run: (g, t) => {
        if (badMm(t, arg(t, 'mm')) || badSub(t, arg(t, 'sub'))) return done('EINVAL');
        const seq = mmOf(g, t).write_protect_seq;
        if (seq % 2 === 1) return done('fallback');
        t.l.seq = seq;
        return FAST.pmd;
      },
    },
    {
      name: FAST.pmd,
      run: (g, t) => {
        const pmd = pmdSnapshot(mmOf(g, t));
        /* pmd_none / !pmd_present / the huge zero page / a collapsed page the model does not track */
        if (pmd === -1) return done('fallback');
        t.l.pmdval = pmd;
        return FAST.grab;
      },
    },
    {
      name: FAST.grab,
      run: (g, t) => {
        const mm = mmOf(g, t);
        const i = arg(t, 'sub');
        const pmd = t.l.pmdval!;
        const huge = pmd !== PMD_TABLE;
        /* gup_huge_pmd() works from the PMD value it read; gup_pte_range() reads the PTE now */
        const writable = huge ? pmd === -3 : mm.pte_write[i]!;
        const unpinnable = isAnon(t.params) && !writable;
        /* v5.8 (17839856fd58): a write-protected anon entry goes to the slow path, which breaks COW */
        if (unpinnable && preExclusive(t) && !t.bug('a7f226604170')) return done('fallback');
        const grabbed = tryGrab(g, t, huge ? 'huge' : mm.pte[i]!, i);
        if (grabbed === 0) return done('fallback');
        // a7f226604170: no gup_must_unshare(), the page is pinned as it is (v5.9 - v5.18)
        if (unpinnable && !preExclusive(t) && !t.bug('a7f226604170') && !grabbedExclusive(g, t, grabbed, huge)) {
          undoGrab(g, t, grabbed); /* gup_must_unshare(): gup_put_folio + fall back to the slow path */
          return done('fallback');
        }
        t.l.snapshot = huge ? pmd : pteSnapshot(mm, i);
        t.l.grabbed = grabbed;
        return FAST.recheck;
      },
    },
    {
      name: FAST.recheck,
      run: (g, t) => {
        const mm = mmOf(g, t);
        const i = arg(t, 'sub');
        const pmd = t.l.pmdval!;
        // 57efa1fe5957: no write_protect_seq retry, only the entry recheck
        const seqChanged = !t.bug('57efa1fe5957') && mm.write_protect_seq !== t.l.seq;
        let changed: boolean;
        if (pmd !== PMD_TABLE) changed = pmdSnapshot(mm) !== pmd;
        else {
          // 70cbc3cc78a9: gup_pte_range() rechecks only the PTE, not that the PMD still points to its table
          const pmdChanged = !t.bug('70cbc3cc78a9') && pmdSnapshot(mm) !== PMD_TABLE;
          changed = pmdChanged || pteSnapshot(mm, i) !== t.l.snapshot;
        }
        if (changed || seqChanged) {
          undoGrab(g, t, t.l.grabbed!);
          return done('fallback');
        }
        const page = t.l.grabbed! - 1;
        if (page < t.params.nr) g.user_pins[page]!++;
        g.pins.push({ mm: arg(t, 'mm'), sub: i, page });
        return done('ok');
      },
    },
  ],
);
