/**
 * Migration of small folios: the folios a split of the isolated THP put on
 * `split_folios`, or the one small folio move_pages(2) isolated after the THP
 * was split (mm/migrate.c @ v6.12 migrate_pages(), migrate_pages_batch(),
 * migrate_folio_unmap(), migrate_folio_move(); mm/rmap.c try_to_migrate_one()).
 *
 * split_folios (7262f208ca68 "mm/migrate: split source folio if it is on
 * deferred split list", v6.10; since 8422acdc97ed "mm: introduce a pageflag
 * for partially mapped folios", v6.12, only a PG_partially_mapped one):
 * migrate_pages() migrates them "with minimal effort", one MIGRATE_ASYNC pass
 * of migrate_pages_batch(): first migrate_folio_unmap() of every folio on the
 * list, in list order (the tails from the last to the first, as
 * __split_huge_page() added them, then the head), then migrate_folio_move()
 * of every unmapped one. A folio whose only reference is the list's was freed
 * from under us (migrate_folio_done: success); folio_trylock() failing, a
 * folio still mapped after try_to_migrate() (a maybe-pinned exclusive page)
 * or __folio_migrate_mapping() seeing folio_ref_count() != 1 leave it
 * unmigrated, and move_pages() then reports it (nr_failed).
 *
 * The one small folio move_pages() isolated (mode MIGRATE_SYNC): the batch
 * retries failed folios synchronously with a sleeping folio_lock()
 * (migrate_pages_sync), so the lock is waited for here.
 *
 * The model names pages by identity, not pfn: a migrated page i is still
 * page i (same data, same mappings); only its references and mappings pass
 * through migration entries. Locals: i (the folio at hand), walk (the rmap
 * walk), split_folios (bit k: page k is on the list with its reference),
 * unmap_folios (bit k: page k is unmapped and locked, waiting for the move),
 * nr_failed, moving (0 while unmapping, 1 while moving), mode_sync.
 */
import {
  PTE_MIGRATION,
  PTE_PRESENT,
  folio_get,
  folio_mapped,
  folio_maybe_dma_pinned,
  folio_put,
  folio_ref_count,
  type FolioState,
  type MmT,
  type T,
} from './folio.js';
import { folio_add_rmap_ptes, folio_remove_rmap_ptes } from './rmap.js';
import { rmapWalkEnabled, rmapWalkMm, rmapWalkNext, rmapWalkPiece } from '../thp-common/rmap-walk.js';
import { assertFolioLocked, folio_lock, folio_unlock, me, type KStep } from './steps.js';

type G = FolioState;

export const MIG_FOLIOS = {
  next: 'migrate_pages_batch (small folios): the next folio on the list',
  unmap: 'migrate_folio_unmap (small folio): folio_trylock (folio_lock when MIGRATE_SYNC), freed from under us?',
  walk: 'try_to_migrate (small folio): try_to_migrate_one (anon_vma lock, rmap walk, one vma under its ptl)',
  move: 'migrate_folio_move (small folio): __folio_migrate_mapping (folio_ref_count == 1) + folio_migrate_copy',
  remap: 'remove_migration_ptes (small folio): remove_migration_pte (anon_vma lock, rmap walk, one vma under its ptl)',
  unlock: 'folio_unlock + folio_putback_lru(dst) / migrate_folio_done(src), or putback of src (small folio)',
  putback: 'putback_movable_pages: the small folios left on the list',
} as const;
export type MigFoliosStep = (typeof MIG_FOLIOS)[keyof typeof MIG_FOLIOS];

const bit = (k: number): number => 1 << k;

/** The next folio of the current phase below t.l.i (list order: descending index), or -1. */
function nextFolio(t: T, from: number): number {
  const set = t.l.moving === 1 ? t.l.unmap_folios! : t.l.split_folios!;
  for (let k = from; k >= 0; k--) if (set & bit(k)) return k;
  return -1;
}

/** Continue with the folio below t.l.i in this phase, the move phase, or the putback. */
function advance(t: T): MigFoliosStep {
  const k = nextFolio(t, t.l.i! - 1);
  if (k >= 0) {
    t.l.i = k;
    return t.l.moving === 1 ? MIG_FOLIOS.move : MIG_FOLIOS.unmap;
  }
  if (t.l.moving === 0 && t.l.unmap_folios !== 0) {
    t.l.moving = 1; /* try_to_unmap_flush(), then the move loop */
    t.l.i = t.params.nr;
    return MIG_FOLIOS.next;
  }
  return MIG_FOLIOS.putback;
}

/** Start migrating the folios in t.l.split_folios (each holds its isolation / list reference). */
export function startMigrateFolios(t: T, sync: boolean): MigFoliosStep {
  t.l.moving = 0;
  t.l.unmap_folios = 0;
  t.l.nr_failed = 0;
  t.l.mode_sync = sync ? 1 : 0;
  t.l.i = t.params.nr;
  return MIG_FOLIOS.next;
}

