/**
 * The promises hugetlbfs makes, as functions of the observable view (no
 * kernel counters, no subpool arithmetic):
 *
 *  - HugePages_Free is Total minus the pages in use (page cache + private
 *    pages, a page shared after fork counted once).
 *  - HugePages_Rsvd is the number of promises not yet backed by an
 *    instantiated page: file reservations without a cached page, a private
 *    owner's not-yet-faulted range, and what each mount holds for min_size
 *    (Documentation/vm/hugetlbfs_reserv.rst @ v5.10, "Reservation Map
 *    Modifications": the reservation maps correspond to the global count).
 *  - A mount's usage (pages + reservations charged to it) never exceeds
 *    size=; usage + reserve never falls below min_size, reserve never exceeds
 *    it, a new charge draws on the reserve first, and the reserve only grows
 *    by charges given back (Documentation/vm/hugetlbfs_reserv.rst, "Subpool
 *    Reservations"; Documentation/admin-guide/mm/hugetlbpage.rst min_size).
 *  - A reservation is made only when free unreserved pages, plus surplus
 *    pages up to nr_overcommit_hugepages, can back it (the buddy allocation
 *    of a surplus page may fail: that is the kernel's freedom, a choice).
 */
import type { HugetlbView, PinView, SpoolView, VmaView } from './view.js';

export const has = (s: readonly number[], x: number): boolean => s.includes(x);
export const add = (s: number[], x: number): number[] => (s.includes(x) ? s : [...s, x].sort((a, b) => a - b));
export const del = (s: number[], x: number): number[] => s.filter((y) => y !== x);
export const range = (f: number, t: number): number[] => Array.from({ length: Math.max(0, t - f) }, (_, i) => f + i);

export const isSharedKind = (k: string): boolean => k === 'shared' || k === 'noreserve';

export function at<X>(xs: readonly X[], k: number): X {
  const x = xs[k];
  if (x === undefined) throw new Error(`hugetlb spec: index ${k} out of range (length ${xs.length})`);
  return x;
}

/** The mount a mapping charges: its file's mount (shared) or its private file's mount. */
export function mountOf(v: HugetlbView, m: VmaView): number {
  return isSharedKind(m.kind) ? at(v.files, m.src).mount : m.src;
}

/** Pages in use: page cache + private pages (a page COW-shared by two mappings counted once). */
export function inUse(v: HugetlbView): number {
  let n = heldOn(v); // removed by a truncate/punch in progress, not freed yet
  for (const f of v.files) n += f.cache.length;
  n += orphans(v, () => true); // left the page cache, kept by pins
  let shared = 0;
  for (const m of v.vmas) {
    n += m.anon.length;
    shared += m.cow.length;
  }
  return n - shared / 2;
}

/** Pages and reservations charged to a mount (what size= limits). */
export function usage(v: HugetlbView, mount: number): number {
  let n = 0;
  let shared = 0;
  for (const f of v.files) if (f.mount === mount) n += f.resv.length;
  n += orphans(v, (q) => q.mount === mount); // uncharged when the last pin goes
  for (const m of v.vmas) {
    if (m.kind === 'none' || isSharedKind(m.kind) || m.src !== mount) continue;
    n += m.resv.length + m.anon.length;
    shared += m.cow.length;
  }
  return n - shared / 2;
}

/** HugePages_Rsvd: promises without an instantiated page. */
export function outstanding(v: HugetlbView): number {
  let r = 0;
  for (const f of v.files) for (const i of f.resv) if (!has(f.cache, i)) r++;
  // a truncate in progress keeps the entries of the pages it removed until it returns (region_del in
  // hugetlb_unreserve_pages), but those reservations were consumed by the pages: not outstanding
  const k = v.removing[0];
  if (k === STAGED_TRUNCATE || k === STAGED_TRUNCATE_FREED) r -= heldCount(v.removing[2] ?? 0);
  for (const m of v.vmas) r += m.resv.length;
  for (const s of v.spools) r += s.reserve;
  return r;
}

/**
 * Pages a truncate/punch in progress removed and has not freed yet (view.removing[2], the sum of
 * 8^node over them): on node nid, or on every node when nid is undefined.
 */
export const heldOn = (v: HugetlbView, nid?: number): number =>
  v.removing[0] === STAGED_TRUNCATE_FREED ? 0 : heldCount(v.removing[2] ?? 0, nid);

