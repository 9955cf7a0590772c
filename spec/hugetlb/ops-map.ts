/**
 * Mappings: mmap (the reservation promise), munmap (promises and private
 * pages given back), fork (the child shares the parent's private pages
 * copy-on-write and owns no reservations).
 */
import { INJ, type Plan } from './choices.js';
import {
  at,
  charge,
  clone,
  del,
  has,
  inUse,
  isSharedKind,
  newLedger,
  outstanding,
  pageFreed,
  promiseGlobal,
  range,
  releaseGlobal,
  settle,
  usage,
} from './promises.js';
import { lastReference } from './ops-lifetime.js';
import type { HugetlbParams } from './params.js';
import { type Args, EMPTY_VMA, type HugetlbView, type Outcome, type Ret, type VmaKind, type VmaView } from './view.js';

const num = (a: Args, k: string): number => (typeof a[k] === 'number' ? (a[k] as number) : Number(a[k] ?? 0));
const KINDS: readonly string[] = ['shared', 'noreserve', 'private', 'private_noreserve'];

/** -EINVAL: a bad slot, range, file or kind, or an unmounted mount. */
function badMmap(v: HugetlbView, a: Args, p: HugetlbParams): boolean {
  const kind = String(a.kind);
  const src = num(a, 'f');
  const from = num(a, 'from');
  const to = num(a, 'to');
  const m = v.vmas[num(a, 'v')];
  if (!m || m.kind !== 'none' || !KINDS.includes(kind) || !(from >= 0 && from < to && to <= p.fileSize)) return true;
  const shared = isSharedKind(kind);
  const mount = shared ? v.files[src]?.mount : src;
  return mount === undefined || !v.spools[mount]?.mounted;
}

/**
 * A transient ENOMEM no atomic order explains, allowed only near the limits:
 * region_chg counts before the lock is dropped, so a fault instantiating an
 * index of the range before region_add makes hugetlb_reserve_pages charge the
 * stale, larger count; and a concurrent fault holds an allocated page and its
 * subpool charge until it commits or rolls back (mm/hugetlb.c
 * hugetlb_reserve_pages() @ v6.1, "region_add ... may have been fewer"). So
 * an mmap may fail when the range would not fit with one page less.
 */
function transientEnomem(v: HugetlbView, mount: number, n: number): boolean {
  const s = at(v.spools, mount);
  const room = v.total - inUse(v) - outstanding(v) + Math.max(0, v.overcommit - v.surp);
  return n > room - 1 || (s.max !== -1 && usage(v, mount) + n + 1 > s.max);
}

/**
 * mmap: a mapping without MAP_NORESERVE promises a page for every index of
 * its range; it succeeds exactly when the mount's size= and the pool (free
 * unreserved pages plus allowed surplus) can make that promise, and a failed
 * mmap changes nothing.
 */
export function mmap(v0: HugetlbView, a: Args, plan: Plan, p: HugetlbParams): Outcome | undefined {
  if (plan.numaMiss) return undefined;
  if (badMmap(v0, a, p)) return plan.buddyFail || plan.inj ? undefined : { view: v0, ret: 'EINVAL' };
  const kind = String(a.kind) as VmaKind;
  const src = num(a, 'f');
  const from = num(a, 'from');
  const to = num(a, 'to');
  const shared = isSharedKind(kind);
  const mount = shared ? at(v0.files, src).mount : src;
  if (shared && !at(v0.files, src).open) return plan.buddyFail || plan.inj ? undefined : { view: v0, ret: 'EBADF' };
  const unchanged = (): Outcome => ({ view: v0, ret: 'ENOMEM' });
  const reserving = kind === 'shared' || kind === 'private';
  if (plan.buddyFail && reserving && plan.inj === INJ.none && transientEnomem(v0, mount, to - from)) return unchanged();
  if (plan.inj === INJ.early) return kind === 'shared' && !plan.buddyFail ? unchanged() : undefined; // region_chg kmalloc
  if (plan.inj || (!reserving && plan.buddyFail)) return undefined;
  const v = clone(v0);
  const ledger = newLedger(v);
  const nv: VmaView = { ...EMPTY_VMA, kind, src, from, to, owner: kind === 'private', resv: [], anon: [], cow: [] };
  if (reserving) {
    const promised = shared ? range(from, to).filter((i) => !has(at(v.files, src).resv, i)) : range(from, to);
    const global = charge(v, ledger, mount, promised.length);
    if (global < 0) return plan.buddyFail ? undefined : unchanged(); // size= exceeded
    if (!promiseGlobal(v, outstanding(v0), global, plan.buddyFail)) return unchanged();
    if (shared) {
      const f = at(v.files, src);
      f.resv = [...new Set([...f.resv, ...promised])].sort((x, y) => x - y);
    } else nv.resv = promised;
  }
  // a writable shared mapping extends i_size
  if (shared) at(v.files, src).size = Math.max(at(v.files, src).size, to);
  v.vmas[num(a, 'v')] = nv;
  const settled = settle(v0, v, ledger, 0);
  return settled && plan.reserveOffset === 0 ? { view: settled, ret: 'ok' } : undefined;
}

