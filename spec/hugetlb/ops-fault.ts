/**
 * Faults on one index (UFFDIO_COPY: ops-uffd.ts). The promise: a fault in a range whose
 * mmap made a reservation gets a page (never SIGBUS for want of one, unless
 * cpusets/mempolicy put every free page on a disallowed node, params.numa);
 * without a reservation nothing is promised. A shared mapping sees the page
 * cache page of its file; a private mapping its own private page.
 */
import { INJ, type Plan } from './choices.js';
import {
  type Ledger,
  add,
  at,
  charge,
  clone,
  del,
  has,
  inUse,
  isSharedKind,
  mountOf,
  newLedger,
  outstanding,
  pageFreed,
  settle,
  withToken,
} from './promises.js';
import type { HugetlbParams } from './params.js';
import { type NodePolicy, poolNode } from './ops-numa.js';
import { type Args, type HugetlbView, type Outcome, type Ret, TOKEN, type VmaView } from './view.js';

const num = (a: Args, k: string): number => (typeof a[k] === 'number' ? (a[k] as number) : Number(a[k] ?? 0));

interface AllocResult {
  ok: boolean;
  ret?: Ret;
  /** The page came out of a reservation made for this index. */
  restore: boolean;
  /** The node the page sits on (ops-numa.ts). */
  nid: number;
}

/** Does index i of mapping m hold a reservation (a promise made for it)? */
export function reserved(v: HugetlbView, m: VmaView, i: number): boolean {
  if (isSharedKind(m.kind)) return has(at(v.files, m.src).resv, i);
  return m.kind === 'private' && m.owner && has(m.resv, i);
}

/**
 * A page for index i: a reserved index takes a page set aside for it; an
 * unreserved one is charged to the mount (size= may refuse: SIGBUS) and takes
 * a free unreserved page or a new surplus page. `avoid`: the owner's COW,
 * which must not use its own reservations. With several nodes the page comes
 * from a node the policy allows (ops-numa.ts poolNode); undefined: this
 * choice is no possible outcome.
 */
export function allocPage(
  v: HugetlbView,
  ledger: Ledger,
  m: VmaView,
  i: number,
  avoid: boolean,
  plan: Plan,
  resv0: number,
  pol: NodePolicy,
): AllocResult | undefined {
  const wasReserved = reserved(v, m, i);
  let global = 0;
  if (!wasReserved || avoid) {
    global = charge(v, ledger, mountOf(v, m), 1);
    if (global < 0) return { ok: false, ret: 'SIGBUS', restore: false, nid: 0 };
    if (avoid) global = 1;
  }
  const hasReservation = (isSharedKind(m.kind) || (m.kind === 'private' && m.owner)) && global === 0;
  const free = v.total - inUse(v);
  // A concurrent mmap between its hugetlb_acct_memory and region_add already counts the pages
  // reserved, so an unreserved allocation may be refused meanwhile (plan.mmapInFlight, ops-window.ts);
  // on an idle pool a fault without a reservation gets a free unreserved page.
  // A concurrent fault holding a page it will give back (a COW whose partner unmapped) leaves none meanwhile.
  const refused =
    plan.buddyFail && !hasReservation && (!plan.windowed || plan.mmapInFlight === true || plan.pageHeld === true);
  // The pool lock is dropped between a failed dequeue and the buddy allocation: pages freed (or
  // reservations given back) meanwhile leave the fault with a surplus page while free pages exist.
  // Left with none (SIGBUS) only inside a window (ops-window.ts): its own dequeue failed, a
  // concurrent mmap's accounting or a page another call holds made it fail.
  const surplusFirst = plan.surplusFirst && !hasReservation && !plan.buddyFail;
  const sigbusWindow =
    !plan.windowed || plan.dequeueFailed === true || plan.mmapInFlight === true || plan.pageHeld === true;
  let got = false;
  if (!(pol.numa && plan.numaMiss) && !refused && !surplusFirst) {
    const unreserved = free - resv0;
    got = free > 0 && !((!hasReservation || avoid) && unreserved <= 0);
  }
  let nid = 0;
  const fromPool = got;
  if (v.nodes.length > 0) {
    // the node choices mean something only when the pool gives a page, or buddy a surplus one
    const pick = got ? poolNode(v, plan, pol) : plan.numaMiss ? undefined : 0;
    if (pick === undefined) return undefined;
    if (pick === 'miss') got = false;
    else nid = pick;
  }
  if (!got && v.surp < v.overcommit && !plan.buddyFail) {
    if (v.nodes.length > 0) {
      // alloc_buddy_hugetlb_folio_with_mpol (mm/hugetlb.c @ v6.12): a bound task's page comes from
      // its node (MPOL_BIND's nodemask), under the default policy from the local node, any node
      if (!fromPool && pol.membind !== undefined && plan.node !== 0) return undefined;
      nid = pol.membind ?? plan.node;
      if (nid >= v.nodes.length) return undefined;
      v.nodeSurp = v.nodeSurp.map((s, k) => (k === nid ? s + 1 : s));
    }
    v.total++;
    v.surp++;
    got = true;
  } else if (!fromPool && plan.node !== 0) return undefined;
  if (!got) return surplusFirst && !sigbusWindow ? undefined : { ok: false, ret: 'SIGBUS', restore: false, nid: 0 };
  return { ok: true, restore: !avoid && hasReservation, nid };
}

