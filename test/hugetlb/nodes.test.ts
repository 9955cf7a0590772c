/**
 * Per-node pools (impl/hugetlb/nodes.ts, spec/hugetlb/ops-node.ts): a node's
 * nr_hugepages write while another node holds surplus pages, the history
 * variant b72b3c9c34c8 it catches, and the ops that refuse several nodes.
 */
import { describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import type { Script } from '../../checker/scenario-file.js';
import { runScript } from '../../checker/sequential.js';
import { hugetlb, parseParams } from '../../subsystems/hugetlb/index.js';
import { OPS } from '../../impl/hugetlb/ops.js';
import { NODE_OPS } from '../../impl/hugetlb/nodes.js';

const s = (op: string, args: Record<string, number | string | boolean>) => ({ op, args });
const params = { pool: 1, fileSize: 1, vmas: 1, nodePool: 2 };
// the commit log's steps, scaled down: node 0's only page reserved and made surplus, then node 1 grown to 1
const steps = [
  s('mmap', { v: 0, kind: 'shared', f: 0, from: 0, to: 1 }),
  s('set_nr_node', { nid: 0, n: 0 }),
  s('set_nr_node', { nid: 1, n: 1 }),
  s('set_nr_node', { nid: 1, n: 0 }),
];
const run = (variant: string | null) =>
  runScript(hugetlb, { params: parseParams(params), steps } as unknown as Script, variant);

describe('hugetlb per-node pools', () => {
  test("writing node 1's nr_hugepages gives node 1 exactly that many persistent pages while node 0 holds a surplus page", () => {
    const obs = run(null);
    for (const o of obs) if (!o.agree) throw new Error(`step ${o.step} ${o.op}: ${o.problem}`);
    expect(obs.map((o) => [o.impl['HugePages_Total'], o.impl['HugePages_Surp']])).toEqual([
      [1, 0],
      [1, 1],
      [2, 1],
      [2, 2], // min_count counts the reserved page (node 0's): node 1's page becomes surplus, not freed
    ]);
  });

  test('before b72b3c9c34c8 the write counts node 0 surplus page as persistent: node 1 gets 2 pages, the spec 1', () => {
    const obs = run('b72b3c9c34c8');
    const bad = obs.find((o) => !o.agree);
    expect(bad?.step).toBe(2);
    expect(bad?.impl['HugePages_Total']).toBe(3);
  });

  test('the default scenario refines the spec and catches the variant', () => {
    const sc = hugetlb.scenarios.find((x) => x.name === 'node-pool-surplus')!;
    const ok = checkScenario(hugetlb, sc, { variant: null });
    expect(ok.violation).toBeUndefined();
    expect(ok.exhaustive).toBe(true);
    expect(checkScenario(hugetlb, sc, { variant: 'b72b3c9c34c8' }).violation?.kind).toBe('refinement');
  });

  test('fallocate of a task bound to node 0 takes node 0 page, then ends with ENOSPC although node 1 has a free page', () => {
    const bound = parseParams({ pool: 1, fileSize: 2, vmas: 1, nodePool: 2, membind: 0 });
    const script = {
      params: bound,
      steps: [s('set_nr_node', { nid: 1, n: 1 }), s('fallocate', { f: 0, from: 0, to: 2 })],
    };
    const obs = runScript(hugetlb, script as unknown as Script, null);
    for (const o of obs) if (!o.agree) throw new Error(`step ${o.step} ${o.op}: ${o.problem}`);
    expect(obs[1]?.impl['ret']).toBe('ENOSPC');
    expect(obs[1]?.impl['HugePages_Free']).toBe(1); // node 0's page is in the page cache, node 1's still free
  });

  test("every op keeps the pages' nodes (NODE_OPS covers OPS since soft_offline); nodePool > 1 needs numa false", () => {
    expect(Object.keys(OPS).filter((op) => !NODE_OPS.has(op))).toEqual([]);
    expect(() => parseParams({ ...params, numa: true })).toThrow(/nodePool > 1 needs numa false/);
  });

  test('surplus pages with several nodes: a bound reservation gathers on the bound node (003af997c8a9 caught), faults take any node', () => {
    const sc = (name: string) => hugetlb.scenarios.find((x) => x.name === name)!;
    for (const name of ['node-overcommit-bind', 'node-overcommit-fault', 'shrink-surplus-in-use']) {
      const ok = checkScenario(hugetlb, sc(name), { variant: null });
      expect(ok.violation, name).toBeUndefined();
      expect(ok.exhaustive, name).toBe(true);
    }
    const bad = checkScenario(hugetlb, sc('node-overcommit-bind'), { variant: '003af997c8a9' });
    expect(bad.violation?.kind).toBe('refinement');
  });

  test('a gathered surplus page sits on node 0, so a page freed there goes to buddy (spec and impl agree)', () => {
    const script = {
      params: parseParams({ pool: 1, overcommit: 2, fileSize: 1, vmas: 2, nodePool: 2 }),
      steps: [
        s('mmap', { v: 0, kind: 'noreserve', f: 0, from: 0, to: 1 }),
        s('fault', { v: 0, i: 0, write: true }), // node 0's free page
        s('mmap', { v: 1, kind: 'private', f: 0, from: 0, to: 1 }), // gathers a surplus page (node 0)
        s('truncate', { f: 0, size: 0 }), // node 0 has a surplus page: the freed page goes to buddy
        s('munmap', { v: 1 }), // the gathered page stays, persistent now
        s('munmap', { v: 0 }),
      ],
    };
    const obs = runScript(hugetlb, script as unknown as Script, null);
    for (const o of obs) if (!o.agree) throw new Error(`step ${o.step} ${o.op}: ${o.problem}`);
    expect(obs.map((o) => [o.impl['HugePages_Total'], o.impl['HugePages_Surp']])).toEqual([
      [1, 0],
      [1, 0],
      [2, 1],
      [1, 0],
      [1, 0],
      [1, 0],
    ]);
  });

  test('a bound task mounting with min_size= passes the mempolicy check of its node only (8ca39e6874f8 caught)', () => {
    const script = {
      params: parseParams({
        pool: 1,
        fileSize: 1,
        vmas: 1,
        nodePool: 2,
        membind: 0,
        mounts: [
          { size: 4, min: -1, mounted: true },
          { size: -1, min: -1, mounted: false },
        ],
      }),
      steps: [
        s('set_nr_node', { nid: 1, n: 1 }),
        s('mount', { m: 1, size: -1, min: 2 }), // two free pages, one on node 0
        s('mount', { m: 1, size: -1, min: 1 }),
        s('umount', { m: 1 }),
      ],
    };
    const obs = runScript(hugetlb, script as unknown as Script, null);
    for (const o of obs) if (!o.agree) throw new Error(`step ${o.step} ${o.op}: ${o.problem}`);
    expect(obs.map((o) => [o.impl['ret'], o.impl['HugePages_Rsvd']])).toEqual([
      ['ok', 0],
      ['ENOMEM', 0],
      ['ok', 1],
      ['ok', 0],
    ]);
    const before = runScript(hugetlb, script as unknown as Script, '8ca39e6874f8');
    expect(before[1]?.impl['ret']).toBe('ok');
    expect(before[1]?.agree).toBe(false);
  });
});
