/** The hugetlb conformance profile: one arbitrary per user-level op, plus the parameters. */
import { HUGETLB_KERNEL_UNSUPPORTED } from '../../../../subsystems/hugetlb/probe.js';
import type { ConformProfile } from '../../profile.js';
import { close } from './close.js';
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
import { pin, unpin } from './pin.js';
import { punch } from './punch.js';
import { setNr } from './set_nr.js';
import { setOvercommit } from './set_overcommit.js';
import { softOffline } from './soft_offline.js';
import { truncate } from './truncate.js';
import { uffdContinue } from './uffd_continue.js';
import { uffdCopy } from './uffd_copy.js';
import { uffdRegister } from './uffd_register.js';
import { umount } from './umount.js';
import { unlink } from './unlink.js';

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
    pin,
    unpin,
    mprotect,
    mremap,
    setNr,
    setOvercommit,
    mount,
    umount,
    close,
    memfdCreate,
    unlink,
  ],
  model: initModel,
  internalOps: {
    ...HUGETLB_KERNEL_UNSUPPORTED,
    udmabuf:
      'Debian 6.1.192 has no /dev/udmabuf (ENOENT), and the model promises nothing for an index without a reservation (NOTES.md): checked with mmcheck reproduce on 6.12 only',
  },
  events: hugetlbEvents,
  expectedEvents: ['ENOMEM', 'SIGBUS', 'surplus', 'COW', 'reservation consumed', 'reservation taken', 'min_size mount'],
};
