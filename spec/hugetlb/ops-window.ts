/**
 * The kernel windows that make a call's outcome depend on another call in
 * flight (issue 10 item 1; NOTES.md "The spec's freedom"). Each is a step the
 * call in flight takes before it linearizes (SpecDef.pendingInternal), and
 * the freedom it opens exists only while the step is recorded in
 * `view.windows`; the call's own event removes it. In a sequential history
 * the step is taken only right before the call's own outcome, so the freedom
 * never reaches another call: on an idle pool mmap fails exactly when the
 * promise cannot be made and an unreserved fault gets a free unreserved page.
 *
 * - A reserving mmap between hugetlb_acct_memory() and region_add()
 *   (mm/hugetlb.c hugetlb_reserve_pages() @ v6.1 and v6.12): resv_huge_pages
 *   already counts its pages, and region_add() may find fewer to add (a
 *   concurrent fault instantiated an index of the range) and give the excess
 *   back. Meanwhile dequeue_hugetlb_folio_vma() refuses an unreserved
 *   allocation when free - resv is 0 (`available_huge_pages`), so a fault
 *   without a reservation may SIGBUS although the mmap ends up reserving less
 *   (WIN_ACCT: plan.mmapInFlight).
 * - A fault (UFFDIO_COPY, a pin's or soft offline's GUP fault) holding the
 *   page it allocated and its subpool charge, not yet committed or rolled back
 *   (hugetlb_no_page() between alloc_hugetlb_folio() and the page-cache /
 *   page-table commit): a concurrent mmap's hugetlb_acct_memory() counts that
 *   page in use, and region_chg()'s count taken before a fault instantiates an
 *   index is stale; the mmap may fail when its range would not fit with the
 *   pages held (WIN_HELD: plan.pageHeld, plan.slack; the call's own step),
 *   and a fault without a reservation may find no free page (SIGBUS) while
 *   the holder will give its page back (a COW whose partner unmapped).
 * - A shared mmap's region_chg() count, taken before a fault instantiates an
 *   index of the range, is stale: hugetlb_reserve_pages() charges it
 *   (WIN_ACCT's payload, the mmap's own step: plan.slack).
 * - A fault whose dequeue found no free unreserved page
 *   (alloc_hugetlb_folio(): dequeue_hugetlb_folio_vma() fails, hugetlb_lock is
 *   dropped, alloc_buddy_hugetlb_folio_with_mpol() runs unlocked): pages freed
 *   meanwhile leave it with a fresh surplus page, or with none (SIGBUS) when
 *   nr_overcommit_hugepages allows no surplus, while free pages exist
 *   (WIN_DEQUEUE_FAILED: plan.dequeueFailed, the call's own step). The step is
 *   offered only where the dequeue fails.
 */
import type { Plan } from './choices.js';
import { at, clone, finish, has, inUse, isSharedKind, outstanding } from './promises.js';
import { type Args, type HugetlbView, num } from './view.js';

export const WINDOW_OPEN = 'window_open';
const WIN_HELD = 0;
const WIN_ACCT = 1;
const WIN_DEQUEUE_FAILED = 2;

/** The ops that allocate a page through the fault path (allocPage). */
export const FAULTING: readonly string[] = ['fault', 'uffd_copy', 'pin', 'soft_offline'];

/** A window code: the call's key, the kind and a payload (pages held; the indices region_chg counted). */
const code = (key: number, kind: number, payload: number): number => key * 8192 + kind * 1024 + payload;
const keyOfCode = (c: number): number => Math.floor(c / 8192);
export const kindOf = (c: number): number => (c >> 10) & 7;
const payloadOf = (c: number): number => c & 1023;
/** An mmap's payload: the pages it charges (times 128) and the indices its region_chg counted (a mask). */
const MASK = 127;

/** The call's key in view.windows: op, slot and index. */
function keyOf(op: string, a: Args): number | undefined {
  const k = op === 'mmap' ? 0 : FAULTING.indexOf(op) + 1;
  if (op !== 'mmap' && k === 0) return undefined;
  return (k * 64 + (num(a, 'v') & 63)) * 64 + (op === 'mmap' ? 0 : num(a, 'i') & 63);
}

/**
 * Does the call allocate a page for index i (undefined: no such index)? A shared mapping when the
 * file has no page there; a private one when it has none, or on a write to a page it shares (COW of
 * the fork partner's page or of the file's page-cache page).
 */
function allocates(v: HugetlbView, a: Args, op: string): boolean | undefined {
  const m = v.vmas[num(a, 'v')];
  const i = num(a, 'i');
  if (!m || m.kind === 'none' || i < m.from || i >= m.to) return undefined;
  if (op === 'soft_offline') return true; // the migration target
  const write = op !== 'fault' || a['write'] === true || a['write'] === 1 || a['write'] === 'true';
  if (isSharedKind(m.kind)) return !has(at(v.files, m.src).cache, i);
  if (has(m.anon, i)) return write && has(m.cow, i);
  const fileCached = m.file >= 0 && has(v.files[m.file]?.cache ?? [], i);
  return has(m.pagecache, i) || fileCached ? write : true;
}

/** Would an allocation for this index dequeue nothing (no reservation, no free unreserved page)? */
function dequeueFails(v: HugetlbView, a: Args): boolean {
  const m = at(v.vmas, num(a, 'v'));
  const i = num(a, 'i');
  const reservedHere = isSharedKind(m.kind)
    ? has(at(v.files, m.src).resv, i)
    : m.kind === 'private' && m.owner && has(m.resv, i);
  return !reservedHere && v.total - inUse(v) - outstanding(v) <= 0;
}

