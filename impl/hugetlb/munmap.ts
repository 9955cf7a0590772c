/**
 * munmap of a hugetlb VMA or part of it, under mmap_lock (write)
 * (mm/mmap.c do_vmi_munmap, mm/hugetlb.c @ v6.1): __split_vma
 * (hugetlb_vm_op_split accepts any huge-page-aligned address, and every
 * address here is one) leaves the pieces outside [start, end) mapped, sharing
 * the owner's resv_map; unmap_hugepage_range frees the private pages of the
 * removed range (a page still COW-shared stays with the fork partner); then
 * hugetlb_vm_op_close of the removed piece returns the owner's unconsumed
 * reservations in [start, end): (end - start) - region_count(resv, start, end).
 */
import { done } from '../../checker/types.js';
import type { StepResult } from './labels.js';
import { returnUnused, returnUnusedStep } from './accounting.js';
import {
  type Op,
  type Step,
  type T,
  LOCALS,
  PATH_MREMAP,
  argInt,
  hasArg,
  at,
  datKeep,
  isShared,
  privateFile,
  spoolIdx,
  vmaLockFree,
  vmaLockOpen,
  vmaOf,
} from './context.js';
import { unmapHugepageRange } from './zap.js';
import { iputFinal } from './lifetime.js';
import { pmdCanon, unshareRange } from './pmd-share.js';
import { regionCount } from './regions.js';
import { hugepageSubpoolPutPages } from './subpool.js';
import { type G, type Vma, emptyVma, HPAGE_RESV_OWNER, V_CLOSING, V_FREE, V_LIVE } from './state.js';

function munmapFinish(g: G, t: T): StepResult {
  if (t.l.whole) {
    // remove_vma: fput of a MAP_PRIVATE mapping's file may be the inode's last reference
    const file = privateFile(vmaOf(g, t));
    g.vma[argInt(t, 'v')] = emptyVma();
    if (file >= 0) iputFinal(g, t, file);
  }
  t.l.start = t.l.end = t.l.whole = 0;
  // mremap with a move: the shrink's munmap is done, move_vma comes next (surgery.ts)
  return t.l.path === PATH_MREMAP ? 'move_vma' : done('ok');
}

/** The slot a new piece takes: args[k] when given (must be free), else the lowest free one not in `taken`. */
export function pieceSlot(g: G, t: T, k: 'c' | 'd', taken: readonly number[]): number {
  if (hasArg(t, k)) {
    const s = argInt(t, k);
    return g.vma[s]?.st === V_FREE && !taken.includes(s) ? s : -1;
  }
  return g.vma.findIndex((x, s) => x.st === V_FREE && !taken.includes(s));
}

/**
 * __split_vma at `end` (mm/vma.c @ v6.12; hugetlb_vm_op_split accepts any
 * huge-page-aligned address, and every model address is one): the piece
 * [end, v.to) is returned, v keeps [v.from, end). Its private pages and the
 * owner's resv_map (hugetlb_vm_op_open takes a reference; a copy here, the two
 * pieces cover disjoint offsets) and the vm_flags (ro, uffd) come along.
 * Callers keep the model's bound: a VMA with a fork partner is not split.
 */
export function splitVmaAt(t: T, v: Vma, end: number): Vma {
  const piece: Vma = {
    ...v,
    from: end,
    reg: v.reg.slice(),
    anon: v.anon.filter((i) => i >= end),
    cow: [],
    dat: datKeep(v.dat, (i) => i >= end),
    an: datKeep(v.an, (i) => i >= end),
    pcm: v.pcm.filter((i) => i >= end),
    rr: v.rr.filter((i) => i >= end),
    peer: -1,
    users: 0,
  };
  v.anon = v.anon.filter((i) => i < end);
  v.dat = datKeep(v.dat, (i) => i < end);
  v.an = datKeep(v.an, (i) => i < end);
  v.pcm = v.pcm.filter((i) => i < end);
  v.rr = v.rr.filter((i) => i < end);
  v.to = end;
  vmaLockOpen(t, v, piece);
  return piece;
}

/** The lowest free VMA slot other than `except` (-1: none; the slots stand for vm.max_map_count). */
export function lowestFreeSlot(g: G, except = -1): number {
  return g.vma.findIndex((x, k) => x.st === V_FREE && k !== except);
}

/**
 * A hole in the middle: the piece [end, v.to) goes to `slot` (none free =
 * -ENOMEM; which slot is a model artifact, so scenarios racing an mmap into
 * free slots name it). Bound: a VMA with a fork partner is not split in the
 * middle (the model keeps one partner per VMA): -ENOMEM as well.
 */
function splitOff(g: G, t: T, v: Vma, end: number, slot: number): void {
  g.vma[slot] = splitVmaAt(t, v, end);
}