type Ctx = {
  v0: HugetlbView;
  v: HugetlbView;
  ledger: Ledger;
  plan: Plan;
  resv0: number;
  pol: NodePolicy;
  /** The faulting mapping's slot (a private write stores TOKEN.privateBase + slot). */
  slot: number;
  write: boolean;
};

export function done(c: Ctx, ret: Ret): Outcome | undefined {
  const settled = settle(c.v0, c.v, c.ledger, c.plan.reserveOffset);
  return settled ? { view: settled, ret } : undefined;
}

/** A shared mapping: the file's page cache page, or a new one. */
function sharedFault(c: Ctx, m: VmaView, i: number): Outcome | undefined {
  const { v, plan } = c;
  const f = at(v.files, m.src);
  // vma_needs_reservation could not allocate a map descriptor: VM_FAULT_OOM
  if (plan.inj === INJ.early)
    return plan.buddyFail || plan.numaMiss || plan.reserveOffset ? undefined : { view: c.v0, ret: 'OOM' };
  const hadEntry = has(f.resv, i);
  const r = allocPage(v, c.ledger, m, i, false, plan, c.resv0, c.pol);
  if (!r) return undefined;
  if (!r.ok) return plan.inj ? undefined : done(c, r.ret ?? 'SIGBUS');
  if (plan.inj === INJ.keep || plan.inj === INJ.gain) {
    // page cache insertion failed after allocation: the page is freed; the file's reservations
    // end as before ("keep") or keep a new entry that is now a reservation ("gain": its
    // deletion could not allocate). The fault is VM_FAULT_SIGBUS (mm/hugetlb.c hugetlb_no_page()
    // @ v6.1 and v6.12: ret stays VM_FAULT_SIGBUS on that path; seen on Debian 6.1.192 and 6.12.118
    // with the failure injected, kernel/inject.ts)
    if (plan.inj === INJ.gain) {
      if (hadEntry) return undefined;
      f.resv = add(f.resv, i);
    } else if (!hadEntry && r.restore) return undefined;
    pageFreed(v, r.nid);
    return done(c, 'SIGBUS');
  }
  if (plan.inj) return undefined;
  f.resv = add(f.resv, i);
  f.cache = add(f.cache, i);
  f.nodes = withToken(f.nodes, i, r.nid);
  m.pagecache = add(m.pagecache, i);
  // a new page is zeroed; a write fault stores into it
  f.data = withToken(f.data, i, c.write ? TOKEN.file : TOKEN.zero);
  return done(c, 'ok');
}

