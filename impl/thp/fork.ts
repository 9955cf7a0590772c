/**
 * fork(): dup_mmap() (kernel/fork.c @ v5.10) under both mms' mmap_lock for
 * write → anon_vma_fork() (the child's VMA linked after its parent's, so rmap
 * walks see parents first) → copy_page_range() → copy_huge_pmd() /
 * copy_pte_range() with page_dup_rmap() under both PTLs. Shared file VMAs are
 * not copied (the child faults them in later). One step: no lock is dropped
 * between the copies of the modelled range.
 */
import { PTE_PRESENT, get_page, isAnon } from './page.js';
import { page_add_anon_rmap } from './rmap.js';
import { arg, badMm, done, kernelOp } from './steps.js';

export const fork = kernelOp(
  'fork(): dup_mmap → anon_vma_fork (child linked after the parent) → copy_page_range (copy_huge_pmd / copy_pte_range, page_dup_rmap); shared file VMAs are not copied.',
  [],
  [
    {
      name: 'dup_mmap: anon_vma_fork + copy_page_range',
      enabled: (g, t) => {
        const s = arg(t, 'src');
        const d = arg(t, 'dst');
        if (badMm(t, s) || badMm(t, d) || s === d) return true;
        const src = g.mms[s]!;
        const dst = g.mms[d]!;
        return src.mmap_lock === 0 && dst.mmap_lock === 0 && src.ptl === 0 && dst.ptl === 0;
      },
      run: (g, t) => {
        const s = arg(t, 'src');
        const d = arg(t, 'dst');
        if (badMm(t, s) || badMm(t, d) || s === d) return done('EINVAL');
        const src = g.mms[s]!;
        const dst = g.mms[d]!;
        if (!isAnon(t.params)) return done('ok'); /* shared file VMA: the child faults it in later */
        if (dst.pmd !== 'none') return done('EEXIST');
        if (src.pmd !== 'none' && !g.avc.includes(d) && g.avc.includes(s)) g.avc.push(d);
        if (src.pmd === 'huge') {
          get_page(g, 0);
          page_add_anon_rmap(g, 0, true); /* copy_huge_pmd(): page_dup_rmap(src_page, true) */
          dst.pmd = 'huge';
        } else if (src.pmd === 'foreign') dst.pmd = 'foreign';
        else if (src.pmd === 'table') {
          dst.pmd = 'table';
          for (let i = 0; i < t.params.nr; i++) {
            const e = src.pte[i]!;
            dst.pte[i] = e; /* copy_pte_range(): migration entries are copied as they are */
            if (e === PTE_PRESENT) {
              get_page(g, i);
              page_add_anon_rmap(g, i, false);
            }
          }
        }
        return done('ok');
      },
    },
  ],
);
