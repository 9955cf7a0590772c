/** The THP conformance profile: one arbitrary per user-level op, plus the parameters. */
import type { ConformProfile } from '../../profile.js';
import { evict } from './evict.js';
import { thpEvents } from './events.js';
import { fault } from './fault.js';
import { faultPte } from './fault_pte.js';
import { fork } from './fork.js';
import { mlock } from './mlock.js';
import { initModel, type P, type ThpGenModel } from './model.js';
import { mprotect } from './mprotect.js';
import { munmap } from './munmap.js';
import { paramsArbitrary } from './params.js';
import { pin } from './pin.js';
import { pinFast } from './pin_fast.js';
import { read } from './read.js';
import { split } from './split.js';
import { unpin } from './unpin.js';
import { wpFault } from './wp_fault.js';

export const thpProfile: ConformProfile<P, ThpGenModel> = {
  subsystem: 'thp',
  params: paramsArbitrary,
  ops: [fault, faultPte, wpFault, read, fork, munmap, mprotect, mlock, pin, pinFast, unpin, split, evict],
  model: initModel,
  internalOps: {
    split_huge_pmd:
      'a kernel page-table walker; userspace reaches it through mprotect/mlock/munmap, which are generated',
    scan_get: 'a physical-memory scanner taking a speculative reference: no user-level trigger on cue',
    scan_put: 'the scanner dropping that reference',
    deferred_split_scan: 'the deferred split shrinker runs under memory pressure, not on cue',
    collapse: 'khugepaged runs on its own schedule, not on cue',
    page_mapcount: 'a kernel query; the probe reads /proc/kpagecount after every step instead',
    total_mapcount: 'a kernel query; the probe reads /proc/kpagecount after every step instead',
    page_mapped: 'a kernel query; the probe reads /proc/kpagecount after every step instead',
    page_count: 'a kernel query; the probe reads /proc/kpagecount after every step instead',
  },
  events: thpEvents,
  expectedEvents: ['COW after fork', 'split', 'partial munmap', 'PMD split at a VMA border', 'pinned'],
};
