/**
 * THP operations and their arguments (checker/op-schema.ts). `mm` indexes the
 * processes of the scenario (params.mms), `sub` the subpages of a huge page
 * (params.nr, at most 16 in the model), `thp` the tracked huge page (params.thps, default 0); fork copies every
 * THP's range.
 */
import { A, defineOps, type OpUnion } from '../../checker/op-schema.js';
import type { ThpParams as P } from '../../impl/thp/page.js';
import { MAX_THPS } from './params.js';

const MAX_MMS = 8;
const MAX_NR = 16;
const mm = A.int<P>(0, MAX_MMS - 1, 'process (mm_struct) index', { text: 'params.mms - 1', max: (p) => p.mms - 1 });
const sub = A.int<P>(0, MAX_NR - 1, 'subpage index', { text: 'params.nr - 1', max: (p) => p.nr - 1 });
/** Which tracked THP the op names (params.thps; impl/thp-common/kthps.ts): its range's subpages, page tables and pages. */
const thp = A.optional(
  A.int<P>(0, MAX_THPS - 1, 'tracked THP (default 0): the op works on its range', {
    text: 'params.thps - 1',
    max: (p) => (p.thps ?? 1) - 1,
  }),
);
const range = {
  mm,
  from: A.int<P>(0, MAX_NR - 1, 'first subpage of the range', { text: 'params.nr - 1', max: (p) => p.nr - 1 }),
  to: A.int<P>(1, MAX_NR, 'end subpage of the range (exclusive)', { text: 'params.nr', max: (p) => p.nr }),
};

