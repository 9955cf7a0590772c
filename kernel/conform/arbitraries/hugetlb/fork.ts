/** fork of a private mapping into a free slot (the child's copy; anon pages shared COW). */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { freeSlots, type HugetlbGenModel, type P, pick } from './model.js';

const isPrivate = (k: string): boolean => k === 'private' || k === 'private_noreserve' || k === 'private_file';

export const fork: OpGen<P, HugetlbGenModel> = {
  op: 'fork',
  weight: 2,
  draw: () => fc.record({ v: fc.nat(), c: fc.nat() }),
  resolve(m, raw) {
    const parents = m.vmas.flatMap((x, i) => (x && isPrivate(x.kind) && !x.forked ? [i] : []));
    const v = pick(parents, raw.v);
    const c = pick(freeSlots(m), raw.c);
    return v === undefined || c === undefined ? undefined : { v, c };
  },
  apply(m, a) {
    const parent = m.vmas[Number(a.v)]!;
    parent.forked = true;
    m.vmas[Number(a.c)] = { ...parent, forked: true };
  },
};
