/**
 * frontswap buggy variants: each names the scenarios that catch it.
 */
import type { Variant } from '../../checker/types.js';

export const variants: Variant[] = [
  {
    name: 'F2',
    description: 'a failed duplicate store clears the frontswap_map bit but leaves the old copy in the backend; writeback then overwrites the newer data on disk',
    source: 'known-bugs F2 (fb993fa1a2f6 "mm: frontswap: invalidate expired data on a dup-store failure")',
    scenarios: ['dup-store'],
  },
  {
    name: 'FS-1',
    description: 'a failed duplicate store invalidates nothing: the bit stays set and a load returns the stale copy',
    source: 'seeds-digest 4.2 FS-1; frontswap.rst L932-935, L1139-1148',
    scenarios: ['dup-store'],
  },
  {
    name: 'FS-3',
    description: 'a full backend accepts a store by silently dropping its oldest entry: a later load of that page misses',
    source: 'seeds-digest 4.2 FS-3; frontswap.rst L918-919, L1066-1067',
    scenarios: ['two-slots'],
  },
  {
    name: 'ZS-WB',
    description: 'zswap writeback does not re-check that its entry is still in the tree: the freed and reused slot gets the old data written over it',
    source: 'mm/zswap.c zswap_writeback_entry() "invalidated and recycled behind our backs" check (later kernels; SHA unverified)',
    scenarios: ['free-reuse'],
  },
];

