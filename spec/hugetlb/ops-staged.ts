/**
 * Truncate and hole punch as a concurrent fault sees them (issue 10 item 9,
 * NOTES.md "The NOTES windows"): neither is atomic. hugetlb_vmtruncate
 * publishes i_size (faults beyond it SIGBUS) and unmaps, and
 * hugetlbfs_punch_hole unmaps the hole (hugetlb_vmdelete_list); then
 * remove_inode_hugepages removes one page at a time, lowest index first, under
 * that index's fault mutex, and the removed pages are freed together at the
 * end. hugetlbfs has no shmem_falloc-style guard against refaults.
 *
 * What a user may observe while the call is in flight:
 * - a fault ahead of the removal maps the old page again (the removal then
 *   unmaps it: 4aae8d1c051e);
 * - a fault where the removal has been faults a new page in, and that page
 *   stays (a punched index; a truncated index is beyond i_size and SIGBUSes);
 * - the removed pages are in nobody's use and not free either: a fault or an
 *   mmap may find no page (SIGBUS, ENOMEM) or take a surplus page although the
 *   call is about to free them.
 *
 * - between truncate's publishing i_size and its unmapping, a page still mapped
 *   beyond the new i_size can be pinned (GUP's follow_page_mask finds the PTE
 *   and checks no i_size), while a fault there SIGBUSes (hugetlb_vmtruncate
 *   @ v6.12: i_size_write, then hugetlb_vmdelete_list under i_mmap_lock_write).
 *
 * The spec states these as steps the call takes while it is in flight, before
 * it linearizes (SpecDef.pendingInternal): `stage_begin` (a truncate publishes
 * i_size; a punch unmaps), `stage_step` (a truncate's first unmaps, then each
 * removes the lowest index left). The call's own event finishes
 * what is left and frees the removed pages. `view.removing` is the call in
 * progress; another truncate/punch/fallocate/close/unlink of the file and any
 * umount wait for it (inode_lock), so applyOp rejects them meanwhile.
 */
import {
  STAGED_PUNCH,
  STAGED_TRUNCATE,
  STAGED_TRUNCATE_FREED,
  STAGED_TRUNCATE_PUBLISHED,
  clone,
  finish,
  freeHeld,
  has,
  isPinned,
  keepPinned,
  maxReserveOffsets,
  tokenAt,
} from './promises.js';
import { punchRange, truncate, unmapFile, zapFileMappings } from './ops-file.js';
import type { Plan } from './choices.js';
import type { HugetlbParams } from './params.js';
import { type Args, type HugetlbView, type Outcome, num } from './view.js';

export { STAGED_PUNCH, STAGED_TRUNCATE, STAGED_TRUNCATE_FREED, STAGED_TRUNCATE_PUBLISHED };
export const STAGE_BEGIN = 'stage_begin';
export const STAGE_STEP = 'stage_step';

type StageEvent = { type: string } & Record<string, unknown>;
const PLAIN: Plan = { buddyFail: false, numaMiss: false, surplusFirst: false, inj: 0, reserveOffset: 0, node: 0 };

/**
 * The staged form of `op(a)` on this view, or undefined (bad arguments, nothing
 * to remove: it is atomic then): its kind, file and range [lo, hi).
 */
function stageOf(
  v: HugetlbView,
  op: string,
  a: Args,
  p: HugetlbParams,
): { kind: number; fi: number; lo: number; hi: number } | undefined {
  const fi = num(a, 'f');
  const f = v.files[fi];
  if (!f || !f.open || !v.spools[f.mount]?.mounted) return undefined;
  if (op === 'punch') {
    const from = num(a, 'from');
    const to = num(a, 'to');
    if (!(from >= 0 && from < to && to <= p.fileSize)) return undefined;
    return { kind: STAGED_PUNCH, fi, lo: from, hi: to };
  }
  if (op === 'truncate') {
    const size = num(a, 'size');
    if (!(size >= 0 && size <= p.fileSize) || !f.cache.some((x) => x >= size)) return undefined;
    if (f.sealed && size < f.size) return undefined; // EPERM, atomic
    return { kind: STAGED_TRUNCATE, fi, lo: size, hi: p.fileSize };
  }
  return undefined;
}

