/**
 * Long-term pins (issue 10 item 7): a user registers one huge page of a
 * MAP_SHARED hugetlbfs mapping as an io_uring fixed buffer
 * (IORING_REGISTER_BUFFERS, pin_user_pages with FOLL_LONGTERM) and
 * unregisters it later. The promise, in user terms: a pinned page is neither
 * freed nor migrated while pinned.
 *
 *  - pin faults the page in first when the mapping does not map it (its
 *    outcome is the fault's; a failed fault is EFAULT / ENOMEM), and pins the
 *    page the file holds at that index;
 *  - truncate, hole punch and the file's eviction take a pinned page out of
 *    the file (a later fault there gets a new page), but it stays in use:
 *    HugePages_Free does not rise and the page still counts against its
 *    mount's size= until unpin gives it back to the pool;
 *  - MADV_SOFT_OFFLINE of a pinned page is EBUSY and changes nothing (see
 *    ops-migrate.ts);
 *  - with params.inject, a registration that fails for want of kernel memory
 *    (ENOMEM, INJ.early) pins nothing: the page is not pinned afterwards, so
 *    truncate frees it as if the pin had never been tried (modelled where the
 *    page was already mapped).
 *
 * Bounds of the op language (answered without a system call): slot k free
 * to pin (EBUSY), pinned to unpin (EINVAL); only MAP_SHARED mappings of files
 * whose mount has no min_size= (EINVAL otherwise).
 */
import { INJ, type Plan } from './choices.js';
import { fault } from './ops-fault.js';
import { hasFree } from './ops-numa.js';
import { add, at, clone, finish, has, isSharedKind, pageFreed, withToken } from './promises.js';
import type { HugetlbParams } from './params.js';
import { type Args, type HugetlbView, NO_PIN, type Outcome, type Ret, num } from './view.js';

const isPlain = (plan: Plan): boolean =>
  !plan.buddyFail && !plan.numaMiss && !plan.surplusFirst && !plan.inj && !plan.reserveOffset && plan.node === 0;

/** pin {k, v, i} */
export function pin(v0: HugetlbView, a: Args, plan: Plan, p: HugetlbParams): Outcome | undefined {
  const k = num(a, 'k');
  const slot = num(a, 'v');
  const i = num(a, 'i');
  const plain = isPlain(plan);
  const unchanged = (ret: Ret): Outcome | undefined => (plain ? { view: v0, ret } : undefined);
  const q = v0.pins[k];
  if (!q || q.state !== 'none') return unchanged('EBUSY');
  const m = v0.vmas[slot];
  if (!m || m.kind === 'none' || i < m.from || i >= m.to) return unchanged('EFAULT');
  if (!isSharedKind(m.kind) || at(v0.spools, at(v0.files, m.src).mount).min !== -1) return unchanged('EINVAL');
  if (m.ro) return unchanged('EFAULT'); // a write pin of a read-only mapping
  let v = v0;
  if (!has(m.pagecache, i)) {
    const o = fault(v0, { v: slot, i, write: false }, plan, p);
    if (!o) return undefined;
    if (o.ret !== 'ok') return { view: o.view, ret: o.ret === 'OOM' ? 'ENOMEM' : 'EFAULT' };
    v = o.view;
  } else if (plan.inj === INJ.early && isPlain({ ...plan, inj: 0 })) return { view: v0, ret: 'ENOMEM' };
  else if (!plain) return undefined;
  const w = clone(v);
  w.pins[k] = { state: 'cached', file: m.src, idx: i, mount: -1, nid: 0 };
  return { view: finish(w), ret: 'ok' };
}

/**
 * udmabuf {k, f, i}: page i of memfd f pinned for a dma-buf (UDMABUF_CREATE).
 * The memfd is sealed against shrinking first (F_SEAL_SHRINK); the page the
 * file holds at i is pinned, or, when it holds none, the page reserved for i
 * is instantiated in the file and pinned. Bounds: ring k busy (EBUSY); f not
 * a memfd (EINVAL); its descriptor closed (EBADF); i beyond i_size (EINVAL).
 * An index nothing reserved is not promised anything (v6.12 then takes a
 * reservation it does not have: NOTES.md); the spec allows no outcome there.
 */
export function udmabuf(v0: HugetlbView, a: Args, plan: Plan, p: HugetlbParams): Outcome | undefined {
  if (!isPlain({ ...plan, node: 0 }) || (plan.node !== 0 && v0.nodes.length === 0)) return undefined;
  if (plan.node !== 0) return udmabufNew(v0, a, plan, p); // only a new page has a node to choose
  const k = num(a, 'k');
  const fi = num(a, 'f');
  const i = num(a, 'i');
  const q = v0.pins[k];
  if (!q || q.state !== 'none') return { view: v0, ret: 'EBUSY' };
  const f0 = v0.files[fi];
  if (!f0 || !p.mounts[f0.mount]?.internal) return { view: v0, ret: 'EINVAL' };
  if (!f0.open) return { view: v0, ret: 'EBADF' };
  if (i >= f0.size) return { view: v0, ret: 'EINVAL' };
  if (!has(f0.cache, i) && !has(f0.resv, i)) return undefined;
  if (!has(f0.cache, i)) return udmabufNew(v0, a, plan, p);
  const v = clone(v0);
  at(v.files, fi).sealed = true;
  v.pins[k] = { state: 'cached', file: fi, idx: i, mount: -1, nid: 0 };
  return { view: finish(v), ret: 'ok' };
}

/**
 * udmabuf of an index with a reservation and no page: a new page takes the
 * reservation. With several nodes it comes from any node that has a free
 * page, whatever the task's policy (memfd_alloc_folio passes numa_node_id() and
 * no nodemask to alloc_hugetlb_folio_reserve @ v6.12): plan.node.
 */
function udmabufNew(v0: HugetlbView, a: Args, plan: Plan, p: HugetlbParams): Outcome | undefined {
  const k = num(a, 'k');
  const fi = num(a, 'f');
  const i = num(a, 'i');
  const f0 = v0.files[fi];
  if (!f0 || !p.mounts[f0.mount]?.internal || !f0.open || i >= f0.size || v0.pins[k]?.state !== 'none')
    return undefined;
  if (has(f0.cache, i) || !has(f0.resv, i)) return undefined;
  if (v0.nodes.length > 0 && !hasFree(v0, plan.node)) return undefined;
  const v = clone(v0);
  const f = at(v.files, fi);
  f.sealed = true;
  f.cache = add(f.cache, i); // a new page takes i's reservation
  if (v0.nodes.length > 0) f.nodes = withToken(f.nodes, i, plan.node);
  v.pins[k] = { state: 'cached', file: fi, idx: i, mount: -1, nid: 0 };
  return { view: finish(v), ret: 'ok' };
}

/** unpin {k}: a page that left its file meanwhile goes back to the pool. */
export function unpin(v0: HugetlbView, a: Args, plan: Plan): Outcome | undefined {
  if (!isPlain(plan)) return undefined;
  const k = num(a, 'k');
  const q = v0.pins[k];
  if (!q || q.state === 'none') return { view: v0, ret: 'EINVAL' };
  const v = clone(v0);
  v.pins[k] = NO_PIN;
  // the page goes back to the pool with its last pin
  if (q.state === 'orphan' && !v.pins.some((x) => x.state === 'orphan' && x.idx === q.idx)) pageFreed(v, q.nid);
  return { view: finish(v), ret: 'ok' };
}
