/**
 * Sequential runs of the frontend + VFS hooks through `runScript` (one thread,
 * default choices: the backend accepts every put), compared step by step with
 * the spec exactly as the checker compares them.
 */
import { describe, expect, test } from 'vitest';
import { runScript } from '../../checker/sequential.js';
import type { OpChoice } from '../../checker/types.js';
import { cleancache, parseParams } from '../../subsystems/cleancache/index.js';

const step = (op: string, args: Record<string, number> = {}): OpChoice => ({ op, args });
const fsParams = parseParams({ mode: 'fs', inodes: 2 });

describe('cleancache system layer, sequentially', () => {
  test('an evicted clean page comes back from cleancache, exclusively', () => {
    const obs = runScript(
      cleancache,
      {
        params: fsParams,
        steps: [
          step('read', { f: 0, idx: 0 }),
          step('evict', { f: 0, idx: 0 }),
          step('read', { f: 0, idx: 0 }),
          step('evict', { f: 0, idx: 0 }),
          step('read', { f: 0, idx: 0 }),
        ],
      },
      null,
    );
    expect(obs.every((o) => o.agree)).toBe(true);
    expect(obs.map((o) => o.impl.ret)).toEqual([1, null, 1, null, 1]);
    // first read: page-cache miss, cleancache miss (failed_gets), disk; then two cleancache hits
    expect(obs.map((o) => [o.impl.succ_gets, o.impl.failed_gets, o.impl.puts])).toEqual([
      [0, 1, 0],
      [0, 1, 1],
      [1, 1, 1],
      [1, 1, 2],
      [2, 1, 2],
    ]);
    expect(obs[2]!.impl.held).toBe(0); // the private-pool hit removed the page
  });

  test('a store through a get_user_pages reference: nopage when uncached, sigbus past EOF, else the data changes and the page is dirty', () => {
    const obs = runScript(
      cleancache,
      {
        params: fsParams,
        steps: [
          step('gup_write', { f: 0, idx: 0, v: 5 }),
          step('read', { f: 0, idx: 0 }),
          step('gup_write', { f: 0, idx: 0, v: 5 }),
          step('evict', { f: 0, idx: 0 }),
          step('read', { f: 0, idx: 0 }),
          step('truncate', { f: 0, size: 0 }),
          step('gup_write', { f: 0, idx: 0, v: 6 }),
        ],
      },
      null,
    );
    expect(obs.every((o) => o.agree)).toBe(true);
    expect(obs.map((o) => o.impl.ret)).toEqual(['nopage', 1, null, null, 5, null, 'sigbus']);
    expect(obs[3]!.impl.puts).toBe(0); // the dirty page is not reclaimed, so nothing is put
  });

  test('dirty pages are not put; writeback then eviction puts the new data', () => {
    const obs = runScript(
      cleancache,
      {
        params: fsParams,
        steps: [
          step('write', { f: 0, idx: 0, v: 4 }),
          step('evict', { f: 0, idx: 0 }),
          step('writeback', { f: 0, idx: 0 }),
          step('evict', { f: 0, idx: 0 }),
          step('read', { f: 0, idx: 0 }),
        ],
      },
      null,
    );
    expect(obs.every((o) => o.agree)).toBe(true);
    expect(obs.map((o) => o.impl.puts)).toEqual([0, 0, 0, 1, 1]);
    expect(obs[4]!.impl.ret).toBe(4);
    expect(obs[4]!.impl.succ_gets).toBe(1);
  });

  test('55635ba76ef9: an O_DIRECT write with no cached pages skips the invalidation and a read returns stale data', () => {
    const steps = [
      step('read', { f: 0, idx: 0 }),
      step('evict', { f: 0, idx: 0 }),
      step('dio_write', { f: 0, idx: 0, v: 2 }),
      step('read', { f: 0, idx: 0 }),
    ];
    const ok = runScript(cleancache, { params: fsParams, steps }, null);
    expect(ok.every((o) => o.agree)).toBe(true);
    expect(ok[3]!.impl.ret).toBe(2);
    const bad = runScript(cleancache, { params: fsParams, steps }, '55635ba76ef9');
    const last = bad.at(-1)!;
    expect(last.agree).toBe(false);
    expect(last.problem).toMatch(/cc-no-stale-data|linearizability/);
  });

  test('6ff38bd40230: unlink after reclaim emptied the mapping, inode number reused, stale data left in cleancache', () => {
    const steps = [
      step('read', { f: 0, idx: 0 }),
      step('evict', { f: 0, idx: 0 }),
      step('unlink', { f: 0 }),
      step('create', { f: 0 }),
      step('read', { f: 0, idx: 0 }),
    ];
    const ok = runScript(cleancache, { params: fsParams, steps }, null);
    expect(ok.every((o) => o.agree)).toBe(true);
    expect(ok[4]!.impl.ret).toBe('eof'); // the new file is empty
    const bad = runScript(cleancache, { params: fsParams, steps }, '6ff38bd40230');
    expect(bad.some((o) => !o.agree)).toBe(true);
  });

  test('i_size: a read past EOF returns no data, a partial truncate keeps the pages below it, a write past EOF leaves a zero hole', () => {
    const steps = [
      step('read', { f: 0, idx: 1 }),
      step('evict', { f: 0, idx: 1 }),
      step('truncate', { f: 0, size: 1 }),
      step('read', { f: 0, idx: 0 }),
      step('read', { f: 0, idx: 1 }),
      step('truncate', { f: 0, size: 0 }),
      step('write', { f: 0, idx: 1, v: 5 }),
      step('read', { f: 0, idx: 0 }),
      step('read', { f: 0, idx: 1 }),
    ];
    const obs = runScript(cleancache, { params: parseParams({ mode: 'fs', pages: 2 }), steps }, null);
    expect(obs.every((o) => o.agree)).toBe(true);
    expect(obs.map((o) => o.impl.ret)).toEqual([1, null, null, 1, 'eof', null, null, 0, 5]);
  });

  test('a punched hole reads zeros, keeps the size and leaves nothing in cleancache', () => {
    const steps = [
      step('read', { f: 0, idx: 0 }),
      step('punch', { f: 0, idx: 0 }),
      step('evict', { f: 0, idx: 0 }),
      step('read', { f: 0, idx: 0 }),
      step('punch', { f: 0, idx: 3 }),
    ];
    const obs = runScript(cleancache, { params: parseParams({ mode: 'fs', pages: 4 }), steps }, null);
    expect(obs.every((o) => o.agree)).toBe(true);
    expect(obs.map((o) => o.impl.ret)).toEqual([1, null, null, 0, null]);
  });

  test('a mount before the backend registers is converted at registration', () => {
    const obs = runScript(
      cleancache,
      {
        params: parseParams({ mode: 'fs', registered: false }),
        steps: [
          step('read', { f: 0, idx: 0 }),
          step('evict', { f: 0, idx: 0 }),
          step('register'),
          step('read', { f: 0, idx: 0 }),
          step('evict', { f: 0, idx: 0 }),
          step('read', { f: 0, idx: 0 }),
        ],
      },
      null,
    );
    expect(obs.every((o) => o.agree)).toBe(true);
    // before registration no hook reaches the backend, but with no
    // cleancache_ops __cleancache_get_page counts a failed get and
    // __cleancache_put_page counts a put (mm/cleancache.c @ v5.10); the evicted
    // page is not kept. Registration then gives the superblock its pool.
    expect(obs.map((o) => [o.impl.succ_gets, o.impl.failed_gets, o.impl.puts])).toEqual([
      [0, 1, 0],
      [0, 1, 1],
      [0, 1, 1],
      [0, 2, 1],
      [0, 2, 2],
      [1, 2, 2],
    ]);
  });
});