/** The indices of a shared mmap's range its region_chg counts (no entry in the file's map), as a mask. */
function chgMask(v: HugetlbView, a: Args): number {
  if (String(a['kind']) !== 'shared') return 0;
  const f = v.files[num(a, 'f')];
  let mask = 0;
  for (let i = num(a, 'from'); i < num(a, 'to') && i < 7; i++) if (f && !has(f.resv, i)) mask |= 1 << i;
  return mask;
}

const popcount = (x: number): number => (x === 0 ? 0 : (x & 1) + popcount(x >> 1));

/** The window steps `op(a)`, in flight, may take (SpecDef.pendingInternal). */
export function windowSteps(v: HugetlbView, op: string, a: Args): { type: string; code: number }[] {
  const key = keyOf(op, a);
  if (key === undefined || v.windows.some((c) => keyOfCode(c) === key)) return [];
  if (op === 'mmap') {
    const kind = String(a['kind']);
    const m = v.vmas[num(a, 'v')];
    if ((kind !== 'shared' && kind !== 'private' && kind !== 'private_file') || !m || m.kind !== 'none') return [];
    const mask = chgMask(v, a);
    const charged = kind === 'shared' ? popcount(mask) : num(a, 'to') - num(a, 'from');
    return [{ type: WINDOW_OPEN, code: code(key, WIN_ACCT, Math.min(7, Math.max(0, charged)) * 128 + mask) }];
  }
  if (!allocates(v, a, op)) return [];
  // UFFDIO_COPY from a source not yet populated holds a temporary page and then the destination's
  // (mfill_atomic_hugetlb's retry); soft offline may hold the GUP fault's page and the migration target
  const held = (op === 'uffd_copy' && String(a['src'] ?? 'resident') !== 'resident') || op === 'soft_offline' ? 2 : 1;
  const out = [{ type: WINDOW_OPEN, code: code(key, WIN_HELD, held) }];
  if (dequeueFails(v, a)) out.push({ type: WINDOW_OPEN, code: code(key, WIN_DEQUEUE_FAILED, 0) });
  return out;
}

/** window_open: record the step (undefined: not a step this view allows). */
export function windowOpen(v0: HugetlbView, c: number): HugetlbView | undefined {
  if (v0.windows.includes(c)) return undefined;
  const v = clone(v0);
  v.windows = [...v0.windows, c].sort((x, y) => x - y);
  return v;
}

/**
 * The view `op(a)` applies to (its own steps removed: its event ends its windows) and the
 * windows it may use: other calls' (pages held, an mmap accounted) and its own (its dequeue
 * failed; the indices its region_chg counted that a fault has instantiated since: `stale`).
 */
export function takeWindows(v0: HugetlbView, op: string, a: Args, plan: Plan): { v: HugetlbView; plan: Plan } {
  if (v0.windows.length === 0) return { v: v0, plan };
  const key = keyOf(op, a);
  const own = v0.windows.filter((c) => keyOfCode(c) === key);
  const others = v0.windows.filter((c) => keyOfCode(c) !== key);
  const v = own.length === 0 ? v0 : { ...v0, windows: others };
  let stale = 0;
  const acct = own.find((c) => kindOf(c) === WIN_ACCT);
  if (acct !== undefined && op === 'mmap') {
    const f = v0.files[num(a, 'f')];
    for (let i = 0; i < 7; i++) if (payloadOf(acct) & MASK & (1 << i) && f && has(f.resv, i)) stale++;
  }
  const held = others.filter((c) => kindOf(c) === WIN_HELD).reduce((s, c) => s + payloadOf(c), 0);
  // another mmap between hugepage_subpool_get_pages/hugetlb_acct_memory and region_add holds its charge
  const charged = others.filter((c) => kindOf(c) === WIN_ACCT).reduce((s, c) => s + (payloadOf(c) >> 7), 0);
  return {
    v,
    plan: {
      ...plan,
      pageHeld: held > 0,
      slack: held + stale + (op === 'mmap' ? charged : 0),
      mmapInFlight: others.some((c) => kindOf(c) === WIN_ACCT),
      dequeueFailed: own.some((c) => kindOf(c) === WIN_DEQUEUE_FAILED),
    },
  };
}

export const GROW_STEP = 'pool_grow_step';

/**
 * An nr_hugepages write growing the pool adds its pages one at a time, dropping hugetlb_lock for
 * each allocation (mm/hugetlb.c set_max_huge_pages() @ v6.1 and v6.12: alloc_pool_huge_folio,
 * then put the page on the free list): concurrent faults and mmaps see the pool partly grown. The
 * step adds one free persistent page while the write is in flight (one node, no surplus to
 * convert first); its event adds what else it gets (ops-pool.ts setNr).
 */
export function growSteps(v: HugetlbView, n: number): { type: string }[] {
  return v.nodes.length === 0 && v.surp === 0 && n > v.total && v.resizing.length === 0 ? [{ type: GROW_STEP }] : [];
}

export function growStep(v0: HugetlbView): HugetlbView | undefined {
  if (v0.nodes.length > 0 || v0.surp > 0) return undefined;
  const v = clone(v0);
  v.total++;
  return finish(v);
}
