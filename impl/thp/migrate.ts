/**
 * THP migration with PMD migration entries (mm/migrate.c @ v5.10
 * do_pages_move → migrate_pages → unmap_and_move → __unmap_and_move;
 * mm/rmap.c try_to_unmap_one(TTU_MIGRATION); mm/huge_memory.c
 * set_pmd_migration_entry() / remove_migration_pmd() @ v5.10; introduced by
 * 616b8371539a "mm: thp: enable thp migration in generic path", v4.14).
 *
 * move_pages(2) finds the page under mmap_lock for read and isolates it (a
 * reference), then, without mmap_lock: lock_page, the unmap walk (anon_vma
 * lock; each VMA under its PTL) replaces every PMD and PTE by a migration
 * entry, which holds no mapcount and no reference; migrate_page_move_mapping
 * moves the page only if nothing else references it (page_count == 1), copies
 * it into the new THP and remove_migration_ptes maps the new page where the
 * entries were (or the old one again on failure). Faults, GUP and loads that
 * meet an entry wait (migration_entry_wait / pmd_migration_entry_wait).
 *
 * The model's THP is named by identity, not pfn: after the move, `pages` is
 * the new THP (same data, refcount 1: newpage's own reference, locked), and
 * the old one is gone with the migrator's isolation reference. The new THP is
 * not on the deferred split queue (the old page leaves it when freed).
 * remove_migration_pte() maps PTEs with page_add_anon_rmap(new, false) and
 * never sets PG_double_map. Two migrations of the same THP are not excluded
 * by isolation in the model: the second's reference makes the first fail.
 * A collapsed (foreign) huge page is not tracked: migrating it changes nothing
 * the model keeps.
 *
 * A small page of the split THP (move_pages() of a page after a split)
 * migrates the same way, as the small page it now is: lock_page, its PTEs
 * become migration entries, it moves only if page_count == 1, and its
 * PTEs are restored (mm/migrate.c unmap_and_move() @ v6.1; the model's
 * page keeps its identity). 6.1 has no split of a queued THP in
 * migrate_pages() (7262f208ca68 came in v6.10): a partially mapped THP
 * migrates whole.
 *
 * A file THP migrates the same way (unmap_and_move() is not anon-specific):
 * its PMD becomes a PMD migration entry too (try_to_unmap_one() sets one for
 * any PMD-mapped THP under TTU_MIGRATION), migrate_page_move_mapping()
 * expects the page cache's nr references besides the isolation's and moves
 * newpage into the page cache slots, and remove_migration_pmd() /
 * remove_migration_pte() map it with page_add_file_rmap(). A file PMD split
 * meeting the entry zaps it (99fa8a48203d).
 */
import {
  PTE_FOREIGN,
  PTE_MIGRATION,
  PTE_PRESENT,
  get_page,
  isAnon,
  put_page,
  total_mapcount,
  type MmT,
  type T,
  type ThpState,
} from './page.js';
import { page_add_anon_rmap, page_add_file_rmap, page_remove_rmap } from './rmap.js';
import { MIG_SMALL, migrateSmallSteps } from './migrate-small.js';
import { remove_migration_ptes, unmapPtes } from './split-page.js';
import { rmapWalkEnabled, rmapWalkMm, rmapWalkNext, rmapWalkPiece } from '../thp-common/rmap-walk.js';
import { BUSY, OK, arg, assertPageLocked, badMm, done, kernelOp, lock_page, me, mmOf, unlock_page } from './steps.js';

type G = ThpState;

const MIG = {
  isolate: 'do_pages_move: mmap_read_lock + follow_page(FOLL_GET) + isolate_lru_page + mmap_read_unlock',
  lock: '__unmap_and_move: lock_page (MIGRATE_SYNC)',
  unmap: 'try_to_unmap(TTU_MIGRATION): try_to_unmap_one (anon_vma lock, rmap walk, one vma under its ptl)',
  move: 'move_to_new_page: migrate_page_move_mapping (page_count == 1) + migrate_page_copy',
  remap: 'remove_migration_ptes: remove_migration_pmd / remove_migration_pte (anon_vma lock, one vma under its ptl)',
  unlock: 'unlock_page(newpage, page) + putback_lru_page(newpage) + put_page(page)',
} as const;

/** set_pmd_migration_entry(): pmdp_invalidate, a migration entry keeping the write bit, page_remove_rmap(compound) + put_page. */
function set_pmd_migration_entry(g: G, t: T, mm: MmT): void {
  mm.pmd = 'migration';
  mm.pmd_dirty = false; /* pmd_dirty(pmdval) → set_page_dirty(page) */
  page_remove_rmap(g, t, 0, true);
  put_page(g, t, 0);
}

/** remove_migration_pmd(): a huge PMD of `new` (mkold, maybe_pmd_mkwrite of a writable entry), get_page + page_add_anon_rmap / page_add_file_rmap (compound). */
function remove_migration_pmd(g: G, t: T, mm: MmT): void {
  mm.pmd = 'huge';
  get_page(g, 0);
  if (isAnon(t.params)) page_add_anon_rmap(g, 0, true);
  else page_add_file_rmap(g, t, 0, true);
}

