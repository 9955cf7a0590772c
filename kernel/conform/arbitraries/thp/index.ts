/**
 * The THP conformance profile: one arbitrary per user-level op the kernel
 * probe can run (subsystems/thp/probe.ts), plus the parameters. Every op of
 * the language that is not generated, and every value that is not, is listed
 * with its reason (internalOps, restrictions) and shown in the summary.
 */
import { THP_KERNEL_UNSUPPORTED } from '../../../../subsystems/thp/probe.js';
import type { ConformProfile } from '../../profile.js';
import { thpEvents } from './events.js';
import { fault } from './fault.js';
import { forceRead, forceWrite } from './force.js';
import { fork } from './fork.js';
import { madviseDontneed } from './madvise_dontneed.js';
import { madvisePageout } from './madvise_pageout.js';
import { migrate } from './migrate.js';
import { mlock } from './mlock.js';
import { initModel, type P, type ThpGenModel } from './model.js';
import { mprotect } from './mprotect.js';
import { mprotectRo } from './mprotect_ro.js';
import { mremap } from './mremap.js';
import { munlock } from './munlock.js';
import { munmap } from './munmap.js';
import { paramsArbitrary } from './params.js';
import { pin } from './pin.js';
import { populateRead } from './populate_read.js';
import { read } from './read.js';
import { split } from './split.js';
import { unpin } from './unpin.js';
import { wpFault } from './wp_fault.js';

export const thpProfile: ConformProfile<P, ThpGenModel> = {
  subsystem: 'thp',
  params: paramsArbitrary,
  ops: [
    fault,
    wpFault,
    read,
    fork,
    munmap,
    mprotect,
    mlock,
    madviseDontneed,
    madvisePageout,
    mprotectRo,
    mremap,
    populateRead,
    forceWrite,
    forceRead,
    migrate,
    pin,
    unpin,
    split,
    munlock,
  ],
  model: initModel,
  internalOps: THP_KERNEL_UNSUPPORTED,
  restrictions: [
    "params.kind 'file' (page-cache THP): not mapped to the probe yet; only anonymous THPs are generated",
    'force_write/force_read only where the process surely maps something (after a fault, fork or populate_read, not since munmapped or MADV_DONTNEEDed): on an unmapped address the kernel faults in what the VMA flags say (small pages in a MADV_NOHUGEPAGE VMA), and the model has no VMA flags',
    'pin write=0 only short-term (longterm 0): the probe pins read-only with process_vm_readv (pin_user_pages_remote without FOLL_LONGTERM) and long-term only with FOLL_WRITE (io_uring buffer registration)',
    'mprotect/mlock only over a range with no munmap hole whose flag (PROT_EXEC, VM_LOCKED) is new on all of it, mprotect back (exec 0) / munlock only over a range with the flag on all of it: the kernel answers ENOMEM for a hole, and the model splits the PMD for every range that is not the whole THP, where the kernel splits it only at a new VMA border',
    'madvise_pageout only with params.nr 4 (judging a pageout of 8 subpages against the spec takes minutes: each small page may stop anywhere on its way out), only over a range with no munmap hole and no mlocked subpage (ENOMEM / EINVAL: the model has no VMAs) and no mprotect border (madvise walks each VMA on its own: a break of the 6.1 / 6.6 walk ends only the part in that VMA, the 6.12 batch stops at its end); a wp_fault or pin of a subpage a pageout may have swapped out gets a read first (the probe decides reuse/copy by the page under the address)',
    'fault only while the script has no THP yet, in a process whose VMA still covers the whole 2 MiB and has not been populated with the zero page: the model has one huge page, a later fault on a kernel allocates another (a write to the huge zero PMD splits it and COWs small pages)',
  ],
  events: thpEvents,
  expectedEvents: ['COW after fork', 'split', 'partial munmap', 'PMD split at a VMA border', 'pinned'],
};
