/**
 * The mapcount/refcount readers, each under the folio lock (as impl/thp's):
 * folio_precise_page_mapcount() (fs/proc/internal.h @ v6.12, what
 * /proc/kpagecount reports; page_mapcount() @ v6.6), folio_mapcount() (the
 * total: _large_mapcount @ v6.12, folio_total_mapcount() @ v6.6),
 * folio_mapped() and folio_ref_count(). The folio lock does not exclude
 * __split_huge_pmd() in the folio era (it takes only the PMD lock), so a
 * reader can count a splitting PMD and its new PTEs at once.
 */
// Deliberate parallel of impl/thp's query.ts: the same role over the folio-era kernel code, kept in its own module (own state type, own kernel-version citations) so spec/thp judges each implementation on its own.
import type { OpDef } from '../../checker/types.js';
import {
  folioOf,
  folio_mapcount,
  folio_mapped,
  folio_precise_page_mapcount,
  folio_ref_count,
  type FolioParams,
  type FolioState,
  type T,
} from './folio.js';
import { arg, badSub, done, kernelOp } from './steps.js';

type G = FolioState;

/** A read-only query under the folio lock. */
function query(doc: string, name: string, read: (g: G, t: T) => number | boolean | string): OpDef<G, FolioParams> {
  return kernelOp(
    doc,
    [],
    [
      {
        name,
        enabled: (g, t) => {
          const i = arg(t, 'sub');
          const p = g.pages[badSub(t, i) ? 0 : folioOf(g, i)]!;
          return p.freed || p.locked === 0;
        },
        run: (g, t) => done(read(g, t)),
      },
    ],
  );
}

export const page_mapcount_op = query(
  'folio_precise_page_mapcount(folio, page) (/proc/kpagecount) under the folio lock.',
  'folio_lock; folio_precise_page_mapcount; folio_unlock',
  (g, t) => {
    const i = arg(t, 'sub');
    return badSub(t, i) ? 'EINVAL' : g.pages[i]!.freed ? 0 : folio_precise_page_mapcount(g, i);
  },
);
export const total_mapcount_op = query(
  'folio_mapcount(folio) of the folio holding page 0 under the folio lock.',
  'folio_lock; folio_mapcount; folio_unlock',
  (g, t) => (g.pages[0]!.freed ? 0 : folio_mapcount(g, t, 0)),
);
export const page_mapped_op = query(
  'folio_mapped(page_folio(page)) under the folio lock.',
  'folio_lock; folio_mapped; folio_unlock',
  (g, t) => {
    const i = arg(t, 'sub');
    return badSub(t, i) ? 'EINVAL' : g.pages[i]!.freed ? false : folio_mapped(g, t, i);
  },
);
export const page_count_op = query(
  'folio_ref_count(page_folio(page)) under the folio lock.',
  'folio_lock; folio_ref_count; folio_unlock',
  (g, t) => {
    const i = arg(t, 'sub');
    return badSub(t, i) ? 'EINVAL' : folio_ref_count(g, i);
  },
);
