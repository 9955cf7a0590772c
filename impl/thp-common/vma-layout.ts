/**
 * The VMAs of each mm over the THP's range, as both THP implementations keep them (session 15: split out of
 * rmap-walk.ts, which keeps the anon_vma interval tree over them): the pieces (`vma`, `vma_start`), the flags that cut
 * and merge them (`vm_exec`, `vm_locked`), the borders no merge removes (`vma_nomerge`), and which pieces have an
 * anon_vma (`anon_vma`). Bit i of each mask is subpage i of the range. An anon scenario keeps them for every mm: fork
 * copies page tables only for a VMA with an anon_vma (mm/memory.c copy_page_range() → vma_needs_copy() @ v6.1 /
 * v6.12), and a read fault maps the huge zero page only where one VMA covers the range.
 */
import { S } from '../../checker/schema.js';

export interface VmaLayout {
  vma: number;
  vma_start: number;
  vm_exec: number;
  vm_locked: number;
  vma_nomerge: number;
  anon_vma: number;
}

export const bit = (i: number): number => 1 << i;

/** The subpages [from, to) as a mask. */
export const rangeMask = (from: number, to: number): number => (bit(to) - 1) & ~(bit(from) - 1);

/**
 * Would mprotect()/mlock()/munlock() of [from, to) change the flags of any VMA there? mprotect_fixup() and
 * mlock_fixup() return at once when `newflags == oldflags` (mm/mprotect.c mprotect_fixup() @ v6.1 / v6.12, mm/mlock.c
 * mlock_fixup() @ v6.1 / v6.12), before any __split_vma(): no new border, so vma_adjust_trans_huge() splits no PMD.
 */
export function vmaFlagsChange(
  mm: Readonly<VmaLayout>,
  from: number,
  to: number,
  c: 'exec' | 'noexec' | 'lock' | 'unlock',
): boolean {
  const r = rangeMask(from, to) & mm.vma;
  if (c === 'exec') return (mm.vm_exec & r) !== r;
  if (c === 'noexec') return (mm.vm_exec & r) !== 0;
  if (c === 'lock') return (mm.vm_locked & r) !== r;
  return (mm.vm_locked & r) !== 0;
}

/** The VMA piece of mm that starts at subpage s: its covered subpages up to the next start. */
export function pieceAt(vma: number, vma_start: number, s: number): number {
  let mask = 0;
  for (let i = s; vma & bit(i) && (i === s || !(vma_start & bit(i))); i++) mask |= bit(i);
  return mask;
}

/** mm's VMA pieces over the range, in address order, as subpage masks. */
export function piecesOf(vma: number, vma_start: number, nr: number): number[] {
  const out: number[] = [];
  for (let s = 0; s < nr; s++)
    if (vma & bit(s) && (s === 0 || vma_start & bit(s) || !(vma & bit(s - 1))))
      out.push(pieceAt(vma, vma_start | bit(s), s));
  return out;
}

/**
 * The per-mm VMA fields of both implementations' states (an anon scenario keeps them for every mm): `vma` the
 * subpages its VMAs cover, `vma_start` where a VMA piece starts, `vm_exec` / `vm_locked` the subpages whose VMA has
 * PROT_EXEC from mprotect / VM_LOCKED from mlock, `vma_nomerge` the piece starts whose two sides have different
 * anon_vmas (fork, or two anon_vma_prepare()s), which vma_merge() never joins, and `anon_vma` the subpages whose VMA
 * has an anon_vma (vma->anon_vma != NULL: set by anon_vma_prepare(), anonVmaPrepare below).
 */
export const VMA_FIELDS = {
  vma: S.int(),
  vma_start: S.int(),
  vm_exec: S.int(),
  vm_locked: S.int(),
  vma_nomerge: S.int(),
  anon_vma: S.int(),
};

/** The VMA fields of an mm with one VMA over the range, no flags and no anon_vma (a fresh private anon mmap()). */
export const vmaInit = (nr: number): VmaLayout => ({
  vma: bit(nr) - 1,
  vma_start: 1,
  vm_exec: 0,
  vm_locked: 0,
  vma_nomerge: 0,
  anon_vma: 0,
});

/** The lowest subpage of a piece mask. */
export const lowest = (mask: number): number => 31 - Math.clz32(mask & -mask);

/**
 * The piece starts a flag layout gives: mprotect_fixup() / mlock_fixup() @ v6.1 (mm/mprotect.c, mm/mlock.c: split_vma()
 * at the range's borders, or vma_merge() with prev and next when the flags become theirs) and @ v6.12 (vma_modify_flags():
 * vma_merge_existing_range(), else split_vma()) leave one VMA per run of equal flags, except that two VMAs whose
 * anon_vmas are not mergeable never merge (is_mergeable_anon_vma()): different anon_vmas (`vma_nomerge`: a child's VMAs
 * copied by fork from separate parent VMAs each got their own anon_vma in anon_vma_fork()), and a VMA with an anon_vma
 * next to one without that no merge joined (mergeAnonVmas: `anon` differs there).
 */
export function startsOf(vma: number, exec: number, locked: number, anon: number, nomerge: number, nr: number): number {
  let starts = 0;
  for (let b = 0; b < nr; b++) {
    if (!(vma & bit(b))) continue;
    const differs = ((exec ^ (exec << 1)) | (locked ^ (locked << 1)) | (anon ^ (anon << 1)) | nomerge) & bit(b);
    if (b === 0 || !(vma & bit(b - 1)) || differs) starts |= bit(b);
  }
  return starts;
}

