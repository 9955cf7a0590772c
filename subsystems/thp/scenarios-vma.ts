/**
 * Default scenarios of VMA surgery under a concurrent rmap walk (impl/thp-common/rmap-walk.ts): splits give one
 * anon_vma tree entry per VMA piece, merges (mprotect back, munlock) take them out again and re-insert the VMA
 * that grew, and the walk visits each piece at its own place.
 */
import type { OpChoice, Scenario } from '../../checker/types.js';
import type { ThpParams } from '../../impl/thp/page.js';
import { thpParams } from './params.js';

const op = (name: string, args: Record<string, number> = {}): OpChoice[] => [{ op: name, args }];

export const vmaScenarios: Scenario<ThpParams>[] = [
  {
    name: 'vma-merge-vs-migrate',
    description:
      'Parent and child share an anon THP by PMD. The parent mprotects page 1 and back (two __split_vma, then vma_merge re-inserts the merged VMA), the child mlocks page 0 and munlocks it, while move_pages walks the anon_vma tree one VMA piece at a time (try_to_migrate, remove_migration_ptes, each waiting for or excluding the re-inserts); a read after.',
    params: thpParams('anon', 'forked'),
    threads: [
      [op('mprotect', { mm: 0, from: 1, to: 2 }), op('mprotect', { mm: 0, from: 1, to: 2, exec: 0 })],
      [op('mlock', { mm: 1, from: 0, to: 1 }), op('munlock', { mm: 1, from: 0, to: 1 })],
      [op('migrate', { mm: 0 }), op('read', { mm: 1, sub: 2 })],
    ],
  },
  {
    name: 'munmap-vs-migrate',
    description:
      'Parent and child share an anon THP by PMD. The parent munmaps page 0: __split_vma() → vma_adjust_trans_huge() splits the PMD before the VMA is cut and its pieces re-inserted (anon_vma_lock_write), then the zap and unlink_anon_vmas(); meanwhile move_pages of the child walks the anon_vma tree (try_to_migrate, remove_migration_ptes, each VMA piece at its own place) and GUP-fast pins a subpage of the parent locklessly; a read after. No walk, zap or split meets a huge PMD across a VMA border (huge-pmd-in-one-vma).',
    params: thpParams('anon', 'forked'),
    threads: [
      [op('munmap', { mm: 0, from: 0, to: 1 }), op('read', { mm: 0, sub: 2 })],
      [op('migrate', { mm: 1 })],
      [op('pin_fast', { mm: 0, sub: 2 }), op('unpin', { mm: 0, sub: 2 })],
    ],
  },
];
