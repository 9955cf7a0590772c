/**
 * madvise(MADV_DONTNEED) of a hugetlb range (mm/madvise.c
 * madvise_dontneed_free() @ v6.12, under mmap_lock (read)):
 * zap_page_range_single -> __hugetlb_zap_begin (the VMA lock and
 * i_mmap_rwsem for write, so it waits for faults on the VMA) ->
 * __unmap_hugepage_range (zap.ts) -> __hugetlb_zap_end. The mapping stays;
 * the next fault instantiates a page again.
 */
import { done } from '../../checker/types.js';
import { LOCALS, argInt, isShared, type Op } from './context.js';
import { V_LIVE } from './state.js';
import { unshareRange } from './pmd-share.js';
import { unmapHugepageRange } from './zap.js';

export const madviseDontneedOp: Op = {
  doc: 'madvise(MADV_DONTNEED) of [from, to) of a VMA: zap_page_range_single -> __unmap_hugepage_range (the owner gets its reservations back unless surplus pages exist)',
  locals: LOCALS,
  steps: [
    {
      name: 'zap_page_range_single',
      // hugetlb_vma_lock_write: no fault holds the VMA lock (read)
      enabled(g, t) {
        const v = g.vma[argInt(t, 'v')];
        return !v || v.st !== V_LIVE || v.users === 0;
      },
      run(g, t) {
        const from = argInt(t, 'from');
        const to = argInt(t, 'to');
        if (to < from) return done('EINVAL'); // end < start
        if (to === from) return done('ok'); // len 0
        const v = g.vma[argInt(t, 'v')];
        if (!v || v.st !== V_LIVE) return done('ENOMEM'); // nothing mapped there: -ENOMEM
        const start = Math.max(from, v.from);
        const end = Math.min(to, v.to);
        // a shared page table of the range is unshared whole first (__unmap_hugepage_range, pmd-share.ts)
        unshareRange(g, t, v, start, end);
        // shared mappings: only their PTEs go (huge_ptep_get_and_clear, page_remove_rmap in
        // __unmap_hugepage_range @ v6.1), the file keeps its pages: a later UFFDIO_CONTINUE maps them
        if (isShared(v.kind)) v.pcm = v.pcm.filter((i) => i < start || i >= end);
        else if (start < end) unmapHugepageRange(g, t, v, start, end);
        // madvise_walk_vmas: part of the range not mapped -> -ENOMEM after advising the rest
        return done(from >= v.from && to <= v.to ? 'ok' : 'ENOMEM');
      },
    },
  ],
};
