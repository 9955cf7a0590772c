/**
 * VMA surgery besides munmap (munmap.ts): mprotect splitting a VMA and
 * mremap within hugetlb's rules, under mmap_lock (write).
 *
 * mprotect (mm/mprotect.c do_mprotect_pkey -> mprotect_fixup @ v6.12, same
 * in v6.1): the same protection is a no-op before any split; otherwise
 * vma_modify_flags splits the VMA at the range's ends (__split_vma ->
 * hugetlb_vm_op_split: -EINVAL for an address that is not huge-page aligned,
 * with nothing changed; hugetlb_vm_op_open of the new piece shares the
 * owner's resv_map), then hugetlb_change_protection rewrites the PTEs under
 * i_mmap_rwsem and the VMA lock (write). Reservations do not move: each piece
 * later gives back its own at hugetlb_vm_op_close.
 *
 * mremap (mm/mremap.c SYSCALL_DEFINE5(mremap), mremap_to, move_vma @ v6.12,
 * same hugetlb rules since 550a7d60bd5e "mm, hugepages: add mremap() support
 * for hugepage backed vma", so in v6.1 too): the old address and the new one
 * must be huge-page aligned (-EINVAL), a hugetlb mapping never grows
 * (-EINVAL), a shrink is a munmap of the tail, and a move (MREMAP_MAYMOVE |
 * MREMAP_FIXED) copies the VMA (copy_vma, hugetlb_vm_op_open), moves its
 * PTEs (move_hugetlb_page_tables under i_mmap_rwsem and the VMA lock,
 * write), then clear_vma_resv_huge_pages drops the OLD VMA's resv_map and
 * owner flag (the reservations "still live on in new_vma") and do_vmi_munmap
 * removes the old range.
 */
import { done } from '../../checker/types.js';
import type { StepResult } from './labels.js';
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
  vmaLockFree,
  vmaLockOpen,
} from './context.js';
import { iputFinal } from './lifetime.js';
import { hugetlbSplit, movedTables, pmdCanon, unshareRange } from './pmd-share.js';
import { doVmiMunmap, lowestFreeSlot, munmapCloseSteps, pieceSlot, splitVmaAt } from './munmap.js';
import { type G, type Vma, emptyVma, V_FREE, V_LIVE } from './state.js';

/** mmap_lock (write): no fault is in flight on the VMA. */
const mmapWriteLockable = (g: Readonly<G>, t: T): boolean => {
  const v = g.vma[argInt(t, 'v')];
  return !v || v.st !== V_LIVE || v.users === 0;
};

/** mprotect of [from, to) of VMA v to read-only (ro) or read-write. */
function mprotectFixup(g: G, t: T): StepResult {
  const v = g.vma[argInt(t, 'v')];
  const from = argInt(t, 'from');
  const to = argInt(t, 'to');
  if (to === from) return done('ok'); // len 0
  // end <= start (a negative length wraps), or part of the range not mapped by this VMA: -ENOMEM
  if (!v || v.st !== V_LIVE || to < from || from < v.from || to > v.to) return done('ENOMEM');
  const ro = argInt(t, 'ro');
  if (v.ro === ro) return done('ok'); // newflags == oldflags: no split
  if (argInt(t, 'misalign')) return done('EINVAL'); // hugetlb_vm_op_split: not huge-page aligned
  const splits = (from > v.from ? 1 : 0) + (to < v.to ? 1 : 0);
  const c = splits > 0 ? pieceSlot(g, t, 'c', [argInt(t, 'v')]) : -1;
  const d = splits > 1 ? pieceSlot(g, t, 'd', [argInt(t, 'v'), c]) : -1;
  // the pieces need slots (vm.max_map_count); the model keeps one fork partner per VMA: -ENOMEM
  if ((splits > 0 && (c < 0 || v.peer !== -1)) || (splits > 1 && d < 0)) return done('ENOMEM');
  let mid = v;
  // __split_vma -> hugetlb_split: a split point's block is unshared (pmd-share.ts)
  if (from > v.from) hugetlbSplit(g, t, v, from);
  if (to < v.to) hugetlbSplit(g, t, v, to);
  if (from > v.from) {
    mid = splitVmaAt(t, v, from);
    g.vma[c] = mid;
  }
  if (to < mid.to) g.vma[from > v.from ? d : c] = splitVmaAt(t, mid, to);
  // hugetlb_change_protection: the PTEs of the range follow the new protection; a shared page
  // table of the range is unshared first (huge_pmd_unshare)
  unshareRange(g, t, mid, from, to);
  mid.ro = ro;
  pmdCanon(g, t);
  return done('ok');
}

export const mprotectOp: Op = {
  doc: 'mprotect of [from, to) of a VMA (PROT_READ or PROT_READ|PROT_WRITE): vma_modify_flags splits it (hugetlb_vm_op_split, hugetlb_vm_op_open), hugetlb_change_protection; reservations stay with each piece',
  locals: LOCALS,
  steps: [{ name: 'mprotect_fixup', enabled: mmapWriteLockable, run: mprotectFixup }],
};

