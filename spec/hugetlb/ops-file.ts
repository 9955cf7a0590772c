/**
 * Removing pages from a file: ftruncate (pages and reservations beyond the
 * new size are gone; faults there SIGBUS) and fallocate(PUNCH_HOLE) (the
 * cached pages of the hole are freed together with their reservations).
 */
import { INJ, type Plan } from './choices.js';
import { allocPage } from './ops-fault.js';
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
  newLedger,
  outstanding,
  pageFreed,
  promiseGlobal,
  releaseGlobal,
  settle,
  finish,
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
function zapFileMappings(v: HugetlbView, fi: number, start: number, end: number, restore: boolean): void {
  v.vmas.forEach((m, slot) => {
    if (m.kind !== 'none' && !isSharedKind(m.kind) && m.file === fi) zapPrivate(v, slot, start, end, restore);
  });
}

/** Free the released promises' surplus backing after settling the mount reserve. */
function settleAndRelease(v0: HugetlbView, v: HugetlbView, released: number, plan: Plan): Outcome | undefined {
  const s = settle(v0, v, newLedger(v), plan.reserveOffset);
  if (!s) return undefined;
  releaseGlobal(s, released);
  s.free = s.total - inUse(s);
  s.rsvd = outstanding(s);
  return { view: s, ret: 'ok' };
}

export function truncate(v0: HugetlbView, a: Args, plan: Plan, p: HugetlbParams): Outcome | undefined {
  if (plan.buddyFail || plan.numaMiss || plan.inj) return undefined;
  const fi = num(a, 'f');
  const size = num(a, 'size');
  const f0 = v0.files[fi];
  if (!f0 || size < 0 || size > p.fileSize || !v0.spools[f0.mount]?.mounted)
    return plan.reserveOffset ? undefined : { view: v0, ret: 'EINVAL' };
  if (!f0.open) return plan.reserveOffset ? undefined : { view: v0, ret: 'EBADF' };
  const v = clone(v0);
  zapFileMappings(v, fi, size, p.fileSize, v0.surp === 0);
  const f = at(v.files, fi);
  f.size = size;
  const gone = f.cache.filter((x) => x >= size);
  const released = f.resv.filter((x) => x >= size && !has(f.cache, x)).length;
  f.cache = f.cache.filter((x) => x < size);
  f.resv = f.resv.filter((x) => x < size);
  unmapFile(v, fi, (x) => x >= size);
  for (let k = 0; k < gone.length; k++) pageFreed(v);
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
  if (!plan.buddyFail && !plan.inj && !plan.reserveOffset && to - from > 1) return punchBegin(v0, fi, from, to);
  return punchRange(v0, fi, from, to, plan, false);
}

/**
 * A hole punch of more than one page is not atomic for a concurrent fault
 * (issue 10 item 9; hugetlbfs has no shmem_falloc-style guard): the call
 * first unmaps the hole from every mapping, then removes the hole's pages one
 * index at a time, lowest first, and frees the removed pages together at the
 * end. Meanwhile a fault may map a page the punch has not reached yet (it is
 * then unmapped when the punch gets there) or fault a page in where the punch
 * has already been (that page stays), and the removed pages are in nobody's
 * use yet not free: a fault may need a surplus page or SIGBUS although the
 * hole's pages are about to be freed. The spec states this as the punch's
 * effect at its linearization (unmap, `view.punch` = what is left to do) and
 * internal steps (`punchStep`) that remove the indices and then free the
 * pages. Another truncate/punch/fallocate/close/unlink of the file, and any
 * umount, waits for the punch (inode_lock): applyOp rejects them meanwhile.
 * Over-approximation: the internal steps may complete after the punch
 * returned (the checker has no per-operation end point for the spec).
 */
function punchBegin(v0: HugetlbView, fi: number, from: number, to: number): Outcome {
  const v = clone(v0);
  zapFileMappings(v, fi, from, to, v0.surp === 0);
  unmapFile(v, fi, (x) => x >= from && x < to);
  v.punch = [fi, 0, ...Array.from({ length: to - from }, (_, k) => from + k)];
  return { view: finish(v), ret: 'ok' };
}

/** The next step of the punch in progress (view.punch): remove its lowest index, or free the removed pages. */
export function punchStep(v0: HugetlbView, reserveOffset: number): HugetlbView | undefined {
  const [fi, held, i, ...rest] = v0.punch;
  if (fi === undefined || held === undefined) return undefined;
  if (i === undefined) {
    if (reserveOffset) return undefined;
    const v = clone(v0);
    v.punch = [];
    for (let k = 0; k < held; k++) pageFreed(v);
    return finish(v);
  }
  const plan = { buddyFail: false, numaMiss: false, surplusFirst: false, inj: 0, reserveOffset };
  const removed = has(at(v0.files, fi).cache, i) ? 1 : 0;
  if (!removed && reserveOffset) return undefined;
  const o = removed ? punchRange(v0, fi, i, i + 1, plan, true) : { view: clone(v0) };
  if (!o) return undefined;
  const v = o.view === v0 ? clone(v0) : o.view;
  v.punch = [fi, held + removed, ...rest];
  return finish(v);
}

/** Pages removed by the punch in progress and not yet freed: in nobody's use, not free either. */
export const punchHeld = (v: HugetlbView): number => v.punch[1] ?? 0;

/** The ops that wait for a punch in progress (inode_lock of its file; umount for any). */
export function waitsForPunch(v: HugetlbView, op: string, a: Args): boolean {
  if (v.punch.length === 0) return false;
  if (op === 'umount') return true;
  const fileOps = ['truncate', 'punch', 'fallocate', 'close', 'unlink'];
  return fileOps.includes(op) && num(a, 'f') === v.punch[0];
}

function punchRange(
  v0: HugetlbView,
  fi: number,
  from: number,
  to: number,
  plan: Plan,
  hold: boolean,
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
      if (global > 0 && !promiseGlobal(v, outstanding(v0), 1, plan.buddyFail, free0)) return undefined;
      f.resv = [...f.resv, i].sort((x, y) => x - y);
    } else f.resv = del(f.resv, i);
  }
  for (const i of victims) f.cache = del(f.cache, i);
  unmapFile(v, fi, (x) => x >= from && x < to);
  if (!hold) for (let k = 0; k < victims.length; k++) pageFreed(v);
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
  for (const i of missing) {
    const r = allocPage(
      v,
      ledger,
      pseudo,
      i,
      false,
      i === windowAt ? plan : { ...plan, surplusFirst: false },
      outstanding(v),
      p.numa,
    );
    if (!r.ok) {
      ret = 'ENOSPC';
      break;
    }
    f.resv = add(f.resv, i);
    f.cache = add(f.cache, i);
  }
  if (ret === 'ok') f.size = Math.max(f.size, to);
  const s = settle(v0, v, ledger, plan.reserveOffset);
  return s ? { view: s, ret } : undefined;
}

/** Pages leaving file fi's page cache leave every shared mapping of the file too. */
function unmapFile(v: HugetlbView, fi: number, gone: (i: number) => boolean): void {
  for (const m of v.vmas)
    if (isSharedKind(m.kind) && m.src === fi && m.pagecache.some(gone))
      m.pagecache = m.pagecache.filter((i) => !gone(i));
}
