/**
 * Migration of one small page of the split THP (mm/migrate.c @ v6.1
 * do_pages_move → migrate_pages(MIGRATE_SYNC) → unmap_and_move →
 * __unmap_and_move: lock_page, try_to_migrate (anon_vma lock; each VMA under
 * its PTL), move_to_new_page (migrate_page_move_mapping: page_count == 1),
 * remove_migration_ptes, unlock_page + putback). The caller isolated page
 * t.l.i (a reference). The model names pages by identity: a migrated page i
 * is still page i, with the same data and mappings.
 */
// Deliberate parallel of impl/thp-folio's migrate-folios.ts for the compound era: a small page of a split THP moves the same way, kept apart so spec/thp judges each implementation on its own.
import { PTE_MIGRATION, PTE_PRESENT, get_page, page_count, page_mapped, put_page } from './page.js';
import { page_add_anon_rmap, page_remove_rmap } from './rmap.js';
import { rmapWalkEnabled, rmapWalkMm, rmapWalkNext, rmapWalkPiece } from '../thp-common/rmap-walk.js';
import { BUSY, OK, assertPageLocked, done, lock_page, me, unlock_page, type KStep } from './steps.js';

export const MIG_SMALL = {
  lock: '__unmap_and_move (small page): lock_page (MIGRATE_SYNC)',
  unmap: 'try_to_migrate (small page): try_to_migrate_one (anon_vma lock, rmap walk, one vma under its ptl)',
  move: 'move_to_new_page (small page): migrate_page_move_mapping (page_count == 1) + migrate_page_copy',
  remap: 'remove_migration_ptes (small page): remove_migration_pte (anon_vma lock, one vma under its ptl)',
  unlock: 'unlock_page + putback_lru_page(newpage) / put_page(page), or putback of page (small page)',
} as const;
type MigSmallStep = (typeof MIG_SMALL)[keyof typeof MIG_SMALL];

export function migrateSmallSteps(): KStep<MigSmallStep>[] {
  const S = MIG_SMALL;
  return [
    {
      name: S.lock,
      enabled: (g, t) => g.pages[t.l.i!]!.locked === 0,
      run: (g, t) => {
        lock_page(g, t, t.l.i!);
        t.l.walk = 0;
        t.l.ret = OK;
        return S.unmap;
      },
    },
    {
      name: S.unmap,
      enabled: rmapWalkEnabled,
      run: (g, t) => {
        const k = t.l.i!;
        assertPageLocked(g, t, k);
        if (t.l.walk === 0) g.rmap_lock = me(t); /* anon_vma_lock_read */
        const m = rmapWalkMm(g, t, t.l.walk!);
        const mm = m !== undefined && m >= 0 ? g.mms[m]! : undefined;
        if (mm?.pmd === 'table' && mm.pte[k] === PTE_PRESENT && rmapWalkPiece(g, t, t.l.walk!) & (1 << k)) {
          mm.pte[k] = PTE_MIGRATION;
          mm.pte_dirty[k] = false;
          page_remove_rmap(g, t, k, false);
          put_page(g, t, k);
        }
        return rmapWalkNext(g, t) ? S.move : S.unmap;
      },
    },
    {
      name: S.move,
      run: (g, t) => {
        const k = t.l.i!;
        /* __unmap_and_move: only if !page_mapped; migrate_page_move_mapping: page_count != 1 → -EAGAIN */
        if (page_mapped(g, k) || page_count(g, k) !== 1) t.l.ret = BUSY;
        return S.remap;
      },
    },
    {
      name: S.remap,
      enabled: rmapWalkEnabled,
      run: (g, t) => {
        const k = t.l.i!;
        if (t.l.walk === 0) g.rmap_lock = me(t);
        const m = rmapWalkMm(g, t, t.l.walk!);
        const mm = m !== undefined && m >= 0 ? g.mms[m]! : undefined;
        if (mm?.pmd === 'table' && mm.pte[k] === PTE_MIGRATION && rmapWalkPiece(g, t, t.l.walk!) & (1 << k)) {
          mm.pte[k] = PTE_PRESENT;
          get_page(g, k);
          page_add_anon_rmap(g, k, false);
        }
        return rmapWalkNext(g, t) ? S.unlock : S.remap;
      },
    },
    {
      name: S.unlock,
      run: (g, t) => {
        unlock_page(g, t, t.l.i!);
        put_page(g, t, t.l.i!); /* success: putback_lru_page(newpage); failure: putback of the page */
        return done(t.l.ret === OK ? 'ok' : 'EAGAIN');
      },
    },
  ];
}
