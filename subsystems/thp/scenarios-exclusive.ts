/**
 * Default scenarios of PG_anon_exclusive (6c287605fd56 "mm: remember exclusively mapped anonymous pages with
 * PG_anon_exclusive", v5.19): a write fault and a R/O pin of a PTE-mapped subpage of an exclusive THP, where
 * the THP's refcount counts every other PTE of it, so only the flag tells the page is this process's alone.
 */
import type { OpChoice, Scenario } from '../../checker/types.js';
import type { ThpParams } from '../../impl/thp/page.js';
import { thpParams } from './params.js';

const op = (name: string, args: Record<string, number> = {}): OpChoice[] => [{ op: name, args }];

export const exclusiveScenarios: Scenario<ThpParams>[] = [
  {
    name: 'ro-pin-exclusive-force-write',
    description:
      'The conform thp shape Debian 6.1.192 showed (mprotect_ro, MADV_DONTNEED of subpage 0 splits the PMD, a FOLL_FORCE write to subpage 1): a R/O pin of the PTE-mapped subpage of the exclusive THP pins it as it is, and the FOLL_FORCE write reuses it in place (do_wp_page: PageAnonExclusive, v5.19+); deciding by page_count would copy and leave the pin behind (6c287605fd56). A fork races the pin, and the child reads.',
    params: thpParams('anon', 'pmd'),
    threads: [
      [
        op('mprotect_ro', { mm: 0 }),
        op('madvise_dontneed', { mm: 0, from: 0, to: 1 }),
        op('pin', { mm: 0, sub: 1, write: 0 }),
        op('force_write', { mm: 0, sub: 1, val: 5 }),
        op('unpin', { mm: 0, sub: 1 }),
      ],
      [op('fork', { src: 0, dst: 1 }), op('read', { mm: 1, sub: 1 })],
    ],
  },
];