/** The syscall's checks, then a shrink (munmap of the tail) and, with a target slot c, move_vma. */
function mremapEntry(g: G, t: T): StepResult {
  const v = g.vma[argInt(t, 'v')];
  const from = argInt(t, 'from');
  const to = argInt(t, 'to');
  const len = argInt(t, 'len');
  // !new_len; the op language's old range is not empty (old_len 0 asks for a duplicate mapping)
  if (len === 0 || to <= from) return done('EINVAL');
  // vma_lookup(addr); the model's old range lies inside one VMA (vma_to_resize: -EFAULT across its end)
  if (!v || v.st !== V_LIVE || from < v.from || from >= v.to || to > v.to) return done('EFAULT');
  if (argInt(t, 'misalign')) return done('EINVAL'); // addr & ~huge_page_mask(h)
  if (len > to - from) return done('EINVAL'); // "Don't allow remap expansion" (hugetlb)
  const moving = hasArg(t, 'c');
  if (moving) {
    const c = argInt(t, 'c');
    // the target is a slot of its own (a live one would be unmapped by MREMAP_FIXED: outside the op language)
    if (g.vma[c]?.st !== V_FREE) return done('EINVAL');
    // bounds of the model: slots for the pieces (the kernel's map_count check), one fork partner per VMA
    // (a piece above the range is split off either by the shrink or by the move)
    const split = to < v.to && (len < to - from || from > v.from);
    if (v.peer !== -1 || (split && lowestFreeSlot(g, c) < 0)) return done('ENOMEM');
    t.l.path = PATH_MREMAP;
  }
  if (len === to - from) return moving ? moveVma(g, t) : done('ok');
  // shrink: do_vmi_munmap(addr + new_len, old_len - new_len); a hole's upper piece takes the lowest free slot
  return doVmiMunmap(g, t, v, from + len, to, lowestFreeSlot(g, moving ? argInt(t, 'c') : -1));
}

/** move_vma of [from, from + len) of VMA v to the free slot c. */
function moveVma(g: G, t: T): StepResult {
  const v = at(g.vma, argInt(t, 'v'));
  const c = argInt(t, 'c');
  const start = argInt(t, 'from');
  const end = start + argInt(t, 'len');
  const inRange = (i: number): boolean => i >= start && i < end;
  // copy_vma: vm_area_dup copies vm_flags and vm_private_data (owner flag + resv_map; hugetlb_vm_op_open
  // takes its reference); mremap_userfaultfd_prep drops the uffd context (no UFFD_FEATURE_EVENT_REMAP)
  // move_hugetlb_page_tables unshares a shared table of the old range first (huge_pmd_unshare)
  if (start > v.from) hugetlbSplit(g, t, v, start);
  if (end < v.to) hugetlbSplit(g, t, v, end);
  unshareRange(g, t, v, start, end);
  const moved: Vma = { ...emptyVma(), ...v, from: start, to: end, reg: v.reg.slice(), peer: -1, users: 0, uffd: 0 };
  // move_hugetlb_page_tables: the PTEs of the range move (pages, their data, a pending restore flag)
  moved.anon = v.anon.filter(inRange);
  moved.dat = datKeep(v.dat, inRange);
  moved.an = datKeep(v.an, inRange);
  moved.rr = v.rr.filter(inRange);
  moved.pcm = v.pcm.filter(inRange);
  moved.cow = [];
  // huge_pte_alloc of the new range: tables of its own for the moved PTEs (coarsening: the move
  // does not look for a table to share)
  moved.pmd = movedTables(t, moved);
  vmaLockOpen(t, v, moved);
  const keep = (i: number): boolean => !inRange(i);
  v.anon = v.anon.filter(keep);
  v.dat = datKeep(v.dat, keep);
  v.an = datKeep(v.an, keep);
  v.rr = v.rr.filter(keep);
  v.pcm = v.pcm.filter(keep);
  g.vma[c] = moved;
  // clear_vma_resv_huge_pages(vma): the old VMA's reservations "still live on in new_vma"
  if (!isShared(v.kind)) {
    v.flags = 0;
    v.reg = [];
  }
  t.l.path = 0;
  return unmapOld(g, t, v, start, end);
}

/**
 * do_vmi_munmap(old_addr, old_len): the old range maps nothing any more, and
 * hugetlb_vm_op_close of the removed piece finds no owner flag (private) or
 * nothing to give back (shared): one step.
 */
function unmapOld(g: G, t: T, v: Vma, start: number, end: number): StepResult {
  const r = unmapOldRange(g, t, v, start, end);
  pmdCanon(g, t);
  return r;
}

function unmapOldRange(g: G, t: T, v: Vma, start: number, end: number): StepResult {
  if (start > v.from && end < v.to) {
    g.vma[lowestFreeSlot(g)] = splitVmaAt(t, v, end);
    v.to = start;
  } else if (start === v.from && end === v.to) {
    // remove_vma: the new VMA holds its own file reference
    const file = v.pf > 0 ? v.pf - 1 : isShared(v.kind) ? v.src : -1;
    vmaLockFree(g, v);
    g.vma[argInt(t, 'v')] = emptyVma();
    if (file >= 0) iputFinal(g, t, file);
    return done('ok');
  } else if (start === v.from) v.from = end;
  else v.to = start;
  return done('ok');
}

const moveVmaStep: Step = { name: 'move_vma', run: moveVma };

export const mremapOp: Op = {
  doc: 'mremap of [from, to) of a VMA to len pages (shrink: munmap of the tail), moved to slot c with MREMAP_MAYMOVE|MREMAP_FIXED (copy_vma, move_hugetlb_page_tables, clear_vma_resv_huge_pages, do_vmi_munmap); growing is EINVAL',
  locals: LOCALS,
  steps: [{ name: 'mremap', enabled: mmapWriteLockable, run: mremapEntry }, ...munmapCloseSteps, moveVmaStep],
};
