/**
 * Abstract hugetlb reservation model: what a user of hugetlbfs can observe and
 * rely on (Documentation/vm/hugetlbfs_reserv.rst, seed 000_cbccd16f5fb0c445.txt
 * L1766-2367, plus reference/kernel-semantics.md §1). Pure functions over a
 * plain, canonical view: sets of page indices (sorted arrays), never regions,
 * never locks, never in-flight pages. Every operation is atomic here.
 *
 * Derived, not stored (so a leak in the implementation cannot hide in here):
 *   HugePages_Free = Total - pages in use (page cache + anon, a COW-shared page once)
 *   HugePages_Rsvd = Σ files |resv \ cache| + Σ private owners |unconsumed| + Σ subpool rsv
 * (I3, kernel-semantics §1.2; seed L2308-2310 "the state of the reservation map
 * will correspond to the global reservation count").
 *
 * Nondeterminism the user cannot control is a `choice` (see decodeChoice):
 * buddy allocation of surplus pages may fail; with params.numa (HR-13) a
 * reserved page may be on a node outside the cpuset; with params.inject the
 * documented outcomes of kernel allocation failures on error paths.
 */
import type { HugetlbParams } from './params.js';

export type VmaKind = 'none' | 'shared' | 'noreserve' | 'private' | 'private_noreserve';

export interface SpoolView {
  mounted: boolean;
  /** size= in huge pages, -1 = unlimited (max_hpages). */
  max: number;
  /** min_size= in huge pages, -1 = none (min_hpages). */
  min: number;
  /** used_hpages (only maintained when max != -1, as in the kernel). */
  used: number;
  /** rsv_hpages: reservations the subpool holds for its min_size. */
  rsv: number;
}

export interface FileView {
  /** Mount (subpool) the file lives on (fixed). */
  mount: number;
  /** i_size in huge pages. */
  size: number;
  /** Indices with a reservation (present or consumed by a cached page): shared reserve map entries. */
  resv: number[];
  /** Indices instantiated in the page cache. */
  cache: number[];
}

export interface VmaView {
  kind: VmaKind;
  /** Shared kinds: file id. Private kinds: mount id of the private (unlinked) hugetlbfs file. */
  src: number;
  from: number;
  to: number;
  /** HPAGE_RESV_OWNER: this mapping owns the reservations of its range. */
  owner: boolean;
  /** HPAGE_RESV_UNMAPPED: a page was taken away by the owner's failed COW; faults SIGBUS. */
  unmapped: boolean;
  /** Private owner: indices whose reservation is not yet consumed. */
  resv: number[];
  /** Private: indices with an anonymous page mapped. */
  anon: number[];
  /** Private: subset of anon whose page is shared with `peer` after fork (mapcount 2). */
  cow: number[];
  /** Fork partner (parent <-> child) slot, -1 = none. */
  peer: number;
}

export interface HugetlbView {
  /** HugePages_Total (nr_huge_pages). */
  total: number;
  /** HugePages_Free (derived). */
  free: number;
  /** HugePages_Rsvd (derived). */
  rsvd: number;
  /** HugePages_Surp. */
  surp: number;
  /** nr_overcommit_hugepages. */
  overcommit: number;
  spools: SpoolView[];
  files: FileView[];
  vmas: VmaView[];
}

export type Ret = 'ok' | 'ENOMEM' | 'ENOSPC' | 'EINVAL' | 'EBUSY' | 'EEXIST' | 'EFAULT' | 'SIGBUS' | 'SIGSEGV' | 'OOM' | 'ENOENT';

export const EMPTY_VMA: VmaView = Object.freeze({
  kind: 'none',
  src: 0,
  from: 0,
  to: 0,
  owner: false,
  unmapped: false,
  resv: [],
  anon: [],
  cow: [],
  peer: -1,
}) as VmaView;

// ---------------------------------------------------------------------------
// choices
// ---------------------------------------------------------------------------

/** Injected-failure outcomes a spec op may take (only with params.inject). */
export const INJ = { none: 0, early: 1, keep: 2, gain: 3, lose: 4 } as const;

/**
 * Choices of faults: c = buddyFail + 2*numaMiss + 4*surplusFirst + 8*inj (inj < 5).
 * Only combinations that can be outcomes are listed (surplusFirst excludes
 * buddyFail; numa scenarios inject nothing): every xstate call costs time.
 */
