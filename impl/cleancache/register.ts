/**
 * Backend registration, shared by both layers: cleancache_register_ops().
 */
import { done, type OpDef } from '../../checker/types.js';
import { assertHeld } from '../lockdep.js';
import { registerInitPools } from './frontend.js';
import type { G, P } from './fs-common.js';

export const register: OpDef<G, P> = {
  doc: 'cleancache_register_ops(): under poolid_mutex, init a pool for every mounted-before-registration slot, then publish cleancache_ops',
  steps: [
    {
      name: 'cleancache_register_ops',
      enabled: (g) => g.poolid_mutex === 0,
      run(g, t) {
        if (g.cleancache_enabled) return done('ebusy');
        g.poolid_mutex = t.tid + 1;
        registerInitPools(g, t);
        return 'publish_cleancache_ops';
      },
    },
    {
      name: 'publish_cleancache_ops',
      run(g, t) {
        // barrier(); cleancache_ops = ops;  -- published after the pools exist
        g.cleancache_enabled = true;
        assertHeld(g.poolid_mutex, t.tid, 'poolid_mutex');
        g.poolid_mutex = 0;
        return done(null);
      },
    },
  ],
};
