/**
 * The hugetlb spec as pure functions over the view (view.ts): every
 * operation is atomic here and states what hugetlbfs promises its users
 * (promises.ts), not how the kernel counts. Nondeterminism is a `choice`
 * (choices.ts) only where the kernel has real freedom.
 */
import { decodeChoice, INJ, NODE_RELEASING_OPS, type Plan } from './choices.js';
import { FAULTING, takeWindows } from './ops-window.js';
import { fault } from './ops-fault.js';
import { uffdContinue, uffdCopy } from './ops-uffd.js';
import { forgetShared, uffdRegister } from './ops-pmd-share.js';
import { memfdOp } from './ops-memfd.js';
import { fallocate, truncate, punch } from './ops-file.js';
import { finishStaged, waitsForStaged } from './ops-staged.js';
import { close, umount, unlink } from './ops-lifetime.js';
import { fork, madviseDontneed, mmap, munmap } from './ops-map.js';
import { mprotect, mremap } from './ops-surgery.js';
import { softOffline } from './ops-migrate.js';
import { dissolve, mount, setNr, setOvercommit } from './ops-pool.js';
import { setNrNode, setNrNodes } from './ops-node.js';
import { freshFile } from './lifecycle.js';
import { clone, finish } from './promises.js';
import type { HugetlbParams } from './params.js';
import { type Args, EMPTY_VMA, type HugetlbView, NO_PIN, type Outcome, num } from './view.js';
import { PIN_SLOTS } from './params.js';
import { pin, udmabuf, unpin } from './ops-pin.js';

export { EMPTY_VMA };
export type {
  Args,
  FileView,
  HugetlbView,
  Outcome,
  PinView,
  Ret,
  SpoolView,
  UffdMode,
  VmaKind,
  VmaView,
} from './view.js';
export { TOKEN } from './view.js';
export { CHOICES_BY_OP, decodeChoice, INJ, SETNR_CHOICES } from './choices.js';
export { shrinkSurplus, surplusToBuddy } from './ops-pool.js';
export { inUse, outstanding, sees, usage } from './promises.js';

const initMemo = new WeakMap<HugetlbParams, HugetlbView>();

/** Initial view (memoized per params object; views are never mutated in place). */
export function initView(p: HugetlbParams): HugetlbView {
  const hit = initMemo.get(p);
  if (hit) return hit;
  const v0 = finish({
    total: p.pool,
    free: p.pool,
    rsvd: 0,
    surp: 0,
    overcommit: p.overcommit,
    spools: p.mounts.map((m) => ({
      mounted: m.mounted,
      max: m.mounted ? m.size : -1,
      min: m.mounted ? m.min : -1,
      reserve: m.mounted && m.min > 0 ? m.min : 0,
    })),
    // the user creates and opens each file of a mount when it comes up: a file of an unmounted mount is gone
    // files of the internal mount are made by memfd_create (ops-memfd.ts)
    files: p.fileMount.map((mount) =>
      freshFile(mount, p, p.mounts[mount]?.mounted && !p.mounts[mount]?.internal ? 'open' : 'gone'),
    ),
    vmas: Array.from({ length: p.vmas }, () => ({ ...EMPTY_VMA })),
    removing: [],
    pins: Array.from({ length: PIN_SLOTS }, () => NO_PIN),
    // the boot-time pool sits on node 0
    nodes: (p.nodePool ?? 1) > 1 ? Array.from({ length: p.nodePool! }, (_, k) => (k === 0 ? p.pool : 0)) : [],
    nodeSurp: (p.nodePool ?? 1) > 1 ? Array.from({ length: p.nodePool! }, () => 0) : [],
    resizing: [],
    offlining: [],
    windows: [],
  });
  initMemo.set(p, v0);
  return v0;
}

/** Apply one operation atomically; undefined = this choice is not a possible outcome. */
export function applyOp(
  v0: HugetlbView,
  op: string,
  a: Args,
  choice: number | undefined,
  p: HugetlbParams,
): Outcome | undefined {
  // another nr_hugepages write waits for one in flight (h->resize_lock)
  if (
    v0.resizing.length > 0 &&
    !(op === 'set_nr_node' && v0.resizing[0] === num(a, 'nid') && v0.resizing[2] === num(a, 'n'))
  )
    if (op === 'set_nr' || op === 'set_nr_node') return undefined;
  if (op === 'set_nr')
    return v0.nodes.length > 0 ? setNrNodes(v0, num(a, 'n'), choice ?? 0) : setNr(v0, num(a, 'n'), choice ?? 0);
  if (op === 'set_nr_node') return setNrNode(v0, num(a, 'nid'), num(a, 'n'), choice ?? 0);
  const o = applyPlanned(v0, op, a, choice, p);
  // under PMD sharing a shareable mapping's present pages are not the user's to see (ops-pmd-share.ts)
  return o && p.pud ? { view: forgetShared(o.view, p), ret: o.ret } : o;
}