export const OP_CHOICES: readonly number[] = (() => {
  const out: number[] = [];
  const base = [0, 1, 4]; // plain, buddy fails / unreserved refused, surplus first
  for (let inj = 0; inj < 5; inj++) for (const b of base) out.push(b + 8 * inj);
  for (const b of base) out.push(2 + b); // HR-13: reserved page on a disallowed node
  return out;
})();
/** The choices each operation can use (others would only be rejected). */
export const CHOICES_BY_OP: Readonly<Record<string, readonly number[]>> = {
  fault: OP_CHOICES,
  uffd_copy: OP_CHOICES,
  mmap: [0, 1, 8],
  mount: [0, 1],
  punch: [0, 1, 8, 9, 16, 17, 24, 25, 32, 33],
  munmap: [0],
  truncate: [0],
  fork: [0],
  set_overcommit: [0],
};
/** Choices of set_nr: c = 7*x + y, x = surplus left unconverted (grow), y = fresh pages (grow) / pages kept (shrink). */
export const SETNR_CHOICES: readonly number[] = Array.from({ length: 49 }, (_, i) => i);

export interface Plan {
  buddyFail: boolean;
  numaMiss: boolean;
  /** An unreserved allocation takes a fresh surplus page although free pages exist. */
  surplusFirst: boolean;
  inj: number;
}

export function decodeChoice(c: number | undefined): Plan {
  const v = c ?? 0;
  return { buddyFail: (v & 1) !== 0, numaMiss: (v & 2) !== 0, surplusFirst: (v & 4) !== 0, inj: v >> 3 };
}

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

const has = (s: readonly number[], x: number): boolean => s.includes(x);
const add = (s: number[], x: number): number[] => (s.includes(x) ? s : [...s, x].sort((a, b) => a - b));
const del = (s: number[], x: number): number[] => s.filter((y) => y !== x);
const range = (f: number, t: number): number[] => Array.from({ length: Math.max(0, t - f) }, (_, i) => f + i);

/** Pages in use: page cache + anon pages (a page COW-shared by two mappings counted once). */
export function inUse(v: HugetlbView): number {
  let n = 0;
  for (const f of v.files) n += f.cache.length;
  let shared = 0;
  for (const m of v.vmas) {
    n += m.anon.length;
    shared += m.cow.length;
  }
  return n - shared / 2;
}

/** HugePages_Rsvd from the reservation sets (I3). */
export function outstanding(v: HugetlbView): number {
  let r = 0;
  for (const f of v.files) for (const i of f.resv) if (!has(f.cache, i)) r++;
  for (const m of v.vmas) r += m.resv.length;
  for (const s of v.spools) r += s.rsv;
  return r;
}

function finish(v: HugetlbView): HugetlbView {
  v.free = v.total - inUse(v);
  v.rsvd = outstanding(v);
  return v;
}

function clone(v: HugetlbView): HugetlbView {
  return {
    ...v,
    spools: v.spools.map((s) => ({ ...s })),
    files: v.files.map((f) => ({ ...f })),
    vmas: v.vmas.map((m) => ({ ...m })),
  };
}

/** hugepage_subpool_get_pages, verbatim arithmetic (kernel-semantics §1.4). */
export function spoolGet(s: SpoolView, delta: number): number {
  let ret = delta;
  if (s.max !== -1) {
    if (s.used + delta <= s.max) s.used += delta;
    else return -1;
  }
  if (s.min !== -1 && s.rsv) {
    if (delta > s.rsv) {
      ret = delta - s.rsv;
      s.rsv = 0;
    } else {
      ret = 0;
      s.rsv -= delta;
    }
  }
  return ret;
}

/** hugepage_subpool_put_pages, verbatim arithmetic (kernel-semantics §1.4). */
export function spoolPut(s: SpoolView, delta: number): number {
  let ret = delta;
  if (s.max !== -1) s.used -= delta;
  if (s.min !== -1 && s.used < s.min) {
    if (s.rsv + delta <= s.min) ret = 0;
    else ret = s.rsv + delta - s.min;
    s.rsv += delta;
    if (s.rsv > s.min) s.rsv = s.min;
  }
  return ret;
}