/** try_to_migrate_one() of small folio k in mm: false when the walk must stop (a maybe-pinned exclusive page). */
function try_to_migrate_one(g: G, t: T, mm: MmT, k: number, piece: number): boolean {
  if (mm.pmd !== 'table' || mm.pte[k] !== PTE_PRESENT || !(piece & (1 << k))) return true;
  const anon_exclusive = g.pages[k]!.anon_exclusive;
  /* folio_try_share_anon_rmap_pte(): -EBUSY on a maybe-pinned folio: restore the PTE, stop the walk */
  if (anon_exclusive && folio_maybe_dma_pinned(g, k)) return false;
  g.pages[k]!.anon_exclusive = false;
  mm.pte[k] = PTE_MIGRATION;
  mm.pte_excl[k] = anon_exclusive;
  folio_remove_rmap_ptes(g, t, k, 1);
  folio_put(g, t, k);
  return true;
}

/** remove_migration_pte() of small folio k in mm: RMAP_EXCLUSIVE unless a plain readable entry. */
function remove_migration_pte(g: G, mm: MmT, k: number, piece: number): void {
  if (mm.pte[k] !== PTE_MIGRATION || !(piece & (1 << k))) return;
  mm.pte[k] = PTE_PRESENT;
  folio_get(g, k);
  folio_add_rmap_ptes(g, k, 1, g.anon && (mm.pte_write[k]! || mm.pte_excl[k]!));
  mm.pte_excl[k] = false;
}

/** The steps; `cont` runs after the putback with t.l.nr_failed set. */
// oxlint-disable-next-line max-lines-per-function -- one list of the batch's steps, each a few lines, read top to bottom like migrate_pages_batch()
export function migrateFoliosSteps<C extends string>(cont: C): KStep<MigFoliosStep | C>[] {
  const S = MIG_FOLIOS;
  return [
    {
      name: S.next,
      threadLocal: true, // advance() reads and writes the folio lists in t.l only
      run: (_g, t) => advance(t),
    },
    {
      name: S.unmap,
      enabled: (g, t) => t.l.mode_sync === 0 || g.pages[t.l.i!]!.locked === 0,
      run: (g, t) => {
        const k = t.l.i!;
        if (folio_ref_count(g, k) === 1) {
          /* "Folio was freed from under us. So we are done.": migrate_folio_done() */
          t.l.split_folios = t.l.split_folios! & ~bit(k);
          folio_put(g, t, k);
          return advance(t);
        }
        if (g.pages[k]!.locked !== 0) {
          t.l.nr_failed = t.l.nr_failed! + 1; /* folio_trylock() failed: -EAGAIN, and one pass only */
          return advance(t);
        }
        folio_lock(g, t, k);
        t.l.walk = 0;
        return S.walk;
      },
    },
    {
      name: S.walk,
      enabled: rmapWalkEnabled,
      run: (g, t) => {
        const k = t.l.i!;
        assertFolioLocked(g, t, k);
        if (t.l.walk === 0) g.rmap_lock = me(t); /* anon_vma_lock_read */
        const m = rmapWalkMm(g, t, t.l.walk!);
        const goOn = m === undefined || m < 0 || try_to_migrate_one(g, t, g.mms[m]!, k, rmapWalkPiece(g, t, t.l.walk!));
        if (!rmapWalkNext(g, t, !goOn)) return S.walk;
        if (!folio_mapped(g, t, k)) {
          t.l.unmap_folios = t.l.unmap_folios! | bit(k); /* MIGRATEPAGE_UNMAP: on unmap_folios */
          t.l.split_folios = t.l.split_folios! & ~bit(k);
          return advance(t);
        }
        t.l.nr_failed = t.l.nr_failed! + 1; /* still mapped: migrate_folio_undo_src → remove_migration_ptes */
        return S.remap;
      },
    },
    {
      name: S.move,
      run: (g, t) => {
        const k = t.l.i!;
        assertFolioLocked(g, t, k);
        /* __folio_migrate_mapping(): an anon folio without a mapping expects folio_ref_count == 1 */
        if (folio_ref_count(g, k) !== 1) t.l.nr_failed = t.l.nr_failed! + 1;
        t.l.walk = 0;
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
        if (m !== undefined && m >= 0) remove_migration_pte(g, g.mms[m]!, k, rmapWalkPiece(g, t, t.l.walk!));
        return rmapWalkNext(g, t) ? S.unlock : S.remap;
      },
    },
    {
      name: S.unlock,
      run: (g, t) => {
        const k = t.l.i!;
        folio_unlock(g, t, k);
        /* the move phase: success frees src, dst goes back to the LRU; a failure puts src back: one reference either way */
        if (t.l.moving === 1) {
          t.l.unmap_folios = t.l.unmap_folios! & ~bit(k);
          folio_put(g, t, k);
        }
        return advance(t);
      },
    },
    {
      name: S.putback,
      run: (g, t) => {
        for (let k = 0; k < t.params.nr; k++) if (t.l.split_folios! & bit(k)) folio_put(g, t, k);
        t.l.split_folios = 0;
        return cont;
      },
    },
  ];
}
