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
  nodePick,
  outstanding,
  pageFreed,
  promiseGlobal,
  pruneData,
  range,
  releaseGlobal,
  settle,
  tokenAt,
  usage,
} from './promises.js';
import { lastReference } from './ops-lifetime.js';
import { bindCheckFails, gatherPlace } from './ops-numa.js';
import type { HugetlbParams } from './params.js';
import {
  type Args,
  EMPTY_VMA,
  type HugetlbView,
  type Outcome,
  type Ret,
  type VmaKind,
  type VmaView,
  num,
} from './view.js';

const KINDS: readonly string[] = ['shared', 'noreserve', 'private', 'private_noreserve', 'private_file'];
/** The mmap names a shared file f (shared kinds, MAP_PRIVATE of a file), not a mount. */
const namesFile = (kind: string): boolean => kind !== 'private' && kind !== 'private_noreserve';

/** -EINVAL: a bad slot, range, file or kind, or an unmounted mount. */
function badMmap(v: HugetlbView, a: Args, p: HugetlbParams): boolean {
  const kind = String(a.kind);
  const src = num(a, 'f');
  const from = num(a, 'from');
  const to = num(a, 'to');
  const m = v.vmas[num(a, 'v')];
  if (!m || m.kind !== 'none' || !KINDS.includes(kind) || !(from >= 0 && from < to && to <= p.fileSize)) return true;
  const mount = namesFile(kind) ? v.files[src]?.mount : src;
  return mount === undefined || !v.spools[mount]?.mounted;
}

/**
 * A transient ENOMEM no atomic order explains, allowed only near the limits and
 * only while another call holds a page it allocated (plan.pageHeld):
 * region_chg counts before the lock is dropped, so a fault instantiating an
 * index of the range before region_add makes hugetlb_reserve_pages charge the
 * stale, larger count; and a concurrent fault holds an allocated page and its
 * subpool charge until it commits or rolls back (mm/hugetlb.c
 * hugetlb_reserve_pages() @ v6.1, "region_add ... may have been fewer"). So
 * an mmap may fail when the range would not fit with `slack` pages less
 * (the pages other calls hold, and the indices its own stale count still
 * counts: ops-window.ts).
 */
function transientEnomem(v: HugetlbView, mount: number, n: number, slack: number): boolean {
  const s = at(v.spools, mount);
  const room = v.total - inUse(v) - outstanding(v) + Math.max(0, v.overcommit - v.surp);
  return n > room - slack || (s.max !== -1 && usage(v, mount) + n + slack > s.max);
}

/**
 * mmap: a mapping without MAP_NORESERVE promises a page for every index of
 * its range; it succeeds exactly when the mount's size= and the pool (free
 * unreserved pages plus allowed surplus) can make that promise, and a failed
 * mmap changes nothing.
 */