/**
 * hugetlb_acct_memory(delta > 0) = gather_surplus_pages: succeeds if the free
 * pages cover the reservations, else allocates the shortfall as surplus pages
 * (up to nr_overcommit_hugepages; buddy may fail). `R0` is resv_huge_pages.
 */
function gather(v: HugetlbView, R0: number, delta: number, plan: Plan, freeNow?: number): boolean {
  if (delta <= 0) return true;
  const free = freeNow ?? v.total - inUse(v);
  const needed = R0 + delta - free;
  if (needed <= 0) return true;
  if (plan.buddyFail || v.surp + needed > v.overcommit) return false;
  v.total += needed;
  v.surp += needed;
  return true;
}

/** return_unused_surplus_pages(n): free up to n free surplus pages back to buddy. */
function returnUnused(v: HugetlbView, n: number): void {
  if (n <= 0) return;
  const free = v.total - inUse(v);
  const k = Math.min(n, v.surp, free);
  v.total -= k;
  v.surp -= k;
}

/**
 * free_huge_page of a page that was just taken out of use (caller already
 * removed it from cache/anon). restore = PagePrivate (HPageRestoreReserve).
 */
function freePage(v: HugetlbView, spool: number, restore: boolean): void {
  if (!restore) spoolPut(v.spools[spool]!, 1); // a 0 return re-credits a global reserve for the subpool (derived)
  if (v.surp > 0) {
    v.total--;
    v.surp--;
  }
}

function spoolOf(v: HugetlbView, m: VmaView): number {
  return m.kind === 'shared' || m.kind === 'noreserve' ? v.files[m.src]!.mount : m.src;
}

// ---------------------------------------------------------------------------
// initial state
// ---------------------------------------------------------------------------

const initMemo = new WeakMap<HugetlbParams, HugetlbView>();

/** Initial view (memoized per params object; views are never mutated in place). */
export function initView(p: HugetlbParams): HugetlbView {
  const hit = initMemo.get(p);
  if (hit) return hit;
  const v0 = buildInitView(p);
  initMemo.set(p, v0);
  return v0;
}

function buildInitView(p: HugetlbParams): HugetlbView {
  const v: HugetlbView = {
    total: p.pool,
    free: p.pool,
    rsvd: 0,
    surp: 0,
    overcommit: p.overcommit,
    spools: p.mounts.map((m) => ({
      mounted: m.mounted,
      max: m.mounted ? m.size : -1,
      min: m.mounted ? m.min : -1,
      used: 0,
      rsv: m.mounted && m.min > 0 ? m.min : 0,
    })),
    files: p.fileMount.map((mount) => ({ mount, size: p.fileSize, resv: [], cache: [] })),
    vmas: Array.from({ length: p.vmas }, () => ({ ...EMPTY_VMA })),
  };
  return finish(v);
}

// ---------------------------------------------------------------------------
// allocation (alloc_huge_page + instantiate), shared by fault / COW / uffd
// ---------------------------------------------------------------------------

interface AllocResult {
  ok: boolean;
  ret?: Ret;
  /** The allocation consumed a reservation (PagePrivate / HPageRestoreReserve). */
  restore: boolean;
  /** vma_needs_reservation said 1 (no reservation at the index). */
  mapChg: boolean;
}

/**
 * alloc_huge_page(vma, idx, avoid_reserve) as seen from outside: subpool charge
 * when no reservation, dequeue (free - resv > 0 needed without a reservation),
 * else a surplus page from buddy. Mutates counters/subpool but not the
 * reservation sets (the caller commits).
 */
