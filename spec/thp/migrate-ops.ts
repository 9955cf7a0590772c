/**
 * Spec handler of THP migration (move_pages(2), mbind, compaction, NUMA
 * balancing): the huge page a process maps moves to another physical page.
 * A user sees no change at all: the same data at every virtual page, the same
 * sharing between processes, and every pin still holds the page its pinner
 * maps, because a page anyone pins (or holds a reference on) is not migrated.
 */
import { REJECT, type Handler } from './handler.js';

/**
 * migrate of mm's range (private anon, or a file THP in the page cache):
 * 'none' when mm maps no huge page there (nothing, copies, the zero page, a
 * split file THP's small pages); the THP moves ('ok') only when nobody pins or
 * holds a reference on it; 'EAGAIN' (not moved) is always possible: a
 * transient reference or a racing split.
 */
const on_migrate: Handler = (c, e) => {
  const { mm, badMm, choice, pins, refs } = e;
  const first = choice === undefined || choice === 'ok';
  if (badMm(mm)) return first ? 'EINVAL' : REJECT;
  const thp = c.compound && !c.freed[0] && (c.pmd.includes(mm) || c.pte.some((s) => s.includes(mm)));
  const foreign = c.foreign.some((s) => s.includes(mm));
  if (!thp && !foreign) return first ? 'none' : REJECT;
  if (choice === 'EAGAIN') return 'EAGAIN';
  if (!thp) return 'ok';
  return pins + refs > 0 ? REJECT : 'ok';
};

export const migrateHandlers: Readonly<Record<string, Handler>> = { migrate: on_migrate };
