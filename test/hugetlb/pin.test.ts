/**
 * Long-term pins of hugetlb pages (io_uring registered buffers): the
 * implementation against the kernel outcomes of the same scripts
 * (subsystems/hugetlb/NOTES.md "Long-term pins"), and the default scenarios
 * refining the spec.
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

describe('hugetlb long-term pins', () => {
  test('a punched pinned page stays in use and charged to its mount until unpin; it is not migrated', () => {
    const out = run({ pool: 3, fileSize: 2, vmas: 1, mounts: [{ size: 2, min: -1, mounted: true }] }, [
      s('mmap', { v: 0, kind: 'shared', f: 0, from: 0, to: 2 }),
      s('pin', { k: 0, v: 0, i: 0 }),
      s('soft_offline', { v: 0, i: 0 }),
      s('punch', { f: 0, from: 0, to: 1 }),
      s('fault', { v: 0, i: 0, write: true }),
      s('unpin', { k: 0 }),
      s('fault', { v: 0, i: 0, write: true }),
    ]);
    expect(out).toEqual([
      ['ok', 3, 3],
      ['ok', 3, 2],
      ['EBUSY', 3, 2],
      ['ok', 3, 2], // Free does not rise
      ['SIGBUS', 3, 2], // size=2: the pinned page and index 1's reservation
      ['ok', 3, 3],
      ['ok', 3, 2],
    ]);
  });

  test('a page pinned twice goes back to the pool with its last pin', () => {
    const out = run({ pool: 2, fileSize: 2, vmas: 1, mounts: [{ size: -1, min: -1, mounted: true, internal: true }] }, [
      s('memfd_create', { f: 0 }),
      s('mmap', { v: 0, kind: 'shared', f: 0, from: 0, to: 2 }),
      s('pin', { k: 0, v: 0, i: 1 }),
      s('pin', { k: 1, v: 0, i: 1 }),
      s('truncate', { f: 0, size: 0 }),
      s('unpin', { k: 0 }),
      s('unpin', { k: 1 }),
    ]);
    expect(out.slice(4)).toEqual([
      ['ok', 2, 1],
      ['ok', 2, 1],
      ['ok', 2, 2],
    ]);
  });

  test('two pinned pages that left the file are told apart: the first goes back with its own last pin', () => {
    const out = run({ pool: 3, fileSize: 2, vmas: 1 }, [
      s('mmap', { v: 0, kind: 'shared', f: 0, from: 0, to: 2 }),
      s('pin', { k: 0, v: 0, i: 0 }),
      s('pin', { k: 1, v: 0, i: 0 }),
      s('punch', { f: 0, from: 0, to: 1 }),
      s('unpin', { k: 0 }), // page A stays: slot 1 still pins it
      s('pin', { k: 0, v: 0, i: 0 }), // faults page B in and pins it
      s('punch', { f: 0, from: 0, to: 1 }),
      s('unpin', { k: 1 }), // page A's last pin: A goes back, B stays
      s('unpin', { k: 0 }),
    ]);
    expect(out.slice(3).map((o) => o[2])).toEqual([2, 2, 1, 1, 2, 3]);
  });

  test('udmabuf of a reserved memfd page instantiates and pins it; the memfd is sealed against shrinking', () => {
    const out = run({ pool: 3, fileSize: 2, vmas: 1, mounts: [{ size: -1, min: -1, mounted: true, internal: true }] }, [
      s('memfd_create', { f: 0 }),
      s('mmap', { v: 0, kind: 'shared', f: 0, from: 0, to: 2 }),
      s('udmabuf', { k: 0, f: 0, i: 1 }),
      s('truncate', { f: 0, size: 0 }),
      s('soft_offline', { v: 0, i: 1 }),
      s('punch', { f: 0, from: 0, to: 2 }),
      s('unpin', { k: 0 }),
    ]);
    expect(out.slice(2)).toEqual([
      ['ok', 3, 2],
      ['EPERM', 3, 2],
      ['EBUSY', 3, 2],
      ['ok', 3, 2],
      ['ok', 3, 3],
    ]);
  });

  test('c56b6f3d801d and 26a8ea80929c (memfd_pin_folios leaks) are caught in udmabuf-memfd', () => {
    const sc = hugetlb.scenarios.find((x) => x.name === 'udmabuf-memfd')!;
    for (const variant of ['c56b6f3d801d', '26a8ea80929c'])
      expect(checkScenario(hugetlb, sc, { variant }).violation, variant).toBeDefined();
  });

  test('the default scenarios refine the spec exhaustively', () => {
    for (const name of ['pin-punch', 'pin-evict', 'udmabuf-memfd']) {
      const sc = hugetlb.scenarios.find((x) => x.name === name)!;
      const r = checkScenario(hugetlb, sc, { variant: null });
      if (r.violation) throw new Error(`${name}: ${r.violation.kind}: ${r.violation.message}`);
      expect(r.exhaustive).toBe(true);
    }
  });
});
