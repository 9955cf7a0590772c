/**
 * Removing pages from a file: ftruncate (pages and reservations beyond the
 * new size are gone; faults there SIGBUS) and fallocate(PUNCH_HOLE) (the
 * cached pages of the hole are freed together with their reservations).
 */
import { INJ, type Plan } from './choices.js';
import { allocPage } from './ops-fault.js';
import { bindCheckFails, fallocatePagePlan, gatherPlace } from './ops-numa.js';
import { zapPrivate } from './ops-map.js';
import {
  add,
  at,
  charge,
  clone,
  del,
  has,
  inUse,
  isSharedKind,
  keepPinned,
  newLedger,
  outstanding,
  pageFreed,
  promiseGlobal,
  releaseGlobal,
  settle,
  freeHeld,
  heldCount,
  nodePick,
  tokenAt,
  withToken,
} from './promises.js';
import type { HugetlbParams } from './params.js';
import { type Args, EMPTY_VMA, type HugetlbView, type Outcome } from './view.js';

const num = (a: Args, k: string): number => (typeof a[k] === 'number' ? (a[k] as number) : Number(a[k] ?? 0));

/**
 * Every MAP_PRIVATE mapping of the file loses what it maps in [start, end):
 * the file's pages it was reading and its private copies there (the kernel
 * unmaps all mappings of the file, private ones included). A later read sees
 * the file again.
 */
export function zapFileMappings(v: HugetlbView, fi: number, start: number, end: number, restore: boolean): void {
  v.vmas.forEach((m, slot) => {
    if (m.kind !== 'none' && !isSharedKind(m.kind) && m.file === fi) zapPrivate(v, slot, start, end, restore);
  });
}

/** Free the released promises' surplus backing after settling the mount reserve. */
function settleAndRelease(v0: HugetlbView, v: HugetlbView, released: number, plan: Plan): Outcome | undefined {
  const s = settle(v0, v, newLedger(v), plan.reserveOffset);
  if (!s) return undefined;
  const pick = nodePick(s, plan.node);
  if (!releaseGlobal(s, released, pick) || pick.code !== 0) return undefined;
  s.free = s.total - inUse(s);
  s.rsvd = outstanding(s);
  return { view: s, ret: 'ok' };
}

/**
 * held: pages a staged truncate (ops-staged.ts) already removed, their reservations consumed, not yet
 * freed (view.removing[2]'s code: the sum of 8^node over them), or freed already (heldFreed).
 */
export function truncate(
  v0: HugetlbView,
  a: Args,
  plan: Plan,
  p: HugetlbParams,
  held = 0,
  heldFreed = false,
): Outcome | undefined {
  if (plan.buddyFail || plan.numaMiss || plan.inj) return undefined;
  const fi = num(a, 'f');
  const size = num(a, 'size');
  const f0 = v0.files[fi];
  const plain = !plan.reserveOffset && !plan.node;
  if (!f0 || size < 0 || size > p.fileSize || !v0.spools[f0.mount]?.mounted)
    return plain ? { view: v0, ret: 'EINVAL' } : undefined;
  if (!f0.open) return plain ? { view: v0, ret: 'EBADF' } : undefined;
  if (f0.sealed && size < f0.size) return plain ? { view: v0, ret: 'EPERM' } : undefined;
  const v = clone(v0);
  zapFileMappings(v, fi, size, p.fileSize, v0.surp === 0);
  const f = at(v.files, fi);
  f.size = size;
  const gone = f.cache.filter((x) => x >= size);
  const released = f.resv.filter((x) => x >= size && !has(f.cache, x)).length - heldCount(held);
  f.cache = f.cache.filter((x) => x < size);
  f.resv = f.resv.filter((x) => x < size);
  unmapFile(v, fi, (x) => x >= size);
  const freed = gone.filter((x) => !keepPinned(v, fi, x)); // a pinned page stays in use until unpinned
  for (const x of freed) pageFreed(v, tokenAt(f.nodes, x));
  if (!heldFreed) freeHeld(v, held); // (a staged truncate may have freed them already: ops-staged.ts)
  return settleAndRelease(v0, v, released, plan);
}

/**
 * Hole punch. inj = 1 + j: the j-th removed page's reservation entry cannot
 * be split off (a kernel allocation failure): the entry stays, and is made a
 * reservation again (hugetlb_fix_reserve_counts), when the pool allows.
 */
export function punch(v0: HugetlbView, a: Args, plan: Plan, p: HugetlbParams): Outcome | undefined {
  if (plan.numaMiss) return undefined;
  const fi = num(a, 'f');
  const from = num(a, 'from');
  const to = num(a, 'to');
  const f0 = v0.files[fi];
  if (!f0 || !(from >= 0 && from < to && to <= p.fileSize) || !v0.spools[f0.mount]?.mounted)
    return plan.buddyFail || plan.inj || plan.reserveOffset ? undefined : { view: v0, ret: 'EINVAL' };
  if (!f0.open) return plan.buddyFail || plan.inj || plan.reserveOffset ? undefined : { view: v0, ret: 'EBADF' };
  return punchRange(v0, fi, from, to, plan, false, p);
}

