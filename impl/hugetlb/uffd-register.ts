/**
 * UFFDIO_REGISTER of a VMA or of [from, to) of it (mm/userfaultfd.c
 * userfaultfd_register_range() @ v6.12, under mmap_write_lock): the same
 * registration again changes nothing; otherwise vma_modify_flags_uffd splits
 * the VMA at the range's ends (__split_vma, hugetlb_vm_op_open; v keeps the
 * lowest piece, new pieces take slots c then d), the piece gets the new
 * VM_UFFD_* flags, and a MINOR registration unshares the piece's page tables
 * (hugetlb_unshare_all_pmds: uffd_disable_huge_pmd_share), PUD-aligned part
 * only. Errors change nothing: an empty range or one not inside the VMA is
 * EINVAL; no slot for a piece (vm.max_map_count) or a forked VMA (the
 * model's bound) is ENOMEM.
 *
 * Variants: 081056dc00a2 absent (v6.12 as released), the split's unshare runs
 * from vm_ops->may_split (hugetlb_vm_op_split) before __split_vma takes
 * i_mmap_rwsem: a step of its own, after which another process's fault can
 * share the table again before the split; b30c14cd6102 absent, no unshare at
 * a split at all (pmd-share.ts hugetlbSplit). mprotect and munmap keep one
 * step under either: they unshare their own range afterwards
 * (hugetlb_change_protection, __unmap_hugepage_range), so the window changes
 * nothing a user sees there.
 */
import { done } from '../../checker/types.js';
import type { StepResult } from './labels.js';
import { type Op, type Step, type T, LOCALS, argInt, argStr, at, hasArg } from './context.js';
import { pieceSlot, splitVmaAt } from './munmap.js';
import { hugetlbSplit, hugetlbUnshareAllPmds, pmdCanon } from './pmd-share.js';
import { type G, type Vma, UFFD_MINOR, UFFD_MISSING, V_LIVE } from './state.js';

/** The range to register: [from, to) when given, else the whole VMA. */
function range(t: T, v: Vma): [number, number] {
  return !hasArg(t, 'from') ? [v.from, v.to] : [argInt(t, 'from'), argInt(t, 'to')];
}

/** The piece slots [c, d] for a split of v at the range's ends, or null (ENOMEM). */
function slotsFor(g: G, t: T, v: Vma, from: number, to: number): [number, number] | null {
  const splits = (from > v.from ? 1 : 0) + (to < v.to ? 1 : 0);
  const c = splits > 0 ? pieceSlot(g, t, 'c', [argInt(t, 'v')]) : -1;
  const d = splits > 1 ? pieceSlot(g, t, 'd', [argInt(t, 'v'), c]) : -1;
  if ((splits > 0 && (c < 0 || v.peer !== -1)) || (splits > 1 && d < 0)) return null;
  return [c, d];
}

/** vma_modify_flags_uffd, userfaultfd_set_ctx and hugetlb_unshare_all_pmds (`unshare`: hugetlb_split's too). */
function splitAndRegister(g: G, t: T, v: Vma, unshare: boolean): StepResult {
  const [from, to] = range(t, v);
  const slots = slotsFor(g, t, v, from, to);
  if (!slots) return done('ENOMEM');
  const [c, d] = slots;
  if (unshare) {
    if (from > v.from) hugetlbSplit(g, t, v, from);
    if (to < v.to) hugetlbSplit(g, t, v, to);
  }
  let mid = v;
  if (from > v.from) {
    mid = splitVmaAt(t, v, from);
    g.vma[c] = mid;
  }
  if (to < mid.to) g.vma[from > v.from ? d : c] = splitVmaAt(t, mid, to);
  pmdCanon(g, t);
  mid.uffd = argStr(t, 'mode') === 'minor' ? UFFD_MINOR : UFFD_MISSING;
  if (mid.uffd === UFFD_MINOR) hugetlbUnshareAllPmds(g, t, mid);
  return done('ok');
}

const mmapWriteLockable = (g: Readonly<G>, t: T): boolean => {
  const v = g.vma[argInt(t, 'v')];
  return !v || v.st !== V_LIVE || v.users === 0;
};

const registerStep: Step = {
  name: 'userfaultfd_register',
  enabled: mmapWriteLockable,
  run(g, t) {
    const v = g.vma[argInt(t, 'v')];
    if (!v || v.st !== V_LIVE) return done('EINVAL'); // vma_find: nothing mapped there
    const [from, to] = range(t, v);
    if (to <= from || from < v.from || to > v.to) return done('EINVAL'); // validate_range, holes
    const mode = argStr(t, 'mode') === 'minor' ? UFFD_MINOR : UFFD_MISSING;
    if (v.uffd === mode) return done('ok'); // same ctx and flags: skip
    if (!slotsFor(g, t, v, from, to)) return done('ENOMEM');
    if (t.bug('081056dc00a2') && (from > v.from || to < v.to)) {
      // hugetlb_vm_op_split (may_split) unshares before __split_vma takes the locks
      if (from > v.from) hugetlbSplit(g, t, v, from);
      if (to < v.to) hugetlbSplit(g, t, v, to);
      return 'userfaultfd_register:split';
    }
    return splitAndRegister(g, t, v, true);
  },
};

/** 081056dc00a2 absent: __split_vma with the locks retaken, no unshare of its own. */
const splitStep: Step = {
  name: 'userfaultfd_register:split',
  run: (g, t) => splitAndRegister(g, t, at(g.vma, argInt(t, 'v')), false),
};

export const uffdRegisterOp: Op = {
  doc: 'UFFDIO_REGISTER of a VMA or of [from, to) of it, MISSING or MINOR (userfaultfd_register_range under mmap_write_lock: vma_modify_flags_uffd splits, hugetlb_split and hugetlb_unshare_all_pmds unshare page tables)',
  locals: LOCALS,
  steps: [registerStep, splitStep],
};
