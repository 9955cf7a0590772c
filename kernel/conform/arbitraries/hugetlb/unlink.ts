/** unlink(2) of a file: its reservations stay until the last close and munmap. */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import type { HugetlbGenModel, P } from './model.js';

export const unlink: OpGen<P, HugetlbGenModel> = {
  op: 'unlink',
  weight: 1,
  draw: () => fc.record({ f: fc.nat() }),
  // only files whose mount is mounted when the script starts and not umounted since: the probe creates a mount's files when it
  // mounts it, while the model's files exist from the start (a file of a mount the script mounts later, or
  // remounts, is not the same inode in the two; open work in the hugetlb issue)
  resolve: (m, raw, p) => {
    const f = Number(raw.f) % p.fileMount.length;
    const mount = p.fileMount[f] ?? -1;
    return m.mountedAtStart[mount] && !m.umountTried[mount] ? { f } : undefined;
  },
  apply() {},
};