/**
 * munmap of a mapping or of [from, to) of it: the private pages in the range
 * are freed (a page still shared with the fork partner stays with it) and an
 * owner's unused promises in the range are given back; what remains stays
 * mapped, a hole in the middle leaving two mappings (the second in slot c,
 * or the lowest free slot; no free slot, or a forked mapping, = ENOMEM: the
 * slots stand for vm.max_map_count).
 */
export function munmap(v0: HugetlbView, a: Args, plan: Plan): Outcome | undefined {
  if (plan.buddyFail || plan.numaMiss || plan.inj) return undefined;
  const unchanged = (ret: Ret): Outcome | undefined => (plan.reserveOffset ? undefined : { view: v0, ret });
  const slot = num(a, 'v');
  const m0 = v0.vmas[slot];
  if (!m0 || m0.kind === 'none') return unchanged('EINVAL');
  const ranged = a.from !== undefined || a.to !== undefined;
  if (ranged && !(num(a, 'from') < num(a, 'to'))) return unchanged('EINVAL');
  const start = ranged ? Math.max(num(a, 'from'), m0.from) : m0.from;
  const end = ranged ? Math.min(num(a, 'to'), m0.to) : m0.to;
  if (start >= end) return unchanged('ok');
  const whole = start === m0.from && end === m0.to;
  const middle = start > m0.from && end < m0.to;
  const freeSlot = a.c !== undefined ? num(a, 'c') : v0.vmas.findIndex((x) => x.kind === 'none');
  if (middle && (v0.vmas[freeSlot]?.kind !== 'none' || m0.peer !== -1)) return unchanged('ENOMEM');
  const v = clone(v0);
  const m = at(v.vmas, slot);
  const inRange = (i: number): boolean => i >= start && i < end;
  let given = 0;
  if (!isSharedKind(m.kind)) {
    const peer = m.peer >= 0 ? at(v.vmas, m.peer) : undefined;
    let freed = 0;
    for (const i of m.anon.filter(inRange)) {
      if (has(m.cow, i) && peer) peer.cow = del(peer.cow, i);
      else freed++;
    }
    given = m.resv.filter(inRange).length;
    m.anon = m.anon.filter((i) => !inRange(i));
    m.cow = m.cow.filter((i) => !inRange(i));
    m.resv = m.resv.filter((i) => !inRange(i));
    if (whole && peer) peer.peer = -1;
    for (let k = 0; k < freed; k++) pageFreed(v);
  } else m.pagecache = m.pagecache.filter((i) => !inRange(i));
  if (whole) v.vmas[slot] = { ...EMPTY_VMA };
  else if (middle) {
    const above = (i: number): boolean => i >= end;
    v.vmas[freeSlot] = {
      ...m,
      from: end,
      anon: m.anon.filter(above),
      cow: [],
      resv: m.resv.filter(above),
      peer: -1,
      pagecache: m.pagecache.filter(above),
    };
    m.anon = m.anon.filter((i) => !above(i));
    m.pagecache = m.pagecache.filter((i) => !above(i));
    m.resv = m.resv.filter((i) => !above(i));
    m.to = start;
  } else if (start === m.from) m.from = end;
  else m.to = start;
  const settled =
    whole && isSharedKind(m0.kind)
      ? lastReference(v0, v, m0.src, plan.reserveOffset)
      : settle(v0, v, newLedger(v), plan.reserveOffset);
  if (!settled) return undefined;
  releaseGlobal(settled, given);
  return { view: settledFinish(settled), ret: 'ok' };
}

function settledFinish(v: HugetlbView): HugetlbView {
  v.free = v.total - inUse(v);
  v.rsvd = outstanding(v);
  return v;
}

/** fork of a private mapping: the child owns no reservations; private pages are shared copy-on-write. */
export function fork(v0: HugetlbView, a: Args, plan: Plan): Outcome | undefined {
  if (plan.buddyFail || plan.numaMiss || plan.inj || plan.reserveOffset) return undefined;
  const s = num(a, 'v');
  const c = num(a, 'c');
  const m = v0.vmas[s];
  const cm = v0.vmas[c];
  if (!m || !cm || s === c || cm.kind !== 'none' || isSharedKind(m.kind) || m.kind === 'none' || m.peer !== -1)
    return { view: v0, ret: 'EINVAL' };
  const v = clone(v0);
  v.vmas[c] = {
    ...EMPTY_VMA,
    kind: m.kind,
    src: m.src,
    from: m.from,
    to: m.to,
    anon: [...m.anon],
    cow: [...m.anon],
    peer: s,
  };
  const parent = at(v.vmas, s);
  parent.cow = [...m.anon];
  parent.peer = c;
  return { view: settledFinish(v), ret: 'ok' };
}