/** view.removing[0]: which call is in progress (ops-staged.ts). */
export const STAGED_PUNCH = 0;
export const STAGED_TRUNCATE = 1;
/** A truncate that has published i_size and not unmapped yet (its first stage_step unmaps). */
export const STAGED_TRUNCATE_PUBLISHED = 2;
/**
 * A truncate that has freed the pages it removed and not yet given back the reservations of the
 * range (remove_inode_hugepages @ v6.12: the folio batch is released before
 * hugetlb_unreserve_pages(inode, start, LONG_MAX, freed)).
 */
export const STAGED_TRUNCATE_FREED = 3;

/** How many pages a held code (the sum of 8^node over them) counts: on node nid, or on every node. */
export function heldCount(code: number, nid?: number): number {
  let n = 0;
  for (let k = 0; code > 0; k++, code = Math.floor(code / 8)) if (nid === undefined || nid === k) n += code % 8;
  return n;
}

/** The pages a truncate/punch in flight held (code: the sum of 8^node over them) are freed, each on its node. */
export function freeHeld(v: HugetlbView, code: number): void {
  for (let k = 0; code > 0; k++, code = Math.floor(code / 8)) for (let j = 0; j < code % 8; j++) pageFreed(v, k);
}

export function finish(v: HugetlbView): HugetlbView {
  pruneData(v);
  v.free = v.total - inUse(v);
  v.rsvd = outstanding(v);
  return v;
}

// ---------------------------------------------------------------------------
// page data (view.ts TOKEN)
// ---------------------------------------------------------------------------

type Data = [number, number][];

/** The token of the page at index i (0 = all zeroes, also for no page). */
export function tokenAt(data: Data, i: number): number {
  for (const [k, tok] of data) if (k === i) return tok;
  return 0;
}

/** The data with the page at i holding tok (zero tokens are not listed). */
export function withToken(data: Data, i: number, tok: number): Data {
  const out = data.filter(([k]) => k !== i);
  if (tok !== 0) out.push([i, tok]);
  return out.sort((a, b) => a[0] - b[0]);
}

/** Data and nodes only for pages that exist: a page that left a mapping or the page cache takes them along. */
export function pruneData(v: HugetlbView): void {
  for (const f of v.files) {
    if (f.data.some(([k]) => !has(f.cache, k))) f.data = f.data.filter(([k]) => has(f.cache, k));
    if (f.nodes.some(([k]) => !has(f.cache, k))) f.nodes = f.nodes.filter(([k]) => has(f.cache, k));
  }
  for (const m of v.vmas) {
    if (m.data.some(([k]) => !has(m.anon, k))) m.data = m.data.filter(([k]) => has(m.anon, k));
    if (m.nodes.some(([k]) => !has(m.anon, k))) m.nodes = m.nodes.filter(([k]) => has(m.anon, k));
  }
}

/**
 * What mapping m reads at index i (a user-level promise, tested in
 * test/hugetlb/private-file.test.ts): its private page if it has one, else
 * (MAP_PRIVATE of a file, or a shared mapping) the file's page, else zeroes.
 * A private write therefore shows only through the mapping that made it (and
 * the fork partner still sharing the page), never through the file.
 */
export function sees(v: HugetlbView, slot: number, i: number): number {
  const m = at(v.vmas, slot);
  if (has(m.anon, i)) return tokenAt(m.data, i);
  const file = isSharedKind(m.kind) ? m.src : m.file;
  if (file < 0) return 0;
  const f = at(v.files, file);
  return has(f.cache, i) ? tokenAt(f.data, i) : 0;
}

export function clone(v: HugetlbView): HugetlbView {
  return {
    ...v,
    spools: v.spools.map((s) => ({ ...s })),
    files: v.files.map((f) => ({ ...f })),
    vmas: v.vmas.map((m) => ({ ...m })),
    pins: v.pins.slice(),
  };
}

// ---------------------------------------------------------------------------
// mounts: size= and min_size=
// ---------------------------------------------------------------------------

/** New charges an operation made, by mount (to tell charges given back from the usage change). */
export type Ledger = number[];

export const newLedger = (v: HugetlbView): Ledger => v.spools.map(() => 0);

/**
 * Charge n pages or reservations to a mount: refused (-1) beyond size=; the
 * min_size reserve is drawn first. Returns how many the global pool must
 * back. Call before the view records the new pages/reservations.
 */
