/**
 * VMA-level entry points that split or zap the THP's PMD: split_huge_pmd()
 * from a page-table walker under mmap_lock for read, mprotect()/mlock() of
 * part of the range (split_vma → vma_adjust_trans_huge → split_huge_pmd at the
 * border, mm/huge_memory.c @ v5.10) and munmap() (__split_vma at a border
 * inside the VMA, whose vma_adjust_trans_huge splits the PMD first; then
 * mm/mmap.c unmap_region → mm/memory.c zap_pmd_range: zap_huge_pmd for the
 * whole THP, zap_pte_range otherwise), all under mmap_lock for write.
 */
import {
  PTE_COPY,
  PTE_NONE,
  PTE_PRESENT,
  isAnon,
  isCopyPte,
  isSwapPte,
  swp_offset,
  put_page,
  type ThpParams,
  type ThpState,
  type T,
} from './page.js';
import { free_swap_and_cache } from './swap.js';
import { put_copy } from './cow.js';
import { page_remove_rmap } from './rmap.js';
import { SPLIT_PMD, splitHugePmdSteps, type SplitPmdStep } from './split-pmd.js';
import {
  arg,
  assertPtlHeld,
  badMm,
  done,
  kernelOp,
  mmOf,
  mmap_read_unlock,
  mmap_write_unlock,
  pmd_lock,
  spin_unlock_ptl,
  type KStep,
} from './steps.js';
import type { OpDef } from '../../checker/types.js';
import { vmaTreeChange, vmaTreeWriteOk, type VmaChange } from '../thp-common/rmap-walk.js';
import { vmaFlagsChange, vmaHugeSuitable } from '../thp-common/vma-layout.js';

type Op = OpDef<ThpState, ThpParams>;

export const split_huge_pmd = kernelOp(
  'split_huge_pmd(vma, pmd, addr) from a page-table walker holding mmap_lock for read ("Graceful fallback"); never fails.',
  ['i', 'page_locked'],
  [
    {
      name: 'mmap_read_lock',
      enabled: (g, t) => badMm(t, arg(t, 'mm')) || mmOf(g, t).mmap_lock >= 0,
      run: (g, t) => {
        if (badMm(t, arg(t, 'mm'))) return done('EINVAL');
        mmOf(g, t).mmap_lock++;
        return SPLIT_PMD.entry;
      },
    },
    ...splitHugePmdSteps('mmap_read_unlock'),
    {
      name: 'mmap_read_unlock',
      run: (g, t) => {
        mmap_read_unlock(mmOf(g, t));
        return done('ok');
      },
    },
  ],
);

export const badRange = (t: Parameters<typeof arg>[0]): boolean => {
  const from = arg(t, 'from');
  const to = arg(t, 'to');
  return badMm(t, arg(t, 'mm')) || from < 0 || to > t.params.nr || from >= to;
};

/** The anon_vma lock for write that re-inserting mm's VMAs over [from, to) takes (impl/thp-common/rmap-walk.ts). */
export const vmaChangeOk = (g: Readonly<ThpState>, t: T, c: VmaChange): boolean =>
  badRange(t) || vmaTreeWriteOk(g, t, arg(t, 'mm'), arg(t, 'from'), arg(t, 'to'), c);

const SPLIT_VMA = '__split_vma / vma_merge: anon_vma_lock_write + re-insert the pieces + mmap_write_unlock';

/**
 * mprotect/mlock/munlock of [from, to): split_vma → vma_adjust_trans_huge() splits a PMD straddling the new border
 * (for a range that is not the whole THP and whose flags the op changes, and only while one VMA covers the THP's range:
 * split_huge_pmd_if_needed() @ v6.1 / pmd_split_required() @ v6.12 (mm/huge_memory.c) want the PMD range inside the
 * VMA that is cut, and a VMA already cut inside the range has no huge PMD to split); then the VMAs split or merge with
 * their flags (`change`: mprotect_fixup() / mlock_fixup(), impl/thp-common/rmap-walk.ts).
 */