/** Punch [from, to) of file fi at once; hold: the removed pages stay in use until the caller frees them (ops-staged.ts). */
export function punchRange(
  v0: HugetlbView,
  fi: number,
  from: number,
  to: number,
  plan: Plan,
  hold: boolean,
  p?: HugetlbParams,
): Outcome | undefined {
  const v = clone(v0);
  zapFileMappings(v, fi, from, to, v0.surp === 0);
  const f = at(v.files, fi);
  const ledger = newLedger(v);
  const victims = f.cache.filter((x) => x >= from && x < to);
  const failAt = plan.inj ? plan.inj - INJ.early : -1;
  if (failAt >= victims.length) return undefined;
  if (plan.buddyFail && failAt < 0) return undefined;
  const free0 = v0.total - inUse(v0);
  for (let j = 0; j < victims.length; j++) {
    const i = at(victims, j);
    if (j === failAt) {
      if (!(has(f.resv, i - 1) && has(f.resv, i) && has(f.resv, i + 1))) return undefined;
      // the kept entry is charged again and backed by the pool if it can be
      // ("Huge Page Reserved count may go negative" otherwise: not an outcome the spec allows)
      f.resv = del(f.resv, i);
      const global = charge(v, ledger, f.mount, 1);
      if (global < 0) return undefined;
      if (global > 0) {
        // with several nodes a surplus page gathered for it sits where a mmap's would (ops-numa.ts),
        // and a bound task's node must cover it (else the reservation is not made either)
        const place = p && v.nodes.length > 0 ? gatherPlace(v, plan, p) : undefined;
        if (!promiseGlobal(v, outstanding(v0), 1, plan.buddyFail, free0, place?.next)) return undefined;
        if (place && !place.done()) return undefined;
        if (p && bindCheckFails(v, 1, plan, p) !== false) return undefined;
      }
      f.resv = [...f.resv, i].sort((x, y) => x - y);
    } else f.resv = del(f.resv, i);
  }
  for (const i of victims) f.cache = del(f.cache, i);
  unmapFile(v, fi, (x) => x >= from && x < to);
  const freed = victims.filter((i) => !keepPinned(v, fi, i)); // a pinned page stays in use until unpinned
  if (!hold) for (const i of freed) pageFreed(v, tokenAt(f.nodes, i));
  const s = settle(v0, v, ledger, plan.reserveOffset);
  return s ? { view: s, ret: 'ok' } : undefined;
}

/**
 * fallocate mode 0: every index of [from, to) ends up with a page in the page
 * cache, a reserved index taking the page promised to it, an unreserved one a
 * new charge on the mount (size= may refuse: ENOSPC) and a free unreserved or
 * surplus page (none: ENOSPC). The first failure ends the call with the pages
 * added so far kept and i_size unchanged; success extends i_size to `to`.
 */
export function fallocate(v0: HugetlbView, a: Args, plan: Plan, p: HugetlbParams): Outcome | undefined {
  if (plan.inj) return undefined;
  const fi = num(a, 'f');
  const from = num(a, 'from');
  const to = num(a, 'to');
  const f0 = v0.files[fi];
  const plain = !plan.buddyFail && !plan.numaMiss && !plan.surplusFirst && !plan.reserveOffset;
  if (!f0 || !(from >= 0 && from < to && to <= p.fileSize) || !v0.spools[f0.mount]?.mounted)
    return plain ? { view: v0, ret: 'EINVAL' } : undefined;
  if (!f0.open) return plain ? { view: v0, ret: 'EBADF' } : undefined;
  const v = clone(v0);
  const f = at(v.files, fi);
  const ledger = newLedger(v);
  const pseudo = { ...EMPTY_VMA, kind: 'shared' as const, src: fi, from: 0, to: p.fileSize };
  let ret: 'ok' | 'ENOSPC' = 'ok';
  // the lock-drop window (a surplus page taken while a page is freed meanwhile) is modelled for
  // one allocation of the call: the first unreserved one
  const missing = Array.from({ length: to - from }, (_, k) => from + k).filter((i) => !has(f.cache, i));
  const windowAt = missing.find((i) => !has(f.resv, i));
  let k = 0; // pages allocated so far: the node digits of the plan (ops-numa.ts)
  for (const i of missing) {
    const pk = fallocatePagePlan(v, i === windowAt ? plan : { ...plan, surplusFirst: false }, p, k);
    const r = allocPage(v, ledger, pseudo, i, false, pk, outstanding(v), p);
    if (!r) return undefined;
    k++;
    if (!r.ok) {
      ret = 'ENOSPC';
      break;
    }
    f.resv = add(f.resv, i);
    f.cache = add(f.cache, i);
    f.nodes = withToken(f.nodes, i, r.nid);
  }
  // node digits beyond the pages allocated, and a bound task's miss that never came, are no outcome
  const nodes = Math.max(1, v.nodes.length);
  if (plan.node >= nodes ** k || (v.nodes.length > 0 && plan.numaMiss && ret === 'ok')) return undefined;
  if (ret === 'ok') f.size = Math.max(f.size, to);
  const s = settle(v0, v, ledger, plan.reserveOffset);
  return s ? { view: s, ret } : undefined;
}

/** Pages leaving file fi's page cache leave every shared mapping of the file too. */
export function unmapFile(v: HugetlbView, fi: number, gone: (i: number) => boolean): void {
  for (const m of v.vmas)
    if (isSharedKind(m.kind) && m.src === fi && m.pagecache.some(gone))
      m.pagecache = m.pagecache.filter((i) => !gone(i));
}