export function charge(v: HugetlbView, ledger: Ledger, mount: number, n: number): number {
  const s = at(v.spools, mount);
  if (s.max !== -1 && usage(v, mount) + n > s.max) return -1;
  const drawn = Math.min(s.reserve, n);
  s.reserve -= drawn;
  ledger[mount] = (ledger[mount] ?? 0) + n;
  return n - drawn;
}

/**
 * After an operation: the range of reserves each min_size mount may hold.
 * Charges given back may refill the reserve (never above min_size, never
 * more than was given back), and usage + reserve stays >= min_size.
 */
function reserveRange(v0: HugetlbView, v: HugetlbView, ledger: Ledger, k: number, s: SpoolView): [number, number] {
  if (!s.mounted || s.min <= 0) return [s.reserve, s.reserve];
  const after = usage(v, k);
  const givenBack = Math.max(0, usage(v0, k) + (ledger[k] ?? 0) - after);
  return [Math.max(s.reserve, s.min - after), Math.min(s.min, s.reserve + givenBack)];
}

/** How many reserve outcomes (0..n-1 as `offset`) settle() can take for this params' mounts. */
export function maxReserveOffsets(v: HugetlbView): number {
  let m = 0;
  for (const s of v.spools) if (s.mounted && s.min > 0) m = Math.max(m, s.min);
  return m + 1;
}

/**
 * Settle each mount's reserve within its range: the first mount whose range
 * is not a single value takes `offset` above its lower bound; undefined when
 * the offset is not a possible outcome.
 */
export function settle(v0: HugetlbView, v: HugetlbView, ledger: Ledger, offset: number): HugetlbView | undefined {
  let rest = offset;
  for (let k = 0; k < v.spools.length; k++) {
    const s = at(v.spools, k);
    const [lo, hi] = reserveRange(v0, v, ledger, k, s);
    if (lo > hi) return undefined;
    s.reserve = lo + rest;
    if (s.reserve > hi) return undefined;
    if (hi > lo) rest = 0;
  }
  return rest === 0 ? finish(v) : undefined;
}

// ---------------------------------------------------------------------------
// the global pool
// ---------------------------------------------------------------------------

/**
 * Promise n more pages from the global pool (resv0 = Rsvd before the op):
 * backed by free unreserved pages, the shortfall by new surplus pages up to
 * nr_overcommit_hugepages; false when that cannot be done or buddy fails;
 * undefined when `place` names no node (not a possible outcome).
 */
export function promiseGlobal(
  v: HugetlbView,
  resv0: number,
  n: number,
  buddyFails: boolean,
  freeNow?: number,
  place?: () => number | undefined,
): boolean | undefined {
  if (n <= 0) return true;
  const free = freeNow ?? v.total - inUse(v);
  const needed = resv0 + n - free;
  if (needed <= 0) return true;
  if (buddyFails || v.surp + needed > v.overcommit) return false;
  if (v.nodes.length > 0) {
    // with several nodes each new surplus page sits on the node `place` names (ops-numa.ts gatherPlace)
    if (!place) throw new Error('hugetlb spec: a surplus page from buddy with several nodes needs its node');
    for (let k = 0; k < needed; k++) {
      const nid = place();
      if (nid === undefined || nid >= v.nodes.length) return undefined;
      v.nodeSurp = v.nodeSurp.map((s, j) => (j === nid ? s + 1 : s));
    }
  }
  v.total += needed;
  v.surp += needed;
  return true;
}

/**
 * Which node each surplus page given back comes from, where several nodes could give it
 * (return_unused_surplus_pages' cursor, next_nid_to_free, is not in the view): the digits of
 * `code` in base `base`, least significant first, each an index into the candidate nodes,
 * consumed only where there are several. A caller's outcome is possible only if `code` ends 0.
 */
export interface NodePick {
  code: number;
  base: number;
}

export const nodePick = (v: HugetlbView, code: number): NodePick => ({ code, base: Math.max(2, v.nodes.length) });

/** One of cands by the pick's next digit (undefined: the digit names no candidate). */
export function pickOf(pick: NodePick, cands: readonly number[]): number | undefined {
  if (cands.length === 1) return cands[0];
  const d = pick.code % pick.base;
  pick.code = Math.floor(pick.code / pick.base);
  return cands[d];
}