/** Words of view.removing before the indices still to go through: kind, file, held, lo, hi. */
const HEAD = 5;

/**
 * Whether the call in progress is `op(a)` itself (same kind, file and range):
 * its own event finishes it. Another truncate/punch of the same file, even of
 * the same kind, waits for it (inode_lock) and must not finish it as its own.
 */
function isStaged(v: HugetlbView, op: string, a: Args): boolean {
  const [kind, fi, , lo, hi] = v.removing;
  if (v.removing.length === 0 || fi !== num(a, 'f')) return false;
  if (op === 'punch') return kind === STAGED_PUNCH && lo === num(a, 'from') && hi === num(a, 'to');
  const truncating = kind === STAGED_TRUNCATE || kind === STAGED_TRUNCATE_PUBLISHED || kind === STAGED_TRUNCATE_FREED;
  return op === 'truncate' && truncating && lo === num(a, 'size');
}

/** The steps `op(a)`, in flight, may take before it linearizes (SpecDef.pendingInternal). */
export function stagedSteps(v: HugetlbView, op: string, a: Args, p: HugetlbParams): StageEvent[] {
  // every index gone through: a truncate frees the removed pages before it gives back the reservations
  if (freesNext(v)) return isStaged(v, op, a) ? [{ type: STAGE_STEP }] : [];
  const st = stageOf(v, op, a, p);
  if (!st) return [];
  if (v.removing.length === 0) return [{ type: STAGE_BEGIN, op, ...a }];
  if (!isStaged(v, op, a) || v.removing.length <= HEAD) return [];
  if (st.kind === STAGED_TRUNCATE) return [{ type: STAGE_STEP }];
  return Array.from({ length: maxReserveOffsets(v) }, (_, off) => ({ type: STAGE_STEP, off }));
}

/** stage_begin: a truncate publishes i_size, a punch unmaps; view.removing lists the indices to go through. */
export function stageBegin(v0: HugetlbView, a: Args, p: HugetlbParams): HugetlbView | undefined {
  const op = String(a['op']);
  const st = stageOf(v0, op, a, p);
  if (!st || v0.removing.length > 0) return undefined;
  const v = clone(v0);
  const from = st.lo;
  const to = st.hi;
  const idx = Array.from({ length: to - from }, (_, k) => from + k);
  if (st.kind === STAGED_TRUNCATE) {
    v.files[st.fi] = { ...v.files[st.fi]!, size: from };
    v.removing = [STAGED_TRUNCATE_PUBLISHED, st.fi, 0, from, to, ...idx];
    return finish(v);
  }
  unmapRange(v, st.fi, from, to);
  v.removing = [st.kind, st.fi, 0, from, to, ...idx];
  return finish(v);
}

/** hugetlb_vmdelete_list: unmap [from, to) of file fi from every mapping. */
function unmapRange(v: HugetlbView, fi: number, from: number, to: number): void {
  zapFileMappings(v, fi, from, to, v.surp === 0);
  unmapFile(v, fi, (x) => x >= from && x < to);
}

/**
 * stage_step: a published truncate unmaps; otherwise remove the lowest index left (a punch also gives
 * back its reservation); the page is held.
 */
