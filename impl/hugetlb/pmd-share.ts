/**
 * PMD sharing (mm/hugetlb.c huge_pmd_share(), huge_pmd_unshare(),
 * hugetlb_unshare_pmds(), hugetlb_split() @ v6.12 with 081056dc00a2): two
 * MAP_SHARED mappings of the same file, each covering a whole PUD-aligned
 * block at the same offset with the same vm_flags, use one PMD page (the
 * page table of the block) instead of one each, so a PTE one process's fault
 * sets is present in the other's mapping too.
 *
 * The model tracks "which page tables are shared", not the tables: per VMA
 * and PUD block (params.pud huge pages; real kernels: 1 GiB / 2 MiB = 512,
 * which the probe VM cannot back, so this is model-only) `vma.pmd` records
 * PMD_OWN (a page table of its own) or PMD_SHARED + s (one shared with other
 * VMAs, s = the lowest slot among them: a canonical name). A VMA with no
 * entry has no page table for the block. A table only one VMA uses is
 * PMD_OWN (page_count 1: huge_pmd_unshare does nothing to it). The PTEs of a
 * shared table are each sharer's `pcm` within the block, kept equal
 * (mapPte). Addresses are congruent to file offsets modulo the block (the
 * model places every mapping so: userspace can with MAP_FIXED).
 *
 * A PUD entry belongs to an mm: the pieces of one mmap (same vma.fam: the
 * model's mappings of one file at the same offsets are different processes
 * unless split from one mapping) use one entry. Coarsening: the interval
 * tree's order among candidate tables is the lowest slot first.
 */
import { type T, isShared, setAdd, setDel } from './context.js';
import { type G, type Vma, UFFD_MINOR, V_FREE } from './state.js';

/** vma.pmd codes: a page table of its own; a shared one (+ the lowest sharer slot). */
export const PMD_OWN = 1;
export const PMD_SHARED = 2;

/** The PUD block of index idx (params.pud > 0). */
export const blockOf = (t: T, idx: number): number => Math.floor(idx / t.params.pud);

/** vma.pmd's code for block b (0: no page table). */
export function pmdOf(v: Readonly<Vma>, b: number): number {
  for (const x of v.pmd) if (x >> 4 === b) return x & 15;
  return 0;
}

function setPmd(v: Vma, b: number, code: number): void {
  const out = v.pmd.filter((x) => x >> 4 !== b);
  if (code) out.push(b * 16 + code);
  v.pmd = out.sort((x, y) => x - y);
}

/** range_in_vma(vma, base, base + PUD_SIZE): the VMA covers all of block b. */
const coversBlock = (t: T, v: Readonly<Vma>, b: number): boolean =>
  v.from <= b * t.params.pud && (b + 1) * t.params.pud <= v.to;

/** The VMAs using the same shared table as v in block b (v included); [v] when v's table is its own. */
function sharers(g: G, v: Vma, b: number): Vma[] {
  const code = pmdOf(v, b);
  if (code < PMD_SHARED) return [v];
  return g.vma.filter((w) => w.st !== V_FREE && pmdOf(w, b) === code);
}

/** Name a group canonically: one member is PMD_OWN, more are PMD_SHARED + the lowest slot. */
function nameGroup(g: G, members: readonly Vma[], b: number): void {
  const slots = members.map((w) => g.vma.indexOf(w)).filter((s) => s >= 0);
  // one mm's pieces alone (b30c14cd6102 absent) use the table as their own
  const code = new Set(members.map((w) => w.fam)).size > 1 ? PMD_SHARED + Math.min(...slots) : PMD_OWN;
  for (const w of members) setPmd(w, b, code);
}

/** After VMAs changed slots or ranges (split, move): every group renamed, entries outside a VMA dropped. */
export function pmdCanon(g: G, t: T): void {
  if (!t.params.pud) return;
  const groups = new Map<number, Vma[]>();
  for (const w of g.vma) {
    if (w.st === V_FREE) continue;
    w.pmd = w.pmd.filter((x) => {
      const b = x >> 4;
      return b * t.params.pud < w.to && (b + 1) * t.params.pud > w.from;
    });
    for (const x of w.pmd) if ((x & 15) >= PMD_SHARED) groups.set(x, [...(groups.get(x) ?? []), w]);
  }
  for (const [x, members] of groups) nameGroup(g, members, x >> 4);
}

/**
 * page_table_shareable + the vm_flags test of huge_pmd_share: svma maps the
 * same file at the same offset (same block), covers the block, and has the
 * same vm_flags (MAP_NORESERVE, protection, userfaultfd registration).
 */
function shareable(t: T, v: Readonly<Vma>, s: Readonly<Vma>, b: number): boolean {
  return (
    s !== v &&
    s.st !== V_FREE &&
    s.kind === v.kind &&
    s.src === v.src &&
    s.ro === v.ro &&
    s.uffd === v.uffd &&
    coversBlock(t, s, b)
  );
}

