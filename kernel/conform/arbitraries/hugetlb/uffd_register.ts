/** UFFDIO_REGISTER of a live mapping, MISSING or MINOR (its handler's faults are then SIGBUS). */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { type HugetlbGenModel, liveSlots, type P, pick } from './model.js';

export const uffdRegister: OpGen<P, HugetlbGenModel> = {
  op: 'uffd_register',
  draw: () => fc.record({ v: fc.nat(), minor: fc.boolean() }),
  resolve(m, raw) {
    const v = pick(liveSlots(m), raw.v);
    if (v === undefined) return undefined;
    return { v, mode: raw.minor ? 'minor' : 'missing' };
  },
  apply(m, a) {
    m.vmas[Number(a.v)]!.registered = true;
  },
};
