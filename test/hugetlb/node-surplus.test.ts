/**
 * Surplus pages per node (spec/hugetlb view `nodeSurp`): free_huge_folio
 * (mm/hugetlb.c @ v6.1/v6.12) gives a freed page back to buddy only when
 * the page's own node has surplus pages (surplus_huge_pages_node[nid]); any
 * other freed page goes to its node's free list, whatever other nodes hold.
 */
import { describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import type { Script } from '../../checker/scenario-file.js';
import { runScript } from '../../checker/sequential.js';
import { setNrNodes } from '../../spec/hugetlb/ops-node.js';
import { setNrNodeChoices } from '../../spec/hugetlb/choices.js';
import { initView } from '../../spec/hugetlb/model.js';
import { hugetlb, parseParams } from '../../subsystems/hugetlb/index.js';

const s = (op: string, args: Record<string, number | string | boolean>) => ({ op, args });

describe('hugetlb surplus pages per node', () => {
  test("a page freed on a node without surplus pages goes to that node's free list while node 1 holds a surplus page", () => {
    // subsystems/hugetlb/NOTES.md "Node-restricted allocation": the script that failed refinement
    const script = {
      params: parseParams({ pool: 1, fileSize: 2, vmas: 1, nodePool: 2 }),
      steps: [
        s('set_nr_node', { nid: 1, n: 1 }),
        s('mmap', { v: 0, kind: 'shared', f: 0, from: 0, to: 2 }),
        s('fault', { v: 0, i: 0, write: true }), // node 0's page (the first candidate)
        s('fault', { v: 0, i: 1, write: true }), // node 1's page: the only free one left
        s('set_nr_node', { nid: 1, n: 0 }), // node 1's page is in use: it becomes surplus
        s('punch', { f: 0, from: 0, to: 1 }), // node 0's page is freed
      ],
    };
    const obs = runScript(hugetlb, script as unknown as Script, null);
    for (const o of obs) if (!o.agree) throw new Error(`step ${o.step} ${o.op}: ${o.problem}`);
    const last = obs[5]!;
    expect([last.impl['HugePages_Total'], last.impl['HugePages_Free'], last.impl['HugePages_Surp']]).toEqual([2, 1, 1]);
  });

  test('node-surplus-free refines the spec; free_huge_folio testing the global surplus count is caught', () => {
    const sc = hugetlb.scenarios.find((x) => x.name === 'node-surplus-free')!;
    const ok = checkScenario(hugetlb, sc, { variant: null });
    expect(ok.violation).toBeUndefined();
    expect(ok.exhaustive).toBe(true);
    expect(checkScenario(hugetlb, sc, { variant: 'free-surplus-any-node' }).violation).toBeDefined();
  });

  test("aabf58bfaace: node 1's free page leaves the pool although node 0's surplus page is in use; before it, it became surplus", () => {
    const script = {
      params: parseParams({ pool: 1, fileSize: 1, vmas: 1, nodePool: 2 }),
      steps: [
        s('mmap', { v: 0, kind: 'shared', f: 0, from: 0, to: 1 }),
        s('fault', { v: 0, i: 0, write: true }),
        s('set_nr_node', { nid: 0, n: 0 }), // node 0's page, in use, becomes surplus
        s('set_nr_node', { nid: 1, n: 1 }),
        s('set_nr_node', { nid: 1, n: 0 }),
      ],
    };
    const fixed = runScript(hugetlb, script as unknown as Script, null);
    for (const o of fixed) if (!o.agree) throw new Error(`step ${o.step} ${o.op}: ${o.problem}`);
    const counters = (o: (typeof fixed)[number]) => [o.impl['HugePages_Total'], o.impl['HugePages_Surp']];
    expect(counters(fixed[4]!)).toEqual([1, 1]);
    const old = runScript(hugetlb, script as unknown as Script, 'aabf58bfaace');
    const bad = old.find((o) => !o.agree);
    expect(bad?.step).toBe(4);
    expect(counters(bad!)).toEqual([2, 2]);
  });

  test('the global nr_hugepages write with several nodes removes free pages only from nodes that have them', () => {
    const params = parseParams({ pool: 1, fileSize: 1, vmas: 1, nodePool: 2 });
    // node 0's page in the page cache, node 1 one free page: writing 1 can only free node 1's page
    const v0 = initView(params);
    const v = {
      ...v0,
      total: 2,
      free: 1,
      nodes: [1, 1],
      files: v0.files.map((f) => ({ ...f, cache: [0], resv: [0] })),
    };
    const outcomes = new Set(
      setNrNodeChoices(2)
        .map((c) => setNrNodes(v, 1, c))
        .filter((o) => o !== undefined)
        .map((o) => JSON.stringify([o.view.total, o.view.nodes, o.view.nodeSurp])),
    );
    expect([...outcomes]).toContain(JSON.stringify([1, [1, 0], [0, 0]]));
    // never node 0's page (in use); y = 1 keeps the free page, as surplus of either node (the lock-drop window)
    expect([...outcomes].sort()).toEqual(
      [
        [1, [1, 0], [0, 0]],
        [2, [0, 1], [1, 0]],
        [2, [1, 0], [0, 1]],
      ]
        .map((o) => JSON.stringify(o))
        .sort(),
    );
    const script = {
      params,
      steps: [
        s('mmap', { v: 0, kind: 'shared', f: 0, from: 0, to: 1 }),
        s('fault', { v: 0, i: 0, write: true }),
        s('set_nr', { n: 3 }),
        s('set_nr', { n: 1 }),
        s('set_nr', { n: 0 }), // the page in use becomes node 0's surplus page
        s('truncate', { f: 0, size: 0 }), // and goes back to buddy
      ],
    };
    const obs = runScript(hugetlb, script as unknown as Script, null);
    for (const o of obs) if (!o.agree) throw new Error(`step ${o.step} ${o.op}: ${o.problem}`);
    expect(obs.map((o) => [o.impl['HugePages_Total'], o.impl['HugePages_Surp']])).toEqual([
      [1, 0],
      [1, 0],
      [3, 0],
      [1, 0],
      [1, 1],
      [0, 0],
    ]);
  });

  test('a shrink while fewer pages are in use than surplus pages keeps the reserved pages and one persistent page (shrink-surplus-in-use)', () => {
    // one node, pool 1, overcommit 2: a three-page reservation gathers two surplus pages, one is faulted
    const script = {
      params: parseParams({ pool: 1, overcommit: 2, fileSize: 3, vmas: 1 }),
      steps: [
        s('mmap', { v: 0, kind: 'shared', f: 0, from: 0, to: 3 }),
        s('fault', { v: 0, i: 0, write: true }), // in use 1 < surplus 2
        s('set_nr', { n: 0 }), // min_count = resv 2 + persistent 1 - (free 2 - surplus 2) = 3: nothing removed
        s('munmap', { v: 0 }),
        s('truncate', { f: 0, size: 0 }),
      ],
    };
    const obs = runScript(hugetlb, script as unknown as Script, null);
    for (const o of obs) if (!o.agree) throw new Error(`step ${o.step} ${o.op}: ${o.problem}`);
    const c = (o: (typeof obs)[number]) => [
      o.impl['HugePages_Total'],
      o.impl['HugePages_Free'],
      o.impl['HugePages_Surp'],
    ];
    expect(obs.map(c)).toEqual([
      [3, 3, 2],
      [3, 2, 2],
      [3, 2, 3],
      [3, 2, 3],
      [0, 0, 0],
    ]);
    const sc = hugetlb.scenarios.find((x) => x.name === 'shrink-surplus-in-use')!;
    expect(checkScenario(hugetlb, sc, { variant: null }).violation).toBeUndefined();
  });
});