function applyPlanned(
  vIn: HugetlbView,
  op: string,
  a: Args,
  choice: number | undefined,
  p: HugetlbParams,
): Outcome | undefined {
  // the call's own window steps end with its event; the windows of calls still in flight stay (ops-window.ts)
  const w = takeWindows(vIn, op, a, decodeChoice(choice));
  const v0 = w.v;
  if (op === 'memfd_create' || ((op === 'mount' || op === 'umount') && p.mounts[num(a, 'm')]?.internal))
    return choice ? undefined : memfdOp(v0, op, a, p);
  // uffd_register's choice is the set of pages present at a MINOR registration, not a Plan
  if (op === 'uffd_register') return waitsForStaged(v0, op, a) ? undefined : uffdRegister(v0, a, choice ?? 0, p);
  const plan: Plan = { ...w.plan, windowed: op === 'mmap' || FAULTING.includes(op) };
  // a node miss: HR-13 (params.numa) for any allocation; a bound task's empty node (ops-numa.ts)
  const bindable = ['fault', 'mmap', 'mount', 'fallocate', 'pin', 'uffd_copy', 'soft_offline'].includes(op);
  if (plan.numaMiss && !p.numa && !(p.membind !== undefined && bindable)) return undefined;
  if (
    plan.node !== 0 &&
    !['fault', 'dissolve', 'fallocate', 'pin', 'udmabuf', 'uffd_copy', 'soft_offline'].includes(op)
  ) {
    // the releasing ops' node digits: which node gives back each surplus page (promises.ts releaseGlobal)
    if (v0.nodes.length === 0 || !NODE_RELEASING_OPS.has(op)) return undefined;
  }
  if (!['fault', 'uffd_copy', 'fallocate', 'soft_offline', 'dissolve'].includes(op) && plan.surplusFirst)
    return undefined;
  if (plan.inj !== INJ.none && plan.inj !== INJ.busy && !p.inject) return undefined;
  if (plan.inj === INJ.busy && op !== 'soft_offline' && op !== 'dissolve') return undefined;
  if (waitsForStaged(v0, op, a)) return undefined;
  switch (op) {
    case 'set_overcommit':
      return plan.reserveOffset ? undefined : setOvercommit(v0, a, plan);
    case 'mount':
      return plan.reserveOffset ? undefined : mount(v0, a, plan, p);
    case 'mmap':
      return mmap(v0, a, plan, p);
    case 'fault':
      return fault(v0, a, plan, p);
    case 'uffd_copy':
      return uffdCopy(v0, a, plan, p);
    case 'uffd_continue':
      return uffdContinue(v0, a, plan);
    case 'munmap':
      return munmap(v0, a, plan);
    case 'truncate':
      return finishStaged(v0, op, a, plan, p, (v) => truncate(v, a, plan, p));
    case 'punch':
      return finishStaged(v0, op, a, plan, p, (v) => punch(v, a, plan, p));
    case 'fork':
      return fork(v0, a, plan);
    case 'fallocate':
      return fallocate(v0, a, plan, p);
    case 'close':
      return close(v0, a, plan);
    case 'unlink':
      return unlink(v0, a, plan);
    case 'madvise_dontneed':
      return madviseDontneed(v0, a, plan);
    case 'mprotect':
      return mprotect(v0, a, plan);
    case 'mremap':
      return mremap(v0, a, plan);
    case 'soft_offline':
      return softOffline(v0, a, plan, p);
    case 'pin':
      return pin(v0, a, plan, p);
    case 'udmabuf':
      return udmabuf(v0, a, plan, p);
    case 'unpin':
      return plan.reserveOffset ? undefined : unpin(v0, a, plan);
    case 'dissolve':
      return plan.reserveOffset ? undefined : dissolve(v0, plan);
    case 'umount':
      return plan.reserveOffset ? undefined : umount(v0, a, plan);
    default:
      return undefined;
  }
}

/** Canonical copy (used by tests and the abstraction). */
export function normalize(v: HugetlbView): HugetlbView {
  return finish(clone(v));
}
