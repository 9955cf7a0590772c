/**
 * Large-folio migration with PMD migration entries (mm/migrate.c @ v6.12
 * migrate_pages → migrate_pages_batch → migrate_folio_unmap (folio_lock,
 * try_to_migrate) → migrate_folio_move (move_to_new_folio →
 * __folio_migrate_mapping, remove_migration_ptes); mm/rmap.c
 * try_to_migrate_one(); mm/huge_memory.c set_pmd_migration_entry() /
 * remove_migration_pmd() @ v6.12).
 *
 * As impl/thp/migrate.ts, with the folio era's exclusivity: set_pmd_migration_entry
 * first shares an exclusive head (folio_try_share_anon_rmap_pmd), which fails on
 * a maybe-pinned folio and stops the walk; the entry is writable, readable-
 * exclusive or readable, and remove_migration_pmd maps with RMAP_EXCLUSIVE
 * unless it was a plain readable entry. __folio_migrate_mapping moves an anon
 * folio only when folio_ref_count == 1 and takes the source off the deferred
 * split queue; migrate_folio_move() then requeues the new folio if the source
 * was queued, partially mapped if it was (a2e0c0668a34 "mm: migrate: requeue
 * destination folio on deferred split queue", in 6.12.y as a stable backport,
 * so in the Debian 6.12.118 conform boots; not in the 6.6 model). A PTE-mapped
 * folio's own unmap by try_to_migrate() queues it partially mapped, so the next
 * migration of the new folio splits it first (below). The model names the folio
 * by identity (see impl/thp/migrate.ts).
 *
 * A file folio migrates the same way: try_to_migrate() makes PMD and PTE
 * migration entries of its mappings too, __folio_migrate_mapping() expects
 * the page cache's references besides the isolation's, and the entries are
 * restored with folio_add_file_rmap_pmd/_pte(); a file PMD split meeting the
 * entry only zaps it (99fa8a48203d).
 *
 * A folio on the deferred split list and PG_partially_mapped is split first
 * (migrate_pages_batch() @ v6.12: try_split_folio(), folio_lock +
 * split_folio_to_list(folio, split_folios) + folio_unlock; 7262f208ca68
 * "mm/migrate: split source folio if it is on deferred split list", v6.10,
 * any queued folio; 8422acdc97ed "mm: introduce a pageflag for partially
 * mapped folios", v6.12, only a partially mapped one); on success its small
 * folios are migrated (migrate-folios.ts), on failure the large folio is
 * migrated whole. 6.6 lacks both (--kernel-version 6.6): it migrates the
 * queued folio whole. move_pages() of a page of an already split THP
 * migrates that small folio (migrate-folios.ts, MIGRATE_SYNC).
 *
 * A collapsed (foreign) THP is migrated too, as far as the model sees it: its
 * PMD becomes a migration entry ('foreign_migration') under the PMD lock and
 * is restored in a later step; a split walking another folio's anon_vma meets
 * it there (be6e843fc51a).
 */
// Deliberate parallel of impl/thp's migrate.ts: the two implementations stay independently built (own state types, own kernel-version citations) so spec/thp judges each on its own.
import {
  PTE_FOREIGN,
  PTE_MIGRATION,
  PTE_PRESENT,
  folio_get,
  folio_mapped,
  folio_maybe_dma_pinned,
  folio_put,
  isAnon,
  type FolioState,
  type MmT,
  type T,
} from './folio.js';
import { deferred_split_folio, folio_add_rmap_pmd, folio_remove_rmap_pmd } from './rmap.js';
import { migrateFoliosSteps, startMigrateFolios } from './migrate-folios.js';
import { SPLIT_PAGE, remove_migration_ptes, splitHugePageSteps, try_to_migrate_ptes } from './split-page.js';
import { rmapWalkEnabled, rmapWalkMm, rmapWalkNext, rmapWalkPiece } from '../thp-common/rmap-walk.js';
import {
  BUSY,
  OK,
  arg,
  assertFolioLocked,
  badMm,
  done,
  folio_lock,
  folio_unlock,
  kernelOp,
  me,
  mmOf,
  pmd_lock,
  spin_unlock_ptl,
} from './steps.js';

type G = FolioState;

