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
import { fork } from './fork.js';
import { madviseDontneed } from './madvise_dontneed.js';
import { mlock } from './mlock.js';
import { initModel, type P, type ThpGenModel } from './model.js';
import { mprotect } from './mprotect.js';
import { mprotectRo } from './mprotect_ro.js';
import { mremap } from './mremap.js';
import { munmap } from './munmap.js';
import { paramsArbitrary } from './params.js';
import { pin } from './pin.js';
import { read } from './read.js';
import { split } from './split.js';
import { unpin } from './unpin.js';
import { wpFault } from './wp_fault.js';

export const thpProfile: ConformProfile<P, ThpGenModel> = {
  subsystem: 'thp',
  params: paramsArbitrary,
  ops: [fault, wpFault, read, fork, munmap, mprotect, mlock, madviseDontneed, mprotectRo, mremap, pin, unpin, split],
  model: initModel,
  internalOps: {
    ...THP_KERNEL_UNSUPPORTED,
    populate_read:
      'has C (MADV_POPULATE_READ), but is not generated: on Debian 6.1.192 and 6.12.118 it maps a fresh THP (AnonHugePages 2048) into an unmapped MADV_HUGEPAGE range where the model maps the huge zero page (conform thp --seed 20261206 --runs 150, shrunk to populate_read(mm=0) on an initially unmapped range); run it with mmcheck reproduce SCRIPT.json',
  },
  restrictions: [
    "params.kind 'file' (page-cache THP): not mapped to the probe yet; only anonymous THPs are generated",
    'pin write=0: io_uring buffer registration, the user-level pin, always pins with FOLL_WRITE',
    'mprotect/mlock only over a range with no munmap hole whose flag (PROT_EXEC, VM_LOCKED) is new on all of it: the model has no VMAs; the kernel answers ENOMEM for a hole, and a range whose flags do not change splits no VMA and so no PMD',
    'fault only while the script has no THP yet, in a process whose VMA still covers the whole 2 MiB: the model has one huge page, a later fault on a kernel allocates another',
  ],
  events: thpEvents,
  expectedEvents: ['COW after fork', 'split', 'partial munmap', 'PMD split at a VMA border', 'pinned'],
};
