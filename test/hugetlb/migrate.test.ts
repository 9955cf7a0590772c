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
import { Product } from '../../checker/product.js';
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

  test('cb6acd01e2e4 (the subpool lost in migration) leaves the mount charged: a later mmap of the whole mount is refused', () => {
    // the spec promises mmap ENOMEM only while a concurrent call holds pages or charges (ops-window.ts): the mount the
    // lost subpool keeps charged shows as a refused mmap before it shows as a leak once everything is gone (no-leak)
    const sc = hugetlb.scenarios.find((x) => x.name === 'soft-offline-shared')!;
    const r = checkScenario(hugetlb, sc, { variant: 'cb6acd01e2e4' });
    expect(r.violation?.kind).toBe('linearizability');
    expect(r.violation?.message).toContain('ENOMEM');
  });

  describe('with two nodes (alloc_migration_target -> alloc_hugetlb_folio_nodemask @ v6.12)', () => {
    /** Per step: return value, then nr/free/surplus of node 0 and node 1, from the implementation (agreeing with the spec). */
    /** The implementation state after each step (runScript: every step agrees with the spec). */
    function runNodes(params: object, steps: ReturnType<typeof s>[]): { implState: unknown }[] {
      const script = { params: parseParams(params), steps } as unknown as Script;
      const obs = runScript(hugetlb, script, null);
      for (const o of obs) if (!o.agree) throw new Error(`step ${o.step} ${o.op}: ${o.problem}`);
      const product = new Product(
        hugetlb,
        { name: 'x', description: '', params: script.params, threads: [steps.map((x) => [x])] },
        null,
      );
      let vec = product.initial().vec;
      return steps.map(() => {
        do vec = product.pick(vec, () => true)!.vec;
        while (product.pcOf(vec, 0, 0) >= 0);
        return { implState: product.traceState(vec).impl };
      });
    }
    const P2 = { overcommit: 0, fileSize: 1, nodePool: 2, mounts: [{ size: -1, min: -1, mounted: true }] };

    // /tmp scripts of session 14: reproduce on Debian 6.1.192 and 6.12.118 AGREED at every step (NOTES)
    test("a page whose node has no free page moves to the other node's free page; the old page leaves its own node", () => {
      const obs = runNodes({ ...P2, pool: 1, vmas: 1 }, [
        s('set_nr_node', { nid: 1, n: 1 }),
        s('mmap', { v: 0, kind: 'shared', f: 0, from: 0, to: 1 }),
        s('fault', { v: 0, i: 0, write: true }), // node 0's page (the lowest node with a free page)
        s('soft_offline', { v: 0, i: 0 }), // node 0 has no free page: the copy takes node 1's
        s('soft_offline', { v: 0, i: 0 }), // no free unreserved page: a temporary page on node 1
      ]);
      const g = (k: number) => {
        const st = obs[k]!.implState as { nd: { nr: number; free: number }[]; file: { pn: number[] }[] };
        return [st.nd.map((n) => [n.nr, n.free]), st.file[0]!.pn];
      };
      expect(g(2)).toEqual([
        [
          [1, 0],
          [1, 1],
        ],
        [],
      ]);
      expect(g(3)).toEqual([
        [
          [0, 0],
          [1, 0],
        ],
        [1], // idx 0 * 16 + nid 1
      ]);
      expect(g(4)).toEqual(g(3));
    });

    test('a fork-shared private page migrates with both PTEs: its node changes in both processes', () => {
      const obs = runNodes({ ...P2, pool: 1, vmas: 2 }, [
        s('set_nr_node', { nid: 1, n: 2 }),
        s('mmap', { v: 0, kind: 'private', f: 0, from: 0, to: 1 }),
        s('fault', { v: 0, i: 0, write: true }),
        s('fork', { v: 0, c: 1 }),
        s('soft_offline', { v: 1, i: 0 }),
      ]);
      const st = obs[4]!.implState as { nd: { nr: number; free: number }[]; vma: { an: number[] }[] };
      expect(st.vma.map((v) => v.an)).toEqual([[1], [1]]);
      expect(st.nd.map((n) => [n.nr, n.free])).toEqual([
        [0, 0],
        [2, 1],
      ]);
    });

    test('the node scenarios refine the spec; c3114a84f7f9 (the old page kept, off the free list) is caught', () => {
      for (const name of ['node-soft-offline', 'node-soft-offline-surplus', 'node-soft-offline-private']) {
        const sc = hugetlb.scenarios.find((x) => x.name === name)!;
        const r = checkScenario(hugetlb, sc, { variant: null });
        if (r.violation) throw new Error(`${name}: ${r.violation.kind}: ${r.violation.message}`);
        expect(r.exhaustive).toBe(true);
      }
      const sc = hugetlb.scenarios.find((x) => x.name === 'node-soft-offline')!;
      expect(checkScenario(hugetlb, sc, { variant: 'c3114a84f7f9' }).violation?.kind).toBe('refinement');
    });
  });
});
