/**
 * Spec handler of THP migration (move_pages(2), mbind, compaction, NUMA
 * balancing): the huge page a process maps moves to another physical page.
 * A user sees no change in what matters: the same data at every virtual page,
 * the same sharing between processes, and every pin still holds the page its
 * pinner maps, because a page anyone pins (or holds a reference on) is not
 * migrated; the huge page may come back split (v6.10+ splits a queued one).
 */
import { REJECT, type Handler } from './handler.js';
import { failedSplitAfterUnmap, splitPage } from './mappings.js';
import { endSplit, splitKey } from './view.js';

/**
 * migrate of mm's range (private anon, or a file THP in the page cache):
 * 'none' when mm maps no page of the huge page there (nothing, copies, the
 * zero page, a split file THP's small pages); the THP moves ('ok') only when
 * nobody pins or holds a reference on it; 'EAGAIN' (not moved) is always
 * possible: a transient reference or a racing split. An anon THP may be split
 * by the migration first ('split': its pages then move one by one, or some do
 * not, 'split-EAGAIN'; a split that met a transient reference after unmapping
 * leaves its PMD mappings split, 'remapped'): the data, the sharing and every
 * pin stay as they were. The split comes after the lookup, so these outcomes
 * are allowed whenever the huge page is there (mm may have unmapped it since):
 * the spec does not remember which page the call found. Once the THP is split, migrate moves the first page
 * mm maps of it, unless that page is pinned or referenced.
 */
const on_migrate: Handler = (c, e) => {
  const { mm, badMm, choice, pins, refs, anon } = e;
  const first = choice === undefined || choice === 'ok';
  if (badMm(mm)) return first ? 'EINVAL' : REJECT;
  /*
   * move_pages() looks the page up with follow_page(FOLL_GET | FOLL_DUMP), without FOLL_MIGRATION
   * (mm/migrate.c add_page_for_migration() @ v6.1), so a PTE that a split in flight turned into a
   * migration entry is no page (mm/gup.c follow_page_pte() @ v6.1: goto no_page): -ENOENT. The split may be
   * another migrate's (v6.10+ splits a queued THP first), never this call's own: its split follows its lookup.
   */
  const own = splitKey('migrate', { mm });
  const lookupMiss = c.splitting.some((k) => k !== own); /* another operation's split, not this call's own */
  /*
   * A migrate that split the THP first ('split', 'split-EAGAIN') migrates the small pages after the split is
   * visible, so its key may outlive its linearization until the free internal step migrate_done drops it.
   */
  if (choice !== 'split' && choice !== 'split-EAGAIN') endSplit(c, own);
  if (choice === 'lookup-miss') return lookupMiss ? 'none' : REJECT;
  const maps = c.pmd.includes(mm) || c.pte.some((s) => s.includes(mm));
  const thp = c.compound && !c.freed[0] && maps;
  const small = !c.compound && anon && maps;
  const foreign = c.foreign.some((s) => s.includes(mm));
  if (choice !== undefined && choice !== 'ok' && choice !== 'EAGAIN') {
    /*
     * A split by the migration happens after move_pages() isolated the page mm mapped, and may follow an
     * unmap by mm itself (then the call still answers for the page it found): the split outcomes need the
     * huge page, not mm's mapping of it at this point.
     */
    if (!(anon && c.compound && !c.freed[0])) return REJECT;
    if (choice === 'remapped-EAGAIN' || choice === 'remapped') {
      if (choice === 'remapped' && pins + refs > 0) return REJECT;
      failedSplitAfterUnmap(c);
      return choice === 'remapped' ? 'ok' : 'EAGAIN';
    }
    if (pins + refs > 0) return REJECT;
    splitPage(c);
    return choice === 'split' ? 'ok' : 'EAGAIN';
  }
  if (!thp && !small && !foreign) return first ? 'none' : REJECT;
  if (choice === 'EAGAIN') return 'EAGAIN';
  if (small) {
    const i = c.pte.findIndex((s) => s.includes(mm));
    return choice === 'ok' && c.pins[i]! + c.refs[i]! === 0 ? 'ok' : REJECT;
  }
  if (!thp) return first ? 'ok' : REJECT;
  return pins + refs > 0 ? REJECT : 'ok';
};

export const migrateHandlers: Readonly<Record<string, Handler>> = { migrate: on_migrate };
