/**
 * cleancache operations and their arguments (checker/op-schema.ts). API-layer
 * ops address a page as (sb, key, idx): superblock 0..nsb-1, file key, page
 * index. Filesystem-layer ops address file f (a directory entry) and page idx.
 */
import { A, defineOps, type OpUnion } from '../../checker/op-schema.js';
import type { CleancacheParams as P } from '../../impl/cleancache/state.js';

const MAX = 4;
const sb = A.int<P>(0, MAX - 1, 'API superblock', { text: 'params.nsb - 1', max: (p) => p.nsb - 1 });
const key = A.int<P>(0, MAX - 1, 'file key on that superblock', { text: 'params.keys - 1', max: (p) => p.keys - 1 });
const idx = A.int<P>(0, MAX - 1, 'page index in the file', { text: 'params.pages - 1', max: (p) => p.pages - 1 });
const f = A.int<P>(0, MAX - 1, 'file name (directory entry)', { text: 'params.files - 1', max: (p) => p.files - 1 });
const v = A.int(0, 99, 'data version written');
const locked = A.optional(A.bool('hold the page lock (default true; false breaks the caller contract, CC-8)'));

export const cleancacheOps = defineOps({
  register: { doc: 'cleancache_register_ops: the backend registers', args: {} },
  mount: {
    doc: 'mount an API-layer superblock (cleancache_init_fs, or init_shared_fs with uuid > 0)',
    args: { sb, uuid: A.optional(A.int(0, 99, 'shared-pool uuid (0: private pool; default 0)')) },
  },
  umount: { doc: 'unmount an API-layer superblock (cleancache_invalidate_fs)', args: { sb } },
  put: { doc: 'cleancache_put_page of data v for (sb, key, idx)', args: { sb, key, idx, v, locked } },
  get: { doc: 'cleancache_get_page for (sb, key, idx): the data on a hit, "miss" otherwise', args: { sb, key, idx } },
  inval_page: { doc: 'cleancache_invalidate_page for (sb, key, idx)', args: { sb, key, idx, locked } },
  inval_inode: { doc: 'cleancache_invalidate_inode for (sb, key)', args: { sb, key } },
  repatriate: { doc: 'RAMster-like worker repatriates the oldest remotified page', args: {} },
  read: { doc: 'buffered read of page idx of file f', args: { f, idx } },
  write: { doc: 'buffered full-page write of version v to page idx of file f', args: { f, idx, v } },
  writeback: { doc: 'flusher writeback of page idx of file f', args: { f, idx } },
  evict: { doc: 'reclaim of page idx of file f (a clean page is put into cleancache)', args: { f, idx } },
  gup_write: {
    doc: 'store of version v into page idx of file f through a get_user_pages() page reference',
    args: { f, idx, v },
  },
  dio_write: { doc: 'O_DIRECT write of version v to page idx of file f', args: { f, idx, v } },
  truncate: {
    doc: 'truncate file f to size pages (default 0)',
    args: {
      f,
      size: A.optional(
        A.int<P>(0, MAX, 'new size in pages (default 0)', { text: 'params.pages', max: (p) => p.pages }),
      ),
    },
  },
  punch: { doc: 'punch a hole over page idx of file f (fallocate FALLOC_FL_PUNCH_HOLE)', args: { f, idx } },
  unlink: { doc: 'unlink file f', args: { f } },
  create: { doc: 'create an empty file f', args: { f } },
  fs_mount: { doc: 'mount the filesystem', args: {} },
  fs_umount: { doc: 'unmount the filesystem', args: {} },
});

export type CleancacheOp = OpUnion<typeof cleancacheOps>;
