/**
 * Backend registration, shared by both layers: cleancache_register_ops()
 * @ v5.10. First the cmpxchg that publishes cleancache_ops (a second backend
 * gets -EBUSY), then iterate_supers(cleancache_register_ops_sb): one atomic
 * step per live superblock, because iterate_supers() takes each superblock's
 * s_umount in turn and so serialises with that superblock's mount and kill_sb
 * but nothing else. Hooks racing the registration see cleancache_ops set and
 * a negative sb->cleancache_poolid, and do nothing, which the function's own
 * comment accepts.
 */
import { done } from '../../checker/types.js';
import { cleancacheRegisterOpsSb } from './frontend.js';
import type { G, Op } from './fs-common.js';
import { POOL_FREE } from './state.js';

/** The first mounted superblock with index >= from, or -1 (the super_blocks list walk). */
function nextSuper(g: Readonly<G>, from: number): number {
  for (let sb = from; sb < g.sb_mounted.length; sb++) if (g.sb_mounted[sb]) return sb;
  return -1;
}

/**
 * Before 53d85c985665 a second backend replaced the first: model the new
 * backend as a fresh tmem with an empty pool table, so pool ids handed out by
 * the first one are reused.
 */
function replaceBackend(g: G): void {
  for (const pool of g.pools) {
    pool.kind = POOL_FREE;
    pool.uuid = 0;
    pool.users = 0;
    pool.pages = [];
  }
  g.lru = [];
  g.remote = [];
  g.exclHits = [];
  g.missed = [];
  g.lastPut = g.lastPut.map(() => 0);
}

export const register: Op = {
  doc: 'cleancache_register_ops(): cmpxchg cleancache_ops (-EBUSY when a backend is registered), then init_fs / init_shared_fs for every superblock mounted before',
  locals: ['sb'],
  steps: [
    {
      name: 'cleancache_register_ops',
      run(g, t) {
        if (g.cleancache_enabled) {
          if (!t.bug('53d85c985665')) return done('ebusy');
          replaceBackend(g);
        }
        g.cleancache_enabled = true;
        t.l.sb = 0;
        return nextSuper(g, 0) < 0 ? done(null) : 'iterate_supers';
      },
    },
    {
      name: 'iterate_supers',
      run(g, t) {
        const sb = nextSuper(g, t.l.sb!);
        if (sb < 0) return done(null);
        cleancacheRegisterOpsSb(g, t, sb);
        t.l.sb = sb + 1;
        return nextSuper(g, sb + 1) < 0 ? done(null) : 'iterate_supers';
      },
    },
  ],
};
