/** umount of a mounted hugetlbfs instance: EBUSY while a file on it is open or mapped, else min_size goes back. */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { type HugetlbGenModel, type P, pick } from './model.js';

export const umount: OpGen<P, HugetlbGenModel> = {
  op: 'umount',
  weight: 1,
  draw: () => fc.record({ m: fc.nat() }),
  resolve(m, raw) {
    const idx = pick(
      m.mounted.flatMap((on, i) => (on ? [i] : [])),
      raw.m,
    );
    return idx === undefined ? undefined : { m: idx };
  },
  // the slot may be mounted again: its files come back fresh (the probe creates them at every mount)
  apply(m, a) {
    m.mounted[Number(a.m)] = false;
  },
};
