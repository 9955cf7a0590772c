/**
 * Migration of an in-use huge page (issue 10 item 6), reached the way a user
 * on one node reaches it: madvise(MADV_SOFT_OFFLINE) of one huge page
 * (mm/madvise.c madvise_inject_error() @ v6.12, CAP_SYS_ADMIN). No mmap_lock
 * is held: get_user_pages_fast takes a reference, faulting the page in (a
 * read fault) when it is not mapped; then soft_offline_page ->
 * soft_offline_in_use_page (mm/memory-failure.c @ v6.12): isolate_hugetlb,
 * migrate_pages -> unmap_and_move_huge_page (mm/migrate.c @ v6.12), and
 * page_handle_poison, which dissolves the old page (dissolve_free_hugetlb_folio).
 * v6.1 is the same here under older names (alloc_huge_page_nodemask,
 * alloc_migrate_huge_page, free_huge_page).
 *
 * - The target (alloc_migration_target -> alloc_hugetlb_folio_nodemask): a
 *   free page while available_huge_pages (free - resv > 0), else a fresh
 *   HPageTemporary page from buddy (alloc_migrate_hugetlb_folio: counted in
 *   HugePages_Total, not surplus). move_hugetlb_state hands the temporary
 *   flag to the old page, which goes back to buddy when freed.
 * - The subpool: a page-cache folio's goes with it (hugetlbfs_migrate_folio
 *   moves hugetlb_folio_subpool to the new folio). An anonymous folio goes
 *   through migrate_folio, which would not move it; unmap_and_move_huge_page
 *   refuses such a folio (a subpool but no folio_mapping: -EBUSY), so an
 *   anonymous page migrates only on a mount without size= and min_size=
 *   (no subpool). Checked on Debian 6.1.192 and 6.12.118: MADV_SOFT_OFFLINE
 *   of a MAP_PRIVATE page on a size= mount is EBUSY with nothing changed.
 *   The restore-reserve flag of an in-use folio is clear (set only between
 *   allocation and instantiation) and moves nowhere.
 * - Faults on the page meanwhile wait at the migration entry
 *   (migration-entry.ts migrationWait); a page-cache lookup of it waits for the folio lock.
 *
 * Coarsenings: isolate_hugetlb, the target allocation and try_to_migrate
 * share a step (hugetlb_lock dropped between them, nothing a user sees
 * lies in between); move_to_new_folio, remove_migration_ptes and the free of
 * the old folio share one. The whole call holds the VMA's mmap_lock and
 * i_mmap_rwsem readers the way a fault does (the kernel holds neither after
 * GUP): a munmap, MADV_DONTNEED, mprotect, mremap, fork or truncate of the
 * mapping waits instead of zapping a migration entry. A migration never
 * fails for a refcount but a long-term pin's (pin.ts: -EBUSY, pinnedMigrationFails).
 */
import { done } from '../../checker/types.js';
import type { StepLabel, StepResult } from './labels.js';
import { faultEntry, faultOp } from './fault.js';
import {
  type Op,
  type Step,
  type T,
  LOCALS,
  argInt,
  at,
  faultFile,
  faultVma,
  setAdd,
  spoolIdx,
  vmaOf,
} from './context.js';
import { dissolveFree } from './dissolve.js';
import { migrateTargetNid, pageNid, withPageNid } from './node-pages.js';
import { account, nodeCounts } from './nodes.js';
import { faultMayEnter, migKey } from './migration-entry.js';
import { isPinned } from './pin.js';
import { SOFT_OFFLINE_PAGE } from './fault-release.js';
import { NO_SUBPOOL, freeHugePage } from './subpool.js';
import type { G, Vma } from './state.js';

const ALLOC_MIGRATE: StepLabel = 'alloc_migrate_hugetlb_folio';
const MOVE: StepLabel = 'move_to_new_folio';
const POISON: StepLabel = 'page_handle_poison';

/** Is page idx mapped by v (a private page, or a page-cache page its PTEs map)? */
const mapped = (v: Vma, idx: number): boolean => v.anon.includes(idx) || v.pcm.includes(idx);

/** The readers a fault holds (mmap_lock, i_mmap_rwsem / the VMA lock), kept by the whole call (coarsening). */
function holdReaders(g: G, v: Vma): void {
  v.users++;
  const file = faultFile(v);
  if (file >= 0) at(g.file, file).ir++;
}

function dropReaders(g: G, v: Vma): void {
  v.users--;
  const file = faultFile(v);
  if (file >= 0) at(g.file, file).ir--;
}

/** folio_nid of the folio under migration (the page-cache page's file.pn, the anonymous page's vma.an). */
function srcNid(g: Readonly<G>, t: T): number {
  if (g.nd.length === 0) return 0;
  return t.l.src_file > 0 ? pageNid(at(g.file, t.l.src_file - 1).pn, t.l.idx) : pageNid(vmaOf(g, t).an, t.l.idx);
}

/**
 * The mapping now maps the new folio: page_to_nid of the page at idx is the target's node, for the
 * page-cache page, or for the anonymous page in this VMA and in its fork partner while they share it.
 */
