/**
 * Page-table queries over the modelled PMD slot and PTE table of each mm, and
 * free_pgtables() (mm/memory.c @ v5.10) once a range is empty.
 */
import { PTE_NONE, PTE_PRESENT, type MmT, type ThpState } from './page.js';

/** Number of present page-table entries (PMD or PTE) of any mm mapping subpage i. */
export function presentMappings(g: Readonly<ThpState>, i: number): number {
  let n = 0;
  for (const mm of g.mms) {
    if (mm.pmd === 'huge' || mm.pmd === 'splitting') n++;
    else if (mm.pmd === 'table' && mm.pte[i] === PTE_PRESENT) n++;
  }
  return n;
}

/** Does mm have a present entry (or a PMD being split) for the tracked page? */
export function mmMapsPage(mm: Readonly<MmT>): boolean {
  if (mm.pmd === 'huge' || mm.pmd === 'splitting') return true;
  return mm.pmd === 'table' && mm.pte.some((x) => x === PTE_PRESENT);
}

/** The table holds nothing at all (free_pgtables() may drop it once the VMA is gone). */
export function tableEmpty(mm: Readonly<MmT>): boolean {
  return mm.pte.every((x) => x === PTE_NONE);
}

/** __pte_alloc() under pmd_none: an empty PTE table (a fault that maps no PMD). */
export function pte_alloc(mm: MmT): void {
  mm.pmd = 'table';
  mm.pte.fill(PTE_NONE);
  mm.pte_write.fill(false);
  mm.pte_dirty.fill(false);
}

/** The PTE entry for subpage i in mm, PTE_NONE when mm does not PTE-map the range. */
export const pteOf = (mm: Readonly<MmT>, i: number): number => (mm.pmd === 'table' ? mm.pte[i]! : PTE_NONE);

/** Every PTE of the range maps the tracked THP (khugepaged's "all present" scan result). */
export function allPresent(mm: Readonly<MmT>): boolean {
  return mm.pmd === 'table' && mm.pte.every((x) => x === PTE_PRESENT);
}

/**
 * munmap()'s free_pgtables(): once the range holds nothing, the PTE table goes
 * with the VMA, and unlink_anon_vmas() takes the VMA off the anon_vma (a
 * tombstone in the walk order, so a concurrent rmap walk's position holds).
 */
export function free_pgtables(g: ThpState, m: number): void {
  const mm = g.mms[m]!;
  if (mm.pmd === 'table' && tableEmpty(mm)) mm.pmd = 'none';
  if (mm.pmd === 'none') {
    mm.foreign_data.fill(0);
    mm.pte_write.fill(false);
    mm.pte_dirty.fill(false);
  }
}
