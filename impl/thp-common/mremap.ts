/**
 * The step names of mremap(2) of the whole range there and back, shared by
 * impl/thp and impl/thp-folio (each has its own steps: impl/thp/mremap.ts,
 * impl/thp-folio/mremap.ts).
 */
import { vmaHugeSuitable, type VmaLayout } from './vma-layout.js';

export const MREMAP = {
  lock: 'mremap: mmap_write_lock',
  huge: 'move_huge_pmd: old and new pmd_lock, pmdp_huge_get_and_clear + set_pmd_at (there and back)',
  ptes: 'move_normal_pmd / move_ptes: old and new page-table locks (there and back)',
  unlock: 'mremap: mmap_write_unlock',
} as const;
/**
 * vma_to_resize() (mm/mremap.c @ v6.1 and v6.12, called by mremap_to() under mmap_lock for write): vma_lookup() of
 * the old address finds no VMA (a munmap hole at the range's first page), or "We can't remap across vm area
 * boundaries" (old_len > vma->vm_end - addr: the range is cut by munmap, mprotect or mlock): -EFAULT, nothing moves.
 * One VMA covers the range exactly when transhuge_vma_suitable() would say so (vmaHugeSuitable).
 */
export const vmaToResizeFails = (mm: Readonly<VmaLayout>, nr: number): boolean => !vmaHugeSuitable(mm, nr);

export type MremapStep = (typeof MREMAP)[keyof typeof MREMAP];

/** A PMD that move_page_tables() sees as huge (pmd_trans_huge, a PMD mid-split that still reads as huge, or is_swap_pmd: a PMD migration entry). */
export const isHugePmd = (pmd: string): boolean =>
  pmd === 'huge' ||
  pmd === 'zero' ||
  pmd === 'foreign' ||
  pmd === 'splitting' ||
  pmd === 'migration' ||
  pmd === 'foreign_migration';

export const mremapDoc = (version: string): string =>
  `mremap(MREMAP_MAYMOVE | MREMAP_FIXED) of the whole range to another address and back, under mmap_lock for write: aligned, move_huge_pmd() moves the PMD intact; not PMD-aligned, split_huge_pmd() then move_ptes() (mm/mremap.c move_page_tables() @ ${version})`;
