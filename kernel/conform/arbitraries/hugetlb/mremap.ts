/**
 * mremap of a page range of a live mapping: shrink in place, move (the
 * shrunk range) to a free slot, or ask to grow (EINVAL); rarely misaligned
 * (EINVAL). A move of part of a MAP_PRIVATE mapping is not generated: the
 * kernel's clear_vma_resv_huge_pages takes the owner's reserve map from the
 * pieces left behind, which the spec reports (scenario
 * finding-mremap-partial-private, NOTES.md). Forked or registered mappings
 * are left alone.
 */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { freeSlots, type HugetlbGenModel, lowestFree, type P, pick } from './model.js';

const isPrivate = (k: string): boolean => k === 'private' || k === 'private_noreserve' || k === 'private_file';

export const mremap: OpGen<P, HugetlbGenModel> = {
  op: 'mremap',
  draw: () =>
    fc.record({ v: fc.nat(), from: fc.nat(), len: fc.nat(), shrink: fc.nat(), c: fc.nat(), move: fc.boolean() }),
  resolve(m, raw, p) {
    const slots = m.vmas.flatMap((x, i) => (x && !x.forked && !x.registered ? [i] : []));
    const v = pick(slots, raw.v);
    if (v === undefined) return undefined;
    const x = m.vmas[v]!;
    const from = x.from + (Number(raw.from) % (x.to - x.from));
    const to = from + 1 + (Number(raw.len) % (x.to - from));
    // new length: to - from - shrink (0 .. to - from), or one more (growing: EINVAL)
    const len = Math.min(p.fileSize, Math.max(1, to - from + 1 - (Number(raw.shrink) % (to - from + 1))));
    const args: Record<string, number> = { v, from, to, len };
    const c = pick(freeSlots(m), raw.c);
    // the moved range is all that is left of the mapping after the shrink
    const whole = from === x.from && (len < to - from || to === x.to);
    if (raw.move === true && c !== undefined && len <= to - from && (whole || !isPrivate(x.kind))) args.c = c;
    return args;
  },
  apply(m, a) {
    const v = Number(a.v);
    const x = m.vmas[v]!;
    const [from, to, len] = [Number(a.from), Number(a.to), Number(a.len)];
    if (len > to - from) return; // EINVAL
    const end = from + len;
    const c = a.c === undefined ? -1 : Number(a.c);
    if (end < to && to < x.to) {
      const hole = lowestFree(m, [c]);
      if (hole < 0) return;
      m.vmas[hole] = { ...x, from: to, to: x.to };
    }
    const left = { ...x, to: end < to ? end : x.to };
    m.vmas[v] = left;
    if (c < 0) return;
    m.vmas[c] = { ...left, from, to: end, registered: false, base: c }; // MREMAP_FIXED to VBASE(c)
    if (from === left.from && end === left.to) m.vmas[v] = null;
    else if (from > left.from && end < left.to) {
      m.vmas[lowestFree(m)] = { ...left, from: end };
      m.vmas[v] = { ...left, to: from };
    } else m.vmas[v] = from === left.from ? { ...left, from: end } : { ...left, to: from };
  },
};