function allocPage(v: HugetlbView, m: VmaView, i: number, avoid: boolean, plan: Plan, R0: number, numaOn: boolean): AllocResult {
  const sp = v.spools[spoolOf(v, m)]!;
  let mapChg: boolean;
  if (m.kind === 'shared' || m.kind === 'noreserve') mapChg = !has(v.files[m.src]!.resv, i);
  else if (m.kind === 'private' && m.owner) mapChg = !has(m.resv, i);
  else mapChg = true;
  let gbl = 0;
  if (mapChg || avoid) {
    gbl = spoolGet(sp, 1);
    if (gbl < 0) return { ok: false, ret: 'SIGBUS', restore: false, mapChg }; // -ENOSPC -> VM_FAULT_SIGBUS
    if (avoid) gbl = 1;
  }
  // vma_has_reserves(vma, gbl_chg)
  let hasRes: boolean;
  if (m.kind === 'shared' || m.kind === 'noreserve') hasRes = gbl === 0;
  else if (m.kind === 'private' && m.owner) hasRes = gbl === 0;
  else hasRes = false;
  const free = v.total - inUse(v);
  let got = false;
  const numaMiss = numaOn && plan.numaMiss;
  // Without a reservation nothing is promised (seed L1779-1783): a concurrent mmap between its
  // hugetlb_acct_memory and region_add already counts the pages reserved, so an unreserved
  // allocation may be refused although no atomic order of the two would refuse it.
  const refused = plan.buddyFail && !hasRes;
  // alloc_huge_page drops hugetlb_lock between a failed dequeue and the buddy allocation; pages
  // freed meanwhile leave the fault with a surplus page while free pages exist.
  const surplusFirst = plan.surplusFirst && !hasRes && !plan.buddyFail;
  if (!numaMiss && !refused && !surplusFirst) {
    // dequeue_huge_page_vma
    const avail = free - R0;
    if (!((!hasRes && avail <= 0) || (avoid && avail <= 0)) && free > 0) got = true;
  }
  if (!got) {
    // alloc_buddy_huge_page_with_mpol -> alloc_surplus_huge_page
    if (v.surp < v.overcommit && !plan.buddyFail) {
      v.total++;
      v.surp++;
      got = true;
    }
  }
  if (!got) {
    if (mapChg || avoid) spoolPut(sp, 1); // return value ignored (alloc_huge_page out_subpool_put)
    return { ok: false, ret: 'SIGBUS', restore: false, mapChg };
  }
  return { ok: true, restore: !avoid && hasRes, mapChg };
}

// ---------------------------------------------------------------------------
// operations
// ---------------------------------------------------------------------------

export type Args = Readonly<Record<string, number | string | boolean>>;

export interface Outcome {
  view: HugetlbView;
  ret: Ret;
}

const num = (a: Args, k: string): number => (typeof a[k] === 'number' ? (a[k] as number) : Number(a[k] ?? 0));

