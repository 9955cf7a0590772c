/**
 * The frontswap implementation: every op, by kernel entry point. Steps split
 * at the swap-cache page lock of the slot (held across swap_writepage's store
 * and disk write, and by zswap writeback while it writes an entry back) and at
 * zswap's tree->lock.
 *
 *   swapfile.ts         swapon, swapoff, swap_entry_free (mm/swapfile.c)
 *   page-io.ts          swap_writepage, swap_readpage (mm/page_io.c)
 *   zswap-writeback.ts  zswap_writeback_entry (mm/zswap.c)
 */
import type { ImplDef } from '../../checker/types.js';
import type { G, P } from './frontend.js';
import { swapin, swapout } from './page-io.js';
import { frontswapState, initFrontswap } from './state.js';
import { swapFree, swapoff, swapon } from './swapfile.js';
import { writeback } from './zswap-writeback.js';

export const frontswapImpl: ImplDef<G, P> = {
  state: frontswapState,
  init: initFrontswap,
  ops: { swapon, swapoff, swapout, swapin, swap_free: swapFree, writeback },
};
