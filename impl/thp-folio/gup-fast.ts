/**
 * GUP-fast (mm/gup.c @ v6.12 gup_fast_fallback → gup_fast_pgd_range →
 * gup_fast_pmd_range → gup_fast_pte_range / gup_fast_pmd_leaf): no mmap_lock
 * and no page-table lock (interrupts off, so page tables are not freed under
 * it). It samples mm->write_protect_seq (odd: fall back), reads the PMD
 * locklessly, then reads the PTE (of the table that PMD pointed to, even if
 * khugepaged has since cleared the PMD) and grabs the folio
 * (try_grab_folio_fast: fails on a frozen refcount), then rechecks the PMD
 * (70cbc3cc78a9 "mm: gup: fix the fast GUP race against THP collapse"), the
 * entry, gup_must_unshare() (a R/O pin needs PageAnonExclusive unless the
 * entry is writable) and finally the sequence, dropping the pin on any change.
 * Whatever it cannot do locklessly falls back to the slow path (gup.ts), which
 * this op reports as 'fallback' without pinning.
 */
// Deliberate copy of impl/thp's gup-fast.ts where the kernel code is unchanged: the two implementations stay independently built (own state types, own kernel-version citations) so spec/thp judges each on its own.
import { put_copy } from './cow.js';
import {
  GUP_PIN_COUNTING_BIAS,
  PTE_COPY,
  PTE_PRESENT,
  folio_put,
  inLarge,
  isAnon,
  type FolioState,
  type MmT,
  type T,
} from './folio.js';
import { arg, badMm, badSub, done, kernelOp, mmOf } from './steps.js';

type G = FolioState;

const FAST = {
  seq: 'gup_fast_fallback: raw_read_seqcount(&mm->write_protect_seq) + pmdp_get_lockless',
  grab: 'gup_fast_pte_range / gup_fast_pmd_leaf: ptep_get_lockless + try_grab_folio_fast',
  recheck: 'gup_fast_pte_range / gup_fast_pmd_leaf: pmd / pte changed? gup_must_unshare? read_seqcount_retry?',
} as const;

/** The PMD as the lockless walk sees it: 1 none/invalid, 2 huge R/O, 3 huge writable, 4 a PTE table. */
function pmdSnapshot(mm: Readonly<MmT>): number {
  if (mm.pmd === 'huge') return mm.pmd_write ? 3 : 2;
  if (mm.pmd === 'table') return 4;
  return 1; /* none, being split (pmdp_invalidate), cleared by khugepaged, or a THP the model does not track */
}

/** The PTE as read from the table: its value and write bit, as one integer. */
const pteSnapshot = (mm: Readonly<MmT>, i: number): number => mm.pte[i]! * 2 + (mm.pte_write[i] ? 1 : 0);

/** try_grab_folio_fast(FOLL_PIN) of what entry `e` maps at subpage i: the page id grabbed + 1, or 0. */
function tryGrab(g: G, t: T, e: number, i: number): number {
  if (e >= PTE_COPY) {
    const c = g.copies[e - PTE_COPY]!;
    if (c.refcount <= 0) return 0;
    c.refcount += GUP_PIN_COUNTING_BIAS;
    return t.params.nr + (e - PTE_COPY) + 1;
  }
  if (e !== PTE_PRESENT) return 0;
  const head = inLarge(g, i) ? 0 : i;
  if (g.pages[head]!.refcount <= 0) return 0; /* folio_ref_try_add on a frozen or freed folio */
  if (inLarge(g, i)) {
    g.pages[0]!.refcount++;
    g.pincount++;
  } else g.pages[i]!.refcount += GUP_PIN_COUNTING_BIAS;
  return i + 1;
}

/** gup_put_folio() of a pin GUP-fast took and then had to drop. */
function undoGrab(g: G, t: T, grabbed: number): void {
  const page = grabbed - 1;
  if (page >= t.params.nr) put_copy(g, page - t.params.nr, GUP_PIN_COUNTING_BIAS);
  else if (inLarge(g, page)) {
    g.pincount--;
    folio_put(g, t, page);
  } else folio_put(g, t, page, GUP_PIN_COUNTING_BIAS);
}

export const pin_fast = kernelOp(
  'pin_user_pages_fast(FOLL_PIN) of one subpage: lockless walk (PMD, then PTE), grab, then recheck the PMD, the entry, gup_must_unshare and mm->write_protect_seq; falls back (no pin) when it cannot pin locklessly.',
  ['seq', 'pmdsnap', 'snapshot', 'grabbed'],
  [
    {
      name: FAST.seq,
      run: (g, t) => {
        if (badMm(t, arg(t, 'mm')) || badSub(t, arg(t, 'sub'))) return done('EINVAL');
        const mm = mmOf(g, t);
        if (mm.write_protect_seq % 2 === 1) return done('fallback');
        t.l.seq = mm.write_protect_seq;
        t.l.pmdsnap = pmdSnapshot(mm);
        if (t.l.pmdsnap === 1) return done('fallback'); /* !pmd_present: gup_fast_pmd_range gives up */
        return FAST.grab;
      },
    },
    {
      name: FAST.grab,
      run: (g, t) => {
        const mm = mmOf(g, t);
        const i = arg(t, 'sub');
        let grabbed = 0;
        if (t.l.pmdsnap === 4) {
          /* the table the sampled PMD pointed to: still there (and still filled) until its entries are cleared */
          const e = mm.pte[i]!;
          t.l.snapshot = pteSnapshot(mm, i);
          grabbed = tryGrab(g, t, e, i);
        } else {
          /* gup_fast_pmd_leaf(): the folio of the sampled huge PMD, if it still is this THP */
          grabbed = tryGrab(g, t, PTE_PRESENT, i);
          t.l.snapshot = 0;
        }
        if (grabbed === 0) return done('fallback');
        t.l.grabbed = grabbed;
        return FAST.recheck;
      },
    },
    {
      name: FAST.recheck,
      run: (g, t) => {
        const mm = mmOf(g, t);
        const i = arg(t, 'sub');
        // 70cbc3cc78a9: the PTE path does not recheck the PMD (khugepaged may have cleared it and copied the page)
        const pmdChanged = pmdSnapshot(mm) !== t.l.pmdsnap && !(t.l.pmdsnap === 4 && t.bug('70cbc3cc78a9'));
        const pteChanged = t.l.pmdsnap === 4 && pteSnapshot(mm, i) !== t.l.snapshot;
        const entryWritable = t.l.pmdsnap === 4 ? t.l.snapshot! % 2 === 1 : t.l.pmdsnap === 3;
        /* gup_must_unshare(): judged on the page the grabbed entry maps */
        const page = t.l.grabbed! - 1;
        const excl =
          page >= t.params.nr
            ? g.copies[page - t.params.nr]!.anon_exclusive
            : t.l.pmdsnap === 4
              ? g.pages[page]!.anon_exclusive
              : g.pages[0]!.anon_exclusive;
        // a7f226604170: GUP-fast pins a page that is not exclusive without unsharing
        const mustUnshare = isAnon(t.params) && !entryWritable && !excl && !t.bug('a7f226604170');
        // 57efa1fe5957: no write_protect_seq retry
        const seqChanged = !t.bug('57efa1fe5957') && mm.write_protect_seq !== t.l.seq;
        if (pmdChanged || pteChanged || mustUnshare || seqChanged) {
          undoGrab(g, t, t.l.grabbed!);
          return done('fallback');
        }
        if (page < t.params.nr) g.user_pins[page]!++;
        g.pins.push({ mm: arg(t, 'mm'), sub: i, page });
        return done('ok');
      },
    },
  ],
);