/**
 * What mm maps at the range (follow_page of its first mapped subpage): the tracked THP, a collapsed page, a
 * small page of the split THP, or nothing to migrate.
 */
function follow_page(g: Readonly<G>, mm: Readonly<MmT>): 'thp' | 'foreign' | 'busy' | 'small' | 'none' {
  if (mm.pmd === 'foreign' || (mm.pmd === 'table' && mm.pte.includes(PTE_FOREIGN))) return 'foreign';
  const thp = g.head && !g.pages[0]!.freed;
  if (mm.pmd === 'huge') return 'thp';
  if (mm.pmd === 'table' && !g.head && mm.pte.includes(PTE_PRESENT)) return 'small';
  if (mm.pmd === 'migration') return 'busy'; /* isolated by another migrator: isolate_lru_page() fails */
  if (mm.pmd !== 'table') return 'none';
  if (thp && mm.pte.includes(PTE_PRESENT)) return 'thp';
  return thp && mm.pte.includes(PTE_MIGRATION) ? 'busy' : 'none';
}

export const migrate = kernelOp(
  'move_pages(2) of the range in mm (private anon, or a file THP in the page cache): isolate the THP it maps, lock it, replace every mapping by a migration entry, move it only if nothing else references it, and map the new (or, on failure, the old) page where the entries were.',
  ['walk', 'ret', 'i'],
  [
    {
      name: MIG.isolate,
      enabled: (g, t) => {
        if (badMm(t, arg(t, 'mm'))) return true;
        const mm = mmOf(g, t);
        return mm.mmap_lock >= 0 && mm.ptl === 0;
      },
      run: (g, t) => {
        if (badMm(t, arg(t, 'mm'))) return done('EINVAL');
        const what = follow_page(g, mmOf(g, t));
        if (what === 'foreign') return done('ok');
        if (what === 'small') {
          t.l.i = mmOf(g, t).pte.indexOf(PTE_PRESENT);
          get_page(g, t.l.i); /* follow_page(FOLL_GET) + isolate_lru_page of that small page */
          return MIG_SMALL.lock;
        }
        if (what !== 'thp') return done(what === 'busy' ? 'EAGAIN' : 'none');
        get_page(g, 0); /* follow_page(FOLL_GET) + isolate_lru_page, then put_page of the follow reference */
        return MIG.lock;
      },
    },
    {
      name: MIG.lock,
      enabled: (g) => g.pages[0]!.locked === 0,
      run: (g, t) => {
        if (!g.head) {
          put_page(g, t, 0); /* split meanwhile: the model migrates THPs only; putback */
          return done('EAGAIN');
        }
        lock_page(g, t, 0);
        t.l.walk = 0;
        return MIG.unmap;
      },
    },
    {
      name: MIG.unmap,
      enabled: rmapWalkEnabled,
      run: (g, t) => {
        assertPageLocked(g, t, 0);
        if (t.l.walk === 0) g.rmap_lock = me(t); /* anon_vma_lock_read */
        const m = rmapWalkMm(g, t, t.l.walk!);
        if (m !== undefined && m >= 0) {
          const mm = g.mms[m]!;
          if (mm.pmd === 'huge') set_pmd_migration_entry(g, t, mm);
          else unmapPtes(g, t, mm, true, rmapWalkPiece(g, t, t.l.walk!));
        }
        return rmapWalkNext(g, t) ? MIG.move : MIG.unmap;
      },
    },
    {
      name: MIG.move,
      run: (g, t) => {
        const head = g.pages[0]!;
        const anon = isAnon(t.params);
        /*
         * __unmap_and_move: if (!page_mapped(page)) move_to_new_page; migrate_page_move_mapping: page_count !=
         * expected_page_refs() → -EAGAIN: the isolation's reference, and for a file THP the page cache's nr
         * (xas_store of newpage into each slot under the i_pages lock)
         */
        if (total_mapcount(g, anon) !== 0 || head.refcount !== 1 + (anon ? 0 : t.params.nr)) {
          t.l.ret = BUSY;
          return MIG.remap;
        }
        /* the new THP: same data (migrate_page_copy), newpage's own reference, locked; not on the deferred split list */
        g.dsq = 0;
        t.l.ret = OK;
        return MIG.remap;
      },
    },
    {
      name: MIG.remap,
      enabled: rmapWalkEnabled,
      run: (g, t) => {
        if (t.l.walk === 0) g.rmap_lock = me(t);
        const m = rmapWalkMm(g, t, t.l.walk!);
        if (m !== undefined && m >= 0) {
          const mm = g.mms[m]!;
          if (mm.pmd === 'migration') remove_migration_pmd(g, t, mm);
          else remove_migration_ptes(g, t, mm, rmapWalkPiece(g, t, t.l.walk!));
        }
        return rmapWalkNext(g, t) ? MIG.unlock : MIG.remap;
      },
    },
    {
      name: MIG.unlock,
      run: (g, t) => {
        unlock_page(g, t, 0);
        put_page(g, t, 0); /* success: putback_lru_page(newpage); failure: putback of the old page */
        return done(t.l.ret === OK ? 'ok' : 'EAGAIN');
      },
    },
    ...migrateSmallSteps(),
  ],
);
