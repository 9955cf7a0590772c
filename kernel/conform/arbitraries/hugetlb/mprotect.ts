/**
 * mprotect of a page range of a live mapping (PROT_READ or back to
 * PROT_READ|PROT_WRITE); a change splits it, the new pieces taking the lowest
 * free slots. Rarely misaligned (EINVAL). Forked or userfaultfd-registered
 * mappings are left alone (the op language splits neither).
 */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { type HugetlbGenModel, lowestFree, type P, pick } from './model.js';

export const mprotect: OpGen<P, HugetlbGenModel> = {
  op: 'mprotect',
  draw: () => fc.record({ v: fc.nat(), from: fc.nat(), len: fc.nat(), ro: fc.boolean(), misalign: fc.nat() }),
  resolve(m, raw) {
    const slots = m.vmas.flatMap((x, i) => (x && !x.forked && !x.registered ? [i] : []));
    const v = pick(slots, raw.v);
    if (v === undefined) return undefined;
    const x = m.vmas[v]!;
    const from = x.from + (Number(raw.from) % (x.to - x.from));
    const to = from + 1 + (Number(raw.len) % (x.to - from));
    const args: Record<string, number | boolean> = { v, from, to, ro: raw.ro === true };
    if (Number(raw.misalign) % 8 === 0) args.misalign = true;
    // a split whose pieces find no free slot is the model's ENOMEM (the op language's slots, not
    // the kernel's vm.max_map_count, which allows it): not generated
    const pieces = (from > x.from ? 1 : 0) + (to < x.to ? 1 : 0);
    const changes = args.misalign !== true && (x.ro ?? false) !== args.ro;
    if (changes && pieces > m.vmas.filter((y) => !y).length) return undefined;
    return args;
  },
  apply(m, a) {
    const v = Number(a.v);
    const x = m.vmas[v]!;
    const ro = a.ro === true;
    if (a.misalign === true || (x.ro ?? false) === ro) return;
    const from = Number(a.from);
    const to = Number(a.to);
    const pieces: [number, number][] = [[from, to]];
    if (from > x.from) pieces.unshift([x.from, from]);
    if (to < x.to) pieces.push([to, x.to]);
    const slots = [v];
    for (let k = 1; k < pieces.length; k++) slots.push(lowestFree(m, slots));
    if (slots.includes(-1)) return; // ENOMEM: nothing changes
    pieces.forEach(([lo, hi], k) => {
      m.vmas[slots[k]!] = { ...x, from: lo, to: hi, ro: lo === from ? ro : x.ro };
    });
  },
};
