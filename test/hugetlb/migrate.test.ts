/**
 * Migration of an in-use huge page through madvise(MADV_SOFT_OFFLINE): the
 * implementation against the kernel outcomes Debian 6.1.192 and 6.12.118
 * showed for the same scripts (subsystems/hugetlb/NOTES.md), the default
 * scenarios refining the spec, and the history variant they catch.
 */
import { describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import type { Script } from '../../checker/scenario-file.js';
import { runScript } from '../../checker/sequential.js';
import { hugetlb, parseParams } from '../../subsystems/hugetlb/index.js';

const s = (op: string, args: Record<string, number | string | boolean>) => ({ op, args });

function run(params: object, steps: ReturnType<typeof s>[]) {
  const obs = runScript(hugetlb, { params: parseParams(params), steps } as unknown as Script, null);
  for (const o of obs) if (!o.agree) throw new Error(`step ${o.step} ${o.op}: ${o.problem}`);
  return obs.map((o) => [o.impl.ret, o.impl['HugePages_Total'], o.impl['HugePages_Free']]);
}

describe('hugetlb soft offline (migration)', () => {
  test('a private page of a size= mount is not migrated: its folio has a subpool and no mapping (EBUSY), the mount stays full', () => {
    const out = run({ pool: 3, fileSize: 1, vmas: 2, mounts: [{ size: 1, min: -1, mounted: true }] }, [
      s('mmap', { v: 0, kind: 'private', f: 0, from: 0, to: 1 }),
      s('fault', { v: 0, i: 0, write: true }),
      s('soft_offline', { v: 0, i: 0 }),
      s('mmap', { v: 1, kind: 'private', f: 0, from: 0, to: 1 }),
    ]);
    expect(out.map((x) => x[0])).toEqual(['ok', 'ok', 'EBUSY', 'ENOMEM']);
    expect(out[2]).toEqual(['EBUSY', 3, 2]);
  });

  test('without a subpool a private page migrates to a free page and the old page leaves the pool', () => {
    const out = run({ pool: 3, overcommit: 1, fileSize: 2, vmas: 2, mounts: [{ size: -1, min: -1, mounted: true }] }, [
      s('mmap', { v: 0, kind: 'private', f: 0, from: 0, to: 2 }),
      s('fault', { v: 0, i: 0, write: true }),
      s('fork', { v: 0, c: 1 }),
      s('soft_offline', { v: 0, i: 0 }),
    ]);
    expect(out[3]).toEqual(['ok', 2, 1]);
  });

  test('a page-cache page migrates to a temporary page when no free page is unreserved (Total stays), GUP faults an unmapped one in', () => {
    const out = run({ pool: 2, fileSize: 2, vmas: 1, mounts: [{ size: 2, min: -1, mounted: true }] }, [
      s('mmap', { v: 0, kind: 'shared', f: 0, from: 0, to: 2 }),
      s('fault', { v: 0, i: 0, write: true }),
      s('soft_offline', { v: 0, i: 0 }),
      s('soft_offline', { v: 0, i: 1 }),
    ]);
    expect(out.slice(2)).toEqual([
      ['ok', 2, 1],
      ['ok', 2, 0],
    ]);
  });

  test('the default scenarios refine the spec exhaustively', () => {
    for (const name of ['soft-offline-shared', 'soft-offline-private', 'soft-offline-private-subpool']) {
      const sc = hugetlb.scenarios.find((x) => x.name === name)!;
      const r = checkScenario(hugetlb, sc, { variant: null });
      if (r.violation) throw new Error(`${name}: ${r.violation.kind}: ${r.violation.message}`);
      expect(r.exhaustive).toBe(true);
    }
  });

  test('cb6acd01e2e4 (the subpool lost in migration) leaves the mount charged after everything is gone', () => {
    const sc = hugetlb.scenarios.find((x) => x.name === 'soft-offline-shared')!;
    const r = checkScenario(hugetlb, sc, { variant: 'cb6acd01e2e4' });
    expect(r.violation?.kind).toBe('invariant');
    expect(r.violation?.message).toContain('no-leak');
  });
});
