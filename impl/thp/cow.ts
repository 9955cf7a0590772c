/**
 * Small anon pages made by COW (mm/memory.c @ v5.10 wp_page_copy(): a fresh
 * page, copy_user_highpage(), page_add_new_anon_rmap()), what each virtual
 * page of an mm maps, and userspace loads and stores.
 *
 * The model's copies live in a fixed pool (g.copies); running out of slots is
 * a model-bound error (BUG_ON), never a silent change of behaviour.
 */
import {
  BUG_ON,
  GUP_PIN_COUNTING_BIAS,
  PTE_COPY,
  PTE_FOREIGN,
  PTE_MIGRATION,
  PTE_NONE,
  PTE_PRESENT,
  PTE_ZERO,
  compound_head,
  isSwapPte,
  maybeDmaPinnedPage,
  type MmT,
  type T,
  type ThpState,
} from './page.js';

type G = ThpState;

/** What virtual page i of an mm maps. */
export type Target =
  | { readonly kind: 'thp' } /* subpage i of the tracked THP, by PMD or PTE */
  | { readonly kind: 'copy'; readonly k: number }
  | { readonly kind: 'foreign' } /* a subpage of a huge page khugepaged collapsed the range into */
  | { readonly kind: 'zero' } /* the huge zero page (by PMD) or the small zero page (by PTE) */
  | { readonly kind: 'migration' }
  | { readonly kind: 'swap' } /* a swap PTE of slot i (impl/thp/swap.ts): only targetOfSwap() returns it */
  | { readonly kind: 'none' };

const THP: Target = { kind: 'thp' };
const NONE: Target = { kind: 'none' };
const ZERO: Target = { kind: 'zero' };

/**
 * What virtual page i maps. A swap PTE is an error here (an impl-error naming the path), so a
 * path that does not model swap-in never silently treats one as something else; paths that
 * handle swap PTEs call targetOfSwap().
 */
export function targetOf(mm: Readonly<MmT>, i: number): Target {
  const tg = targetOfSwap(mm, i);
  if (tg.kind === 'swap')
    throw new Error(`not modelled: this path meets a swap PTE (subpage ${i}); see subsystems/thp/NOTES.md, swap-out`);
  return tg;
}

export function targetOfSwap(mm: Readonly<MmT>, i: number): Target {
  if (mm.pmd === 'huge' || mm.pmd === 'splitting') return THP;
  if (mm.pmd === 'foreign') return { kind: 'foreign' };
  if (mm.pmd === 'zero') return ZERO;
  if (mm.pmd === 'migration') return { kind: 'migration' }; /* a PMD migration entry */
  if (mm.pmd !== 'table') return NONE;
  const e = mm.pte[i]!;
  if (e === PTE_PRESENT) return THP;
  if (e === PTE_MIGRATION) return { kind: 'migration' };
  if (e === PTE_FOREIGN) return { kind: 'foreign' };
  if (e === PTE_ZERO) return ZERO;
  if (e >= PTE_COPY) return { kind: 'copy', k: e - PTE_COPY };
  if (isSwapPte(e)) return { kind: 'swap' };
  BUG_ON(e !== PTE_NONE, `bad pte value ${e}`);
  return NONE;
}

/** The value a userspace load of virtual page i reads (the target must be present). */
export function loadData(g: Readonly<G>, mm: Readonly<MmT>, i: number): number {
  const tg = targetOf(mm, i);
  if (tg.kind === 'thp') return g.pages[i]!.data;
  if (tg.kind === 'copy') return g.copies[tg.k]!.data;
  if (tg.kind === 'foreign') return mm.foreign_data[i]!;
  if (tg.kind === 'zero') return g.zero_data;
  throw new Error(`loadData: virtual page ${i} is not present`);
}

/** A userspace store into virtual page i (the PTE/PMD must be writable). */
export function storeData(g: G, mm: MmT, i: number, v: number): void {
  const tg = targetOf(mm, i);
  if (tg.kind === 'thp') g.pages[i]!.data = v;
  else if (tg.kind === 'copy') g.copies[tg.k]!.data = v;
  else if (tg.kind === 'foreign') mm.foreign_data[i] = v;
  else if (tg.kind === 'zero') g.zero_data = v; /* only a bug writes here (a8f97366452e) */
  else BUG_ON(true, `storeData: virtual page ${i} is not present`);
}

/** alloc_page + copy_user_highpage: a copy of `data` with one reference and one mapping; returns its slot. */
export function alloc_copy(g: G, data: number): number {
  const k = g.copies.findIndex((c) => c.refcount === 0);
  BUG_ON(k < 0, 'copy pool exhausted (model bound: raise copyPoolSize)');
  const c = g.copies[k]!;
  c.refcount = 1;
  c.mapcount = 0; /* page_add_new_anon_rmap(): also SetPageAnonExclusive (v5.19+) */
  c.data = data;
  c.anon_exclusive = true;
  c.swap = 0;
  c.locked = 0;
  return k;
}

/** put_page() on a copy; it is freed at 0 (free_pages_check: no mapping left). */
export function put_copy(g: G, k: number, n = 1): void {
  const c = g.copies[k]!;
  c.refcount -= n;
  BUG_ON(c.refcount < 0, `put_page: copy ${k} _refcount went negative`);
  if (c.refcount === 0) {
    BUG_ON(c.mapcount !== -1, `free_page: copy ${k} still mapped (bad_page)`);
    c.anon_exclusive = false; /* free_pages_prepare(): page flags are cleared on free */
  }
}

/**
 * The kernel decides COW reuse and GUP unsharing without PG_anon_exclusive: before 6c287605fd56 "mm: remember
 * exclusively mapped anonymous pages with PG_anon_exclusive" (v5.19), so also before 17839856fd58 (v5.8) and before
 * feb889fb40fa (v5.11; 5.10.y has it since 72c5ce89427f), whose variant is 5.10 as released.
 */
export const preExclusive = (t: T): boolean => t.bug('6c287605fd56') || t.bug('17839856fd58') || t.bug('feb889fb40fa');

/** PageAnonExclusive() of the page virtual page i maps (a PMD mapping or PMD migration entry: the head's flag). */
export function pageAnonExclusive(g: Readonly<G>, mm: Readonly<MmT>, i: number): boolean {
  const tg = targetOf(mm, i);
  if (tg.kind === 'copy') return g.copies[tg.k]!.anon_exclusive;
  if (tg.kind !== 'thp' && tg.kind !== 'migration') return false;
  return mm.pmd === 'table' ? g.pages[i]!.anon_exclusive : g.pages[0]!.anon_exclusive;
}

/** ClearPageAnonExclusive() of the page virtual page i maps (page_try_dup_anon_rmap at fork). */
export function clearAnonExclusive(g: G, mm: Readonly<MmT>, i: number): void {
  const tg = targetOf(mm, i);
  if (tg.kind === 'copy') g.copies[tg.k]!.anon_exclusive = false;
  else if (tg.kind === 'thp' || tg.kind === 'migration') g.pages[mm.pmd === 'table' ? i : 0]!.anon_exclusive = false;
}

/** page_maybe_dma_pinned() (include/linux/mm.h @ v5.10) of the page virtual page i maps. */
export function maybeDmaPinned(g: Readonly<G>, mm: Readonly<MmT>, i: number): boolean {
  const tg = targetOf(mm, i);
  if (tg.kind === 'copy') return g.copies[tg.k]!.refcount >= GUP_PIN_COUNTING_BIAS;
  if (tg.kind !== 'thp') return false;
  return maybeDmaPinnedPage(g, compound_head(g, i) === 0 && g.head ? 0 : i);
}
