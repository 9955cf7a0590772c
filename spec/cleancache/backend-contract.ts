/**
 * The backend contract (Documentation/vm/cleancache.rst @ v5.10,
 * "Implementation Overview"): the 'api' operations on superblocks 0..nsb-1.
 * Pools are named by the lowest superblock index sharing them.
 */
import { at, num, reject, type Ctx, type Ev } from './context.js';
import { SB_NO_BACKEND, SB_NO_POOL, SB_UNMOUNTED } from './view.js';

export const API_OPS = new Set([
  'attach',
  'mount',
  'umount',
  'put',
  'get',
  'inval_page',
  'inval_inode',
  'repatriate',
  'drop',
]);

/** Superblocks sharing sb's pool (sb included). */
function group(c: Ctx, sb: number): number[] {
  const rep = c.sbs[sb]!;
  if (rep < 0) return [sb];
  return c.sbs.flatMap((r, j) => (r === rep ? [j] : []));
}

/** Rename every pool to the lowest superblock index that uses it. */
function normalize(sbs: number[]): number[] {
  const rename = new Map<number, number>();
  sbs.forEach((r, j) => {
    if (r >= 0 && !rename.has(r)) rename.set(r, j);
  });
  return sbs.map((r) => (r >= 0 ? rename.get(r)! : r));
}

/** A fresh pool for sb, or the pool of a mounted superblock with the same UUID. */
function attach(c: Ctx, sbs: number[], data: number[], sb: number, uuid: number): void {
  const peer = uuid > 0 ? sbs.findIndex((r, j) => j !== sb && r >= 0 && c.uuid[j] === uuid) : -1;
  sbs[sb] = peer >= 0 ? sbs[peer]! : 1000 + sb; // a fresh name, normalized below
  const per = c.cfg.keys * c.cfg.pages;
  for (let i = 0; i < per; i++) data[sb * per + i] = peer >= 0 ? data[peer * per + i]! : 0;
}

/** Set (v > 0) or remove (v = 0) a page in every superblock of sb's pool. */
function store(c: Ctx, sb: number, key: number, idx: number, v: number): number[] {
  const data = c.data.slice();
  for (const j of group(c, sb)) data[at(c, j, key, idx)] = v;
  return data;
}

/**
 * internal: after registration, a superblock mounted before it gets its pool
 * (ok = 1) or is refused one (ok = 0), one superblock at a time
 */
function attachPending(c: Ctx, e: Ev): Partial<Ctx> {
  const sb = num(e.sb);
  if (!c.registered || c.sbs[sb] !== SB_NO_BACKEND) return reject;
  const sbs = c.sbs.slice();
  const data = c.data.slice();
  if (num(e.ok)) attach(c, sbs, data, sb, c.uuid[sb]!);
  else sbs[sb] = SB_NO_POOL;
  return { sbs: normalize(sbs), data, ret: null };
}

export /** One 'api' operation (`okOnly`: the outcome chosen is the successful one). */
function applyApi(c: Ctx, e: Ev, okOnly: boolean): Partial<Ctx> {
  switch (e.type) {
    case 'attach':
      return attachPending(c, e);
    case 'mount': {
      const sb = num(e.sb);
      const uuid = num(e.uuid);
      if (c.sbs[sb] !== SB_UNMOUNTED) return okOnly ? { ret: 'ebusy' } : reject;
      const sbs = c.sbs.slice();
      const uuids = c.uuid.slice();
      uuids[sb] = uuid;
      if (!c.registered) {
        if (!okOnly) return reject;
        sbs[sb] = SB_NO_BACKEND;
        return { sbs, uuid: uuids, ret: null };
      }
      if (!okOnly) {
        sbs[sb] = SB_NO_POOL;
        return { sbs, uuid: uuids, ret: null };
      }
      const data = c.data.slice();
      attach({ ...c, uuid: uuids }, sbs, data, sb, uuid);
      return { sbs: normalize(sbs), uuid: uuids, data, ret: null };
    }
    case 'umount': {
      const sb = num(e.sb);
      if (c.sbs[sb] === SB_UNMOUNTED) return { ret: null };
      const sbs = c.sbs.slice();
      sbs[sb] = SB_UNMOUNTED;
      const uuids = c.uuid.slice();
      uuids[sb] = 0;
      const data = c.data.slice();
      const per = c.cfg.keys * c.cfg.pages;
      for (let i = 0; i < per; i++) data[sb * per + i] = 0;
      return { sbs: normalize(sbs), uuid: uuids, data, ret: null };
    }
    case 'put': {
      const sb = num(e.sb);
      if (!c.registered) return { puts: c.puts + 1, ret: null }; // "puts attempted", even with no backend
      if (c.sbs[sb]! < 0) return { ret: null };
      return { data: store(c, sb, num(e.key), num(e.idx), num(e.v)), puts: c.puts + 1, ret: null };
    }
    case 'get': {
      const sb = num(e.sb);
      const st = c.sbs[sb]!;
      if (!c.registered) return { failed_gets: c.failed_gets + 1, ret: 'miss' };
      if (st < 0) return { ret: 'miss' }; // no pool: the hook returns before counting
      const v = c.data[at(c, sb, num(e.key), num(e.idx))]!;
      if (v === 0) return { failed_gets: c.failed_gets + 1, ret: 'miss' };
      const exclusive = c.uuid[sb] === 0;
      return {
        succ_gets: c.succ_gets + 1,
        ...(exclusive ? { data: store(c, sb, num(e.key), num(e.idx), 0) } : {}),
        ret: v,
      };
    }
    case 'inval_page': {
      const sb = num(e.sb);
      if (c.sbs[sb]! < 0) return { ret: null };
      return { data: store(c, sb, num(e.key), num(e.idx), 0), invalidates: c.invalidates + 1, ret: null };
    }
    case 'inval_inode': {
      const sb = num(e.sb);
      if (c.sbs[sb]! < 0) return { ret: null };
      let data = c.data;
      for (let i = 0; i < c.cfg.pages; i++) data = store({ ...c, data }, sb, num(e.key), i, 0);
      return { data, ret: null };
    }
    case 'repatriate':
      return { ret: null };
    case 'drop': {
      // internal: the backend discards a page (L571-576); `off` = key * pages + idx
      const off = num(e.off);
      return { data: store(c, num(e.sb), Math.floor(off / c.cfg.pages), off % c.cfg.pages, 0), ret: null };
    }
  }
  return reject;
}
