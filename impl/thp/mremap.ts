/**
 * mremap(2) of the whole range to another address and back: the model has
 * one address per process, and the probe runs mremap(MREMAP_MAYMOVE |
 * MREMAP_FIXED) there and back. mm/mremap.c move_vma() → move_page_tables()
 * @ v6.1, under mmap_lock for write. Per PMD:
 *   - a huge PMD (THP, huge zero page, a collapsed huge page) whose extent is
 *     a whole PMD at both ends is moved intact by move_huge_pmd()
 *     (mm/huge_memory.c @ v6.1: the old PMD lock and the new one,
 *     pmdp_huge_get_and_clear() + set_pmd_at(), the deposited page table
 *     moves along);
 *   - otherwise split_huge_pmd(vma, old_pmd, old_addr) splits it first and
 *     move_ptes() moves its PTEs (old and new PTE locks);
 *   - a page table whose extent is a whole PMD moves by move_normal_pmd()
 *     (CONFIG_HAVE_MOVE_PMD on x86), otherwise by move_ptes().
 * Pages, their data, mapcounts and pins stay as they are: only where they are
 * mapped moves. Simplification: both moves run under one mmap_lock hold, so
 * no other op sees the range at the temporary address.
 */
import { vmaTreeChange, vmaTreeWriteOk } from '../thp-common/rmap-walk.js';
import { isHugePmd, MREMAP, mremapDoc, vmaToResizeFails, type MremapStep } from '../thp-common/mremap.js';
import { SPLIT_PMD, splitHugePmdSteps } from './split-pmd.js';
import { arg, badMm, done, kernelOp, mmOf, mmap_write_unlock, pmd_lock, spin_unlock_ptl, type KStep } from './steps.js';

const steps: KStep<MremapStep | (typeof SPLIT_PMD)[keyof typeof SPLIT_PMD]>[] = [
  {
    name: MREMAP.lock,
    enabled: (g, t) =>
      badMm(t, arg(t, 'mm')) ||
      (mmOf(g, t).mmap_lock === 0 &&
        (vmaToResizeFails(mmOf(g, t), t.params.nr) || vmaTreeWriteOk(g, t, arg(t, 'mm'), 0, t.params.nr, 'move'))),
    run: (g, t) => {
      if (badMm(t, arg(t, 'mm'))) return done('EINVAL');
      /* vma_to_resize() under mmap_lock for write: not one VMA over the range, -EFAULT, nothing moved */
      if (vmaToResizeFails(mmOf(g, t), t.params.nr)) return done('EFAULT');
      mmOf(g, t).mmap_lock = -1;
      /* move_vma() → copy_vma(): the new VMA (same vm_pgoff) is inserted after its equals, the old one unlinked */
      vmaTreeChange(g, t, arg(t, 'mm'), 0, t.params.nr, 'move');
      const pmd = mmOf(g, t).pmd;
      if (isHugePmd(pmd)) return arg(t, 'aligned') === 1 ? MREMAP.huge : SPLIT_PMD.entry;
      return pmd === 'table' ? MREMAP.ptes : MREMAP.unlock;
    },
  },
  {
    name: MREMAP.huge,
    enabled: (g, t) => mmOf(g, t).ptl === 0,
    run: (g, t) => {
      const mm = mmOf(g, t);
      /* __pmd_trans_huge_lock(): re-check under the ptl (split_huge_page may have remapped it by PTEs) */
      if (!isHugePmd(mm.pmd)) return mm.pmd === 'table' ? MREMAP.ptes : MREMAP.unlock;
      pmd_lock(mm, t);
      spin_unlock_ptl(mm, t); /* there and back: the same PMD at the same address */
      return MREMAP.unlock;
    },
  },
  ...splitHugePmdSteps(MREMAP.ptes),
  {
    name: MREMAP.ptes,
    enabled: (g, t) => mmOf(g, t).ptl === 0,
    run: (g, t) => {
      const mm = mmOf(g, t);
      if (mm.pmd !== 'table') return MREMAP.unlock;
      pmd_lock(mm, t);
      spin_unlock_ptl(mm, t); /* there and back: the same PTEs at the same addresses */
      return MREMAP.unlock;
    },
  },
  {
    name: MREMAP.unlock,
    run: (g, t) => {
      mmap_write_unlock(mmOf(g, t));
      return done('ok');
    },
  },
];

export const mremap = kernelOp(mremapDoc('v6.1'), ['i', 'page_locked'], steps);
