/**
 * memfd_create(MFD_HUGETLB), and the kernel's internal hugetlbfs mount its
 * files live on. What a user may rely on (memfd_create(2); hugetlbpage.rst
 * @ v6.12):
 *
 *  - a new, empty (size 0) hugetlbfs file with an open descriptor and no
 *    name; nothing is reserved or used until it is sized and mapped, faulted
 *    or fallocated, which then behave as for any hugetlbfs file (no size= or
 *    min_size= limits apply: the mount has none);
 *  - its last close, once nothing maps it, frees its pages and promises
 *    (ops-lifetime.ts);
 *  - the internal mount cannot be mounted or unmounted by a user (EINVAL,
 *    nothing changed).
 *
 * Bounds of the op language: a memfd takes a file slot of the internal
 * mount (another slot: EINVAL) that is free, its previous file gone (EBUSY).
 */
import { flagsOf } from './lifecycle.js';
import type { HugetlbParams } from './params.js';
import { clone } from './promises.js';
import { type Args, type HugetlbView, type Outcome, num } from './view.js';

/** memfd_create of file slot f, or a mount/umount of the internal mount. */
export function memfdOp(v0: HugetlbView, op: string, a: Args, p: HugetlbParams): Outcome {
  if (op !== 'memfd_create') return { view: v0, ret: 'EINVAL' }; // mount/umount of the internal mount
  const f = num(a, 'f');
  const f0 = v0.files[f];
  if (!f0 || !p.mounts[f0.mount]?.internal) return { view: v0, ret: 'EINVAL' };
  if (!f0.evicted) return { view: v0, ret: 'EBUSY' };
  const v = clone(v0);
  v.files[f] = {
    mount: f0.mount,
    size: 0,
    resv: [],
    cache: [],
    data: [],
    nodes: [],
    sealed: false,
    ...flagsOf('open_unlinked'),
  };
  return { view: v, ret: 'ok' };
}
