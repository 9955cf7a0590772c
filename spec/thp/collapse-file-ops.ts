/**
 * Spec handler of khugepaged's file/shmem collapse (collapse_file +
 * retract_page_tables): the small page-cache pages of a split file THP become
 * one huge page again. What a user may rely on:
 *   - the data of every page of the file is unchanged;
 *   - a page anyone pins (or holds a reference on) is never collapsed: the
 *     collapse is refused, so every pin still holds the page of the file its
 *     pinner maps;
 *   - the collapse may fail at any time ('fail': a busy page, a transient
 *     reference); the pages it had unmapped by then stay unmapped
 *     (try_to_unmap runs before the reference check), in index order;
 *   - on success no process maps the range by PTE any more; each process's
 *     emptied page table is retracted or, when khugepaged could not take that
 *     process's mmap_lock, kept (a later fault then maps small pages of the
 *     new THP through it).
 */
import { REJECT, int, type Handler } from './handler.js';

/** Outcomes: `kept:M` succeeds keeping the page tables of the mms in bitmask M; `fail:P` fails with pages [0, P) unmapped. */
export const collapseFileChoices: readonly string[] = [
  ...Array.from({ length: 8 }, (_, m) => `kept:${m}`),
  ...Array.from({ length: 17 }, (_, k) => `fail:${k}`),
];

const on_collapse_file: Handler = (c, e) => {
  const { n, mm, badMm, anon, pins, refs, choice } = e;
  const [kind, num] = typeof choice === 'string' ? choice.split(':') : ['kept', '0'];
  const k = int(Number(num));
  if (badMm(mm) || anon) return choice === undefined || choice === 'kept:0' ? 'EINVAL' : REJECT;
  if (kind === 'fail') {
    if (k > n || (k > 0 && c.compound)) return REJECT;
    for (let i = 0; i < k; i++) c.pte[i] = [];
    return 'fail';
  }
  const small = !c.compound && c.cached.every((x) => x) && c.freed.every((f) => !f);
  if (!small || pins + refs > 0) return REJECT;
  for (let m = 0; m < c.mms; m++) if ((k >> m) & 1 && !c.ptable.includes(m)) return REJECT;
  if (k >> c.mms !== 0) return REJECT;
  for (let i = 0; i < n; i++) c.pte[i] = [];
  c.ptable = c.ptable.filter((m) => (k >> m) & 1);
  c.compound = true;
  return 'ok';
};

export const collapseFileHandlers: Readonly<Record<string, Handler>> = { collapse_file: on_collapse_file };
