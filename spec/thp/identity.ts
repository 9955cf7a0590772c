/**
 * Page identity and data in the THP spec: which page each virtual page of
 * each process maps (a THP subpage, a private copy, a collapsed huge page),
 * which page each pin holds, and the data each page reads.
 *
 * Private copies have no kernel-visible name a user could rely on (their pfn
 * is the allocator's choice), so they are numbered canonically: in order of
 * first appearance in cow[mm][i] (mm-major), then copies held only by pins in
 * the order of their sorted pin records. Two states that differ only in which
 * physical page backs a copy are the same state.
 */
import { splitPmd, splitZeroPmd, unmapPte } from './mappings.js';
import { del } from './view.js';
import type { ThpView } from './view.js';

/** Renumber private copies canonically, drop copies nobody maps or pins, and derive pins[] from pinned. */
export function canonicalCopies(c: ThpView): void {
  const n = c.data.length;
  const order: number[] = [];
  const seen = new Map<number, number>();
  const note = (id: number): void => {
    if (id >= 0 && !seen.has(id)) {
      seen.set(id, order.length);
      order.push(id);
    }
  };
  for (const row of c.cow) for (const id of row) note(id);
  const pinOnly = c.pinned.filter((p) => p[2]! >= n && !seen.has(p[2]! - n));
  pinOnly.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]! || c.copyData[a[2]! - n]! - c.copyData[b[2]! - n]!);
  for (const p of pinOnly) note(p[2]! - n);
  c.cow = c.cow.map((row) => row.map((id) => (id < 0 ? -1 : seen.get(id)!)));
  c.copyData = order.map((id) => c.copyData[id]!);
  c.pinned = c.pinned.map((p) => [p[0]!, p[1]!, p[2]! < n ? p[2]! : n + seen.get(p[2]! - n)!]);
  c.pinned.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!);
  c.pins = c.data.map((_, i) => c.pinned.filter((p) => p[2] === i).length);
}

/** pageAt() of a virtual page that maps the zero page. */
export const ZERO_PAGE = -3;

/** The page mm maps at subpage i: i (THP subpage), n + id (private copy), -2 (collapsed huge page), -3 (the zero page), -1 (nothing). */
export function pageAt(c: ThpView, mm: number, i: number): number {
  const n = c.data.length;
  if (c.pmd.includes(mm) || c.pte[i]!.includes(mm) || c.swapped[i]!.includes(mm)) return i;
  const id = c.cow[mm]![i]!;
  if (id >= 0) return n + id;
  if (c.foreign[i]!.includes(mm)) return -2;
  if (c.zero[i]!.includes(mm)) return ZERO_PAGE;
  return -1;
}

/** mm maps the huge zero page: the zero page at every subpage and no page table. */
export const hugeZero = (c: ThpView, mm: number): boolean =>
  !c.ptable.includes(mm) && c.zero.every((s) => s.includes(mm));

/** The data a load of subpage i through mm returns (the page must be mapped). */
export function dataOf(c: ThpView, mm: number, i: number): number {
  const page = pageAt(c, mm, i);
  const n = c.data.length;
  if (page === -2) return c.fdata[mm]![i]!;
  if (page === ZERO_PAGE) return c.zeroData;
  return page < n ? c.data[page]! : c.copyData[page - n]!;
}

/** Another mm maps `page`, or another mm holds a pin on it. */
export function sharedWithOthers(c: ThpView, mm: number, page: number): boolean {
  if (page === ZERO_PAGE) return true; /* the zero page is every process's */
  for (let m = 0; m < c.mms; m++) if (m !== mm && c.pte.some((_, i) => pageAt(c, m, i) === page)) return true;
  return c.pinned.some((p) => p[0] !== mm && p[2] === page);
}

/**
 * mm itself holds a pin on `page` that a copy must not leave behind. A pin of
 * the zero page never counts: it does not follow the pinner's writes (on_pin).
 */
export const pinnedBy = (c: ThpView, mm: number, page: number): boolean =>
  page !== ZERO_PAGE && c.pinned.some((p) => p[0] === mm && p[2] === page);

/** Give mm a fresh private copy at subpage i holding `data` (the caller unmapped the old page). */
export function mapNewCopy(c: ThpView, mm: number, i: number, data: number): void {
  c.cow[mm]![i] = c.copyData.length;
  c.copyData.push(data);
}

/**
 * mm's subpage i moves to a fresh private copy holding `data` (a COW copy or
 * an unshare): a PMD mapping is split first; returns the new page.
 */
export function copyForWrite(c: ThpView, mm: number, i: number, data: number): number {
  const n = c.data.length;
  if (c.pmd.includes(mm)) splitPmd(c, mm);
  splitZeroPmd(c, mm);
  const page = pageAt(c, mm, i);
  if (page === i) unmapPte(c, mm, i);
  if (page === ZERO_PAGE) del(c.zero[i]!, mm);
  mapNewCopy(c, mm, i, data);
  return n + c.cow[mm]![i]!;
}
