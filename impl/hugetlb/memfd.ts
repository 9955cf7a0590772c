/**
 * memfd_create(MFD_HUGETLB) (mm/memfd.c alloc_file() -> hugetlb_file_setup(name,
 * 0, VM_NORESERVE, HUGETLB_ANONHUGE_INODE, ...) in fs/hugetlbfs/inode.c @
 * v6.12; in v6.1 SYSCALL_DEFINE2(memfd_create) makes the same call): an
 * inode on the kernel's internal hugetlbfs mount (hugetlbfs_vfsmount: no
 * size=, no min_size=, so no subpool limit), hugetlbfs_get_inode with its
 * resv_map (one region descriptor cached), i_size 0, clear_nlink (never
 * linked), hugetlb_reserve_pages of 0 pages (VM_NORESERVE: nothing), and
 * alloc_file_pseudo: an open descriptor. From then on it is a hugetlbfs file
 * like any other: ftruncate, mmap (which grows i_size), faults, fallocate,
 * close; the last close of an unmapped one evicts it (lifetime.ts).
 *
 * Model bounds (the probe answers them without a system call): file slot f
 * must be one of the internal mount's (EINVAL otherwise), and free: its
 * previous memfd evicted (EBUSY otherwise).
 */
import { done } from '../../checker/types.js';
import type { StepResult } from './labels.js';
import { type Op, type T, LOCALS, argInt } from './context.js';
import { type G, freshFile } from './state.js';

function hugetlbFileSetup(g: G, t: T): StepResult {
  const f = argInt(t, 'f');
  const mount = t.params.fileMount[f];
  if (mount === undefined || !t.params.mounts[mount]?.internal) return done('EINVAL');
  if (g.file[f]!.evicted === 0) return done('EBUSY');
  g.file[f] = { ...freshFile(t.params), size: 0, nlink: 0 };
  return done('ok');
}

export const memfdCreateOp: Op = {
  doc: 'memfd_create(MFD_HUGETLB) into file slot f: hugetlb_file_setup on the internal hugetlbfs mount (i_size 0, never linked, an open descriptor, no subpool limit)',
  locals: LOCALS,
  steps: [{ name: 'hugetlb_file_setup', run: hugetlbFileSetup }],
};