/** Apply one operation atomically; undefined = this choice is not a possible outcome. */
export function applyOp(v0: HugetlbView, op: string, a: Args, choice: number | undefined, p: HugetlbParams): Outcome | undefined {
  const K = p.fileSize;
  if (op === 'set_nr') return setNr(v0, num(a, 'n'), choice ?? 0);
  const plan = decodeChoice(choice);
  if (plan.numaMiss && !p.numa) return undefined;
  if (plan.surplusFirst && op !== 'fault' && op !== 'uffd_copy') return undefined;
  if (plan.inj !== INJ.none && !p.inject) return undefined;
  const v = clone(v0);
  const R0 = outstanding(v0);
  const out = (ret: Ret): Outcome => ({ view: finish(v), ret });
  const unchanged = (ret: Ret): Outcome => ({ view: v0, ret });
  switch (op) {
    case 'set_overcommit': {
      if (plan.buddyFail || plan.numaMiss || plan.inj) return undefined;
      v.overcommit = num(a, 'n');
      return out('ok');
    }
    case 'mount': {
      if (plan.numaMiss || plan.inj) return undefined;
      const mi = num(a, 'm');
      const size = num(a, 'size');
      const min = num(a, 'min');
      const s = v.spools[mi];
      if (!s) return unchanged('EINVAL');
      if (s.mounted) return plan.buddyFail ? undefined : unchanged('EBUSY');
      if (size !== -1 && min > size) return plan.buddyFail ? undefined : unchanged('EINVAL');
      if (min > 0 && !gather(v, R0, min, plan)) return unchanged('ENOMEM');
      v.spools[mi] = { mounted: true, max: size, min, used: 0, rsv: min > 0 ? min : 0 };
      return out('ok');
    }
    case 'mmap': {
      if (plan.numaMiss) return undefined;
      const slot = num(a, 'v');
      const kind = String(a.kind) as VmaKind;
      const src = num(a, 'f');
      const from = num(a, 'from');
      const to = num(a, 'to');
      const m = v.vmas[slot];
      const shared = kind === 'shared' || kind === 'noreserve';
      const spIdx = shared ? p.fileMount[src] : src;
      const bad =
        !m ||
        m.kind !== 'none' ||
        !(from >= 0 && from < to && to <= K) ||
        (shared ? !v.files[src] : !v.spools[src]) ||
        spIdx === undefined ||
        !v.spools[spIdx]!.mounted ||
        !['shared', 'noreserve', 'private', 'private_noreserve'].includes(kind);
      if (bad) return plan.buddyFail || plan.inj ? undefined : unchanged('EINVAL');
      const sp = v.spools[spIdx]!;
      if (plan.buddyFail && (kind === 'shared' || kind === 'private') && plan.inj === INJ.none) {
        // Transient failures no atomic order explains, allowed only near the limits:
        //  - region_chg counts before the lock is dropped: a fault instantiating an index of the
        //    range before region_add makes hugetlb_reserve_pages charge the stale, larger count
        //    (seed L2175-2185);
        //  - a concurrent fault holds an allocated page and its subpool charge until it commits or
        //    rolls back (restore_reserve_on_error), seed L2296-2310.
        // So an mmap may fail when the whole range could not be reserved anew with one page less.
        const free = v.total - inUse(v);
        const room = free - R0 + Math.max(0, v.overcommit - v.surp);
        const spoolTight = sp.max !== -1 && sp.used + (to - from) + 1 > sp.max;
        if (to - from > room - 1 || spoolTight) return unchanged('ENOMEM');
      }
      const nv: VmaView = { ...EMPTY_VMA, kind, src, from, to, owner: kind === 'private', resv: [], anon: [], cow: [] };
      if (kind === 'shared') {
        // region_chg may fail to kmalloc descriptors: -ENOMEM, nothing changed
        if (plan.inj === INJ.early) return plan.buddyFail ? undefined : unchanged('ENOMEM');
        if (plan.inj) return undefined;
        const f = v.files[src]!;
        const chg = range(from, to).filter((i) => !has(f.resv, i)).length;
        const gbl = spoolGet(sp, chg);
        if (gbl < 0) return plan.buddyFail ? undefined : unchanged('ENOMEM');
        if (!gather(v, R0, gbl, plan)) {
          spoolPut(sp, chg); // out_put_pages: put back chg (return ignored)
          return out('ENOMEM');
        }
        f.resv = [...new Set([...f.resv, ...range(from, to)])].sort((x, y) => x - y);
      } else if (kind === 'private') {
        if (plan.inj) return undefined;
        const chg = to - from;
        const gbl = spoolGet(sp, chg);
        if (gbl < 0) return plan.buddyFail ? undefined : unchanged('ENOMEM');
        if (!gather(v, R0, gbl, plan)) {
          spoolPut(sp, chg);
          return out('ENOMEM');
        }
        nv.resv = range(from, to);
      } else if (plan.buddyFail || plan.inj) return undefined;
      // hugetlbfs_file_mmap: a writable shared mapping extends i_size
      if (shared) v.files[src]!.size = Math.max(v.files[src]!.size, to);
      v.vmas[slot] = nv;
      return out('ok');
    }
    case 'fault':
    case 'uffd_copy':
      return faultLike(v0, v, R0, op, a, plan, p);
    case 'munmap': {
      if (plan.buddyFail || plan.numaMiss || plan.inj) return undefined;
      const slot = num(a, 'v');
      const m = v.vmas[slot];
      if (!m || m.kind === 'none') return unchanged('EINVAL');
      const sp = spoolOf(v, m);
      // unmap_vmas: drop anon pages (a COW-shared one stays with the peer)
      if (m.kind === 'private' || m.kind === 'private_noreserve') {
        const peer = m.peer >= 0 ? v.vmas[m.peer]! : undefined;
        for (const i of m.anon) {
          if (has(m.cow, i) && peer) peer.cow = del(peer.cow, i);
          else {
            m.anon = del(m.anon, i);
            freePage(v, sp, false);
          }
        }
        m.anon = [];
        m.cow = [];
        if (peer) peer.peer = -1;
        // hugetlb_vm_op_close: give back the unconsumed reservations (HR-8)
        if (m.owner && m.resv.length) {
          const g = spoolPut(v.spools[sp]!, m.resv.length);
          returnUnused(v, g);
        }
      }
      v.vmas[slot] = { ...EMPTY_VMA };
      return out('ok');
    }
    case 'truncate': {
      if (plan.buddyFail || plan.numaMiss || plan.inj) return undefined;
      const fi = num(a, 'f');
      const size = num(a, 'size');
      const f = v.files[fi];
      if (!f || size < 0 || size > K) return unchanged('EINVAL');
      const sp = v.spools[p.fileMount[fi]!]!;
      if (!v.spools[p.fileMount[fi]!]!.mounted) return unchanged('EINVAL');
      const old = f.size;
      f.size = size;
      if (size < old || f.resv.some((i) => i >= size) || f.cache.some((i) => i >= size)) {
        // remove_inode_hugepages(lstart=size, LLONG_MAX): pages freed by folio_batch_release
        let freed = 0;
        for (const i of f.cache.filter((x) => x >= size)) {
          f.cache = del(f.cache, i);
          freed++;
          freePage(v, p.fileMount[fi]!, false);
        }
        // hugetlb_unreserve_pages(inode, size, LONG_MAX, freed) (HR-12)
        const chg = f.resv.filter((x) => x >= size).length;
        f.resv = f.resv.filter((x) => x < size);
        const g = spoolPut(sp, chg - freed);
        returnUnused(v, g);
      }
      return out('ok');
    }
    case 'punch': {
      if (plan.numaMiss) return undefined;
      const fi = num(a, 'f');
      const from = num(a, 'from');
      const to = num(a, 'to');
      const f = v.files[fi];
      if (!f || !(from >= 0 && from < to && to <= K)) return plan.buddyFail || plan.inj ? undefined : unchanged('EINVAL');
      if (!v.spools[p.fileMount[fi]!]!.mounted) return plan.buddyFail || plan.inj ? undefined : unchanged('EINVAL');
      const spi = p.fileMount[fi]!;
      const sp = v.spools[spi]!;
      // remove_inode_hugepages(start, end): per cached page, region_del(idx, idx+1) and
      // put(chg - freed = 0); the pages are freed afterwards by folio_batch_release.
      // inj = 1 + j: region_del of the j-th removed page cannot allocate a split descriptor
      // (HR-7): hugetlb_fix_reserve_counts makes the kept entry a live reservation.
      const victims = f.cache.filter((x) => x >= from && x < to);
      const failAt = plan.inj ? plan.inj - 1 : -1;
      if (failAt >= victims.length) return undefined;
      if (plan.buddyFail && failAt < 0) return undefined;
      const free0 = v0.total - inUse(v0);
      for (let j = 0; j < victims.length; j++) {
        const i = victims[j]!;
        if (j === failAt) {
          if (!(has(f.resv, i - 1) && has(f.resv, i) && has(f.resv, i + 1))) return undefined;
          const g = spoolGet(sp, 1);
          if (g < 0) return undefined; // kernel only warns: "Huge Page Reserved count may go negative"
          if (g > 0 && !gather(v, R0, 1, plan, free0)) return undefined;
        } else if (has(f.resv, i)) {
          f.resv = del(f.resv, i);
          spoolPut(sp, 0);
        }
      }
      for (const i of victims) {
        f.cache = del(f.cache, i);
        freePage(v, spi, false);
      }
      return out('ok');
    }
    case 'fork': {
      if (plan.buddyFail || plan.numaMiss || plan.inj) return undefined;
      const s = num(a, 'v');
      const c = num(a, 'c');
      const m = v.vmas[s];
      const cm = v.vmas[c];
      if (!m || !cm || s === c || cm.kind !== 'none' || !(m.kind === 'private' || m.kind === 'private_noreserve') || m.peer !== -1)
        return unchanged('EINVAL');
      // dup_mmap: the child has no reserve map (vm_private_data = NULL); anon pages are shared, write-protected
      v.vmas[c] = { ...EMPTY_VMA, kind: m.kind, src: m.src, from: m.from, to: m.to, anon: [...m.anon], cow: [...m.anon], peer: s };
      m.cow = [...m.anon];
      m.peer = c;
      return out('ok');
    }
    default:
      return undefined;
  }
}

