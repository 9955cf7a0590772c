/**
 * Lifetimes (the machines in lifecycle.ts): a file whose descriptor is
 * closed, whose name is unlinked and which no mapping holds is gone, and so
 * are its pages and its promises; a mount can only be unmounted when nothing
 * on it is open or mapped, and then its files are gone (names included) and it
 * gives back what it held for min_size; a new mount has fresh files. Nothing
 * leaks: once every mapping, file and mount is gone the counters are what the
 * pool alone implies.
 */
import type { Plan } from './choices.js';
import { fileStep, flagsOf, lifeOf, mountStep } from './lifecycle.js';
import {
  at,
  clone,
  finish,
  has,
  isSharedKind,
  keepPinned,
  newLedger,
  type NodePick,
  nodePick,
  pageFreed,
  releaseGlobal,
  settle,
  tokenAt,
} from './promises.js';
import { type Args, type HugetlbView, type Outcome, num } from './view.js';

const mapped = (v: HugetlbView, fileIndex: number): boolean =>
  v.vmas.some((m) => m.kind !== 'none' && (isSharedKind(m.kind) ? m.src : m.file) === fileIndex);

/** The inode goes: its pages are freed, its reservations given back. Returns how many promises went. */
function evict(v: HugetlbView, fileIndex: number): number {
  const f = at(v.files, fileIndex);
  const released = f.resv.filter((i) => !has(f.cache, i)).length;
  const freed = f.cache.filter((i) => !keepPinned(v, fileIndex, i)); // a pinned page stays in use until unpinned
  for (const i of freed) pageFreed(v, tokenAt(f.nodes, i));
  f.cache = [];
  f.resv = [];
  Object.assign(f, flagsOf('gone'));
  return released;
}

/** After close, unlink or the last munmap: evict a file nothing holds any more; settle and release. */
export function lastReference(
  v0: HugetlbView,
  v: HugetlbView,
  fileIndex: number,
  offset: number,
  pick: NodePick,
): HugetlbView | undefined {
  const f = at(v.files, fileIndex);
  const last = fileStep(lifeOf(f), 'release') !== undefined && !mapped(v, fileIndex);
  const released = last ? evict(v, fileIndex) : 0;
  const s = settle(v0, v, newLedger(v), offset);
  if (!s || !releaseGlobal(s, released, pick)) return undefined;
  return finish(s);
}

/** close or unlink: the file's life takes `ev`, or the call fails with `err` and nothing changes. */
function dropReference(
  v0: HugetlbView,
  a: Args,
  plan: Plan,
  ev: 'close' | 'unlink',
  err: 'EBADF' | 'ENOENT',
): Outcome | undefined {
  if (plan.buddyFail || plan.numaMiss || plan.inj) return undefined;
  const fileIndex = num(a, 'f');
  const f0 = v0.files[fileIndex];
  const next = f0 && fileStep(lifeOf(f0), ev);
  if (!next) return plan.reserveOffset || plan.node ? undefined : { view: v0, ret: err };
  const v = clone(v0);
  Object.assign(at(v.files, fileIndex), flagsOf(next));
  const pick = nodePick(v0, plan.node);
  const out = lastReference(v0, v, fileIndex, plan.reserveOffset, pick);
  return out && pick.code === 0 ? { view: out, ret: 'ok' } : undefined;
}

/** close(2): EBADF unless the descriptor is open. */
export const close = (v0: HugetlbView, a: Args, plan: Plan): Outcome | undefined =>
  dropReference(v0, a, plan, 'close', 'EBADF');

/** unlink(2): ENOENT unless the file has its name (after umount, the mount's names are gone). */
export const unlink = (v0: HugetlbView, a: Args, plan: Plan): Outcome | undefined =>
  dropReference(v0, a, plan, 'unlink', 'ENOENT');

/**
 * umount: EINVAL when not mounted; EBUSY while a file on the mount is open or
 * mapped or a private mapping uses it. Otherwise every file of the mount is
 * gone (names and inodes: its pages and promises with it) and the mount gives
 * back what it held for min_size.
 */
export function umount(v0: HugetlbView, a: Args, plan: Plan): Outcome | undefined {
  if (plan.buddyFail || plan.numaMiss || plan.inj) return undefined;
  if (plan.node && v0.nodes.length === 0) return undefined;
  const m = num(a, 'm');
  const s0 = v0.spools[m];
  if (!s0 || !mountStep(s0.mounted ? 'mounted' : 'unmounted', 'umount'))
    return plan.node ? undefined : { view: v0, ret: 'EINVAL' };
  const onMount = (k: number): boolean => at(v0.files, k).mount === m;
  const busy =
    v0.files.some((f, k) => onMount(k) && (!fileStep(lifeOf(f), 'umount') || mapped(v0, k))) ||
    v0.vmas.some((vm) => vm.kind !== 'none' && !isSharedKind(vm.kind) && vm.src === m);
  if (busy) return plan.node ? undefined : { view: v0, ret: 'EBUSY' };
  const v = clone(v0);
  let released = 0;
  for (let k = 0; k < v.files.length; k++) if (onMount(k) && !at(v.files, k).evicted) released += evict(v, k);
  released += s0.reserve;
  v.spools[m] = { mounted: false, max: -1, min: -1, reserve: 0 };
  // pinned pages of the mount's files no longer count against any mount (a new mount starts empty)
  v.pins = v.pins.map((q) => (q.state === 'orphan' && q.mount === m ? { ...q, mount: -1 } : q));
  finish(v);
  const pick = nodePick(v, plan.node);
  if (!releaseGlobal(v, released, pick) || pick.code !== 0) return undefined;
  return { view: finish(v), ret: 'ok' };
}
