/**
 * GUP, slow path (mm/gup.c @ v5.10): pin_user_pages(FOLL_PIN) of one subpage
 * through follow_page_mask() → follow_trans_huge_pmd() / follow_page_pte() and
 * try_grab_page() under the PMD/PTE lock and mmap_lock for read, and
 * unpin_user_page(). A compound page counts pins in hpage_pinned_refcount
 * (v5.7+, 47e29d32afba "mm/gup: page->hpage_pinned_refcount: exact pin counts
 * for huge pages"); a small page by GUP_PIN_COUNTING_BIAS in _refcount.
 * No fault-in: an unmapped address returns -EFAULT.
 */
import { GUP_PIN_COUNTING_BIAS, PTE_MIGRATION, PTE_PRESENT, PageCompound, compound_head, get_page, isAnon, put_page } from './page.js';
import { pteOf } from './pgtable.js';
import { arg, badMm, badSub, done, kernelOp } from './steps.js';

export const pin = kernelOp(
  'pin_user_pages(FOLL_PIN) of one subpage through mm (follow_trans_huge_pmd / follow_page_pte + try_grab_page under the ptl); no fault-in.',
  [],
  [
    {
      name: 'follow_page_mask + try_grab_page',
      enabled: (g, t) => {
        const m = arg(t, 'mm');
        const i = arg(t, 'sub');
        if (badMm(t, m) || badSub(t, i)) return true;
        const mm = g.mms[m]!;
        /* a migration entry: wait for the split (migration_entry_wait) */
        if (mm.mmap_lock < 0 || mm.ptl !== 0 || pteOf(mm, i) === PTE_MIGRATION) return false;
        /* file, nothing mapped: faultin_page → filemap_fault sleeps in lock_page (e.g. behind a split) */
        const mapped = mm.pmd === 'huge' || pteOf(mm, i) === PTE_PRESENT;
        return mapped || isAnon(t.params) || g.pages[compound_head(g, i)]!.locked === 0;
      },
      run: (g, t) => {
        const m = arg(t, 'mm');
        const i = arg(t, 'sub');
        if (badMm(t, m) || badSub(t, i)) return done('EINVAL');
        const mm = g.mms[m]!;
        if (mm.pmd !== 'huge' && pteOf(mm, i) !== PTE_PRESENT) return done('EFAULT');
        if (PageCompound(g, i)) {
          get_page(g, i); /* head _refcount + 1 */
          g.compound_pincount++; /* hpage_pincount_add() */
        } else get_page(g, i, GUP_PIN_COUNTING_BIAS);
        g.user_pins[i]!++;
        return done('ok');
      },
    },
  ],
);

export const unpin = kernelOp('unpin_user_page() of a subpage pinned earlier.', [], [
  {
    name: 'unpin_user_page',
    run: (g, t) => {
      const i = arg(t, 'sub');
      if (badSub(t, i) || g.user_pins[i]! === 0) return done('EINVAL');
      g.user_pins[i]!--;
      if (PageCompound(g, i)) {
        g.compound_pincount--;
        put_page(g, t, i);
      } else put_page(g, t, i, GUP_PIN_COUNTING_BIAS);
      return done('ok');
    },
  },
]);
