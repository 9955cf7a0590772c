/**
 * Node-restricted allocation (impl/hugetlb/node-pages.ts, spec/hugetlb/ops-numa.ts):
 * pages record their node, a bound task's faults take its node's pages, and
 * mmap's mempolicy check (8ca39e6874f8) that the history variant removes.
 */
import { describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import type { Script } from '../../checker/scenario-file.js';
import { runScript } from '../../checker/sequential.js';
import { hugetlb, invariants, parseParams } from '../../subsystems/hugetlb/index.js';
import { initState } from '../../impl/hugetlb/state.js';

const s = (op: string, args: Record<string, number | string | boolean>) => ({ op, args });
const bound = { pool: 1, fileSize: 2, vmas: 2, fileMount: [0, 0], nodePool: 2, membind: 0 };
const run = (params: object, steps: object[], variant: string | null) =>
  runScript(hugetlb, { params: parseParams(params), steps } as unknown as Script, variant);

describe('hugetlb node-restricted allocation', () => {
  const steps = [
    s('set_nr_node', { nid: 1, n: 1 }),
    s('mmap', { v: 0, kind: 'shared', f: 0, from: 0, to: 2 }),
    s('mmap', { v: 0, kind: 'shared', f: 0, from: 0, to: 1 }),
    s('mmap', { v: 1, kind: 'shared', f: 1, from: 0, to: 1 }),
    s('fault', { v: 0, i: 0, write: true }),
    s('fault', { v: 1, i: 0, write: true }),
  ];

  test('a task bound to node 0: ENOMEM for more pages than node 0 has free; a reserved fault SIGBUSes once node 0 is empty', () => {
    const obs = run(bound, steps, null);
    for (const o of obs) if (!o.agree) throw new Error(`step ${o.step} ${o.op}: ${o.problem}`);
    expect(obs.map((o) => o.impl.ret)).toEqual(['ok', 'ENOMEM', 'ok', 'ok', 'ok', 'SIGBUS']);
  });

  test('before 8ca39e6874f8 the two-page mmap passes (only the global pool is checked), and the spec says ENOMEM', () => {
    const obs = run(bound, steps.slice(0, 2), '8ca39e6874f8');
    expect(obs[1]?.agree).toBe(false);
    expect(obs[1]?.problem).toMatch(/ok/);
    const sc = hugetlb.scenarios.find((x) => x.name === 'node-bind-reserve');
    if (!sc) throw new Error('scenario node-bind-reserve missing');
    expect(checkScenario(hugetlb, sc, { variant: '8ca39e6874f8' }).violation?.kind).toBe('linearizability');
  });

  test("a freed page goes back to its own node: node 1's page, made surplus while in use, returns to buddy", () => {
    const params = { pool: 0, fileSize: 1, vmas: 1, nodePool: 2, membind: 1 };
    const obs = run(
      params,
      [
        s('set_nr_node', { nid: 1, n: 1 }),
        s('mmap', { v: 0, kind: 'shared', f: 0, from: 0, to: 1 }),
        s('fault', { v: 0, i: 0, write: true }),
        s('munmap', { v: 0 }),
        s('set_nr_node', { nid: 1, n: 0 }),
        s('truncate', { f: 0, size: 0 }),
      ],
      null,
    );
    for (const o of obs) if (!o.agree) throw new Error(`step ${o.step} ${o.op}: ${o.problem}`);
    expect(obs.map((o) => [o.impl['HugePages_Total'], o.impl['HugePages_Surp']])).toEqual([
      [1, 0],
      [1, 0],
      [1, 0],
      [1, 0],
      [1, 1],
      [0, 0],
    ]);
  });

  test('node-pages-conserved: a page in use recorded on node 1 while node 1 has no page in use is reported', () => {
    const inv = invariants.find((i) => i.name === 'node-pages-conserved');
    if (!inv) throw new Error('invariant node-pages-conserved missing');
    const p = parseParams({ pool: 1, fileSize: 1, vmas: 1, nodePool: 2 });
    const g = initState(p);
    const q = { quiescent: true, inFlight: [], variant: null };
    expect(inv.check(g, p, q)).toBe(true);
    // node 0's page taken and cached, but recorded on node 1 (as a dequeue that forgot page_nid would)
    g.nd[0]!.free = 0;
    g.free = 0;
    g.file[0]!.pc = [0];
    g.file[0]!.pn = [1];
    expect(inv.check(g, p, q)).toMatch(/node 0: nr=1 free=0 but 0 pages in use there/);
    g.file[0]!.pn = [];
    expect(inv.check(g, p, q)).toBe(true);
    expect(inv.check(initState(parseParams({ pool: 1 })), p, q)).toBe(null);
    const r = checkScenario(
      hugetlb,
      hugetlb.scenarios.find((x) => x.name === 'node-default-fault')!,
      {},
    );
    expect(r.invariants.find((i) => i.name === 'node-pages-conserved')?.nonTrivial).toBeGreaterThan(0);
  });

  test("fork: the child maps the parent's pages on their nodes; its COW copy comes from the bound node", () => {
    const params = { pool: 0, fileSize: 1, vmas: 2, nodePool: 2, membind: 1 };
    const obs = run(
      params,
      [
        s('set_nr_node', { nid: 1, n: 2 }),
        s('mmap', { v: 0, kind: 'private', f: 0, from: 0, to: 1 }),
        s('fault', { v: 0, i: 0, write: true }),
        s('fork', { v: 0, c: 1 }),
        s('fault', { v: 1, i: 0, write: true }),
        s('munmap', { v: 0 }),
        s('munmap', { v: 1 }),
      ],
      null,
    );
    for (const o of obs) if (!o.agree) throw new Error(`step ${o.step} ${o.op}: ${o.problem}`);
    expect(obs.map((o) => o.impl.ret)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
  });

  test('membind needs several nodes (a min_size mount is allowed: nodes.test.ts)', () => {
    expect(() => parseParams({ pool: 1, membind: 0 })).toThrow(/membind needs nodePool > 1/);
    expect(() => parseParams({ ...bound, membind: 2 })).toThrow(/membind must be an integer in \[0, 1\]/);
    expect(parseParams({ ...bound, mounts: [{ size: -1, min: 1, mounted: true }] }).membind).toBe(0);
  });
});