/** Write to a private page shared with the fork partner: copy it, or (owner, pool dry) take it away from the child. */
function cowFault(c: Ctx, m: VmaView, i: number): Outcome | undefined {
  const { v, plan } = c;
  if (plan.inj) return undefined;
  const peer = at(v.vmas, m.peer);
  const r = allocPage(v, c.ledger, m, i, m.owner, plan, c.resv0, c.pol);
  if (!r) return undefined;
  if (r.ok) {
    m.nodes = withToken(m.nodes, i, r.nid); // the copy's node; the partner keeps the old page
    // each side now has its own copy: the writer's holds what it wrote, the partner's what both saw
    m.cow = del(m.cow, i);
    peer.cow = del(peer.cow, i);
    m.data = withToken(m.data, i, TOKEN.privateBase + c.slot);
    return done(c, 'ok');
  }
  if (!m.owner) return done(c, 'SIGBUS');
  // the owner keeps its promise: the child loses the page and is marked, its later faults SIGBUS
  peer.anon = del(peer.anon, i);
  peer.cow = del(peer.cow, i);
  peer.unmapped = true;
  m.cow = del(m.cow, i);
  m.data = withToken(m.data, i, TOKEN.privateBase + c.slot);
  return done(c, 'ok');
}

/** Allocation failed after the page was taken (anon_vma_prepare): documented back-outs. */
function privateBackout(c: Ctx, m: VmaView, i: number, r: AllocResult, wasReserved: boolean): Outcome | undefined {
  const { v, plan } = c;
  if (!r.restore) {
    if (plan.inj !== INJ.keep) return undefined;
  } else if (plan.inj === INJ.lose)
    m.resv = del(m.resv, i); // the promise is lost: looks consumed
  else if (plan.inj === INJ.keep && wasReserved) {
    // the promise stays
  } else if (plan.inj === INJ.gain && !wasReserved) m.resv = add(m.resv, i);
  else return undefined;
  pageFreed(v, r.nid);
  return done(c, 'OOM');
}

/**
 * A write through a MAP_PRIVATE mapping of a file to an index whose page is
 * in the page cache: the write goes to a private copy (never to the file's
 * page), which takes the owner's promise for the index like any private page
 * (the kernel copies outside_reserve = 0 here). No page: SIGBUS, the mapping
 * still reading the file's page. With params.inject the copy may fail after
 * its page was taken (the mapping's anon_vma could not be prepared: mm/hugetlb.c
 * hugetlb_wp() @ v6.1 and v6.12): the write fails with OOM, the mapping still
 * reads the file's page, the copy's page goes back, and the promise for the
 * index ends as an allocation failure's back-out leaves it (privateBackout).
 */
function pagecacheCow(c: Ctx, m: VmaView, i: number): Outcome | undefined {
  const { v, plan } = c;
  if (plan.inj === INJ.early) return undefined;
  m.pagecache = add(m.pagecache, i); // mapped read-only first, whatever the copy's fate
  const wasReserved = reserved(v, m, i);
  const r = allocPage(v, c.ledger, m, i, false, plan, c.resv0, c.pol);
  if (!r) return undefined;
  if (!r.ok) return plan.inj ? undefined : done(c, r.ret ?? 'SIGBUS');
  if (plan.inj) return privateBackout(c, m, i, r, wasReserved);
  if (m.kind === 'private' && m.owner) m.resv = del(m.resv, i);
  m.pagecache = del(m.pagecache, i);
  m.anon = add(m.anon, i);
  m.nodes = withToken(m.nodes, i, r.nid);
  m.data = withToken(m.data, i, TOKEN.privateBase + c.slot);
  return done(c, 'ok');
}

