/**
 * The cleancache implementation: every op, by kernel entry point. Steps split
 * where the kernel takes or drops a lock held across calls (page lock,
 * s_umount per superblock in iterate_supers, i_rwsem) or where a hook reads the
 * pool id before calling the backend; the backend's own lock is taken and
 * dropped inside one step.
 *
 *   register.ts    cleancache_register_ops
 *   api.ts         the frontend API called directly (backend contract)
 *   filemap.ts     read, write, writeback, reclaim (mm/filemap.c, mm/vmscan.c)
 *   gup.ts         a store through a get_user_pages() page reference
 *   truncate.ts    truncate, unlink/evict_inode, O_DIRECT (mm/truncate.c)
 *   super.ts       mount, unmount, inode allocation (fs/super.c)
 */
import type { ImplDef, ThreadCtx } from '../../checker/types.js';
import { get, invalidateInode, invalidatePage, mount, put, repatriate, umount } from './api.js';
import { evict, read, write, writeback } from './filemap.js';
import { gupWrite } from './gup.js';
import { cleancacheInitFs } from './frontend.js';
import type { G, P } from './fs-common.js';
import { register } from './register.js';
import { initState, permuteThreads, stateSchema } from './state.js';
import { create, fsMount, fsUmount } from './super.js';
import { dioWrite, punch, truncate, unlink } from './truncate.js';

export { CC8_PRECONDITION, UMOUNT_PRECONDITION } from './api.js';
export { DIO_PRECONDITION } from './filemap.js';

export const cleancacheImpl: ImplDef<G, P> = {
  state: stateSchema,
  permuteThreads,
  init(params) {
    const g = initState(params);
    if (params.mode === 'fs' && params.mounted) {
      // the filesystem was mounted (cleancache_init_fs) before the scenario starts
      const t0: ThreadCtx<P> = {
        tid: 0,
        args: {},
        l: {},
        params,
        variant: null,
        bug: () => false,
        choose: () => 0,
        inject: () => false,
        assume: () => {},
      };
      cleancacheInitFs(g, t0, params.nsb, params.fsUuid);
    }
    return g;
  },
  ops: {
    register,
    mount,
    umount,
    put,
    get,
    inval_page: invalidatePage,
    inval_inode: invalidateInode,
    repatriate,
    read,
    write,
    writeback,
    evict,
    gup_write: gupWrite,
    dio_write: dioWrite,
    truncate,
    punch,
    unlink,
    create,
    fs_mount: fsMount,
    fs_umount: fsUmount,
  },
};
