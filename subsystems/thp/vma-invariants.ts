/**
 * Invariants over the VMA layout both THP implementations keep the same way (impl/thp-common/vma-layout.ts and
 * rmap-walk.ts), defined once: subsystems/thp/invariants.ts (impl/thp) and folio/invariants.ts (impl/thp-folio) both
 * list vmaInvariants(). docs/gen/shared-invariants.ts attributes them to every subsystem whose list calls it.
 */
import { invariant, type Invariant } from '../../checker/types.js';
import { vmaTreeProblem } from '../../impl/thp-common/rmap-walk.js';
import { vmaHugeSuitable, type VmaLayout } from '../../impl/thp-common/vma-layout.js';

interface VmaState {
  avc: number[];
  rmap_lock: number;
  readonly mms: readonly (VmaLayout & { readonly pmd: string })[];
}
interface VmaParams {
  readonly nr: number;
  readonly kind: string;
}

/** A PMD that maps the whole range: a THP, the huge zero page, a collapsed page, one mid-split or a migration entry. */
const PMD_MAPS = new Set(['huge', 'zero', 'splitting', 'foreign', 'migration', 'foreign_migration']);

export function vmaInvariants<G extends VmaState, P extends VmaParams>(): Invariant<G, P>[] {
  return [
    invariant<G, P>({
      name: 'anon-vma-tree-per-vma',
      why: 'anon_vma_clone() links every new VMA (fork, __split_vma, copy_vma), __split_vma / vma_merge re-insert the VMAs whose range changed under anon_vma_lock_write, and unlink_anon_vmas() removes a VMA that goes, so the tree holds each VMA once, keyed on its vm_pgoff.',
      doc: 'The anon_vma tree the rmap walk follows has one entry per VMA piece of every process in it, in start order (impl/thp-common/rmap-walk.ts); a VMA cut by mprotect, mlock or munmap is visited piece by piece.',
      source:
        'mm/rmap.c rmap_walk_anon() and anon_vma_clone(), mm/interval_tree.c, mm/mmap.c __split_vma() / __vma_adjust() / vma_merge() @ v6.1; mm/vma.c __split_vma(), vma_prepare(), vma_complete() @ v6.12',
      when: 'always',
      check: (g, p) => vmaTreeProblem(g, p.nr),
    }),
    invariant<G, P>({
      name: 'huge-pmd-in-one-vma',
      why: '__split_vma() calls vma_adjust_trans_huge() before the VMA bounds change ("Get rid of huge pages and shared page tables straddling the split boundary"), under mmap_lock for write, and a PMD is mapped only where transhuge_vma_suitable() / thp_vma_suitable_order() finds one VMA over the aligned range.',
      doc: 'A PMD that maps the range (a THP, the huge zero page, a collapsed page, a PMD mid-split or a PMD migration entry) lies in one VMA of its process: munmap, mprotect and mlock split it before they cut the VMA, so no rmap walk, split or zap meets a huge PMD straddling a VMA border (the kernel would hit VM_BUG_ON_VMA in __split_huge_pmd_locked()).',
      source:
        'mm/mmap.c __split_vma() / __vma_adjust() and mm/huge_memory.c vma_adjust_trans_huge(), __split_huge_pmd_locked() (VM_BUG_ON_VMA(vma->vm_start > haddr), VM_BUG_ON_VMA(vma->vm_end < haddr + HPAGE_PMD_SIZE)) @ v6.1; mm/vma.c __split_vma() @ v6.12',
      when: 'always',
      check: (g, p) => {
        if (p.kind !== 'anon') return null;
        let any = false;
        for (let m = 0; m < g.mms.length; m++) {
          const mm = g.mms[m]!;
          if (!PMD_MAPS.has(mm.pmd)) continue;
          any = true;
          if (!vmaHugeSuitable(mm, p.nr))
            return `mm ${m}: a ${mm.pmd} PMD over VMA pieces ${mm.vma.toString(2)} cut at ${mm.vma_start.toString(2)}`;
        }
        return any ? true : null;
      },
    }),
  ];
}