function privateFault(c: Ctx, m: VmaView, i: number, write: boolean): Outcome | undefined {
  const { v, plan } = c;
  const plain = !plan.buddyFail && !plan.numaMiss && !plan.inj && !plan.reserveOffset;
  if (has(m.anon, i)) {
    if (!write) return plain ? { view: c.v0, ret: 'ok' } : undefined;
    if (!has(m.cow, i)) {
      // the page is ours alone: the write lands in it
      if (!plain) return undefined;
      m.data = withToken(m.data, i, TOKEN.privateBase + c.slot);
      return done(c, 'ok');
    }
    return cowFault(c, m, i);
  }
  if (has(m.pagecache, i)) {
    if (!write) return plain ? { view: c.v0, ret: 'ok' } : undefined;
    return pagecacheCow(c, m, i);
  }
  if (m.unmapped) return plain ? { view: c.v0, ret: 'SIGBUS' } : undefined;
  if (m.file >= 0) {
    const f = at(v.files, m.file);
    if (i >= f.size) return plain ? { view: c.v0, ret: 'SIGBUS' } : undefined;
    if (has(f.cache, i)) {
      // a minor fault is the handler's, for a private mapping of the file as for a shared one
      if (m.uffd === 'minor') return plain ? { view: c.v0, ret: 'SIGBUS' } : undefined;
      if (write) return pagecacheCow(c, m, i);
      if (!plain) return undefined;
      m.pagecache = add(m.pagecache, i); // a read maps the file's page
      return done(c, 'ok');
    }
  }
  // a missing page is the handler's; a page-cache page of the file is not missing (hugetlb_no_page)
  if (m.uffd === 'missing') return plain ? { view: c.v0, ret: 'SIGBUS' } : undefined;
  if (plan.inj === INJ.early) {
    // the owner's reserve map could not allocate a descriptor, or (any private mapping, v6.9+) the anon_vma
    // could not be prepared before the allocation (mm/hugetlb.c hugetlb_no_page() @ v6.12: __vmf_anon_prepare)
    if (plan.buddyFail || plan.numaMiss || plan.reserveOffset) return undefined;
    return { view: c.v0, ret: 'OOM' };
  }
  const wasReserved = reserved(v, m, i);
  const r = allocPage(v, c.ledger, m, i, false, plan, c.resv0, c.pol);
  if (!r) return undefined;
  if (!r.ok) return plan.inj ? undefined : done(c, r.ret ?? 'SIGBUS');
  if (plan.inj) return privateBackout(c, m, i, r, wasReserved);
  if (m.kind === 'private' && m.owner) m.resv = del(m.resv, i); // the promise is kept
  m.anon = add(m.anon, i);
  m.nodes = withToken(m.nodes, i, r.nid);
  // a new private page is zeroed; a write fault stores into it
  m.data = withToken(m.data, i, write ? TOKEN.privateBase + c.slot : TOKEN.zero);
  return done(c, 'ok');
}

/** fault (read/write) on one index of a mapping. */
export function fault(v0: HugetlbView, a: Args, plan: Plan, p: HugetlbParams): Outcome | undefined {
  const slot = num(a, 'v');
  const i = num(a, 'i');
  const write = a.write === true || a.write === 1 || a.write === 'true';
  const m0 = v0.vmas[slot];
  const plain = !plan.buddyFail && !plan.numaMiss && !plan.inj && !plan.reserveOffset;
  const unchanged = (ret: Ret): Outcome | undefined => (plain ? { view: v0, ret } : undefined);
  if (!m0 || m0.kind === 'none' || i < m0.from || i >= m0.to) return unchanged('SIGSEGV');
  if (write && m0.ro) return unchanged('SIGSEGV'); // a read-only mapping is never written
  const v = clone(v0);
  const c: Ctx = { v0, v, ledger: newLedger(v), plan, resv0: outstanding(v0), pol: p, slot, write };
  const m = at(v.vmas, slot);
  if (isSharedKind(m.kind)) {
    const f = at(v.files, m.src);
    if (i >= f.size) return unchanged('SIGBUS');
    if (has(m.pagecache, i) || has(f.cache, i)) {
      if (!has(m.pagecache, i) && m.uffd === 'minor') return unchanged('SIGBUS'); // a minor fault: the handler's
      if (!write && has(m.pagecache, i)) return unchanged('ok');
      if (!plain) return undefined;
      m.pagecache = add(m.pagecache, i);
      if (write) f.data = withToken(f.data, i, TOKEN.file); // the write lands in the file's page
      return { view: v, ret: 'ok' };
    }
    if (m.uffd === 'missing') return unchanged('SIGBUS'); // a missing page: the handler's
    return sharedFault(c, m, i);
  }
  return privateFault(c, m, i, write);
}