export function mmap(v0: HugetlbView, a: Args, plan: Plan, p: HugetlbParams): Outcome | undefined {
  if (badMmap(v0, a, p)) return plan.buddyFail || plan.inj || plan.numaMiss ? undefined : { view: v0, ret: 'EINVAL' };
  const kindArg = String(a.kind);
  // MAP_PRIVATE of a file is a private mapping like any other, reading the file's pages until written
  const kind = (kindArg === 'private_file' ? 'private' : kindArg) as VmaKind;
  const file = namesFile(kindArg) ? num(a, 'f') : -1;
  const from = num(a, 'from');
  const to = num(a, 'to');
  const shared = isSharedKind(kind);
  const src = file >= 0 && !shared ? at(v0.files, file).mount : num(a, 'f');
  const mount = shared ? at(v0.files, src).mount : src;
  if (file >= 0 && !at(v0.files, file).open)
    return plan.buddyFail || plan.inj || plan.numaMiss ? undefined : { view: v0, ret: 'EBADF' };
  const unchanged = (): Outcome => ({ view: v0, ret: 'ENOMEM' });
  const reserving = kind === 'shared' || kind === 'private';
  // only while a concurrent fault holds a page it allocated (ops-window.ts WIN_HELD)
  const slack = plan.slack ?? 0;
  if (plan.buddyFail && reserving && plan.inj === INJ.none && slack > 0 && transientEnomem(v0, mount, to - from, slack))
    return unchanged();
  if (plan.inj === INJ.early) return kind === 'shared' && !plan.buddyFail ? unchanged() : undefined; // region_chg kmalloc
  if (plan.inj || (!reserving && (plan.buddyFail || plan.numaMiss || plan.node))) return undefined;
  const v = clone(v0);
  const ledger = newLedger(v);
  const nv: VmaView = {
    ...EMPTY_VMA,
    kind,
    src,
    file: shared ? -1 : file,
    from,
    to,
    owner: kind === 'private',
    resv: [],
    anon: [],
    cow: [],
  };
  if (reserving) {
    const promised = shared ? range(from, to).filter((i) => !has(at(v.files, src).resv, i)) : range(from, to);
    const global = charge(v, ledger, mount, promised.length);
    if (global < 0) return plan.buddyFail || plan.numaMiss ? undefined : unchanged(); // size= exceeded
    const place = gatherPlace(v, plan, p);
    const gathered = promiseGlobal(v, outstanding(v0), global, plan.buddyFail, undefined, place.next);
    if (gathered === undefined || (v.nodes.length > 0 && !place.done())) return undefined;
    if (!gathered) return plan.numaMiss ? undefined : unchanged();
    // a bound task: the pool's free pages on its node must cover the new promises (ops-numa.ts)
    const bindFails = bindCheckFails(v, global, plan, p);
    if (bindFails === undefined) return undefined;
    if (bindFails) return plan.buddyFail ? undefined : unchanged();
    if (shared) {
      const f = at(v.files, src);
      f.resv = [...new Set([...f.resv, ...promised])].sort((x, y) => x - y);
    } else nv.resv = promised;
  }
  // a writable mapping (MAP_SHARED or MAP_PRIVATE) extends i_size
  if (file >= 0) at(v.files, file).size = Math.max(at(v.files, file).size, to);
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
  const unchanged = (ret: Ret): Outcome | undefined =>
    plan.reserveOffset || plan.node ? undefined : { view: v0, ret };
  const pick = nodePick(v0, plan.node); // the node of each surplus page given back
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
    const freed: number[] = []; // the nodes of the pages freed
    for (const i of m.anon.filter(inRange)) {
      if (has(m.cow, i) && peer) peer.cow = del(peer.cow, i);
      else freed.push(tokenAt(m.nodes, i));
    }
    given = m.resv.filter(inRange).length;
    m.anon = m.anon.filter((i) => !inRange(i));
    m.cow = m.cow.filter((i) => !inRange(i));
    m.resv = m.resv.filter((i) => !inRange(i));
    m.pagecache = m.pagecache.filter((i) => !inRange(i));
    if (whole && peer) peer.peer = -1;
    for (const nid of freed) pageFreed(v, nid);
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
      pagecache: m.pagecache.filter(above),
      data: m.data.filter(([i]) => above(i)),
      peer: -1,
    };
    m.anon = m.anon.filter((i) => !above(i));
    m.pagecache = m.pagecache.filter((i) => !above(i));
    m.resv = m.resv.filter((i) => !above(i));
    m.pagecache = m.pagecache.filter((i) => !above(i));
    m.to = start;
  } else if (start === m.from) m.from = end;
  else m.to = start;
  const fileHeld = isSharedKind(m0.kind) ? m0.src : m0.file;
  const settled =
    whole && fileHeld >= 0
      ? lastReference(v0, v, fileHeld, plan.reserveOffset, pick)
      : settle(v0, v, newLedger(v), plan.reserveOffset);
  if (!settled || !releaseGlobal(settled, given, pick) || pick.code !== 0) return undefined;
  return { view: settledFinish(settled), ret: 'ok' };
}

