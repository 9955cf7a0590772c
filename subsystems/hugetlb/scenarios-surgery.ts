/**
 * hugetlb scenarios of VMA surgery beyond munmap (issue 10 item 3): mprotect
 * splitting a private owner's and a shared mapping, mremap shrinking, moving
 * and refusing to grow, with the faults of another task racing them.
 */
import type { Scenario } from '../../checker/types.js';
import type { HugetlbParams } from './params.js';
import { P, munmap, one, op, pv, rd, sh, wr } from './scenario-helpers.js';

const mprotect = (v: number, from: number, to: number, ro: boolean, extra: Record<string, number | boolean> = {}) =>
  op('mprotect', { v, from, to, ro, ...extra });
const mremap = (v: number, from: number, to: number, len: number, extra: Record<string, number | boolean> = {}) =>
  op('mremap', { v, from, to, len, ...extra });

export const surgeryScenarios: Scenario<HugetlbParams>[] = [
  {
    name: 'mprotect-split',
    description:
      'a private owner makes the middle of its mapping read-only (three VMAs sharing its resv_map; a misaligned start is EINVAL with nothing changed), writes the read-only piece (SIGSEGV) and another, then unmaps a piece or moves the read-only one with mremap (clear_vma_resv_huge_pages: the reservations go with the moved VMA), while another task writes the last piece: every piece keeps exactly its own promises and data, and nothing leaks',
    params: P({ pool: 4, overcommit: 0, fileSize: 3, vmas: 4 }),
    threads: [
      [
        one(pv(0, 0, 0, 3)),
        one(wr(0, 0)),
        [mprotect(0, 1, 2, true, { c: 1, d: 2 }), mprotect(0, 1, 2, true, { misalign: true })],
        [wr(1, 1), wr(0, 2)],
        [munmap(0), mremap(1, 1, 2, 1, { c: 3 })],
        [munmap(1), munmap(3), wr(3, 1)],
      ],
      [[wr(2, 2), rd(2, 2)], one(munmap(2))],
    ],
  },
  {
    name: 'mremap-shared',
    description:
      "mremap of a shared mapping: shrunk (its tail unmapped), refused growth (EINVAL), or moved to a new place (copy_vma with its own hugetlb VMA lock, move_hugetlb_page_tables) and read there, while another process maps and writes the same file: the moved mapping sees the file's data, the other is untouched",
    params: P({ pool: 3, overcommit: 0, fileSize: 3, vmas: 3 }),
    threads: [
      [
        one(sh(0, 0, 0, 2)),
        one(wr(0, 0)),
        [mremap(0, 0, 2, 1), mremap(0, 0, 2, 3), mremap(0, 0, 2, 2, { c: 1 })],
        [rd(0, 0), rd(1, 0)],
        [munmap(0), munmap(1)],
      ],
      [one(sh(2, 0, 1, 3)), [wr(2, 1), rd(2, 2)], one(munmap(2))],
    ],
  },
];