function recordNid(g: G, t: T, nid: number): void {
  if (g.nd.length === 0) return;
  const idx = t.l.idx;
  if (t.l.src_file > 0) {
    const f = at(g.file, t.l.src_file - 1);
    f.pn = withPageNid(f.pn, idx, nid);
    return;
  }
  const v = vmaOf(g, t);
  v.an = withPageNid(v.an, idx, nid);
  if (v.peer >= 0 && v.cow.includes(idx)) {
    const w = at(g.vma, v.peer);
    w.an = withPageNid(w.an, idx, nid);
  }
}

/** sbinfo->spool: hugetlbfs_fill_super makes a subpool only for a mount with size= or min_size=. */
function hasSubpool(g: G, t: T): boolean {
  const s = at(g.spool, spoolIdx(t, vmaOf(g, t)));
  return s.max !== -1 || s.min !== -1;
}

/**
 * unmap_and_move_huge_page with the target allocated: an anonymous folio of a mount with a subpool
 * has hugetlb_folio_subpool but no folio_mapping, the test for "a folio being freed" that
 * cb6acd01e2e4 added, so it is -EBUSY and the target goes back (folio_putback_active_hugetlb ->
 * free_huge_folio, no subpool). Otherwise try_to_migrate: every PTE of the folio becomes a migration
 * entry (the folio is locked until MOVE).
 */
function tryToMigrate(g: G, t: T): StepResult {
  if (t.l.src_file === 0 && hasSubpool(g, t)) {
    freeHugePage(g, t, NO_SUBPOOL, false, t.l.dst_temp === 1, t.l.page_nid);
    g.held--;
    dropReaders(g, vmaOf(g, t));
    return done('EBUSY');
  }
  g.mig = t.l.src_file > 0 ? migKey(true, t.l.src_file - 1, t.l.idx) : migKey(false, argInt(t, 'v'), t.l.idx);
  return MOVE;
}

/**
 * soft_offline_in_use_page with the page GUP returned: isolate_hugetlb (an
 * instantiated folio is migratable), then alloc_migration_target ->
 * alloc_hugetlb_folio_nodemask(h, folio_nid(src), NULL, gfp, true) under
 * hugetlb_lock (mm/hugetlb.c @ v6.12; allow_alloc_fallback for MR_MEMORY_FAILURE):
 * a free page while available_huge_pages, from the source's node first, else
 * from another node (node-pages.ts migrateTargetNid).
 */
function softOfflinePage(g: G, t: T): StepResult {
  const v = vmaOf(g, t);
  if (!mapped(v, t.l.idx)) {
    // a truncate or hole punch removed the page-cache folio after GUP got it: unmap_and_move_huge_page
    // finds a subpool but no folio_mapping (a folio being freed) and gives up, -EBUSY (cb6acd01e2e4).
    // Coarsening: the GUP reference does not delay the free (the removal already freed the page).
    dropReaders(g, v);
    return done('EBUSY');
  }
  t.l.src_file = v.anon.includes(t.l.idx) ? 0 : faultFile(v) + 1;
  if (g.free - g.resv > 0) {
    const dst = migrateTargetNid(g, t, srcNid(g, t));
    account(g, dst, 0, -1, 0); // dequeue_hugetlb_folio_nodemask
    t.l.page_nid = dst;
    g.held++;
    return tryToMigrate(g, t);
  }
  return ALLOC_MIGRATE; // spin_unlock(&hugetlb_lock)
}

/** The subpool the old folio is freed with, after the mapping and subpool moved to the new one. */
function moveMapping(g: G, t: T): number {
  const idx = t.l.idx;
  if (t.l.src_file > 0) {
    const f = at(g.file, t.l.src_file - 1);
    // before cb6acd01e2e4 "hugetlbfs: fix races and page leaks during migration" hugetlbfs_migrate_page
    // did not transfer page_private, and migrate_page_copy cleared the old page's: both lose the subpool
    if (t.bug('cb6acd01e2e4')) f.nosp = setAdd(f.nosp, idx);
    // hugetlbfs_migrate_folio: migrate_huge_page_move_mapping, then the subpool moves to the new folio
    return NO_SUBPOOL;
  }
  // migrate_folio: an anonymous folio here belongs to a mount without a subpool (tryToMigrate)
  return NO_SUBPOOL;
}

/**
 * A long-term pinned source (pin.ts): hugetlbfs_migrate_folio -> migrate_huge_page_move_mapping cannot
 * folio_ref_freeze(src, expected_count) (the pin's references), -EAGAIN; migrate_hugetlbs retries
 * (NR_MAX_MIGRATE_PAGES_RETRY) and gives up: remove_migration_ptes(src, src) puts the old PTEs back,
 * the target is freed (free_huge_folio, a temporary one to buddy), soft_offline_in_use_page says
 * "migration failed" and returns -EBUSY. Coarsening: the retries are one step.
 */