function settledFinish(v: HugetlbView): HugetlbView {
  pruneData(v);
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
    file: m.file,
    from: m.from,
    to: m.to,
    anon: [...m.anon],
    cow: [...m.anon],
    pagecache: [...m.pagecache],
    data: m.data.map(([i, tok]) => [i, tok] as [number, number]),
    nodes: m.nodes.map(([i, nid]) => [i, nid] as [number, number]), // the same pages, on the same nodes
    peer: s,
    ro: m.ro,
  };
  const parent = at(v.vmas, s);
  parent.cow = [...m.anon];
  parent.peer = c;
  return { view: settledFinish(v), ret: 'ok' };
}

/**
 * The pages a private mapping maps in [start, end) go away (munmap keeps its
 * own accounting; this is MADV_DONTNEED and the unmapping a truncate or hole
 * punch does in every mapping of the file): the read-only views of the
 * file's pages, and the private copies, each freed unless the fork partner
 * still shares it. The owner's promise for a discarded (freed) private page
 * comes back, so a later fault there is guaranteed a page again, except while
 * surplus pages exist (`restore`: the kernel does not restore the
 * reservation when it may be freeing a surplus page; mm/hugetlb.c
 * __unmap_hugepage_range() @ v6.12).
 */
export function zapPrivate(v: HugetlbView, slot: number, start: number, end: number, restore: boolean): void {
  const m = at(v.vmas, slot);
  if (m.kind === 'none' || isSharedKind(m.kind)) return;
  const inRange = (i: number): boolean => i >= start && i < end;
  const peer = m.peer >= 0 ? at(v.vmas, m.peer) : undefined;
  const freed: number[] = []; // the nodes of the pages freed
  for (const i of m.anon.filter(inRange)) {
    if (has(m.cow, i) && peer)
      peer.cow = del(peer.cow, i); // the partner keeps the page (and no promise comes back)
    else {
      freed.push(tokenAt(m.nodes, i));
      if (restore && m.kind === 'private' && m.owner) m.resv = [...m.resv, i].sort((x, y) => x - y);
    }
  }
  m.anon = m.anon.filter((i) => !inRange(i));
  m.cow = m.cow.filter((i) => !inRange(i));
  m.pagecache = m.pagecache.filter((i) => !inRange(i));
  m.data = m.data.filter(([i]) => !inRange(i));
  for (const nid of freed) pageFreed(v, nid);
}

/**
 * MADV_DONTNEED of [from, to) through the mapping in slot v: the range's pages
 * are discarded (zapPrivate; a shared mapping's pages stay in the file), the
 * mapping stays. to < from: EINVAL; a range not wholly inside the mapping:
 * ENOMEM after discarding the part that is.
 */
export function madviseDontneed(v0: HugetlbView, a: Args, plan: Plan): Outcome | undefined {
  if (plan.buddyFail || plan.numaMiss || plan.inj || plan.surplusFirst) return undefined;
  const unchanged = (ret: Ret): Outcome | undefined => (plan.reserveOffset ? undefined : { view: v0, ret });
  const slot = num(a, 'v');
  const from = num(a, 'from');
  const to = num(a, 'to');
  if (to < from) return unchanged('EINVAL');
  if (to === from) return unchanged('ok');
  const m0 = v0.vmas[slot];
  if (!m0 || m0.kind === 'none') return unchanged('ENOMEM');
  const ret: Ret = from >= m0.from && to <= m0.to ? 'ok' : 'ENOMEM';
  const v = clone(v0);
  const lo = Math.max(from, m0.from);
  const hi = Math.min(to, m0.to);
  // a shared mapping maps none of the range afterwards; the file keeps its pages
  if (isSharedKind(m0.kind)) at(v.vmas, slot).pagecache = m0.pagecache.filter((i) => i < lo || i >= hi);
  zapPrivate(v, slot, lo, hi, v0.surp === 0);
  const settled = settle(v0, v, newLedger(v), plan.reserveOffset);
  return settled ? { view: settled, ret } : undefined;
}
