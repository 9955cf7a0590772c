/**
 * Superblock and inode lifetime of the filesystem layer: mount
 * (->mount -> cleancache_init_fs / cleancache_init_shared_fs), unmount
 * (generic_shutdown_super: sync, evict_inodes, ->kill_sb ->
 * cleancache_invalidate_fs) and inode allocation with inode-number reuse.
 */
import { done } from '../../checker/types.js';
import { cleancacheInitFs, cleancacheInvalidateFs } from './frontend.js';
import { arg, fsSuperBlock, pageOf, pageSlot, type Op } from './fs-common.js';
import { truncateInodePages } from './page-cache.js';

export const create: Op = {
  doc: 'create an empty file f; the lowest free inode number is reused',
  steps: [
    {
      name: 'ialloc',
      run(g, t) {
        if (!g.mounted) return done('unmounted');
        const f = arg(t, 'f');
        if (g.dent[f]! >= 0) return done('eexist');
        const ino = g.inodes.findIndex((i) => !i.used);
        if (ino < 0) return done('enospc');
        g.inodes[ino]!.used = true;
        g.inodes[ino]!.isize = 0; // a new inode is empty
        g.dent[f] = ino;
        return done(null);
      },
    },
  ],
};

export const fsMount: Op = {
  doc: 'mount the filesystem: cleancache_init_fs(sb), or cleancache_init_shared_fs(uuid, sb) when fsUuid > 0',
  steps: [
    {
      name: 'cleancache_init_fs',
      run(g, t) {
        if (g.mounted) return done('ebusy');
        g.mounted = true;
        g.sb_mounted[fsSuperBlock(t)] = true;
        cleancacheInitFs(g, t, fsSuperBlock(t), t.params.fsUuid);
        return done(null);
      },
    },
  ],
};

export const fsUmount: Op = {
  doc: 'unmount the filesystem: EBUSY while file operations are in flight; else sync, evict every inode (truncate_inode_pages_final) and cleancache_invalidate_fs',
  steps: [
    {
      name: 'generic_shutdown_super',
      run(g, t) {
        if (!g.mounted) return done('unmounted');
        if (g.users > 0) return done('ebusy');
        for (let ino = 0; ino < t.params.inodes; ino++) {
          if (!g.inodes[ino]!.used) continue;
          for (let i = 0; i < t.params.pages; i++) {
            const page = pageOf(g, t, ino, i);
            if (page.present && page.dirty) {
              g.disk[pageSlot(t, ino, i)] = page.data; // sync_filesystem
              page.dirty = false;
            }
          }
          truncateInodePages(g, t, ino); // evict_inodes
        }
        cleancacheInvalidateFs(g, t.params, t, fsSuperBlock(t));
        g.sb_mounted[fsSuperBlock(t)] = false;
        g.mounted = false;
        return done(null);
      },
    },
  ],
};
