/**
 * GUP-fast (mm/gup.c @ v5.13 lockless_pages_from_mm → gup_pgd_range →
 * gup_huge_pmd / gup_pte_range): no mmap_lock and no page-table lock. It
 * samples mm->write_protect_seq (an odd value means fork() is
 * write-protecting: fall back), reads the PMD/PTE locklessly, grabs the page
 * (try_grab_compound_head: fails on a frozen refcount), then re-reads the
 * entry and the sequence and drops the pin if either changed
 * ("grab-then-recheck"). Anything it cannot handle falls back to the slow
 * path (gup.ts), which this op reports as 'fallback' without pinning.
 * A page that is write-protected (anon: possibly shared) is left to the slow
 * path, which breaks COW first.
 */
import { put_copy, targetOf } from './cow.js';
import { GUP_PIN_COUNTING_BIAS, PageCompound, isAnon, put_page, type MmT, type T, type ThpState } from './page.js';
import { arg, badMm, badSub, done, kernelOp, mmOf } from './steps.js';

type G = ThpState;

const FAST = {
  seq: 'lockless_pages_from_mm: raw_read_seqcount(&mm->write_protect_seq)',
  grab: 'gup_pte_range / gup_huge_pmd: READ_ONCE(entry) + try_grab_compound_head',
  recheck: 'gup_pte_range / gup_huge_pmd: entry changed? read_seqcount_retry?',
} as const;

/** What the lockless walk saw at virtual page i: the entry's identity and write bit, as one integer. */
function entrySnapshot(mm: Readonly<MmT>, i: number): number {
  if (mm.pmd === 'huge') return mm.pmd_write ? -3 : -2;
  if (mm.pmd !== 'table') return -1;
  return mm.pte[i]! * 2 + (mm.pte_write[i] ? 1 : 0);
}

/** try_grab_compound_head(FOLL_PIN) / try_grab_page(): returns the page id grabbed + 1, or 0 on failure. */
function tryGrab(g: G, t: T, mm: MmT, i: number): number {
  const tg = targetOf(mm, i);
  if (tg.kind === 'copy') {
    const c = g.copies[tg.k]!;
    if (c.refcount <= 0) return 0;
    c.refcount += GUP_PIN_COUNTING_BIAS;
    return t.params.nr + tg.k + 1;
  }
  if (tg.kind !== 'thp') return 0;
  const head = PageCompound(g, i) ? 0 : i;
  if (g.pages[head]!.refcount <= 0) return 0; /* page_cache_add_speculative() on a frozen/free page */
  if (PageCompound(g, i)) {
    g.pages[0]!.refcount++;
    g.compound_pincount++;
  } else g.pages[i]!.refcount += GUP_PIN_COUNTING_BIAS;
  return i + 1;
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

export const pin_fast = kernelOp(
  'pin_user_pages_fast(FOLL_PIN) of one subpage: lockless walk, grab, then recheck the entry and mm->write_protect_seq; falls back (no pin) when it cannot pin locklessly.',
  ['seq', 'snapshot', 'grabbed'],
  [
    {
      name: FAST.seq,
      run: (g, t) => {
        if (badMm(t, arg(t, 'mm')) || badSub(t, arg(t, 'sub'))) return done('EINVAL');
        const seq = mmOf(g, t).write_protect_seq;
        if (seq % 2 === 1) return done('fallback');
        t.l.seq = seq;
        return FAST.grab;
      },
    },
    {
      name: FAST.grab,
      run: (g, t) => {
        const mm = mmOf(g, t);
        const i = arg(t, 'sub');
        const writable = mm.pmd === 'huge' ? mm.pmd_write : mm.pmd === 'table' && mm.pte_write[i]!;
        if (isAnon(t.params) && !writable)
          return done('fallback'); /* gup_must_unshare() / !pte_write with FOLL_WRITE */
        const grabbed = tryGrab(g, t, mm, i);
        if (grabbed === 0) return done('fallback');
        t.l.snapshot = entrySnapshot(mm, i);
        t.l.grabbed = grabbed;
        return FAST.recheck;
      },
    },
    {
      name: FAST.recheck,
      run: (g, t) => {
        const mm = mmOf(g, t);
        const i = arg(t, 'sub');
        // 57efa1fe5957: no write_protect_seq retry, only the entry recheck
        const seqChanged = !t.bug('57efa1fe5957') && mm.write_protect_seq !== t.l.seq;
        if (entrySnapshot(mm, i) !== t.l.snapshot || seqChanged) {
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