/**
 * fault (read/write) and UFFDIO_COPY on one index of a mapping
 * (hugetlb_fault -> hugetlb_no_page / hugetlb_wp; hugetlb_mcopy_atomic_pte).
 */
function faultLike(v0: HugetlbView, v: HugetlbView, R0: number, op: string, a: Args, plan: Plan, p: HugetlbParams): Outcome | undefined {
  const slot = num(a, 'v');
  const i = num(a, 'i');
  const write = a.write === true || a.write === 1 || a.write === 'true';
  const uffd = op === 'uffd_copy';
  const m = v.vmas[slot];
  const out = (ret: Ret): Outcome => ({ view: finish(v), ret });
  const plain = !plan.buddyFail && !plan.numaMiss && !plan.inj;
  const unchanged = (ret: Ret): Outcome | undefined => (plain ? { view: v0, ret } : undefined);
  if (!m || m.kind === 'none' || i < m.from || i >= m.to) return unchanged(uffd ? 'ENOENT' : 'SIGSEGV');
  const shared = m.kind === 'shared' || m.kind === 'noreserve';
  if (shared) {
    const f = v.files[m.src]!;
    if (has(f.cache, i)) return unchanged(uffd ? 'EEXIST' : 'ok');
    if (i >= f.size) return unchanged(uffd ? 'EFAULT' : 'SIGBUS');
    // vma_needs_reservation: region_chg may fail to kmalloc -> -ENOMEM -> VM_FAULT_OOM
    if (plan.inj === INJ.early) return plan.buddyFail || plan.numaMiss ? undefined : { view: v0, ret: uffd ? 'ENOMEM' : 'OOM' };
    const hadEntry = has(f.resv, i);
    const r = allocPage(v, m, i, false, plan, R0, p.numa);
    if (!r.ok) {
      if (plan.inj) return undefined;
      return out(uffd ? 'ENOMEM' : r.ret!);
    }
    const spi = spoolOf(v, m);
    if (plan.inj === INJ.keep || plan.inj === INJ.gain) {
      // add_to_page_cache / copy_from_user failed after allocation. restore_reserve_on_error
      // (fault) or the uffd fix-up: the page is freed; the reserve map ends as before ("keep")
      // or, when the new entry cannot be deleted (region_del kmalloc) / uffd SetPagePrivate, keeps
      // an entry that is now a live reservation ("gain").
      if (plan.inj === INJ.gain) {
        if (hadEntry) return undefined;
        f.resv = add(f.resv, i);
        // page freed with restore flag: no subpool put; global resv restored (derived)
        freePage(v, spi, true);
      } else {
        // uffd always keeps the entry (SetPagePrivate); restore_reserve_on_error keeps an entry that a
        // subpool-reserve allocation committed (flag set, rc == 0 -> vma_end_reservation)
        if (!hadEntry && (uffd || r.restore)) return undefined;
        if (r.restore) freePage(v, spi, true);
        else freePage(v, spi, false);
      }
      return out(uffd ? 'EFAULT' : 'OOM');
    }
    if (plan.inj) return undefined;
    f.resv = add(f.resv, i); // vma_commit_reservation
    f.cache = add(f.cache, i); // huge_add_to_page_cache (clears PagePrivate)
    return out('ok');
  }
  // private mapping of a private hugetlbfs file: anonymous pages
  const spi = m.src;
  if (has(m.anon, i)) {
    if (uffd) return unchanged('EEXIST');
    if (!write || !has(m.cow, i)) return unchanged('ok'); // mapped, or the only mapper: reuse
    // hugetlb_wp: COW of a page shared with the fork partner
    if (plan.inj) return undefined;
    const peer = v.vmas[m.peer]!;
    const ownerCow = m.owner; // outside_reserve: owner avoids its own reserves (old_page != pagecache_page)
    const r = allocPage(v, m, i, ownerCow, plan, R0, p.numa);
    if (r.ok) {
      m.cow = del(m.cow, i);
      peer.cow = del(peer.cow, i);
      return out('ok');
    }
    if (!ownerCow) return out('SIGBUS');
    // unmap_ref_private: take the page away from the non-owner and mark it HPAGE_RESV_UNMAPPED;
    // the owner then reuses the now exclusive page (HR-10)
    peer.anon = del(peer.anon, i);
    peer.cow = del(peer.cow, i);
    peer.unmapped = true;
    m.cow = del(m.cow, i);
    return out('ok');
  }
  if (m.unmapped && !uffd) return unchanged('SIGBUS'); // "PID killed due to inadequate hugepage pool"
  if (plan.inj === INJ.early) {
    // vma_needs_reservation (private owner map: region_chg kmalloc) failed
    if (!(m.kind === 'private' && m.owner) || plan.buddyFail || plan.numaMiss) return undefined;
    return { view: v0, ret: uffd ? 'ENOMEM' : 'OOM' };
  }
  const wasResv = m.kind === 'private' && m.owner && has(m.resv, i);
  const r = allocPage(v, m, i, false, plan, R0, p.numa);
  if (!r.ok) {
    if (plan.inj) return undefined;
    return out(uffd ? 'ENOMEM' : r.ret!);
  }
  if (plan.inj) {
    if (uffd) {
      // copy_from_user failed: ClearPagePrivate + put_page (mm/userfaultfd.c fix-up, seed L2320-2322)
      if (plan.inj === INJ.lose && r.restore && wasResv) m.resv = del(m.resv, i);
      else if (plan.inj !== INJ.keep || (r.restore && wasResv)) return undefined;
      freePage(v, spi, false);
      return out('EFAULT');
    }
    // anon_vma_prepare failed: restore_reserve_on_error + put_page
    if (!r.restore) {
      if (plan.inj !== INJ.keep) return undefined;
      freePage(v, spi, false);
      return out('OOM');
    }
    if (plan.inj === INJ.lose) {
      // its vma_needs_reservation could not kmalloc: clear the flag, reservation looks consumed (HR-2)
      m.resv = del(m.resv, i);
      freePage(v, spi, false);
      return out('OOM');
    }
    // vma_add_reservation: region_del of the consumed entry; the page restores the global reserve
    if (plan.inj === INJ.keep && wasResv) {
      freePage(v, spi, true);
      return out('OOM');
    }
    if (plan.inj === INJ.gain && !wasResv) {
      m.resv = add(m.resv, i);
      freePage(v, spi, true);
      return out('OOM');
    }
    return undefined;
  }
  if (wasResv || (m.kind === 'private' && m.owner)) m.resv = del(m.resv, i); // vma_commit_reservation: consumed
  m.anon = add(m.anon, i);
  return out('ok');
}