/** The whole VMA goes: remove_vma (a shared mapping's file reference may be the inode's last). */
function unmapWhole(g: G, t: T, v: Vma): StepResult {
  v.st = V_CLOSING;
  t.l.whole = 1;
  if (isShared(v.kind)) {
    vmaLockFree(g, v); // hugetlb_vm_op_close -> hugetlb_vma_lock_free
    const fileIndex = v.src;
    g.vma[argInt(t, 'v')] = emptyVma();
    iputFinal(g, t, fileIndex);
    return done('ok');
  }
  unmapHugepageRange(g, t, v, v.from, v.to);
  if (v.peer >= 0) at(g.vma, v.peer).peer = -1;
  v.peer = -1;
  return v.flags & HPAGE_RESV_OWNER ? 'hugetlb_vm_op_close' : munmapFinish(g, t);
}

function unmapVmas(g: G, t: T): StepResult {
  const v = g.vma[argInt(t, 'v')];
  if (!v || v.st !== V_LIVE) return done('EINVAL');
  const ranged = hasArg(t, 'from') || hasArg(t, 'to');
  if (ranged && !(argInt(t, 'from') < argInt(t, 'to'))) return done('EINVAL'); // len == 0 or negative
  const start = ranged ? Math.max(argInt(t, 'from'), v.from) : v.from;
  const end = ranged ? Math.min(argInt(t, 'to'), v.to) : v.to;
  const slot = hasArg(t, 'c') ? argInt(t, 'c') : lowestFreeSlot(g);
  return doVmiMunmap(g, t, v, start, end, slot);
}

/**
 * do_vmi_munmap of [start, end) of VMA v (slot args.v): the whole VMA, or a
 * trim, or a hole whose upper piece goes to `slot`; then hugetlb_vm_op_close
 * of the removed piece (the op's next step) for a private owner. Also the
 * shrinking mremap (surgery.ts).
 */
export function doVmiMunmap(g: G, t: T, v: Vma, start: number, end: number, slot: number): StepResult {
  if (start >= end) return munmapFinish(g, t); // nothing of this VMA in the range
  t.l.start = start;
  t.l.end = end;
  if (start > v.from && end < v.to && (g.vma[slot]?.st !== V_FREE || v.peer !== -1)) return done('ENOMEM');
  // __unmap_hugepage_range unshares every shared table of the range whole (hugetlb_split's unshare
  // of a split point's block is subsumed: that block meets the range)
  unshareRange(g, t, v, start, end);
  if (start === v.from && end === v.to) return unmapWhole(g, t, v);
  if (start > v.from && end < v.to) splitOff(g, t, v, end, slot);
  if (!isShared(v.kind)) unmapHugepageRange(g, t, v, start, end);
  else v.pcm = v.pcm.filter((i) => i < start || i >= end); // unmap_hugepage_range: the PTEs go
  if (start === v.from) v.from = end;
  else v.to = start;
  pmdCanon(g, t);
  return !isShared(v.kind) && v.flags & HPAGE_RESV_OWNER ? 'hugetlb_vm_op_close' : munmapFinish(g, t);
}

/** The steps after the first: hugetlb_vm_op_close and return_unused_surplus_pages (mremap's shrink shares them). */
export const munmapCloseSteps: Step[] = [
  {
    // hugetlb_vm_op_close: reserve = (end - start) - region_count(resv, start, end) (HR-8)
    name: 'hugetlb_vm_op_close',
    run(g, t) {
      const v = vmaOf(g, t);
      let { start, end } = t.l;
      if (t.bug('84afd99b8398')) {
        // before 84afd99b8398 the owner's reservation count was per VMA and copied to both
        // halves of a split: closing the removed piece gave back the whole original range's
        start = Math.min(start, v.from);
        end = Math.max(end, v.to);
      }
      const reserve = t.bug('HR-8') ? end - start : end - start - regionCount(v.reg, start, end);
      if (!reserve) return munmapFinish(g, t);
      const gblReserve = hugepageSubpoolPutPages(at(g.spool, spoolIdx(t, v)), reserve);
      return returnUnused(g, t, gblReserve, munmapFinish);
    },
  },
  returnUnusedStep(munmapFinish),
];

export const munmapOp: Op = {
  doc: 'munmap of a hugetlb VMA or of [from, to) of it: __split_vma, unmap_hugepage_range (free private pages) then hugetlb_vm_op_close of the removed piece',
  locals: LOCALS,
  steps: [
    {
      name: 'unmap_vmas',
      enabled(g, t) {
        const v = g.vma[argInt(t, 'v')];
        return !v || v.st !== V_LIVE || v.users === 0; // mmap_lock (write)
      },
      run: unmapVmas,
    },
    ...munmapCloseSteps,
  ],
};
