/**
 * Page-table queries over the modelled PMD slot and PTE table of each mm, and
 * free_pgtables() (mm/memory.c @ v6.12) once a range is empty.
 */
// Deliberate parallel of impl/thp's pgtable.ts where the kernel code is unchanged: the two implementations stay independently built (own state types, own kernel-version citations) so spec/thp judges each on its own.
import { PTE_NONE, PTE_PRESENT, type FolioState, type MmT } from './folio.js';

/** Number of present page-table entries (PMD or PTE) of any mm mapping subpage i. */
export function presentMappings(g: Readonly<FolioState>, i: number): number {
  let n = 0;
  for (const mm of g.mms) {
    if (mm.pmd === 'huge' || mm.pmd === 'splitting') n++;
    else if ((mm.pmd === 'table' || mm.pmd === 'collapsing') && mm.pte[i] === PTE_PRESENT) n++;
  }
  return n;
}

/** Does mm have a present entry (or a PMD being split) for the tracked folio? */
export function mmMapsPage(mm: Readonly<MmT>): boolean {
  if (mm.pmd === 'huge' || mm.pmd === 'splitting') return true;
  return (mm.pmd === 'table' || mm.pmd === 'collapsing') && mm.pte.some((x) => x === PTE_PRESENT);
}

export function tableEmpty(mm: Readonly<MmT>): boolean {
  return mm.pte.every((x) => x === PTE_NONE);
}

/** __pte_alloc() under pmd_none: an empty PTE table (a fault that maps no PMD). */
export function pte_alloc(mm: MmT): void {
  mm.pmd = 'table';
  mm.pte.fill(PTE_NONE);
  mm.pte_write.fill(false);
  mm.pte_excl.fill(false);
}

/** The PTE entry for subpage i in mm, PTE_NONE when mm does not PTE-map the range. */
export const pteOf = (mm: Readonly<MmT>, i: number): number => (mm.pmd === 'table' ? mm.pte[i]! : PTE_NONE);

/** Every PTE of the range maps the tracked folio (khugepaged's "all present" scan result). */
export function allPresent(mm: Readonly<MmT>): boolean {
  return mm.pmd === 'table' && mm.pte.every((x) => x === PTE_PRESENT);
}

/**
 * munmap()'s free_pgtables(): once the range holds nothing, the PTE table goes
 * with the VMA, and unlink_anon_vmas() takes the VMA off the anon_vma (a
 * tombstone in the walk order, so a concurrent rmap walk's position holds).
 */
export function free_pgtables(g: FolioState, m: number): void {
  const mm = g.mms[m]!;
  if (mm.pmd === 'table' && tableEmpty(mm)) mm.pmd = 'none';
  if (mm.pmd === 'none') {
    mm.foreign_data.fill(0);
    mm.pte_write.fill(false);
    mm.pte_excl.fill(false);
  }
}
