/**
 * frontswap operations and their arguments (checker/op-schema.ts): a swap
 * slot is (type, off), swap device type 0..types-1 and offset 0..slots-1.
 */
import { A, defineOps, type OpUnion } from '../../checker/op-schema.js';
import type { FrontswapParams as P } from '../../impl/frontswap/state.js';

const type = A.int<P>(0, 3, 'swap device (type)', { text: 'params.types - 1', max: (p) => p.types - 1 });
const off = A.int<P>(0, 7, 'slot offset on the device', { text: 'params.slots - 1', max: (p) => p.slots - 1 });

export const frontswapOps = defineOps({
  swapon: { doc: 'swapon of device type (frontswap_init)', args: { type } },
  swapoff: { doc: 'swapoff of device type (try_to_unuse, frontswap_invalidate_area)', args: { type } },
  swapout: { doc: 'swap out data version v to slot (type, off)', args: { type, off, v: A.int(0, 99, 'data version') } },
  swapin: { doc: 'swap in slot (type, off)', args: { type, off } },
  swap_free: { doc: 'the last reference to slot (type, off) goes (frontswap_invalidate_page)', args: { type, off } },
  writeback: { doc: 'zswap writes its least recently stored entry back to the device', args: {} },
});

export type FrontswapOp = OpUnion<typeof frontswapOps>;
