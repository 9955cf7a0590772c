/**
 * The frontswap implementation: every op, by kernel entry point. Steps split
 * at the swap-cache page lock of the slot (held across swap_writepage's store
 * and disk write, and by zswap writeback while it writes an entry back) and at
 * zswap's tree->lock.
 *
 *   swapfile.ts         swapon, swapoff, swap_entry_free (mm/swapfile.c)
 *   page-io.ts          swap_writepage (mm/page_io.c)
 *   do-swap-page.ts     do_swap_page -> swap_readpage (mm/memory.c, mm/page_io.c)
 *   zswap-writeback.ts  zswap_writeback_entry (mm/zswap.c)
 *   register.ts         frontswap_register_ops (mm/frontswap.c)
 *   thp-swapout.ts      THP swap-out, whole or split (mm/vmscan.c)
 */
import type { ImplDef } from '../../checker/types.js';
import type { G, P } from './frontend.js';
import { swapin } from './do-swap-page.js';
import { swapout } from './page-io.js';
import { register } from './register.js';
import { swapoutThp } from './thp-swapout.js';
import { frontswapState, initFrontswap, permuteThreads } from './state.js';
import { swapFree, swapoff, swapon } from './swapfile.js';
import { writeback } from './zswap-writeback.js';

export const frontswapImpl: ImplDef<G, P> = {
  state: frontswapState,
  init: initFrontswap,
  permuteThreads,
  ops: { register, swapon, swapoff, swapout, swapout_thp: swapoutThp, swapin, swap_free: swapFree, writeback },
};