/**
 * set_max_huge_pages (nr_hugepages write). Grow: surplus -> persistent, then
 * fresh pages from buddy (y of them; fewer than needed = buddy failed).
 * Shrink: never below in-use + reserved; the rest becomes surplus.
 * x (surplus left unconverted on grow) and y on shrink (free pages not removed,
 * marked surplus instead) are the outcomes of the kernel dropping hugetlb_lock
 * inside the loops while other tasks allocate or free surplus pages; both keep
 * persistent_huge_pages == count.
 */
function setNr(v0: HugetlbView, n: number, c: number): Outcome | undefined {
  const x = Math.floor(c / 7);
  const y = c % 7;
  const v = clone(v0);
  if (n < 0) return x === 0 && y === 0 ? { view: v0, ret: 'EINVAL' } : undefined;
  const R0 = outstanding(v0);
  const persistent = () => v.total - v.surp;
  if (n > persistent()) {
    const conv = Math.min(v.surp, n - persistent());
    if (x > conv) return undefined;
    v.surp -= conv - x;
    const need = n - persistent();
    if (y > need) return undefined;
    v.total += y;
    if (x > 0 && y < need) return undefined; // the relaxation only covers completed grows
  } else {
    if (x !== 0) return undefined;
    const minCount = Math.max(n, R0 + inUse(v));
    const removable = Math.max(0, persistent() - minCount);
    if (y > removable) return undefined;
    v.total -= removable - y;
    while (n < persistent() && v.surp < v.total) v.surp++;
  }
  return { view: finish(v), ret: 'ok' };
}

/**
 * Internal step: an unreserved free surplus page goes back to buddy. The
 * kernel does this in return_unused_surplus_pages / free_huge_page; which of
 * them runs first when several tasks race (a needs/commit refund, a gather
 * whose pages became unnecessary) is not something a user can observe or rely
 * on, so the spec lets it happen at any time while free - rsvd > 0.
 */
export function shrinkSurplus(v0: HugetlbView): HugetlbView | undefined {
  if (!(v0.surp > 0 && v0.free - v0.rsvd > 0)) return undefined;
  const v = clone(v0);
  v.total--;
  v.surp--;
  return finish(v);
}

/** Canonical copy (used by tests and the abstraction). */
export function normalize(v: HugetlbView): HugetlbView {
  return finish(clone(v));
}
