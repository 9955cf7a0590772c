/**
 * cleancache default scenarios: api-* drive the frontend API (backend
 * contract), fs-* drive file I/O on one cleancache-enabled filesystem.
 */
import type { OpChoice, Scenario } from '../../checker/types.js';
import type { CleancacheParams } from '../../impl/cleancache/state.js';
import { base } from './params.js';

type P = CleancacheParams;

const op = (o: string, args: Record<string, number> = {}): OpChoice[] => [{ op: o, args }];
const put = (sb: number, v: number, extra: Record<string, number> = {}) =>
  op('put', { sb, key: 0, idx: 0, v, ...extra });
const getp = (sb: number, idx = 0) => op('get', { sb, key: 0, idx });

export const scenarios: Scenario<P>[] = [
  {
    name: 'api-register',
    description:
      'mounts before the backend registers (CLEANCACHE_NO_BACKEND, resolved by iterate_supers) race registration; two puts and two gets of one handle; a shared mount puts and unmounts',
    params: { ...base, registered: false },
    threads: [
      [op('mount', { sb: 0, uuid: 0 }), put(0, 1), getp(0)],
      [op('register'), put(0, 2), getp(0)],
      [op('mount', { sb: 1, uuid: 5 }), put(1, 3), op('umount', { sb: 1 })],
    ],
  },
  {
    name: 'api-reregister',
    description:
      'a local filesystem mounted before the backend and one mounted after it, each putting and getting its own page, race two backend registrations (the second must get -EBUSY)',
    params: { ...base, registered: false },
    threads: [
      [op('mount', { sb: 0, uuid: 0 }), put(0, 1), getp(0)],
      [op('register'), op('register')],
      [op('mount', { sb: 1, uuid: 0 }), put(1, 2), getp(1)],
    ],
  },
  {
    name: 'api-pools',
    description:
      'one pool slot: a superblock puts and unmounts (invalidate_fs) while another mounts (init_fs fails or reuses the id), gets and puts',
    params: { ...base, maxPools: 1 },
    threads: [
      [op('mount', { sb: 0, uuid: 0 }), put(0, 1), op('umount', { sb: 0 })],
      [op('mount', { sb: 1, uuid: 0 }), getp(1), put(1, 2)],
    ],
  },
  {
    name: 'api-shared',
    description:
      'three superblocks mount with the same UUID (init_shared_fs): puts, non-exclusive gets, invalidate and unmount',
    params: { ...base, nsb: 3, maxPools: 2 },
    threads: [
      [op('mount', { sb: 0, uuid: 7 }), put(0, 1), op('umount', { sb: 0 })],
      [op('mount', { sb: 1, uuid: 7 }), getp(1), getp(1)],
      [op('mount', { sb: 2, uuid: 7 }), op('inval_page', { sb: 2, key: 0, idx: 0 })],
    ],
  },
  {
    name: 'api-remote',
    description:
      'RAMster-like remote tier: a put evicts a page to the remote tier, a get misses it, the repatriation worker runs, the handle is got again',
    params: { ...base, nsb: 1, pages: 2, maxPools: 1, remote: true },
    threads: [
      [op('mount', { sb: 0, uuid: 0 }), put(0, 1), op('put', { sb: 0, key: 0, idx: 1, v: 2 }), getp(0), getp(0)],
      [op('repatriate'), getp(0, 1)],
    ],
  },
  {
    name: 'api-unserialized',
    description:
      'CC-8: put and invalidate_page of one handle without the page lock; the checker must report the broken precondition, not a bug',
    params: { ...base, nsb: 1, maxPools: 1 },
    threads: [
      [op('mount', { sb: 0, uuid: 0 }), put(0, 1, { locked: 0 }), getp(0)],
      [op('inval_page', { sb: 0, key: 0, idx: 0, locked: 0 }), put(0, 2, { locked: 0 })],
    ],
  },
  {
    name: 'fs-readwrite',
    description:
      'buffered read, write and writeback of one page race reclaim (cleancache put), re-reads, truncate and backend registration',
    params: { ...base, mode: 'fs', nsb: 0, registered: false },
    threads: [
      [op('read', { f: 0, idx: 0 }), op('write', { f: 0, idx: 0, v: 2 }), op('writeback', { f: 0, idx: 0 })],
      [op('register'), op('evict', { f: 0, idx: 0 }), op('read', { f: 0, idx: 0 })],
      [op('evict', { f: 0, idx: 0 }), op('read', { f: 0, idx: 0 }), op('truncate', { f: 0 })],
    ],
  },
  {
    name: 'fs-odirect',
    description:
      'read, evict (cleancache put), O_DIRECT write and re-read of one page, racing reclaim, writeback and a buffered write',
    params: { ...base, mode: 'fs', nsb: 0 },
    threads: [
      [
        op('read', { f: 0, idx: 0 }),
        op('evict', { f: 0, idx: 0 }),
        op('dio_write', { f: 0, idx: 0, v: 2 }),
        op('read', { f: 0, idx: 0 }),
      ],
      [
        op('evict', { f: 0, idx: 0 }),
        op('write', { f: 0, idx: 0, v: 3 }),
        op('writeback', { f: 0, idx: 0 }),
        op('evict', { f: 0, idx: 0 }),
      ],
    ],
  },
  {
    name: 'fs-unlink',
    description:
      'a page reaches cleancache, the file is unlinked and a new file reuses the inode number and reads the page; racing reclaim, truncate and a reader holding the old inode open',
    params: { ...base, mode: 'fs', nsb: 0, inodes: 2 },
    threads: [
      [op('read', { f: 0, idx: 0 }), op('unlink', { f: 0 }), op('create', { f: 0 }), op('read', { f: 0, idx: 0 })],
      [op('evict', { f: 0, idx: 0 }), op('truncate', { f: 0 }), op('read', { f: 0, idx: 0 })],
      [op('read', { f: 0, idx: 0 }), op('evict', { f: 0, idx: 0 })],
    ],
  },
  {
    name: 'fs-remount',
    description:
      'shared-pool filesystem (init_shared_fs) mounted before the backend: read, evict, unmount and mount again racing a writer and (twice) backend registration',
    params: { ...base, mode: 'fs', nsb: 0, fsUuid: 3, registered: false },
    threads: [
      [
        op('read', { f: 0, idx: 0 }),
        op('evict', { f: 0, idx: 0 }),
        op('fs_umount'),
        op('fs_mount'),
        op('read', { f: 0, idx: 0 }),
      ],
      [op('write', { f: 0, idx: 0, v: 2 }), op('writeback', { f: 0, idx: 0 }), op('evict', { f: 0, idx: 0 })],
      [op('register'), op('register')],
    ],
  },
  {
    name: 'api-stress',
    description:
      'four threads on one handle around registration: mounts, puts, exclusive gets, invalidate_page and a shared mount',
    params: { ...base, registered: false },
    threads: [
      [op('mount', { sb: 0, uuid: 0 }), put(0, 1), getp(0)],
      [op('register'), put(0, 2)],
      [op('mount', { sb: 1, uuid: 5 }), put(1, 3), op('umount', { sb: 1 })],
      [getp(0), op('inval_page', { sb: 0, key: 0, idx: 0 })],
    ],
  },
  {
    name: 'fs-stress',
    description: 'four threads on one page: reads, writes, writeback, reclaim, truncate and backend registration',
    params: { ...base, mode: 'fs', nsb: 0, registered: false },
    threads: [
      [op('read', { f: 0, idx: 0 }), op('write', { f: 0, idx: 0, v: 2 }), op('writeback', { f: 0, idx: 0 })],
      [op('register'), op('evict', { f: 0, idx: 0 }), op('read', { f: 0, idx: 0 })],
      [op('evict', { f: 0, idx: 0 }), op('read', { f: 0, idx: 0 }), op('truncate', { f: 0 })],
      [op('write', { f: 0, idx: 0, v: 3 }), op('evict', { f: 0, idx: 0 }), op('read', { f: 0, idx: 0 })],
    ],
  },
  {
    name: 'fs-twopages',
    description:
      'two pages of one file and a backend of one page: reads, reclaim (LRU eviction in the backend), a write and a truncate',
    params: { ...base, mode: 'fs', nsb: 0, pages: 2 },
    threads: [
      [op('read', { f: 0, idx: 0 }), op('evict', { f: 0, idx: 0 }), op('read', { f: 0, idx: 0 })],
      [op('read', { f: 0, idx: 1 }), op('evict', { f: 0, idx: 1 }), op('write', { f: 0, idx: 0, v: 2 })],
      [op('evict', { f: 0, idx: 0 }), op('read', { f: 0, idx: 1 }), op('truncate', { f: 0 })],
    ],
  },
  {
    name: 'fs-truncate-read',
    description:
      'truncate_inode_pages_range() (pages put into cleancache one by one, the inode invalidated at out:) racing readpage of a page it just removed: do_mpage_readpage() reads i_size, a page past EOF is a zero-filled hole, else cleancache_get_page(); then a write past EOF extends the file over the old page',
    params: { ...base, mode: 'fs', nsb: 0, pages: 2 },
    threads: [
      [op('read', { f: 0, idx: 0 }), op('evict', { f: 0, idx: 0 })],
      [op('truncate', { f: 0, size: 0 }), op('write', { f: 0, idx: 1, v: 2 }), op('read', { f: 0, idx: 0 })],
      [op('read', { f: 0, idx: 0 }), op('read', { f: 0, idx: 1 })],
    ],
  },
  {
    name: 'fs-evict-inflight',
    description:
      'unlink (evict_inode -> truncate_inode_pages_final) while a page is under writeback, locked by a reader and pinned by an open file; reclaim puts the pages into cleancache meanwhile and a new file reuses the inode number',
    params: { ...base, mode: 'fs', nsb: 0, inodes: 2 },
    threads: [
      [op('write', { f: 0, idx: 0, v: 2 }), op('writeback', { f: 0, idx: 0 }), op('evict', { f: 0, idx: 0 })],
      [op('unlink', { f: 0 }), op('create', { f: 0 }), op('truncate', { f: 0, size: 1 }), op('read', { f: 0, idx: 0 })],
      [op('read', { f: 0, idx: 0 }), op('evict', { f: 0, idx: 0 })],
    ],
  },
  {
    name: 'fs-punch-read',
    description:
      'a hole punched over a cached page (truncate_pagecache_range puts it into cleancache, out: invalidates the inode, then the block is freed) races buffered reads that refill the page cache, and reclaim',
    params: { ...base, mode: 'fs', nsb: 0 },
    threads: [
      [op('read', { f: 0, idx: 0 }), op('punch', { f: 0, idx: 0 }), op('read', { f: 0, idx: 0 })],
      [op('read', { f: 0, idx: 0 }), op('read', { f: 0, idx: 0 })],
      [op('evict', { f: 0, idx: 0 })],
    ],
  },
  {
    name: 'fs-gup-reclaim',
    description:
      "reclaim's put on page-cache eviction (__remove_mapping -> __delete_from_page_cache -> cleancache_put_page) racing a concurrent write: a store through a get_user_pages() reference that dirties the page and drops the reference without the page lock, then writeback, reclaim and re-reads",
    params: { ...base, mode: 'fs', nsb: 0 },
    threads: [
      [op('read', { f: 0, idx: 0 }), op('gup_write', { f: 0, idx: 0, v: 2 }), op('read', { f: 0, idx: 0 })],
      [op('evict', { f: 0, idx: 0 }), op('writeback', { f: 0, idx: 0 }), op('evict', { f: 0, idx: 0 })],
      [op('read', { f: 0, idx: 0 })],
    ],
  },
];