/** The subpages of the piece holding subpage i (0 when no VMA covers it). */
export function pieceOf(vma: number, vma_start: number, i: number): number {
  if (!(vma & bit(i))) return 0;
  let s = i;
  while (s > 0 && !(vma_start & bit(s)) && vma & bit(s - 1)) s--;
  return pieceAt(vma, vma_start | bit(s), s);
}

const same = (mask: number, a: number, b: number): boolean => !(mask & bit(a)) === !(mask & bit(b));

/**
 * is_mergeable_anon_vma() @ v6.1 (mm/mmap.c) and @ v6.12 (mm/vma.c) where the flags became equal across a border and
 * only one side has an anon_vma: vma_merge() of the VMA whose flags changed (its anon_vma: vma_merge()'s `anon_vma`
 * argument @ v6.1, vmg->anon_vma @ v6.12) with a neighbour merges when the changed VMA has none and the neighbour's
 * anon_vma_chain is singular (a VMA of a fork child has more, but its borders are `nomerge`); a changed VMA with an
 * anon_vma never merges into a neighbour without one (an empty anon_vma_chain is not singular). mprotect_fixup() /
 * mlock_fixup() go VMA by VMA in address order, so inside the range the later VMA is the changed one and the earlier
 * its prev; a VMA whose flags stay (newflags == oldflags) tries no merge. The merged VMA has the anon_vma
 * (__vma_adjust()'s importer @ v6.1, dup_anon_vma() @ v6.12). Returns the anon_vma mask after the merges.
 */
export function mergeAnonVmas(
  vma: number,
  exec: number,
  locked: number,
  anon: number,
  nomerge: number,
  changed: number,
  nr: number,
): number {
  for (let again = true; again;) {
    again = false;
    for (let b = 1; b < nr; b++) {
      if (!(vma & bit(b - 1)) || !(vma & bit(b)) || nomerge & bit(b) || same(anon, b - 1, b)) continue;
      if (!same(exec, b - 1, b) || !same(locked, b - 1, b)) continue;
      const none = anon & bit(b - 1) ? b : b - 1; /* the side without an anon_vma */
      const other = none === b ? b - 1 : b;
      if (!(changed & bit(none)) || (changed & bit(other) && none !== b)) continue;
      anon |= pieceOf(vma, startsOf(vma, exec, locked, anon, nomerge, nr), none);
      again = true;
    }
  }
  return anon;
}

/**
 * anon_vma_prepare() @ v6.1 / vmf_anon_prepare() @ v6.12 → __anon_vma_prepare() (mm/rmap.c) of the VMA piece holding
 * subpage i: nothing when it has an anon_vma; else find_mergeable_anon_vma() (mm/mmap.c @ v6.1, mm/vma.c @ v6.12)
 * reuses the anon_vma of the next VMA, then of the previous, when anon_vma_compatible() (adjacent, flags equal but for
 * VM_ACCESS_FLAGS: VM_LOCKED must match, PROT_EXEC may differ) and that VMA's anon_vma_chain is singular (not across a
 * `nomerge` border: a fork child's), or allocates a new one. A neighbour with another anon_vma is `nomerge` from then
 * on. Coarsened: a reused anon_vma makes two VMAs with equal flags one piece of the model (the kernel keeps two VMAs
 * until a vma_merge() there; reached only outside the walk, where the pieces of one anon_vma behave alike).
 * Outside any VMA (a munmap hole) nothing happens: the model does not fault there.
 */
export function anonVmaPrepare(mm: VmaLayout, nr: number, i: number): void {
  if (!(mm.vma & bit(i)) || mm.anon_vma & bit(i)) return;
  const piece = pieceOf(mm.vma, mm.vma_start, i);
  const lo = lowest(piece);
  const hi = 31 - Math.clz32(piece) + 1;
  /* a neighbour across the border at b (subpage j on the other side) with an anon_vma */
  const withAnon = (j: number, b: number): boolean =>
    j >= 0 && j < nr && (mm.vma & bit(j)) !== 0 && (mm.anon_vma & bit(j)) !== 0 && !(mm.vma_nomerge & bit(b));
  const reusable = (j: number, b: number): boolean => withAnon(j, b) && same(mm.vm_locked, i, j);
  const reused = reusable(hi, hi) ? hi : reusable(lo - 1, lo) ? lo - 1 : -1;
  if (withAnon(hi, hi) && reused !== hi) mm.vma_nomerge |= bit(hi);
  if (withAnon(lo - 1, lo) && reused !== lo - 1) mm.vma_nomerge |= bit(lo);
  mm.anon_vma |= piece;
}

/** The VMA piece holding subpage i has an anon_vma (vma->anon_vma != NULL). */
export const hasAnonVma = (mm: Readonly<VmaLayout>, i: number): boolean => (mm.anon_vma & bit(i)) !== 0;

/**
 * transhuge_vma_suitable() @ v6.1 / thp_vma_suitable_order(PMD_ORDER) @ v6.12 (include/linux/huge_mm.h): one VMA
 * covers the whole PMD-aligned range, so a PMD (a THP, the huge zero page) may map it; otherwise
 * do_huge_pmd_anonymous_page() returns VM_FAULT_FALLBACK before anon_vma_prepare() and the fault maps PTEs.
 */
export const vmaHugeSuitable = (mm: Readonly<VmaLayout>, nr: number): boolean =>
  mm.vma === bit(nr) - 1 && (mm.vma_start & ~1) === 0;
