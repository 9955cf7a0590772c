/**
 * Page-cache eviction of the file THP (mm/truncate.c @ v5.10
 * invalidate_inode_page → mm/vmscan.c __remove_mapping: not mapped, and
 * page_ref_freeze(page, 1 + nr) succeeds with only the cache's and our
 * references). PG_double_map of a file THP "goes away when the page gets
 * evicted from the page cache". After a split, each small page separately.
 */
import { compound_head, isAnon, page_mapped, put_page } from './page.js';
import { done, kernelOp } from './steps.js';

export const evict = kernelOp(
  'Evict the file THP from the page cache (invalidate_inode_page → __remove_mapping: not mapped, page_ref_freeze(1 + nr)); clears PG_double_map. After a split, each small page.',
  [],
  [
    {
      name: 'find_lock_page + invalidate_inode_page',
      enabled: (g) => g.pages.every((p, i) => compound_head(g, i) !== i || p.freed || p.locked === 0),
      run: (g, t) => {
        if (isAnon(t.params)) return done('EINVAL');
        const n = t.params.nr;
        if (!g.pages.some((p) => p.in_cache && !p.freed)) return done('ENOENT');
        if (g.head) {
          if (page_mapped(g, 0)) return done('EBUSY');
          const head = g.pages[0]!;
          if (head.refcount !== n) return done('EBUSY'); /* page_ref_freeze(page, 1 + nr) with our reference */
          for (const p of g.pages) p.in_cache = false;
          g.double_map = false;
          put_page(g, t, 0, n);
          return done('ok');
        }
        for (let i = 0; i < n; i++) {
          const p = g.pages[i]!;
          if (!p.in_cache || p.freed) continue;
          if (p.mapcount >= 0 || p.refcount !== 1) continue;
          p.in_cache = false;
          put_page(g, t, i);
        }
        return done(g.pages.some((p) => p.in_cache && !p.freed) ? 'EBUSY' : 'ok');
      },
    },
  ],
);
