/** The hugetlb conformance profile: one arbitrary per user-level op, plus the parameters. */
import { NODE_OPS } from '../../../../impl/hugetlb/nodes.js';
import { HUGETLB_KERNEL_UNSUPPORTED } from '../../../../subsystems/hugetlb/probe.js';
import type { ConformProfile, OpGen } from '../../profile.js';
import { close } from './close.js';
import { dissolve } from './dissolve.js';
import { hugetlbEvents } from './events.js';
import { fallocate } from './fallocate.js';
import { fault } from './fault.js';
import { fork } from './fork.js';
import { madviseDontneed } from './madvise_dontneed.js';
import { memfdCreate } from './memfd_create.js';
import { type HugetlbGenModel, initModel, type P } from './model.js';
import { mmap } from './mmap.js';
import { mount } from './mount.js';
import { mprotect } from './mprotect.js';
import { mremap } from './mremap.js';
import { munmap } from './munmap.js';
import { paramsArbitrary } from './params.js';
import { pin, udmabuf, unpin } from './pin.js';
import { punch } from './punch.js';
import { setNr } from './set_nr.js';
import { setNrNode } from './set_nr_node.js';
import { setOvercommit } from './set_overcommit.js';
import { softOffline } from './soft_offline.js';
import { truncate } from './truncate.js';
import { uffdContinue } from './uffd_continue.js';
import { uffdCopy } from './uffd_copy.js';
import { uffdRegister } from './uffd_register.js';
import { umount } from './umount.js';
import { unlink } from './unlink.js';

/** With per-node pools only the ops the implementation keeps exact with several nodes (impl/hugetlb/nodes.ts NODE_OPS). */
const nodeSafe = (g: OpGen<P, HugetlbGenModel>): OpGen<P, HugetlbGenModel> =>
  NODE_OPS.has(g.op) ? g : { ...g, resolve: (m, raw, p) => ((p.nodePool ?? 1) > 1 ? undefined : g.resolve(m, raw, p)) };

export const hugetlbProfile: ConformProfile<P, HugetlbGenModel> = {
  subsystem: 'hugetlb',
  params: paramsArbitrary,
  ops: [
    mmap,
    fault,
    uffdCopy,
    uffdContinue,
    uffdRegister,
    munmap,
    truncate,
    punch,
    fallocate,
    fork,
    madviseDontneed,
    softOffline,
    dissolve,
    pin,
    udmabuf,
    unpin,
    mprotect,
    mremap,
    setNr,
    setNrNode,
    setOvercommit,
    mount,
    umount,
    close,
    memfdCreate,
    unlink,
  ].map(nodeSafe),
  model: initModel,
  internalOps: { ...HUGETLB_KERNEL_UNSUPPORTED },
  restrictions: [
    'pin only of MAP_SHARED mappings of mounts without min_size= (others are EINVAL bounds of the op language), unpin only of a held pin',
    'udmabuf only of memfd indices a MAP_SHARED mapping reserved (the spec promises nothing for an index without a reservation or page: NOTES.md)',
    "madvise_dontneed past its mapping only into unmapped addresses, and mmap/mremap only into slots no split-off piece occupies (the op language's ops act on one VMA per slot; the kernel's madvise also advises a neighbouring piece of a split mapping: madvise_dontneed.ts)",
    'mprotect only where the pieces of its split fit in free slots (the op language has params.vmas slots; the kernel splits freely)',
    'dissolve (memory offline of a node block) only where no huge page can be in use: the setup unmaps every mapping, unpins every pin and truncates to 0 every file that may hold pages first (offline_pages would migrate a page in use: not modelled; dissolve.ts)',
    'per-node pools (one script in six): two nodes, overcommit 0 at the start, only ops in impl/hugetlb/nodes.ts NODE_OPS (every op since soft_offline joined)',
  ],
  events: hugetlbEvents,
  expectedEvents: ['ENOMEM', 'SIGBUS', 'surplus', 'COW', 'reservation consumed', 'reservation taken', 'min_size mount'],
};
