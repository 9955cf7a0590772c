/**
 * struct resv_map (mm/hugetlb.c @ v6.1; Documentation/vm/hugetlbfs_reserv.rst
 * "Reservation Map Modifications" @ v5.10): a sorted, coalesced list
 * of file_region [from, to) kept flat as [from0, to0, from1, to1, ...], plus
 * the descriptor cache count (region_cache_count) and adds_in_progress.
 *
 * These functions are the work done *inside* one resv_map->lock critical
 * section. Where the kernel drops the lock to kmalloc (allocate_file_region_entries,
 * region_del split), they report what is missing and the caller ends its
 * atomic step there.
 */

export interface ResvMap {
  /** Flat sorted, disjoint, coalesced [from, to) pairs. */
  reg: number[];
  /** adds_in_progress: region_chg calls not yet closed by region_add/region_abort. */
  adds: number;
  /** region_cache_count: pre-allocated file_region descriptors. */
  cache: number;
}

/**
 * add_reservation_in_range in count mode: pages of [f, t) not covered
 * (the region_chg / region_add return value) and the number of gaps
 * (regions_needed).
 */
export function countGaps(reg: readonly number[], f: number, t: number): { chg: number; needed: number } {
  let chg = 0;
  let needed = 0;
  let last = f;
  for (let k = 0; k < reg.length; k += 2) {
    const rf = reg[k]!;
    const rt = reg[k + 1]!;
    if (rt <= last) continue;
    if (rf >= t) break;
    if (rf > last) {
      chg += rf - last;
      needed++;
    }
    last = Math.max(last, rt);
    if (last >= t) break;
  }
  if (last < t) {
    chg += t - last;
    needed++;
  }
  return { chg, needed };
}

/**
 * region_chg, first half (under the lock): returns chg and regions_needed
 * (at least 1), and how many descriptors must be kmalloc'ed (lock dropped)
 * before adds_in_progress may be raised. 0 = proceed with `regionChgCommit`.
 */
export function regionChgCount(m: ResvMap, f: number, t: number): { chg: number; needed: number; missing: number } {
  const { chg, needed: n } = countGaps(m.reg, f, t);
  const needed = n === 0 ? 1 : n;
  const missing = Math.max(0, m.adds + needed - m.cache);
  return { chg, needed, missing };
}

/** region_chg tail: resv->adds_in_progress += regions_needed. */
export function regionChgCommit(m: ResvMap, needed: number): void {
  m.adds += needed;
}

/**
 * region_add(resv, f, t, in_regions_needed): adds every gap of [f, t) as a
 * region (one cached descriptor each; coalescing kfree's the merged ones) and
 * closes the chg. Returns pages added, or -(descriptors missing) when the map
 * changed since region_chg and more descriptors are needed (the kernel then
 * drops the lock to allocate and retries; only possible for t - f > 1).
 */
export function regionAdd(m: ResvMap, f: number, t: number, inNeeded: number): number {
  const { chg, needed: actual } = countGaps(m.reg, f, t);
  if (actual > inNeeded && m.cache < m.adds + (actual - inNeeded)) return -(m.adds + (actual - inNeeded) - m.cache);
  m.cache -= actual;
  m.reg = insertRange(m.reg, f, t);
  m.adds -= inNeeded;
  return chg;
}

/** region_abort: resv->adds_in_progress -= regions_needed. */
export function regionAbort(m: ResvMap, needed: number): void {
  m.adds -= needed;
}

/** Union of [f, t) into a coalesced flat list. */
export function insertRange(reg: readonly number[], f: number, t: number): number[] {
  const out: number[] = [];
  let nf = f;
  let nt = t;
  let placed = false;
  for (let k = 0; k < reg.length; k += 2) {
    const rf = reg[k]!;
    const rt = reg[k + 1]!;
    if (rt < nf) out.push(rf, rt);
    else if (rf > nt) {
      if (!placed) {
        out.push(nf, nt);
        placed = true;
      }
      out.push(rf, rt);
    } else {
      nf = Math.min(nf, rf);
      nt = Math.max(nt, rt);
    }
  }
  if (!placed) out.push(nf, nt);
  return out;
}

/** True when deleting [f, t) splits a region (needs a new descriptor). */
export function delNeedsSplit(reg: readonly number[], f: number, t: number): boolean {
  for (let k = 0; k < reg.length; k += 2) if (f > reg[k]! && t < reg[k + 1]!) return true;
  return false;
}

/**
 * region_del(resv, f, t): removes [f, t), returns pages removed. A split takes
 * a cached descriptor only if region_cache_count > adds_in_progress, else uses
 * `extra` (a descriptor the caller kmalloc'ed with the lock dropped). Returns
 * -1 when a split is needed and no descriptor is at hand (caller must kmalloc
 * and retry, or fail with -ENOMEM).
 */
export function regionDel(m: ResvMap, f: number, t: number, extra: boolean): number {
  if (delNeedsSplit(m.reg, f, t)) {
    if (m.cache > m.adds) m.cache--;
    else if (!extra) return -1;
  }
  let del = 0;
  const out: number[] = [];
  for (let k = 0; k < m.reg.length; k += 2) {
    const rf = m.reg[k]!;
    const rt = m.reg[k + 1]!;
    if (rt <= f || rf >= t) {
      out.push(rf, rt);
      continue;
    }
    del += Math.min(rt, t) - Math.max(rf, f);
    if (rf < f) out.push(rf, f);
    if (rt > t) out.push(t, rt);
  }
  m.reg = out;
  return del;
}

/** region_count(resv, f, t): pages of [f, t) covered. */
export function regionCount(reg: readonly number[], f: number, t: number): number {
  let n = 0;
  for (let k = 0; k < reg.length; k += 2) {
    const lo = Math.max(f, reg[k]!);
    const hi = Math.min(t, reg[k + 1]!);
    if (hi > lo) n += hi - lo;
  }
  return n;
}

/** True when index i is covered. */
export function covers(reg: readonly number[], i: number): boolean {
  for (let k = 0; k < reg.length; k += 2) {
    if (i < reg[k]!) return false;
    if (i < reg[k + 1]!) return true;
  }
  return false;
}

/** Covered indices as a sorted array. */
export function coveredSet(reg: readonly number[]): number[] {
  const out: number[] = [];
  for (let k = 0; k < reg.length; k += 2) for (let i = reg[k]!; i < reg[k + 1]!; i++) out.push(i);
  return out;
}

/** I4: sorted, disjoint, non-adjacent (coalesced), from < to. Returns a message or null. */
export function regionsWellFormed(reg: readonly number[]): string | null {
  if (reg.length % 2) return 'odd region list';
  for (let k = 0; k < reg.length; k += 2) {
    if (!(reg[k]! < reg[k + 1]!)) return `region [${reg[k]},${reg[k + 1]}) empty or inverted`;
    if (k > 0 && !(reg[k - 1]! < reg[k]!)) return `regions not sorted/coalesced at ${reg[k]}`;
  }
  return null;
}
