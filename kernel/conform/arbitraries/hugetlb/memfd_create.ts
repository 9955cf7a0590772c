/** memfd_create(MFD_HUGETLB) into a file slot of the internal mount (an empty, unnamed file with a descriptor). */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { type HugetlbGenModel, type P, pick, unreserve } from './model.js';

export const memfdCreate: OpGen<P, HugetlbGenModel> = {
  op: 'memfd_create',
  weight: 2,
  draw: () => fc.record({ f: fc.nat() }),
  resolve(_m, raw, p) {
    const slots = p.fileMount.flatMap((m, f) => (p.mounts[m]?.internal ? [f] : []));
    const f = pick(slots, raw.f);
    return f === undefined ? undefined : { f };
  },
  apply(m, a) {
    unreserve(m, Number(a.f), 0); // a new, empty file
    m.memfd[Number(a.f)] = true;
    m.touched[Number(a.f)] = false;
    m.closed[Number(a.f)] = false;
  },
};