const MIG = {
  isolate: 'do_pages_move: mmap_read_lock + folio_walk_start + folio_isolate_lru + mmap_read_unlock',
  lock: 'migrate_folio_unmap: folio_lock (MIGRATE_SYNC)',
  unmap: 'try_to_migrate: try_to_migrate_one (anon_vma lock, rmap walk, one vma under its ptl)',
  move: 'move_to_new_folio: __folio_migrate_mapping (folio_ref_count == 1) + folio_migrate_copy',
  remap: 'remove_migration_ptes: remove_migration_pmd / remove_migration_pte (anon_vma lock, one vma under its ptl)',
  unlock: 'folio_unlock(dst, src) + folio_putback_lru(dst) + migrate_folio_done(src)',
  batch: 'migrate_pages_batch: on the deferred split list and partially mapped?',
  trySplit: 'try_split_folio: folio_lock',
  splitDone: 'try_split_folio: folio_unlock (the small folios on split_folios)',
  foliosDone: 'migrate_pages: return the folios not migrated',
  foreignUnmap: 'try_to_migrate_one (collapsed THP): pmd_lock + set_pmd_migration_entry',
  foreignRemap: 'remove_migration_pmd (collapsed THP): pmd_lock + set_pmd_at',
} as const;

/** set_pmd_migration_entry(): false (-EBUSY, the PMD restored) when an exclusive head of a maybe-pinned folio cannot be shared. */
function set_pmd_migration_entry(g: G, t: T, mm: MmT): boolean {
  const anon_exclusive = g.pages[0]!.anon_exclusive;
  if (anon_exclusive) {
    if (folio_maybe_dma_pinned(g, 0)) return false; /* folio_try_share_anon_rmap_pmd() */
    g.pages[0]!.anon_exclusive = false;
  }
  mm.pmd = 'migration';
  mm.pmd_excl = mm.pmd_write || anon_exclusive; /* writable / readable-exclusive / readable entry */
  folio_remove_rmap_pmd(g, t);
  folio_put(g, t, 0);
  return true;
}

/** remove_migration_pmd(): folio_get, folio_add_anon_rmap_pmd (RMAP_EXCLUSIVE unless readable), set_pmd_at. */
function remove_migration_pmd(g: G, mm: MmT): void {
  mm.pmd = 'huge';
  folio_get(g, 0);
  folio_add_rmap_pmd(g, mm.pmd_excl);
  mm.pmd_excl = false;
}

/**
 * What mm maps at the range: the tracked folio, a collapsed THP, a folio under migration, a small folio of
 * the split THP ('small', the first page mm maps: the address move_pages() is given), or nothing to migrate.
 */
function folio_walk(g: Readonly<G>, mm: Readonly<MmT>): 'thp' | 'foreign' | 'busy' | 'small' | 'none' {
  if (mm.pmd === 'foreign') return 'foreign';
  if (mm.pmd === 'migration' || mm.pmd === 'foreign_migration') return 'busy'; /* folio_isolate_lru() fails */
  if (mm.pmd === 'table' && mm.pte.includes(PTE_FOREIGN)) return 'foreign';
  const large = g.large && !g.pages[0]!.freed;
  if (mm.pmd === 'huge') return 'thp';
  if (mm.pmd === 'table' && !g.large && mm.pte.includes(PTE_PRESENT)) return 'small';
  if (mm.pmd !== 'table' || !large) return 'none';
  if (mm.pte.includes(PTE_PRESENT)) return 'thp';
  return mm.pte.includes(PTE_MIGRATION) ? 'busy' : 'none';
}