export const thpOps = defineOps({
  fault: { doc: 'fault the THP into mm by PMD', args: { mm, thp } },
  fault_pte: { doc: 'file fault of one subpage by PTE', args: { mm, sub, thp } },
  fork: { doc: 'fork: process dst becomes a copy of process src', args: { src: mm, dst: mm } },
  split_huge_pmd: { doc: 'split_huge_pmd from a page-table walker (mmap_lock for read)', args: { mm, thp } },
  mprotect: {
    doc: 'mprotect of part of the THP, adding PROT_EXEC or back to the original protection: splits the PMD at the border',
    args: {
      thp,
      ...range,
      exec: A.optional(
        A.int(0, 1, 'PROT_EXEC added (1, default) or back to PROT_READ|PROT_WRITE, the VMA merging again (0)'),
      ),
    },
  },
  mlock: { doc: 'mlock of part of the THP: splits the PMD at the border', args: { ...range, thp } },
  munlock: {
    doc: 'munlock of part of the THP: splits the PMD at a new border; unlocked neighbours merge again',
    args: { ...range, thp },
  },
  munmap: { doc: 'munmap of subpages [from, to) in mm', args: { ...range, thp } },
  madvise_dontneed: {
    doc: 'MADV_DONTNEED of subpages [from, to) of a private anon range in mm (mmap_lock for read; the page table stays)',
    args: { ...range, thp },
  },
  mremap: {
    doc: 'mremap(MREMAP_MAYMOVE | MREMAP_FIXED) of the whole range in mm to another address and back: PMD-aligned (move_huge_pmd moves the PMD) or not (split_huge_pmd, then move_ptes)',
    args: { mm, aligned: A.int(0, 1, 'the other address is PMD-aligned (1) or one page off (0)'), thp },
  },
  mprotect_ro: { doc: 'mprotect(PROT_READ) of the whole private anon range in mm', args: { mm, thp } },
  numa_hint: {
    doc: 'NUMA balancing marks the range PROT_NONE (change_prot_numa, mmap_lock for read) and a hinting fault restores it',
    args: { mm, thp },
  },
  populate_read: {
    doc: 'read-fault every unmapped subpage of a private anon range in mm: the huge zero page, or small zero pages',
    args: { mm, thp },
  },
  force_write: {
    doc: '/proc/pid/mem write (FOLL_FORCE | FOLL_WRITE) of val to subpage sub of mm, also on a read-only private VMA',
    args: { mm, sub, val: A.optional(A.int(0, 99, 'the value written (default 1)')), thp },
  },
  force_read: {
    doc: '/proc/pid/mem read (FOLL_FORCE) of subpage sub of mm; faults in the zero page when unmapped',
    args: { mm, sub, thp },
  },
  migrate: {
    doc: 'move_pages(2) of the range in mm (private anon, or a file THP in the page cache): the huge page mm maps there moves to a new physical page (not when pinned or referenced)',
    args: { mm, thp },
  },
  swap_out: {
    doc: 'reclaim to swap (shrink_page_list) of the anon THP holding subpage sub, or of small page sub of a split one; with mm, of the page mm maps at sub (a private copy there, also one shared after fork): ok (it left memory) or kept',
    args: { sub, mm: A.optional(mm), thp },
  },
  madvise_pageout: {
    doc: 'madvise(MADV_PAGEOUT) of subpages [from, to) of the range in mm: may split the THP and reclaim pages wholly in the range (anon: to swap; file: unmapped everywhere and out of the page cache) (returns ok; data and pins unchanged)',
    args: { ...range, thp },
  },
  pin: {
    doc: 'pin_user_pages(FOLL_PIN [| FOLL_LONGTERM]) of one subpage through mm (slow path; breaks COW first when write-protected; a long-term pin unshares the zero page)',
    args: {
      thp,
      mm,
      sub,
      write: A.optional(A.int(0, 1, 'FOLL_WRITE (1) or a read-only pin (0, default)')),
      longterm: A.optional(A.int(0, 1, 'FOLL_LONGTERM (1) or a short-term pin (0, default)')),
    },
  },
  pin_fast: {
    doc: 'pin_user_pages_fast(FOLL_PIN) of one subpage: lockless, or falls back without pinning',
    args: { mm, sub, thp },
  },
  unpin: { doc: 'unpin_user_page of the page mm pinned at subpage sub', args: { mm, sub, thp } },
  scan_get: { doc: 'a pfn walker takes a speculative reference (get_page_unless_zero)', args: { sub, thp } },
  scan_put: { doc: 'the pfn walker drops its speculative reference', args: { sub, thp } },
  split: {
    doc: 'split_huge_page of the page holding subpage sub (caller holds a reference and the page lock)',
    args: { sub, thp },
  },
  deferred_split_scan: { doc: 'the deferred split shrinker runs once', args: { thp } },
  put_prior: {
    doc: 'the owner of the THP queued for deferred split before this one (params.prior) unpins and unmaps it: its last own reference',
    args: {},
  },
  collapse: { doc: 'khugepaged collapses the range in mm back to a THP', args: { mm, thp } },
  collapse_file: {
    doc: "khugepaged collapses the split file THP's small page-cache pages (scanned from mm) into a new THP and retracts the page tables",
    args: { mm, thp },
  },
  wp_fault: {
    doc: 'userspace write of val to subpage sub of a private anon mapping in mm (a write fault when write-protected)',
    args: { mm, sub, val: A.optional(A.int(0, 99, 'the value written (default 1)')), thp },
  },
  read: {
    doc: 'userspace read of subpage sub through mm: the data of the page it maps, or nomap',
    args: { mm, sub, thp },
  },
  evict: { doc: 'evict the file THP (or its split pages) from the page cache', args: { thp } },
  page_mapcount: { doc: 'query page_mapcount(subpage) under the page lock', args: { sub, thp } },
  total_mapcount: { doc: 'query total_mapcount(head) under the page lock', args: { thp } },
  page_mapped: { doc: 'query page_mapped(subpage) under the page lock', args: { sub, thp } },
  page_count: { doc: 'query page_count(subpage) under the page lock', args: { sub, thp } },
});

export type ThpOp = OpUnion<typeof thpOps>;
