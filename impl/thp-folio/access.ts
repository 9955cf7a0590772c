/**
 * Userspace loads and stores through an mm's page tables: a store is a write
 * fault when the entry is write-protected (wp.ts) followed by the store
 * itself; a load of a present page needs no lock (the MMU walks the tables).
 * A load of a migration entry waits (migration_entry_wait, mm/migrate.c @
 * v6.12) until remove_migration_ptes() restores it; a load of a range whose
 * PMD khugepaged cleared faults and waits for mmap_lock. A load of a swap PTE
 * faults it in (do_swap_page, impl/thp-folio/swap.ts).
 */
// Deliberate copy of impl/thp's access.ts where the kernel code is unchanged: the two implementations stay independently built (own state types, own kernel-version citations) so spec/thp judges each on its own.
import { loadData, targetOfSwap } from './cow.js';
import { isAnon } from './folio.js';
import { do_swap_page, swapFolioUnlocked } from './swap.js';
import { arg, badMm, badSub, done, kernelOp, mmOf } from './steps.js';
import { WP, faultResult, wpFaultSteps } from './wp.js';

const STORE = 'write done';

export const wp_fault = kernelOp(
  'A userspace write of value `val` (default 1) to subpage `sub` of a private anon mapping: do_huge_pmd_wp_page / do_wp_page when write-protected, then the store.',
  ['fault', 'unshare'],
  [
    {
      name: 'write access',
      run: (g, t) => {
        if (badMm(t, arg(t, 'mm')) || badSub(t, arg(t, 'sub')) || !isAnon(t.params)) return done('EINVAL');
        if (!mmOf(g, t).vm_write) return done('EFAULT'); /* access_error(): SIGSEGV on a read-only VMA */
        return WP.entry;
      },
    },
    ...wpFaultSteps(STORE, true),
    {
      name: STORE,
      run: (_g, t) => done(faultResult(t.l.fault!)),
    },
  ],
);

export const read = kernelOp(
  'A userspace load of subpage `sub` through mm: the data of the page it maps, or nomap.',
  [],
  [
    {
      name: 'load (userspace read)',
      enabled: (g, t) => {
        const m = arg(t, 'mm');
        const i = arg(t, 'sub');
        if (badMm(t, m) || badSub(t, i)) return true;
        const mm = g.mms[m]!;
        if (mm.pmd === 'collapsing') return false; /* the fault waits for khugepaged's mmap_lock */
        const kind = targetOfSwap(mm, i).kind;
        /* nothing mapped: the load faults (mmap_lock for read, then the ptl) before it could report nomap */
        if (kind === 'none') return mm.mmap_lock >= 0 && mm.ptl === 0;
        /* a swap PTE: do_swap_page() under mmap_lock (read), the swap cache folio's lock and the ptl */
        if (kind === 'swap') return mm.mmap_lock >= 0 && mm.ptl === 0 && swapFolioUnlocked(g, t, mm.pte[i]!);
        return kind !== 'migration' && mm.pmd !== 'splitting';
      },
      run: (g, t) => {
        if (badMm(t, arg(t, 'mm')) || badSub(t, arg(t, 'sub'))) return done('EINVAL');
        const mm = mmOf(g, t);
        const i = arg(t, 'sub');
        const kind = targetOfSwap(mm, i).kind;
        if (kind === 'none') return done('nomap');
        if (kind === 'swap') do_swap_page(g, t, mm, i, false); /* a read fault maps it again */
        if (kind === 'thp' && (g.pages[i]!.freed || (!isAnon(t.params) && !g.pages[i]!.in_cache))) return done('nomap');
        return done(loadData(g, mm, i));
      },
    },
  ],
);
