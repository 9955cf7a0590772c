/**
 * hugetlb reservation accounting, kernel-faithful: the functions of
 * mm/hugetlb.c and fs/hugetlbfs/inode.c (names as in v6.1), one file per
 * kernel entry point, each operation a list of atomic steps split where the
 * kernel takes or drops hugetlb_lock, a resv_map lock, the fault mutex,
 * inode_lock or i_mmap_rwsem (see context.ts for how locks are kept).
 *
 * Buggy variants are `t.bug('NAME')` checks next to the correct code.
 */
import type { OpDef } from '../../checker/types.js';
import { dissolveOp } from './dissolve.js';
import { memfdCreateOp } from './memfd.js';
import { fallocateOp } from './fallocate.js';
import { faultOp } from './fault.js';
import { forkOp } from './fork.js';
import { closeOp, umountOp, unlinkOp } from './lifetime.js';
import { madviseDontneedOp } from './madvise.js';
import { softOfflineOp } from './migrate.js';
import { mmapOp } from './mmap.js';
import { pinOp, unpinOp } from './pin.js';
import { udmabufOp } from './udmabuf.js';
import { munmapOp } from './munmap.js';
import { mountOp, setNrOp, setOvercommitOp } from './pool.js';
import { nodeGuard, setNrNodeOp } from './nodes.js';
import type { G, ImplParams } from './state.js';
import type { Op } from './context.js';
import { mprotectOp, mremapOp } from './surgery.js';
import { punchOp, truncateOp } from './truncate.js';
import { uffdContinueOp, uffdCopyOp } from './uffd.js';
import { uffdRegisterOp } from './uffd-register.js';

export { hugepageSubpoolGetPages, hugepageSubpoolPutPages } from './subpool.js';

const ALL: Readonly<Record<string, Op>> = {
  set_nr: setNrOp,
  set_nr_node: setNrNodeOp,
  set_overcommit: setOvercommitOp,
  mount: mountOp,
  mmap: mmapOp,
  fault: faultOp,
  uffd_copy: uffdCopyOp,
  uffd_continue: uffdContinueOp,
  uffd_register: uffdRegisterOp,
  munmap: munmapOp,
  truncate: truncateOp,
  punch: punchOp,
  fork: forkOp,
  close: closeOp,
  unlink: unlinkOp,
  umount: umountOp,
  fallocate: fallocateOp,
  madvise_dontneed: madviseDontneedOp,
  mprotect: mprotectOp,
  mremap: mremapOp,
  dissolve: dissolveOp,
  soft_offline: softOfflineOp,
  memfd_create: memfdCreateOp,
  pin: pinOp,
  unpin: unpinOp,
  udmabuf: udmabufOp,
};

/** Every op; those that do not track a page's node refuse a state with several nodes (nodes.ts). */
export const OPS: Readonly<Record<string, OpDef<G, ImplParams>>> = Object.fromEntries(
  Object.entries(ALL).map(([name, op]) => [name, nodeGuard(name, op)]),
);
