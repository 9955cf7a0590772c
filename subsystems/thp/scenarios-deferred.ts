/**
 * Default scenarios of the deferred split shrinker's unlocked steps (impl/thp-folio/split.ts): its unlocked
 * list_del_init() with another THP queued before (params.prior) and its folio_test_partially_mapped() and
 * list_del_init() without split_queue_lock racing a partial unmap.
 */
import type { OpChoice, Scenario } from '../../checker/types.js';
import type { ThpParams } from '../../impl/thp/page.js';
import { thpParams } from './params.js';

const op = (name: string, args: Record<string, number> = {}): OpChoice[] => [{ op: name, args }];

export const deferredScenarios: Scenario<ThpParams>[] = [
  {
    name: 'deferred-split-two-thps',
    description:
      "Two THPs on the deferred split queue: another process's partially unmapped, pinned THP (params.prior) queued before this one, which a fault maps and queues (v6.12: unflagged, dafff3f4c850); the shrinker isolates both, fails to split the pinned one and unlinks this one without split_queue_lock while the other's owner drops its last reference (e66f3185fa04); a second shrinker and readers run alongside.",
    params: { ...thpParams('anon', 'none', 1), prior: 1 },
    threads: [
      [op('fault', { mm: 0 }), op('deferred_split_scan'), op('read', { mm: 0, sub: 1 })],
      [op('put_prior'), op('deferred_split_scan')],
      [op('total_mapcount')],
    ],
  },
  {
    name: 'deferred-split-unlink-vs-unmap',
    description:
      "A fault maps a fresh anon THP (v6.12 queues it unflagged for the underused-THP shrinker, dafff3f4c850) and the deferred split shrinker drops it from the queue by its unlocked folio_test_partially_mapped() at `next:` and unlocked list_del_init(), while the process unmaps one subpage: the zap flags the folio partially mapped and finds it on the shrinker's list (not queued again), so between the two the folio is left flagged and on no list, as on v6.12 (NOTES.md); the read after sees the data.",
    params: thpParams('anon', 'none', 1),
    threads: [
      [op('fault', { mm: 0 }), op('deferred_split_scan')],
      [op('munmap', { mm: 0, from: 0, to: 1 }), op('read', { mm: 0, sub: 1 })],
    ],
  },
];