function borderSplitOp(doc: string, change: (t: T) => VmaChange): Op {
  return kernelOp(
    doc,
    ['i', 'page_locked'],
    [
      {
        name: 'mmap_write_lock',
        enabled: (g, t) => badMm(t, arg(t, 'mm')) || mmOf(g, t).mmap_lock === 0,
        run: (g, t) => {
          if (badRange(t)) return done('EINVAL');
          mmOf(g, t).mmap_lock = -1;
          const partial = arg(t, 'from') > 0 || arg(t, 'to') < t.params.nr;
          /* newflags == oldflags: mprotect_fixup()/mlock_fixup() return before __split_vma() (an anon scenario keeps the flags) */
          const c = change(t);
          const changes =
            t.params.kind !== 'anon' ||
            c === 'munmap' ||
            c === 'move' ||
            vmaFlagsChange(mmOf(g, t), arg(t, 'from'), arg(t, 'to'), c);
          /* vma_adjust_trans_huge() → split_huge_pmd_if_needed() / split_huge_leaf() at the new border: only where the
             PMD range lies in the VMA being cut (range_in_vma), i.e. one VMA covers the THP's range; else no PTL is taken */
          return partial && changes && vmaHugeSuitable(mmOf(g, t), t.params.nr) ? SPLIT_PMD.entry : SPLIT_VMA;
        },
      },
      ...splitHugePmdSteps(SPLIT_VMA),
      {
        name: SPLIT_VMA,
        enabled: (g, t) => vmaChangeOk(g, t, change(t)),
        run: (g, t) => {
          /* __split_vma() at each border / vma_merge(): the PMD was split above (vma_adjust_trans_huge), then anon_vma_lock_write re-inserts the pieces */
          vmaTreeChange(g, t, arg(t, 'mm'), arg(t, 'from'), arg(t, 'to'), change(t));
          mmap_write_unlock(mmOf(g, t));
          return done('ok');
        },
      },
    ],
  );
}

export const mprotect = borderSplitOp(
  'mprotect(addr range) of part of the THP, adding PROT_EXEC (exec 1, default) or back to the flags of the rest (exec 0): split_vma → vma_adjust_trans_huge → split_huge_pmd at the border, or vma_merge with the neighbours whose flags it takes; the page is not split.',
  (t) => (arg(t, 'exec') === 0 ? 'noexec' : 'exec'),
);
export const mlock = borderSplitOp(
  'mlock(addr range) of part of the THP: "the PMD on border of VM_LOCKED VMA will be split into PTE table" (transhuge.rst); never split_huge_page.',
  () => 'lock',
);
export const munlock = borderSplitOp(
  'munlock(addr range) of part of the THP: mlock_fixup clears VM_LOCKED, split_vma at a new border (the PMD split there) or vma_merge with unlocked neighbours.',
  () => 'unlock',
);

const ZAP = {
  pmdClear: 'zap_huge_pmd: __pmd_trans_huge_lock + pmdp_huge_get_and_clear_full',
  pmdRmap: 'zap_huge_pmd: page_remove_rmap(compound) + put_page + spin_unlock',
  pteClear: 'zap_pte_range: ptep_get_and_clear_full',
  pteRmap: 'zap_pte_range: page_remove_rmap + put_page + pte_unmap_unlock',
} as const;
type ZapStep = (typeof ZAP)[keyof typeof ZAP];

/**
 * zap_pmd_range() on the PMD as it reads it: a huge PMD (THP or huge zero
 * page; also one pmdp_invalidate()d mid-split) covering the whole range is
 * zapped by zap_huge_pmd, one covering part of it is split first; a page
 * table goes to zap_pte_range; pmd_none is skipped ("goto next"). Returns the
 * next step, or undefined when there is nothing to zap.
 */
export function zapPmdRange(g: ThpState, t: Parameters<typeof arg>[0]): ZapStep | typeof SPLIT_PMD.entry | undefined {
  const mm = mmOf(g, t);
  const whole = arg(t, 'from') === 0 && arg(t, 'to') === t.params.nr;
  /* is_swap_pmd(): a PMD migration entry is zapped or split like a huge PMD */
  if (mm.pmd === 'huge' || mm.pmd === 'zero' || mm.pmd === 'splitting' || mm.pmd === 'migration')
    return whole ? ZAP.pmdClear : SPLIT_PMD.entry;
  if (mm.pmd === 'foreign') {
    if (!whole) return SPLIT_PMD.entry;
    mm.pmd = 'none'; /* the collapsed huge page is not tracked: zap_huge_pmd drops it */
    mm.foreign_data.fill(0);
    return undefined;
  }
  return mm.pmd === 'table' ? ZAP.pteClear : undefined;
}

