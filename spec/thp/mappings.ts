/**
 * Mapping-set mutations of the THP spec: what unmapping, PMD splits and page
 * splits do to the sets of mms mapping each subpage.
 */
import { add, del, specTotalMapcount, type ThpView } from './view.js';

export const mapsSub = (c: ThpView, mm: number, i: number): boolean => c.pmd.includes(mm) || c.pte[i]!.includes(mm);
export const mapsAny = (c: ThpView, mm: number): boolean =>
  c.pmd.includes(mm) ||
  c.pte.some((s) => s.includes(mm)) ||
  c.swapped.some((s) => s.includes(mm)) ||
  c.foreign.some((s) => s.includes(mm)) ||
  c.zero.some((s) => s.includes(mm)) ||
  c.cow[mm]!.some((id) => id >= 0);

/**
 * Remove mm's PTE mapping of subpage i. Anon: "we detect that a subpage of THP
 * is not in use in page_remove_rmap() and queue the THP for splitting"
 * (transhuge.rst) — the subpage's last mapping went away while no PMD maps the page.
 */
export function unmapPte(c: ThpView, mm: number, i: number): void {
  if (!c.pte[i]!.includes(mm)) return;
  del(c.pte[i]!, mm);
  if (c.kind === 'anon' && c.compound && c.pmd.length === 0 && c.pte[i]!.length === 0) c.queued = true;
}

/** Remove mm's PMD mapping; anon: the last one leaving a partially PTE-mapped page queues it. */
export function unmapPmd(c: ThpView, mm: number): void {
  if (!c.pmd.includes(mm)) return;
  del(c.pmd, mm);
  if (c.kind === 'anon' && c.pmd.length === 0) {
    const mapped = c.pte.filter((s) => s.length > 0).length;
    if (mapped > 0 && mapped < c.pte.length) c.queued = true;
  }
}

/** split_huge_pmd(): anon PMD becomes PTEs of every subpage; a file PMD is just zapped (refaults later). */
export function splitPmd(c: ThpView, mm: number): void {
  if (!c.pmd.includes(mm)) return;
  if (c.kind === 'file') {
    del(c.pmd, mm);
    return;
  }
  del(c.pmd, mm);
  for (const s of c.pte) add(s, mm);
  add(c.ptable, mm);
}

/** A successful split_huge_page(): every subpage is now its own page with its own mappings and refcount. */
export function splitPage(c: ThpView): void {
  if (c.kind === 'anon') {
    for (const mm of c.pmd) {
      for (const s of c.pte) add(s, mm);
      add(c.ptable, mm);
    }
  } else {
    for (const s of c.pte) s.length = 0; // "File pages just get unmapped."
  }
  c.pmd = [];
  c.compound = false;
  c.queued = false;
}

/** A split that unmapped (anon: froze) the page and then failed to freeze the refcount. */
export function failedSplitAfterUnmap(c: ThpView): void {
  const had = specTotalMapcount(c) > 0;
  if (c.kind === 'anon') {
    // splitPmd() removes mm from c.pmd: iterate over a copy
    // oxlint-disable-next-line unicorn/no-useless-spread
    for (const mm of [...c.pmd]) splitPmd(c, mm); // TTU_SPLIT_HUGE_PMD; remap_page() restores PTEs
    if (had) c.queued = true;
  } else {
    c.pmd = [];
    for (const s of c.pte) s.length = 0;
  }
}

/** A PMD mapping a foreign huge page (a khugepaged copy) is split like any other: its range gets a page table. */
export function splitForeignPmd(c: ThpView, mm: number): void {
  if (!c.ptable.includes(mm) && c.foreign.every((s) => s.includes(mm))) add(c.ptable, mm);
}

export function dropTableIfEmpty(c: ThpView, mm: number): void {
  if (!mapsAny(c, mm)) del(c.ptable, mm);
}

/** __split_huge_zero_page_pmd(): a huge zero PMD becomes a page table of small zero PTEs (same page, same data). */
export function splitZeroPmd(c: ThpView, mm: number): void {
  if (!c.ptable.includes(mm) && c.zero.every((s) => s.includes(mm))) add(c.ptable, mm);
}

/** do_huge_pmd_anonymous_page() on a write: a fresh, zeroed THP mapped by PMD in mm (the model has one huge page). */
export function mapFreshThp(c: ThpView, mm: number): void {
  const n = c.pte.length;
  c.compound = true;
  c.data.fill(0);
  c.pmd = [mm];
  for (let i = 0; i < n; i++) {
    c.pte[i] = [];
    c.pins[i] = 0;
    c.refs[i] = 0;
    c.freed[i] = false;
  }
  c.queued = false;
}

/**
 * A read fault of mm's unmapped virtual pages: with no page table, the huge
 * zero page by PMD (do_huge_pmd_anonymous_page → set_huge_zero_page), or when
 * `pte` (no single VMA over the range: VM_FAULT_FALLBACK) a page table; then the
 * small zero page in each empty PTE of `subs` (do_anonymous_page).
 */
export function mapZero(c: ThpView, mm: number, subs: readonly number[], pte = false): void {
  const n = c.pte.length;
  const unmapped = (i: number): boolean =>
    !mapsSub(c, mm, i) &&
    !c.swapped[i]!.includes(mm) &&
    !c.foreign[i]!.includes(mm) &&
    c.cow[mm]![i]! < 0 &&
    !c.zero[i]!.includes(mm);
  if (!c.ptable.includes(mm)) {
    for (let i = 0; i < n; i++) if (!unmapped(i)) return; /* a PMD maps the range */
    if (!pte) {
      for (let i = 0; i < n; i++) add(c.zero[i]!, mm);
      return;
    }
    add(c.ptable, mm);
  }
  for (const i of subs) if (unmapped(i)) add(c.zero[i]!, mm);
}
