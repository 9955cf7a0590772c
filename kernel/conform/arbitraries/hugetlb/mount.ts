/** Mount an unmounted hugetlbfs instance with size= and/or min_size= (min_size reserves at mount). */
import fc from 'fast-check';
import { LIMITS } from '../../../../spec/hugetlb/params.js';
import type { OpGen } from '../../profile.js';
import { type HugetlbGenModel, type P, pick } from './model.js';

export const mount: OpGen<P, HugetlbGenModel> = {
  op: 'mount',
  draw: () =>
    fc.record({
      m: fc.nat(),
      size: fc.integer({ min: -1, max: LIMITS.maxPages }),
      min: fc.integer({ min: -1, max: 4 }),
    }),
  resolve(m, raw) {
    const idx = pick(
      m.mounted.flatMap((on, i) => (on ? [] : [i])),
      raw.m,
    );
    if (idx === undefined) return undefined;
    const size = Number(raw.size) === 0 ? -1 : Number(raw.size);
    const min = size !== -1 && Number(raw.min) > size ? size : Number(raw.min);
    return { m: idx, size, min };
  },
  apply(m, a) {
    m.mounted[Number(a.m)] = true;
  },
};
