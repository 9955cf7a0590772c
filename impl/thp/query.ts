/**
 * The mapcount/refcount readers, each under the page lock as reuse_swap_page()
 * and can_split_huge_page() read them: page_mapcount() (mm/util.c @ v5.10
 * __page_mapcount), total_mapcount(), page_mapped() and page_count().
 * /proc/kpagecount and /proc/kpageflags readers run without the page lock; the
 * spec gives those the freedom described in spec/thp.
 */
import type { OpDef } from '../../checker/types.js';
import {
  compound_head,
  isAnon,
  page_count,
  page_mapcount,
  page_mapped,
  total_mapcount,
  type T,
  type ThpParams,
  type ThpState,
} from './page.js';
import { arg, badSub, done, kernelOp } from './steps.js';

type G = ThpState;

/** A read-only query under the page lock. */
function query(doc: string, name: string, read: (g: G, t: T) => number | boolean | string): OpDef<G, ThpParams> {
  return kernelOp(
    doc,
    [],
    [
      {
        name,
        enabled: (g, t) => {
          const i = arg(t, 'sub');
          const p = g.pages[badSub(t, i) ? 0 : compound_head(g, i)]!;
          return p.freed || p.locked === 0;
        },
        run: (g, t) => done(read(g, t)),
      },
    ],
  );
}

export const page_mapcount_op = query(
  'page_mapcount(subpage) under the page lock.',
  'lock_page; page_mapcount; unlock_page',
  (g, t) => {
    const i = arg(t, 'sub');
    return badSub(t, i) ? 'EINVAL' : page_mapcount(g, isAnon(t.params), i);
  },
);
export const total_mapcount_op = query(
  'total_mapcount(head) under the page lock.',
  'lock_page; total_mapcount; unlock_page',
  (g, t) => total_mapcount(g, isAnon(t.params)),
);
export const page_mapped_op = query(
  'page_mapped(subpage) under the page lock.',
  'lock_page; page_mapped; unlock_page',
  (g, t) => {
    const i = arg(t, 'sub');
    return badSub(t, i) ? 'EINVAL' : page_mapped(g, i);
  },
);
export const page_count_op = query(
  'page_count(subpage) under the page lock.',
  'lock_page; page_count; unlock_page',
  (g, t) => {
    const i = arg(t, 'sub');
    return badSub(t, i) ? 'EINVAL' : page_count(g, i);
  },
);
