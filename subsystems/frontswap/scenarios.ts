/**
 * frontswap default scenarios.
 */
import type { OpChoice, Scenario } from '../../checker/types.js';
import type { FrontswapParams } from '../../impl/frontswap/state.js';
import { base } from './params.js';

type P = FrontswapParams;

const op = (o: string, args: Record<string, number> = {}): OpChoice[] => [{ op: o, args }];
const out = (v: number, off = 0) => op('swapout', { type: 0, off, v });
const inn = (off = 0) => op('swapin', { type: 0, off });

export const scenarios: Scenario<P>[] = [
  {
    name: 'dup-store',
    description:
      'a page is swapped out twice to one slot (the duplicate store may fail) and swapped in, racing two zswap writebacks, another swap-in and a third store',
    params: { ...base },
    threads: [
      [out(1), out(2), inn()],
      [op('writeback'), inn()],
      [op('writeback'), out(3)],
    ],
  },
  {
    name: 'free-reuse',
    description: 'a slot is freed (invalidate_page) and reused while zswap writes back its old entry',
    params: { ...base },
    threads: [
      [out(1), op('swap_free', { type: 0, off: 0 }), out(2), inn()],
      [op('writeback'), op('writeback')],
    ],
  },
  {
    name: 'swapoff',
    description: 'swapoff (invalidate_area) and swapon again around stores, racing swap-in and writeback',
    params: { ...base },
    threads: [
      [out(1), op('swapoff', { type: 0 }), op('swapon', { type: 0 }), out(2)],
      [inn(), op('writeback'), inn()],
    ],
  },
  {
    name: 'two-slots',
    description: 'three threads: two slots, a backend of capacity 1, stores, loads, writeback and a duplicate store',
    params: { ...base, slots: 2, capacity: 1 },
    threads: [
      [out(1, 0), out(2, 1), inn(0)],
      [op('writeback'), inn(1)],
      [out(3, 0), inn(0)],
    ],
  },
  {
    name: 'stress',
    description:
      'four threads: two slots, a backend of capacity 1, stores, duplicate stores, loads, frees and two writebacks',
    params: { ...base, slots: 2, capacity: 1 },
    threads: [
      [out(1, 0), out(2, 1), inn(0)],
      [op('writeback'), inn(1)],
      [out(3, 0), inn(0)],
      [op('swap_free', { type: 0, off: 1 }), out(4, 1), op('writeback')],
    ],
  },
  {
    name: 'writethrough',
    description:
      'writethrough mode: stores also go to the device and a full backend reclaims its oldest entry; swap-in must still return the latest data',
    params: { ...base, slots: 2, capacity: 1, writethrough: true },
    threads: [
      [out(1, 0), out(2, 1), inn(0)],
      [op('writeback'), inn(1)],
      [out(3, 0), op('swap_free', { type: 0, off: 1 })],
    ],
  },
  {
    name: 'two-backends',
    description:
      'two registered backends (frontswap_ops list): a page swapped out twice to one slot, where each store may land in either backend or the device, racing a swap-in and zswap writeback',
    params: { ...base, backends: 2, registered: 2, capacity: 1 },
    threads: [
      [out(1), out(2), inn()],
      [inn(), op('writeback')],
    ],
  },
  {
    name: 'register-swapon',
    description:
      'frontswap_register_ops while swap devices come and go: device 0 is on, device 1 is swapped on during the registration, device 0 swapped off and on again; swap-outs and swap-ins race it',
    params: { ...base, types: 2, swapon: true, registered: 0 },
    threads: [
      [op('register', { be: 0 }), op('swapin', { type: 1, off: 0 })],
      [op('swapoff', { type: 1 }), op('swapon', { type: 1 }), op('swapout', { type: 1, off: 0, v: 2 })],
      [out(1), op('swapoff', { type: 0 }), op('swapon', { type: 0 })],
    ],
  },
  {
    name: 'swapoff-race',
    description:
      'swapoff (try_to_unuse slot by slot, then frontswap_invalidate_area) of a device with two slots in frontswap, racing zswap writeback, a swap-in and a store, then swapon again',
    params: { ...base, slots: 2 },
    threads: [
      [out(1, 0), out(2, 1), op('swapoff', { type: 0 }), op('swapon', { type: 0 })],
      [op('writeback'), inn(1), out(3, 0)],
    ],
  },
  {
    name: 'thp-swapout',
    description:
      'a THP of two subpages is swapped out whole (zswap refuses it, the device takes it) or split into two 4K swap-outs, racing swap-ins of both subpages, zswap writeback and a free of the tail subpage',
    params: { ...base, slots: 2 },
    threads: [
      [op('swapout_thp', { type: 0, off: 0, v: 1 }), inn(0)],
      [inn(1), op('writeback'), op('swap_free', { type: 0, off: 1 })],
    ],
  },
  {
    name: 'same-filled',
    description:
      'zswap same-filled pages (versions 10, 20: one word repeated) beside a compressed one in a pool of one page: they take no pool space and are never written back; stores, a duplicate store, swap-ins and writeback race',
    params: { ...base, slots: 2, capacity: 1 },
    threads: [
      [out(10, 0), out(2, 1), inn(0)],
      [op('writeback'), out(20, 1), inn(1)],
    ],
  },
  {
    name: 'swapoff-sync',
    description:
      'a SWP_SYNCHRONOUS_IO (zram-like) device: swap-ins skip the swap cache (do_swap_page -> swap_readpage into a private page) and race swapoff (try_to_unuse, SWP_VALID cleared, synchronize_rcu, frontswap_invalidate_area), swapon again, a store and zswap writeback',
    params: { ...base, synchronous: true },
    threads: [
      [out(1), op('swapoff', { type: 0 }), op('swapon', { type: 0 }), out(2)],
      [inn(), op('writeback'), inn()],
    ],
  },
];