/**
 * n promises given back: free surplus pages that no longer back a promise go
 * back to buddy (up to n). Call after settle(), so that what a mount kept
 * for min_size still counts as a promise. With several nodes, each such page
 * is a free page of a node with surplus pages (remove_pool_huge_page(h,
 * N_MEMORY, 1) in return_unused_surplus_pages, mm/hugetlb.c @ v6.1): none
 * goes when no node has both; which node gives it is `pick`'s. False: the
 * pick named no candidate.
 */
export function releaseGlobal(v: HugetlbView, n: number, pick?: NodePick): boolean {
  if (n <= 0) return true;
  const k = Math.min(n, v.surp, Math.max(0, v.total - inUse(v) - outstanding(v)));
  if (v.nodes.length === 0) {
    v.total -= k;
    v.surp -= k;
    return true;
  }
  for (let j = 0; j < k; j++) {
    const cands = v.nodes.map((_, nid) => nid).filter((nid) => at(v.nodeSurp, nid) > 0 && nodeFree(v, nid) > 0);
    if (cands.length === 0) break;
    const nid = pick ? pickOf(pick, cands) : undefined;
    if (nid === undefined) return false;
    surplusGone(v, nid);
  }
  return true;
}

/** A surplus page of node nid (one node: of the pool) goes back to buddy. */
export function surplusGone(v: HugetlbView, nid: number): void {
  v.total--;
  v.surp--;
  if (v.nodeSurp.length > 0) v.nodeSurp = v.nodeSurp.map((s, k) => (k === nid ? s - 1 : s));
}

/** Pages in use on node n (a page shared after fork counted once), held by a removal in flight or by pins only. */
export function nodeInUse(v: HugetlbView, n: number): number {
  let used = heldOn(v, n) + orphans(v, (q) => q.nid === n);
  let shared = 0;
  for (const f of v.files) for (const i of f.cache) if (tokenAt(f.nodes, i) === n) used++;
  for (const m of v.vmas) {
    for (const i of m.anon) if (tokenAt(m.nodes, i) === n) used++;
    for (const i of m.cow) if (tokenAt(m.nodes, i) === n) shared++;
  }
  return used - shared / 2;
}

/** Node n's free pages (free_hugepages of the node): its persistent and surplus pages not in use. */
export function nodeFree(v: HugetlbView, n: number): number {
  return (v.nodes[n] ?? 0) + (v.nodeSurp[n] ?? 0) - nodeInUse(v, n);
}

/**
 * Page i of file fi leaves the page cache: a pinned page stays in use (the
 * pin's, still counted against its mount) until unpinned; true when it was
 * pinned (then it is not freed now).
 */
export function keepPinned(v: HugetlbView, fi: number, i: number): boolean {
  const it = (q: PinView): boolean => q.state === 'cached' && q.file === fi && q.idx === i;
  if (!v.pins.some(it)) return false;
  // a tag no other page that left its file holds (a slot's index is not one: the slot may have moved on)
  let tag = 0;
  while (v.pins.some((q) => q.state === 'orphan' && q.idx === tag)) tag++;
  const f = at(v.files, fi);
  const orphan: PinView = { state: 'orphan', file: -1, idx: tag, mount: f.mount, nid: tokenAt(f.nodes, i) };
  v.pins = v.pins.map((q) => (it(q) ? orphan : q));
  return true;
}

/** Pages only pins hold (several slots may pin one: counted once), of those `which` selects. */
export function orphans(v: HugetlbView, which: (q: PinView) => boolean): number {
  return new Set(v.pins.filter((q) => q.state === 'orphan' && which(q)).map((q) => q.idx)).size;
}

/** Is page i of file fi pinned? */
export const isPinned = (v: HugetlbView, fi: number, i: number): boolean =>
  v.pins.some((q) => q.state === 'cached' && q.file === fi && q.idx === i);

/**
 * A page of node nid left use (the caller removed it from the view): it goes back to buddy when
 * its node has surplus pages (free_huge_folio: surplus_huge_pages_node[nid], mm/hugetlb.c @ v6.1
 * and v6.12), else to its node's free list. One node: when the pool has surplus pages.
 */
export function pageFreed(v: HugetlbView, nid: number): void {
  if (v.nodes.length === 0 ? v.surp > 0 : at(v.nodeSurp, nid) > 0) surplusGone(v, nid);
}