export const migrate = kernelOp(
  'move_pages(2) of the range in mm (private anon, or a file THP in the page cache): isolate the folio it maps, lock it, replace every mapping by a migration entry, move it only if nothing else references it, and map the new (or, on failure, the old) folio where the entries were.',
  [
    'walk',
    'ret',
    'page',
    'i',
    'split_folios',
    'unmap_folios',
    'nr_failed',
    'moving',
    'mode_sync',
    'src_deferred_split',
    'src_partially_mapped',
  ],
  [
    {
      name: MIG.isolate,
      enabled: (g, t) => badMm(t, arg(t, 'mm')) || (mmOf(g, t).mmap_lock >= 0 && mmOf(g, t).ptl === 0),
      run: (g, t) => {
        if (badMm(t, arg(t, 'mm'))) return done('EINVAL');
        const what = folio_walk(g, mmOf(g, t));
        if (what === 'foreign') return mmOf(g, t).pmd === 'foreign' ? MIG.foreignUnmap : done('ok');
        if (what === 'small') {
          const k = mmOf(g, t).pte.indexOf(PTE_PRESENT);
          folio_get(g, k); /* folio_isolate_lru() of that small folio */
          t.l.split_folios = 1 << k;
          return startMigrateFolios(t, true);
        }
        if (what !== 'thp') return done(what === 'busy' ? 'EAGAIN' : 'none');
        folio_get(g, 0); /* folio_isolate_lru() */
        return MIG.batch;
      },
    },
    {
      name: MIG.batch,
      run: (g, t) => {
        /* lockless: "Only check it without removing it from the list" */
        const queued = g.large && g.deferred !== 0 && (t.bug('8422acdc97ed') || g.partially_mapped);
        return queued && !t.bug('7262f208ca68') ? MIG.trySplit : MIG.lock;
      },
    },
    {
      name: MIG.trySplit,
      enabled: (g) => g.pages[0]!.locked === 0,
      run: (g, t) => {
        folio_lock(g, t, 0);
        t.l.page = 0;
        t.l.split_folios = 0;
        return SPLIT_PAGE.lock;
      },
    },
    ...splitHugePageSteps(MIG.splitDone, true),
    {
      name: MIG.splitDone,
      run: (g, t) => {
        folio_unlock(g, t, 0);
        if (t.l.ret !== OK) return MIG.lock; /* not split: migrate_folio_unmap() of the large folio */
        t.l.split_folios = t.l.split_folios! | 1; /* list_move_tail(&folio->lru, split_folios): our reference */
        return startMigrateFolios(t, false);
      },
    },
    ...migrateFoliosSteps(MIG.foliosDone),
    {
      name: MIG.foliosDone,
      run: (_g, t) => done(t.l.nr_failed === 0 ? 'ok' : 'EAGAIN'),
    },
    {
      name: MIG.foreignUnmap,
      enabled: (g, t) => mmOf(g, t).ptl === 0,
      run: (g, t) => {
        const mm = mmOf(g, t);
        if (mm.pmd !== 'foreign') return done('EAGAIN'); /* zapped or split meanwhile */
        pmd_lock(mm, t);
        mm.pmd = 'foreign_migration';
        spin_unlock_ptl(mm, t);
        return MIG.foreignRemap;
      },
    },
    {
      name: MIG.foreignRemap,
      enabled: (g, t) => mmOf(g, t).ptl === 0,
      run: (g, t) => {
        const mm = mmOf(g, t);
        if (mm.pmd === 'foreign_migration') mm.pmd = 'foreign'; /* same data: the model does not track the copy */
        return done('ok');
      },
    },
    {
      name: MIG.lock,
      enabled: (g) => g.pages[0]!.locked === 0,
      run: (g, t) => {
        if (!g.large) {
          folio_put(g, t, 0); /* split meanwhile: the model migrates large folios only; putback */
          return done('EAGAIN');
        }
        folio_lock(g, t, 0);
        t.l.walk = 0;
        t.l.ret = OK;
        return MIG.unmap;
      },
    },
    {
      name: MIG.unmap,
      enabled: rmapWalkEnabled,
      run: (g, t) => {
        assertFolioLocked(g, t, 0);
        if (t.l.walk === 0) g.rmap_lock = me(t); /* anon_vma_lock_read */
        const m = rmapWalkMm(g, t, t.l.walk!);
        let goOn = true;
        if (m !== undefined && m >= 0) {
          const mm = g.mms[m]!;
          goOn =
            mm.pmd === 'huge'
              ? set_pmd_migration_entry(g, t, mm)
              : try_to_migrate_ptes(g, t, mm, rmapWalkPiece(g, t, t.l.walk!), true);
        }
        return rmapWalkNext(g, t, !goOn) ? MIG.move : MIG.unmap;
      },
    },
    {
      name: MIG.move,
      run: (g, t) => {
        /*
         * migrate_folio_move: only if !folio_mapped(src); __folio_migrate_mapping: folio_ref_count != expected
         * → -EAGAIN: the isolation's reference, and for a file folio the page cache's nr (folio_expected_refs;
         * xas_store of dst into each slot under the i_pages lock)
         */
        const expected = 1 + (isAnon(t.params) ? 0 : t.params.nr);
        /* a2e0c0668a34: record the source's queue state before move_to_new_folio() unqueues it */
        t.l.src_deferred_split = g.deferred !== 0 ? 1 : 0;
        t.l.src_partially_mapped = g.partially_mapped ? 1 : 0;
        if (folio_mapped(g, t, 0) || g.pages[0]!.refcount !== expected) t.l.ret = BUSY;
        else {
          g.deferred = 0; /* folio_unqueue_deferred_split(src) under the frozen refcount; dst starts unqueued */
          g.partially_mapped = false;
        }
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
          if (mm.pmd === 'migration') remove_migration_pmd(g, mm);
          else remove_migration_ptes(g, mm, rmapWalkPiece(g, t, t.l.walk!));
        }
        return rmapWalkNext(g, t) ? MIG.unlock : MIG.remap;
      },
    },
    {
      name: MIG.unlock,
      run: (g, t) => {
        /* migrate_folio_move() after remove_migration_ptes(), dst still locked: requeue it (a2e0c0668a34) */
        if (t.l.ret === OK && t.l.src_deferred_split === 1 && !t.bug('a2e0c0668a34'))
          deferred_split_folio(g, t, t.l.src_partially_mapped === 1);
        folio_unlock(g, t, 0);
        folio_put(g, t, 0); /* success: folio_putback_lru(dst); failure: putback of src */
        return done(t.l.ret === OK ? 'ok' : 'EAGAIN');
      },
    },
  ],
);
