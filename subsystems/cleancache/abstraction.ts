/**
 * cleancache abstraction: the implementation state seen as the spec's view
 * (api mode: per-superblock pool naming, UUIDs, backend contents, counters;
 * fs mode: what a read of each file page returns), and the `run --script`
 * observer of both sides.
 */
import type { Subsystem } from '../../checker/types.js';
import { CLEANCACHE_NO_POOL, type CleancacheParams, type CleancacheState } from '../../impl/cleancache/state.js';
import { poolContents } from '../../impl/cleancache/tmem.js';
import { SB_NO_BACKEND, SB_NO_POOL, SB_UNMOUNTED, type CleancacheView } from '../../spec/cleancache/machine.js';

type G = CleancacheState;
type P = CleancacheParams;

/** The backend pool of superblock sb (sb->cleancache_poolid), or -1. */
export function realPool(g: Readonly<G>, sb: number): number {
  const poolId = g.sb_poolid[sb]!;
  return poolId < 0 ? -1 : poolId;
}

export function abstraction(g: Readonly<G>, p: P): CleancacheView {
  if (p.mode === 'fs') {
    const files = g.dent.slice(0, p.files).map((ino) => {
      if (ino < 0) return null;
      const out: number[] = [];
      for (let i = 0; i < g.inodes[ino]!.isize; i++) {
        const pg = g.pc[ino * p.pages + i]!;
        out.push(pg.present && pg.uptodate ? pg.data : g.disk[ino * p.pages + i]!);
      }
      return out;
    });
    return { mode: 'fs', registered: g.cleancache_enabled, mounted: g.mounted, files };
  }
  const real: number[] = [];
  const sbs: number[] = [];
  const uuid: number[] = [];
  for (let s = 0; s < p.nsb; s++) {
    const r = g.sb_mounted[s] ? realPool(g, s) : -1;
    real.push(r);
    uuid.push(g.sb_mounted[s] ? g.sb_uuid[s]! : 0);
    if (!g.sb_mounted[s]) sbs.push(SB_UNMOUNTED);
    else if (r >= 0)
      sbs.push(real.indexOf(r)); // pools named by their lowest superblock
    else sbs.push(g.sb_poolid[s] === CLEANCACHE_NO_POOL ? SB_NO_POOL : SB_NO_BACKEND);
  }
  const data = new Array<number>(p.nsb * p.keys * p.pages).fill(0);
  for (let s = 0; s < p.nsb; s++) {
    if (real[s]! < 0) continue;
    for (const pg of poolContents(g, real[s]!))
      if (pg.key < p.keys && pg.idx < p.pages) data[(s * p.keys + pg.key) * p.pages + pg.idx] = pg.data;
  }
  return {
    mode: 'api',
    registered: g.cleancache_enabled,
    sbs,
    uuid,
    data,
    succ_gets: g.succ_gets,
    failed_gets: g.failed_gets,
    puts: g.puts,
    invalidates: g.invalidates,
  };
}

export const observer: NonNullable<Subsystem<G, CleancacheView, P>['observer']> = {
  impl: (g) => ({
    succ_gets: g.succ_gets,
    failed_gets: g.failed_gets,
    puts: g.puts,
    invalidates: g.invalidates,
    enabled: g.cleancache_enabled,
    held: g.pools.reduce((a, q) => a + q.pages.length, 0) + g.remote.length,
  }),
  spec: (v) =>
    v.mode === 'api'
      ? { succ_gets: v.succ_gets, failed_gets: v.failed_gets, puts: v.puts, invalidates: v.invalidates }
      : { mounted: v.mounted, files: JSON.stringify(v.files) },
};
