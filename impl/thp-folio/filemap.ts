/**
 * Page-cache eviction of the file THP (mm/truncate.c @ v6.12
 * mapping_evict_folio → remove_mapping → __remove_mapping: not mapped, and
 * folio_ref_freeze(folio, 1 + nr) succeeds with only the cache's and our
 * references). After a split, each small folio separately.
 */
// Deliberate copy of impl/thp's filemap.ts where the kernel code is unchanged: the two implementations stay independently built (own state types, own kernel-version citations) so spec/thp judges each on its own.
import { folio_mapped, folio_put, folioOf, isAnon } from './folio.js';
import { done, kernelOp } from './steps.js';

export const evict = kernelOp(
  'Evict the file THP from the page cache (mapping_evict_folio → __remove_mapping: not mapped, folio_ref_freeze(1 + nr)). After a split, each small folio.',
  [],
  [
    {
      name: 'filemap_get_folio + folio_lock + mapping_evict_folio',
      enabled: (g) => g.pages.every((p, i) => folioOf(g, i) !== i || p.freed || p.locked === 0),
      run: (g, t) => {
        if (isAnon(t.params)) return done('EINVAL');
        const n = t.params.nr;
        if (!g.pages.some((p) => p.in_cache && !p.freed)) return done('ENOENT');
        if (g.large) {
          if (folio_mapped(g, t, 0)) return done('EBUSY');
          const head = g.pages[0]!;
          if (head.refcount !== n) return done('EBUSY'); /* folio_ref_freeze(folio, 1 + nr) with our reference */
          for (const p of g.pages) p.in_cache = false;
          folio_put(g, t, 0, n);
          return done('ok');
        }
        for (let i = 0; i < n; i++) {
          const p = g.pages[i]!;
          if (!p.in_cache || p.freed) continue;
          if (p.mapcount >= 0 || p.refcount !== 1) continue;
          p.in_cache = false;
          folio_put(g, t, i);
        }
        return done(g.pages.some((p) => p.in_cache && !p.freed) ? 'EBUSY' : 'ok');
      },
    },
  ],
);