export function stageStep(v0: HugetlbView, reserveOffset: number): HugetlbView | undefined {
  const [kind, fi, held, lo, hi, i, ...rest] = v0.removing;
  if (freesNext(v0)) {
    // folio_batch_release: the removed pages go back to the pool (each to its node); the entries of
    // the range stay until hugetlb_unreserve_pages
    if (reserveOffset) return undefined;
    const v = clone(v0);
    freeHeld(v, held!);
    v.removing = [STAGED_TRUNCATE_FREED, ...v0.removing.slice(1, HEAD)];
    return finish(v);
  }
  if (kind === undefined || fi === undefined || held === undefined || i === undefined) return undefined;
  if (kind === STAGED_TRUNCATE_PUBLISHED) {
    if (reserveOffset) return undefined;
    const v = clone(v0);
    unmapRange(v, fi, lo!, hi!);
    v.removing = [STAGED_TRUNCATE, ...v0.removing.slice(1)];
    return finish(v);
  }
  const cached = has(v0.files[fi]?.cache ?? [], i);
  const pinned = isPinned(v0, fi, i); // a pinned page is the pin's once removed, not the call's to free
  if (reserveOffset && !(cached && kind === STAGED_PUNCH)) return undefined;
  let v: HugetlbView;
  if (!cached) v = clone(v0);
  else if (kind === STAGED_PUNCH) {
    const o = punchRange(v0, fi, i, i + 1, { ...PLAIN, reserveOffset }, true);
    if (!o) return undefined;
    v = o.view === v0 ? clone(v0) : o.view;
  } else {
    v = clone(v0);
    unmapRange(v, fi, i, i + 1);
    const f = v.files[fi]!;
    v.files[fi] = { ...f, cache: f.cache.filter((x) => x !== i) };
    // the pinned page consumed its reservation and is in use as the pin's: no promise is left at i
    if (keepPinned(v, fi, i)) v.files[fi] = { ...v.files[fi]!, resv: v.files[fi]!.resv.filter((x) => x !== i) };
  }
  const nid = tokenAt(v0.files[fi]?.nodes ?? [], i); // the removed page's node (the held code: 8^node per page)
  v.removing = [kind, fi, held + (cached && !pinned ? 8 ** nid : 0), lo!, hi!, ...rest];
  return finish(v);
}

/**
 * A truncate that holds removed pages and has no cached page left to remove (the indices left hold
 * none): its next step frees them.
 */
function freesNext(v: HugetlbView): boolean {
  if (v.removing[0] !== STAGED_TRUNCATE || (v.removing[2] ?? 0) === 0) return false;
  const cache = v.files[v.removing[1] ?? -1]?.cache ?? [];
  return v.removing.slice(HEAD).every((i) => !has(cache, i));
}

/** The ops that wait for a call in progress (inode_lock of its file; umount for any). */
export function waitsForStaged(v: HugetlbView, op: string, a: Args): boolean {
  if (v.removing.length === 0 || isStaged(v, op, a)) return false;
  if (op === 'umount') return true;
  return ['truncate', 'punch', 'fallocate', 'close', 'unlink'].includes(op) && num(a, 'f') === v.removing[1];
}

/**
 * The event of a punch/truncate whose call is in progress: remove what is left
 * and free the removed pages (a punch; a truncate frees them with the rest
 * and gives back its unconsumed reservations). undefined: not such a call.
 */
export function finishStaged(
  v0: HugetlbView,
  op: string,
  a: Args,
  plan: Plan,
  p: HugetlbParams,
  atomic: (v: HugetlbView) => Outcome | undefined,
): Outcome | undefined {
  if (!isStaged(v0, op, a)) return atomic(v0);
  let v: HugetlbView | undefined = v0;
  while (v && v.removing.length > HEAD) v = stageStep(v, 0);
  if (!v) return undefined;
  const held = v.removing[2] ?? 0;
  const freed = v.removing[0] === STAGED_TRUNCATE_FREED;
  v = clone(v);
  v.removing = [];
  if (op === 'truncate') return truncate(v, a, plan, p, held, freed);
  // the punch does not go back: a page faulted in behind it stays
  if (plan.buddyFail || plan.inj || plan.reserveOffset || plan.numaMiss) return undefined;
  freeHeld(v, held);
  return { view: finish(v), ret: 'ok' };
}
