/**
 * madvise(MADV_PAGEOUT) of a subpage range in a process (the script runs with swap on): a THP mapped
 * once is reclaimed whole, or split when the range is partial, and the pages go to swap; a page
 * another process maps stays (6.1: page_mapcount != 1; 6.12: folio_likely_mapped_shared, and a
 * PTE-mapped THP wholly in the range goes whole). Every process's later reads still see the same data.
 */
import fc from 'fast-check';
import type { OpGen } from '../../profile.js';
import { pageoutRange, type P, type ThpGenModel } from './model.js';

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
  draw: () => fc.record({ mm: fc.nat(), from: fc.nat(), len: fc.nat() }),
  resolve: (m, raw, p) => pageoutRange(m, p, raw),
  apply(m, args) {
    // the pages of every process that shares them go out together (try_to_unmap walks every mapping);
    // what a fault reads back is a fresh small page, a private copy in the implementation (ThpGenModel.written)
    for (const row of m.swapped) row.fill(true, Number(args.from), Number(args.to));
    for (const row of m.written) row.fill(true, Number(args.from), Number(args.to));
  },
};
