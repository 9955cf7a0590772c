/**
 * fork of a private hugetlb VMA (dup_mmap under mmap_lock (write)): the child
 * gets no reserve map (hugetlb_vm_op_open / vm_private_data = NULL) and the
 * anonymous pages are shared write-protected (copy_hugetlb_page_range).
 */
import { done } from '../../checker/types.js';
import { LOCALS, argInt, isShared, type Op } from './context.js';
import { emptyVma, V_FREE, V_LIVE } from './state.js';

export const forkOp: Op = {
  doc: 'fork of a MAP_PRIVATE hugetlb VMA: child gets no reserve map (vm_private_data = NULL), anon pages shared COW (copy_hugetlb_page_range)',
  locals: LOCALS,
  steps: [
    {
      name: 'dup_mmap',
      enabled(g, t) {
        const v = g.vma[argInt(t, 'v')];
        return !v || v.st !== V_LIVE || v.users === 0; // mmap_lock (write)
      },
      run(g, t) {
        const parentSlot = argInt(t, 'v');
        const childSlot = argInt(t, 'c');
        const v = g.vma[parentSlot];
        const slot = g.vma[childSlot];
        if (
          !v ||
          !slot ||
          parentSlot === childSlot ||
          v.st !== V_LIVE ||
          slot.st !== V_FREE ||
          isShared(v.kind) ||
          v.peer !== -1
        )
          return done('EINVAL');
        const child = emptyVma();
        child.st = V_LIVE;
        child.kind = v.kind;
        child.src = v.src;
        child.pf = v.pf;
        child.from = v.from;
        child.to = v.to;
        child.fam = v.fam;
        child.ro = v.ro; // dup_mmap copies vm_flags
        child.anon = v.anon.slice();
        child.cow = v.anon.slice();
        child.dat = v.dat.slice(); // the pages are shared: each side reads the same data until one writes
        child.an = v.an.slice(); // ... and sit on the same nodes
        child.pcm = v.pcm.slice(); // copy_hugetlb_page_range copies the read-only file ptes too
        child.av = v.av; // anon_vma_fork() (mm/rmap.c @ v6.1, v6.12): "Don't bother if the parent process has no anon_vma"
        child.peer = parentSlot;
        g.vma[childSlot] = child;
        v.cow = v.anon.slice();
        v.peer = childSlot;
        return done('ok');
      },
    },
  ],
};