/** zap_huge_pmd / __split_huge_pmd + zap_pte_range on [from, to) of mm, continuing at `cont`. */
export function zapSteps<C extends string>(cont: C, split = true): KStep<ZapStep | SplitPmdStep | C>[] {
  return [
    ...(split ? splitHugePmdSteps(ZAP.pteClear) : []),
    {
      name: ZAP.pmdClear,
      enabled: (g, t) => mmOf(g, t).ptl === 0,
      run: (g, t) => {
        const mm = mmOf(g, t);
        /* __pmd_trans_huge_lock(): re-check under the ptl; a split or split_huge_page may have changed it */
        if (mm.pmd !== 'huge' && mm.pmd !== 'zero' && mm.pmd !== 'migration') return ZAP.pteClear;
        const normap = mm.pmd !== 'huge';
        pmd_lock(mm, t);
        mm.pmd = 'none';
        mm.pmd_write = false;
        mm.pmd_dirty = false;
        if (!normap) return ZAP.pmdRmap;
        /* is_huge_zero_pmd(): mm_put_huge_zero_page(); a migration entry holds no mapcount nor reference */
        spin_unlock_ptl(mm, t);
        return cont;
      },
    },
    {
      name: ZAP.pmdRmap,
      run: (g, t) => {
        assertPtlHeld(mmOf(g, t), t);
        page_remove_rmap(g, t, 0, true);
        put_page(g, t, 0);
        spin_unlock_ptl(mmOf(g, t), t);
        return cont;
      },
    },
    {
      name: ZAP.pteClear,
      enabled: (g, t) => mmOf(g, t).ptl === 0,
      run: (g, t) => {
        const mm = mmOf(g, t);
        if (mm.pmd !== 'table') return cont;
        pmd_lock(mm, t);
        let zapped = 0;
        for (let i = arg(t, 'from'); i < arg(t, 'to'); i++) {
          const e = mm.pte[i]!;
          if (e === PTE_PRESENT) zapped |= 1 << i;
          if (isSwapPte(e)) free_swap_and_cache(g, t, swp_offset(e)); /* zap_pte_range(): a swap entry */
          mm.pte[i] = PTE_NONE; /* present, zero, foreign, migration and swap entries alike */
          mm.pte_write[i] = false;
          mm.pte_dirty[i] = false;
          if (isCopyPte(e)) {
            /* a COW copy: page_remove_rmap + put_page in the same loop iteration under the PTL */
            g.copies[e - PTE_COPY]!.mapcount--;
            put_copy(g, e - PTE_COPY);
          }
        }
        t.l.zapped = zapped;
        return ZAP.pteRmap;
      },
    },
    {
      name: ZAP.pteRmap,
      run: (g, t) => {
        assertPtlHeld(mmOf(g, t), t);
        for (let i = 0; i < t.params.nr; i++) {
          if (!(t.l.zapped! & (1 << i))) continue;
          page_remove_rmap(g, t, i, false);
          put_page(g, t, i);
        }
        spin_unlock_ptl(mmOf(g, t), t);
        return cont;
      },
    },
  ];
}

const DONTNEED = {
  lock: 'madvise: mmap_read_lock',
  check: 'zap_pmd_range: pmd_trans_huge(*pmd) / pmd_none_or_trans_huge_or_clear_bad (lockless)',
  unlock: 'madvise: mmap_read_unlock',
} as const;

/**
 * MADV_DONTNEED runs under mmap_lock for read, so zap_pmd_range() reads the
 * PMD without any lock while change_huge_pmd(), faults and splits run: a PMD
 * it reads as none is skipped. The VMA and its page table stay.
 */
export const madvise_dontneed = kernelOp(
  'madvise(MADV_DONTNEED) of [from, to) of a private anon range: zap_page_range under mmap_lock for read (lockless pmd check, then zap_huge_pmd / __split_huge_pmd + zap_pte_range); the page table stays.',
  ['i', 'page_locked', 'zapped'],
  [
    {
      name: DONTNEED.lock,
      enabled: (g, t) => badMm(t, arg(t, 'mm')) || mmOf(g, t).mmap_lock >= 0,
      run: (g, t) => {
        if (badRange(t) || !isAnon(t.params)) return done('EINVAL');
        mmOf(g, t).mmap_lock++;
        return DONTNEED.check;
      },
    },
    {
      name: DONTNEED.check,
      run: (g, t) => zapPmdRange(g, t) ?? DONTNEED.unlock,
    },
    ...zapSteps(DONTNEED.unlock),
    {
      name: DONTNEED.unlock,
      run: (g, t) => {
        mmap_read_unlock(mmOf(g, t));
        return done('ok');
      },
    },
  ],
);