function pinnedMigrationFails(g: G, t: T): StepResult {
  g.mig = 0;
  freeHugePage(g, t, NO_SUBPOOL, false, t.l.dst_temp === 1, t.l.page_nid);
  g.held--;
  dropReaders(g, vmaOf(g, t));
  return done('EBUSY');
}

/** The soft offline entry: get_user_pages_fast of the page, faulting it in (read) when it is not mapped. */
const entry: Step = {
  name: 'madvise_inject_error',
  enabled: faultMayEnter,
  run(g, t) {
    const v = faultVma(g, t);
    if (!v) return done('EFAULT'); // get_user_pages_fast: no VMA there
    t.l.gup = 1;
    if (!mapped(v, argInt(t, 'i'))) return faultEntry.run(g, t); // faultin_page; on to SOFT_OFFLINE_PAGE
    t.l.idx = argInt(t, 'i');
    holdReaders(g, v);
    return softOfflinePage(g, t);
  },
};

const steps: Step[] = [
  entry,
  ...faultOp.steps.filter((s) => s !== faultEntry), // GUP's fault: alloc_hugetlb_folio, COW, back-outs
  // after GUP's fault (fault-release.ts gupFaultDone), the fault mutex dropped
  { name: SOFT_OFFLINE_PAGE, run: softOfflinePage },
  {
    // alloc_migrate_hugetlb_folio(h, gfp, folio_nid(src), NULL): alloc_fresh_hugetlb_folio from buddy on the
    // source's node, HPageTemporary (counted in nr_huge_pages_node, not surplus). Coarsening: buddy memory
    // is not modelled, so the source's node never runs out and the zonelist fallback to another node
    // (allowed: no __GFP_THISNODE for MR_MEMORY_FAILURE) is not reached
    name: ALLOC_MIGRATE,
    run(g, t) {
      if (t.inject('alloc_buddy')) {
        // migrate_hugetlbs: -ENOMEM; the old folio is put back (putback_movable_pages), unchanged
        dropReaders(g, vmaOf(g, t));
        return done('ENOMEM');
      }
      const src = srcNid(g, t);
      account(g, src, 1, 0, 0);
      t.l.page_nid = src;
      g.held++;
      t.l.dst_temp = 1;
      return tryToMigrate(g, t);
    },
  },
  {
    // move_to_new_folio (data copied), remove_migration_ptes (the PTEs map the new folio),
    // move_hugetlb_state, folio_unlock, folio_putback_active_hugetlb(src): its last reference
    name: MOVE,
    run(g, t) {
      if (t.l.src_file > 0 && isPinned(g, t.l.src_file - 1, t.l.idx)) return pinnedMigrationFails(g, t);
      const spool = moveMapping(g, t);
      const src = srcNid(g, t);
      const dst = t.l.page_nid;
      const temp = t.l.dst_temp === 1;
      // move_hugetlb_state (mm/hugetlb.c @ v6.12): the old folio takes over HPageTemporary; crossing nodes,
      // one of the source node's surplus pages (if it has any) becomes the target node's
      if (temp && dst !== src && nodeCounts(g, src).surp > 0) {
        account(g, src, 0, 0, -1);
        account(g, dst, 0, 0, 1);
      }
      recordNid(g, t, dst);
      g.mig = 0;
      g.held--; // the new folio is the mapped one now
      // free_huge_folio(src): temporary -> buddy; a page of a node with surplus pages -> buddy; else its free list
      const toFreeList = !temp && nodeCounts(g, src).surp === 0;
      freeHugePage(g, t, spool, false, temp, src);
      t.l.src_free = toFreeList ? 1 + src : 0;
      return POISON;
    },
  },
  {
    // page_handle_poison(page, true, false) -> __page_handle_poison: dissolve_free_hugetlb_folio of the
    // old folio (hugetlb_lock); one given back to buddy is taken off it (take_page_off_buddy)
    name: POISON,
    run(g, t) {
      dropReaders(g, vmaOf(g, t));
      if (!t.l.src_free) return done('ok');
      if (t.bug('c3114a84f7f9')) {
        // before c3114a84f7f9 "mm: hugetlb: soft-offline: dissolve source hugepage after successful migration"
        // (v4.13): soft_offline_huge_page -> dequeue_hwpoisoned_huge_page took the free old page off the
        // free list (free_huge_pages--, no available_huge_pages check) and left it counted in nr_huge_pages:
        // a page nobody uses, never freed; a reallocated one (-EBUSY) was ignored
        if (nodeCounts(g, t.l.src_free - 1).free > 0) {
          account(g, t.l.src_free - 1, 0, -1, 0);
          g.leaked++;
        }
        return done('ok');
      }
      // the old folio on its node's free list; reallocated or needed by a reservation meanwhile: -EBUSY,
      // the page left in the pool
      return dissolveFree(g, t, t.l.src_free - 1);
    },
  },
];

export const softOfflineOp: Op = {
  doc: 'madvise(MADV_SOFT_OFFLINE) of one huge page: GUP (faulting it in), isolate_hugetlb, migrate_pages to a free or temporary page, dissolve the old page',
  locals: LOCALS,
  steps,
};