/**
 * huge_pte_alloc in hugetlb_fault / mfill_atomic_hugetlb, under the fault
 * mutex and the VMA lock (read): when the VMA has no page table for the block
 * and want_pmd_share (VM_MAYSHARE, not uffd MINOR/WP, the whole block in the
 * VMA), huge_pmd_share takes i_mmap_rwsem (read), walks the file's mappings
 * and takes the first shareable one's table (get_page, pud_populate): its
 * PTEs are present here from now on. Otherwise pmd_alloc: a table of its own.
 */
export function hugePteAlloc(g: G, t: T, v: Vma, idx: number): void {
  if (!t.params.pud || !isShared(v.kind)) return;
  const b = blockOf(t, idx);
  if (pmdOf(v, b)) return; // pud already populated
  if (v.uffd !== UFFD_MINOR && coversBlock(t, v, b)) {
    const s = g.vma.find((w) => shareable(t, v, w, b) && pmdOf(w, b) !== 0);
    if (s) {
      const lo = b * t.params.pud;
      const hi = lo + t.params.pud;
      for (const i of s.pcm) if (i >= lo && i < hi) v.pcm = setAdd(v.pcm, i);
      nameGroup(g, [...sharers(g, s, b), v], b);
      return;
    }
  }
  setPmd(v, b, PMD_OWN);
}

/** set_huge_pte_at through v's table: present in every VMA sharing it (within its range). */
export function mapPte(g: G, t: T, v: Vma, idx: number): void {
  v.pcm = setAdd(v.pcm, idx);
  if (!t.params.pud || !isShared(v.kind)) return;
  for (const w of sharers(g, v, blockOf(t, idx))) if (idx >= w.from && idx < w.to) w.pcm = setAdd(w.pcm, idx);
}

/**
 * huge_pmd_unshare (i_mmap_rwsem and the VMA lock held for write): a shared
 * table's PUD entry is cleared in v's mm (put_page): v has no table and no
 * PTE in the block, the other sharers keep theirs. A table of its own stays
 * (page_count 1: returns 0, the caller zaps its PTEs). True when unshared.
 */
export function hugePmdUnshare(g: G, t: T, v: Vma, b: number): boolean {
  if (pmdOf(v, b) < PMD_SHARED) return false;
  // the PUD entry is v's mm's: split pieces of v's mapping (same fam) that still use the table
  // (b30c14cd6102 absent) lose it with v
  const all = sharers(g, v, b);
  const lo = b * t.params.pud;
  for (const w of all.filter((x) => x.fam === v.fam)) {
    setPmd(w, b, 0);
    for (const i of w.pcm.slice()) if (i >= lo && i < lo + t.params.pud) w.pcm = setDel(w.pcm, i);
  }
  nameGroup(
    g,
    all.filter((x) => x.fam !== v.fam),
    b,
  );
  return true;
}

/**
 * The unshare of __unmap_hugepage_range and hugetlb_change_protection (and
 * move_hugetlb_page_tables): every block of [start, end) whose table v
 * shares is unshared, whole, before any PTE of it is touched.
 */
export function unshareRange(g: G, t: T, v: Vma, start: number, end: number): void {
  if (!t.params.pud || start >= end) return;
  for (let b = blockOf(t, start); b * t.params.pud < end; b++) hugePmdUnshare(g, t, v, b);
}

/**
 * hugetlb_split(vma, addr) (081056dc00a2, called by __split_vma with the
 * mmap lock, the VMA lock and i_mmap_rwsem held for write): a split at an
 * address inside a block the VMA covers unshares that block, since neither
 * piece will cover it. Before b30c14cd6102 "hugetlb: unshare some PMDs when
 * splitting VMAs" nothing was unshared: a piece kept a table it can no
 * longer share correctly.
 */
export function hugetlbSplit(g: G, t: T, v: Vma, addr: number): void {
  if (!t.params.pud || !isShared(v.kind) || addr % t.params.pud === 0 || t.bug('b30c14cd6102')) return;
  const b = blockOf(t, addr);
  if (coversBlock(t, v, b)) hugePmdUnshare(g, t, v, b);
}

/**
 * hugetlb_unshare_all_pmds (UFFDIO_REGISTER with MINOR or WP): the blocks
 * between ALIGN(vm_start, PUD_SIZE) and ALIGN_DOWN(vm_end, PUD_SIZE) only.
 */
export function hugetlbUnshareAllPmds(g: G, t: T, v: Vma): void {
  if (!t.params.pud || !isShared(v.kind)) return;
  for (let b = Math.ceil(v.from / t.params.pud); (b + 1) * t.params.pud <= v.to; b++) hugePmdUnshare(g, t, v, b);
}

/** The page tables a moved shared range has: one of its own per block it has a PTE in. */
export function movedTables(t: T, v: Readonly<Vma>): number[] {
  if (!t.params.pud || !isShared(v.kind)) return [];
  const blocks = [...new Set(v.pcm.map((i) => blockOf(t, i)))];
  return blocks.sort((x, y) => x - y).map((b) => b * 16 + PMD_OWN);
}
