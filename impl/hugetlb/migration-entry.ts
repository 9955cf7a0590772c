/**
 * The page under migration (g.mig, impl/hugetlb/migrate.ts) as faults meet it:
 * a hugetlb migration entry in a PTE (hugetlb_fault -> migration_entry_wait_huge)
 * or, for a page-cache lookup, the folio locked by the migration.
 */
import { type T, argInt, faultFile, faultMutexFree } from './context.js';
import { type G, type Vma, V_LIVE } from './state.js';

/** g.mig of a page-cache folio (file, idx) or of an anonymous folio (VMA slot, idx). */
export const migKey = (file: boolean, k: number, idx: number): number => 1 + (((k << 5) | idx) << 1) + (file ? 1 : 0);

/**
 * A fault on (w, idx) meets the migration entry of g.mig, or (not mapped here) the locked folio in
 * the page cache: hugetlb_fault's migration_entry_wait_huge, filemap_lock_hugetlb_folio. It waits.
 */
export function migrationWait(g: Readonly<G>, w: Vma, idx: number): boolean {
  if (g.mig === 0) return false;
  const file = ((g.mig - 1) & 1) === 1;
  const k = (g.mig - 1) >> 6;
  if (((g.mig - 1) >> 1) % 32 !== idx) return false;
  if (file) return faultFile(w) === k && !w.anon.includes(idx);
  return g.vma[k] === w || (w.peer === k && w.cow.includes(idx));
}

/** hugetlb_fault's entry: the fault mutex is free and no migration entry makes it wait (migrationWait). */
export function faultMayEnter(g: Readonly<G>, t: T): boolean {
  const v = g.vma[argInt(t, 'v')];
  if (v && v.st === V_LIVE && migrationWait(g, v, argInt(t, 'i'))) return false;
  return faultMutexFree(g, t);
}
