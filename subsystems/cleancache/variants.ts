/**
 * cleancache buggy variants: each names the scenarios that catch it.
 */
import type { Variant } from '../../checker/types.js';

export const variants: Variant[] = [
  {
    name: 'CC-1',
    description: 'a put the backend rejects leaves the older copy of the handle in place (put-put-get)',
    source: 'seeds-digest 4.2 CC-1; cleancache.rst L609-612',
    scenarios: ['api-register'],
  },
  {
    name: 'CC-2',
    description: 'a get that misses leaves a remotified copy that the repatriation worker brings back (get-get)',
    source: 'seeds-digest 4.2 CC-2; cleancache.rst L612-614, frontswap.rst L1112-1115',
    scenarios: ['api-remote'],
  },
  {
    name: 'CC-3',
    description: 'a hit on a private pool does not remove the page (not exclusive)',
    source: 'seeds-digest 4.2 CC-3; cleancache.rst L602-603, L743',
    scenarios: ['api-register'],
  },
  {
    name: 'CC-5',
    description: 'init_shared_fs with a UUID already in use creates a new pool instead of returning the same id',
    source: 'seeds-digest 4.2 CC-5; cleancache.rst L594-597',
    scenarios: ['api-shared'],
  },
  {
    name: 'CC-6',
    description: 'invalidate_fs surrenders the pool id without flushing its pages; a later init_fs reuses the id',
    source: 'seeds-digest 4.2 CC-6; cleancache.rst L587-589',
    scenarios: ['api-pools'],
  },
  {
    name: 'CC-7',
    description: 'unlink frees the inode without the cleancache invalidate hooks; the inode number is reused',
    source: 'seeds-digest 4.2 CC-7; cleancache.rst L771-776, L788-801',
    scenarios: ['fs-unlink'],
  },
  {
    name: 'F4',
    description: 'O_DIRECT write invalidates (and so calls cleancache_invalidate_inode) only if mapping->nrpages != 0',
    source: 'known-bugs F4 (55635ba76ef9 "fs: fix data invalidation in the cleancache during direct IO")',
    scenarios: ['fs-odirect'],
  },
];