/** mprotect(PROT_READ) of the whole range: mprotect_fixup clears VM_WRITE, change_protection write-protects. */
export const mprotect_ro = kernelOp(
  'mprotect(PROT_READ) of the whole private anon range: mprotect_fixup clears VM_WRITE (VM_MAYWRITE stays), change_protection → change_huge_pmd / change_pte_range write-protect the entries under the ptl.',
  [],
  [
    {
      name: 'mmap_write_lock + mprotect_fixup',
      enabled: (g, t) =>
        badMm(t, arg(t, 'mm')) ||
        (mmOf(g, t).mmap_lock === 0 && vmaTreeWriteOk(g, t, arg(t, 'mm'), 0, t.params.nr, 'noexec')),
      run: (g, t) => {
        if (badMm(t, arg(t, 'mm')) || !isAnon(t.params)) return done('EINVAL');
        const mm = mmOf(g, t);
        mm.mmap_lock = -1;
        mm.vm_write = false;
        /* PROT_READ: VM_EXEC goes too, so VMAs that differed only by it merge (vma_merge per mprotect_fixup) */
        vmaTreeChange(g, t, arg(t, 'mm'), 0, t.params.nr, 'noexec');
        return 'change_protection (ptl) + mmap_write_unlock';
      },
    },
    {
      name: 'change_protection (ptl) + mmap_write_unlock',
      enabled: (g, t) => mmOf(g, t).ptl === 0,
      run: (g, t) => {
        const mm = mmOf(g, t);
        mm.pmd_write = false; /* change_huge_pmd: pmdp_invalidate + pmd_modify */
        mm.pte_write.fill(false); /* change_pte_range: ptep_modify_prot_start/commit */
        mmap_write_unlock(mm);
        return done('ok');
      },
    },
  ],
);

const NUMA = {
  lock: 'task_numa_work: mmap_read_lock',
  change: 'change_huge_pmd(prot_numa): pmd_lock + pmdp_invalidate + set_pmd_at(pmd_modify(PAGE_NONE))',
  set: 'change_huge_pmd: set_pmd_at(pmd_modify(entry)) + spin_unlock',
  unlock: 'task_numa_work: mmap_read_unlock',
} as const;

/**
 * NUMA balancing: change_prot_numa() makes the huge PMD PROT_NONE under
 * mmap_lock for read; the next access takes a hinting fault
 * (do_huge_pmd_numa_page) that restores the same entry. The model does not
 * keep the PROT_NONE bit nor migrate: what it keeps is that the PMD is never
 * none in between (pmdp_invalidate, ced108037c2a); the zero page is skipped.
 */
export const numa_hint = kernelOp(
  'NUMA hinting on the range: task_numa_work → change_prot_numa → change_huge_pmd(prot_numa) under mmap_lock for read, and the hinting fault that restores the entry (no migration).',
  [],
  [
    {
      name: NUMA.lock,
      enabled: (g, t) => badMm(t, arg(t, 'mm')) || mmOf(g, t).mmap_lock >= 0,
      run: (g, t) => {
        if (badMm(t, arg(t, 'mm')) || !isAnon(t.params)) return done('EINVAL');
        mmOf(g, t).mmap_lock++;
        return NUMA.change;
      },
    },
    {
      name: NUMA.change,
      enabled: (g, t) => mmOf(g, t).ptl === 0,
      run: (g, t) => {
        const mm = mmOf(g, t);
        /* a page table: change_pte_range(prot_numa) is not modelled; the huge zero PMD is skipped */
        if (mm.pmd !== 'huge') return NUMA.unlock;
        // ced108037c2a: pmdp_huge_get_and_clear_notify() leaves the PMD none until set_pmd_at()
        if (t.bug('ced108037c2a')) {
          pmd_lock(mm, t);
          mm.pmd = 'none';
          return NUMA.set;
        }
        return NUMA.unlock; /* pmdp_invalidate: the PMD stays huge for lockless walkers */
      },
    },
    {
      name: NUMA.set,
      run: (g, t) => {
        const mm = mmOf(g, t);
        mm.pmd = 'huge';
        spin_unlock_ptl(mm, t);
        return NUMA.unlock;
      },
    },
    {
      name: NUMA.unlock,
      run: (g, t) => {
        mmap_read_unlock(mmOf(g, t));
        return done('ok');
      },
    },
  ],
);
