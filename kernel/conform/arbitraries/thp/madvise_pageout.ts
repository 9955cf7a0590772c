/**
 * madvise(MADV_PAGEOUT) of a subpage range in a process (the script runs with swap on): a THP mapped
 * once is reclaimed whole, or split when the range is partial, and the pages go to swap; a page
 * another process maps stays (6.1: page_mapcount != 1; 6.12: folio_likely_mapped_shared, and a
 * PTE-mapped THP wholly in the range goes whole). Every process's later reads still see the same data.
 *
 * Three draws in four aim at a private copy (a page that is not the THP's own: a COW copy, a page a pin
 * unshared, a page read back from swap), which few random ranges meet while it is still mapped: `copy`
 * 1 pages out one subpage a process likely maps a copy at (ThpGenModel.copies) when there is one, `copy` 2
 * and 3 also make one first when there is none (a fork when the script has one process, then a write of
 * that subpage: do_wp_page copies the page the child shares). Measured on the model's predictions of 600
 * generated scripts (seeds 20261403-5): 47 of 95 pageouts met a copy, in 41 of the 82 scripts with a pageout
 * (the range-only generator of session 13: 3 of 44 on 6.1.192, seed 20261402).
 */
import fc from 'fast-check';
import type { Args } from '../../../../checker/types.js';
import type { OpGen } from '../../profile.js';
import { mmOf, pageoutRange, subOf, type P, type ThpGenModel } from './model.js';

/** The (mm, subpage) pairs a pageout of one subpage likely finds a private copy at (ThpGenModel.copies). */
function copyCandidates(m: Readonly<ThpGenModel>): [number, number][] {
  const out: [number, number][] = [];
  for (let mm = 0; mm < m.live; mm++)
    m.copies[mm]!.forEach((c, i) => {
      if (c && m.mapped[mm]![i] && !m.swapped[mm]![i]) out.push([mm, i]);
    });
  return out;
}

/** A pageout of subpage i alone in mm, if pageoutRange allows it there. */
const one = (m: Readonly<ThpGenModel>, p: P, mm: number, i: number): Args | undefined =>
  pageoutRange(m, p, { mm, from: i, len: 0 });

export const madvisePageout: OpGen<P, ThpGenModel> = {
  op: 'madvise_pageout',
  weight: 2,
  needs: {
    config: 'CONFIG_BLK_DEV_RAM',
    device: 'swap device (the brd RAM disk, /dev/ram0)',
    module: 'brd',
    alsoBuiltin: ['CONFIG_SWAP'],
  },
  // both implementations model it: impl/thp/pageout.ts (6.1) and impl/thp-folio/pageout.ts (6.6 / 6.12)
  draw: () => fc.record({ mm: fc.nat(), from: fc.nat(), len: fc.nat(), copy: fc.nat({ max: 3 }) }),
  resolve: (m, raw, p) => {
    if (Number(raw.copy) > 0) {
      const c = copyCandidates(m)
        .map(([mm, i]) => one(m, p, mm, i))
        .filter((a) => a !== undefined);
      if (c.length > 0) return c[Number(raw.mm) % c.length];
      if (Number(raw.copy) >= 2 && pageoutRange(m, p, raw) !== undefined) return undefined; /* setup first */
    }
    return pageoutRange(m, p, raw);
  },
  setup: (m, raw, p) => {
    const mm = mmOf(m, raw.mm);
    const i = subOf(p, raw.from);
    // a subpage that is mapped, in memory and writable (no mprotect flag: mprotect_ro sets it everywhere)
    if (!m.mapped[mm]![i] || m.swapped[mm]![i] || m.flagged.mprotect[mm]![i] || !one(m, p, mm, i)) return undefined;
    const fork = m.live === 1 && p.mms > 1 ? [{ op: 'fork', args: { src: 0, dst: 1 } }] : [];
    if (m.live === 1 && fork.length === 0) return undefined;
    return [...fork, { op: 'wp_fault', args: { mm, sub: i, val: 1 + ((Number(raw.len) + i) % 99) } }];
  },
  apply(m, args) {
    // the pages of every process that shares them go out together (try_to_unmap walks every mapping);
    // what a fault reads back is a fresh small page, a private copy in the implementation (ThpGenModel.written)
    for (const row of m.swapped) row.fill(true, Number(args.from), Number(args.to));
    for (const row of m.written) row.fill(true, Number(args.from), Number(args.to));
    for (const row of m.copies) row.fill(false, Number(args.from), Number(args.to));
  },
};