describe('cleancache backend contract, sequentially', () => {
  test('counters and hit/miss per step', () => {
    const s = (op: string, args: Record<string, number> = {}) => step(op, { sb: 0, key: 0, idx: 0, ...args });
    const obs = runScript(
      cleancache,
      {
        params: parseParams({ nsb: 1, registered: false }),
        steps: [
          s('mount', { uuid: 0 }),
          s('put', { v: 1 }),
          s('get'),
          step('register'),
          s('put', { v: 2 }),
          s('put', { v: 3 }),
          s('get'),
          s('get'),
          s('inval_page'),
          s('umount'),
        ],
      },
      null,
    );
    expect(obs.every((o) => o.agree)).toBe(true);
    expect(obs.map((o) => o.impl.ret)).toEqual([null, null, 'miss', null, null, null, 3, 'miss', null, null]);
    expect(obs.at(-1)!.impl).toMatchObject({ succ_gets: 1, failed_gets: 2, puts: 3, invalidates: 1 });
  });
});

describe('example scripts for `mmcheck run cleancache --script`', () => {
  test('script-api.json and script-fs.json run and agree; script-fs.json disagrees under 55635ba76ef9', async () => {
    const { parseScript, readJsonFile } = await import('../../checker/scenario-file.js');
    const here = new URL('.', import.meta.url).pathname;
    for (const f of ['script-api.json', 'script-fs.json']) {
      const script = parseScript(cleancache, readJsonFile(here + f, 'script'), f);
      const obs = runScript(cleancache, script, null);
      expect(
        obs.every((o) => o.agree),
        f,
      ).toBe(true);
      expect(obs.at(-1)!.impl).toHaveProperty('succ_gets');
    }
    const fsScript = parseScript(cleancache, readJsonFile(here + 'script-fs.json', 'script'), 'script-fs.json');
    const bad = runScript(cleancache, fsScript, '55635ba76ef9');
    // invariants are checked after every step, so 55635ba76ef9 is flagged at the O_DIRECT write that leaves
    // the stale copy in cleancache, before the read that would return it
    expect(bad.at(-1)!.agree).toBe(false);
    expect(bad.at(-1)!.op).toBe('dio_write');
    expect(bad.at(-1)!.problem).toMatch(/invariant: cc-no-stale-data/);
  });
});
