/**
 * Predictions, comparison and the kernel-version switch, without a kernel:
 * observed steps are written by hand as the probe would print them.
 */
import { describe, expect, test } from 'vitest';
import { ScenarioError } from '../../checker/product.js';
import { firstDivergence } from '../../kernel/compare.js';
import { predictScript } from '../../kernel/predict.js';
import { scriptOfScenario, targetOfSchedule } from '../../kernel/target.js';
import type { KernelStepObservation } from '../../kernel/types.js';
import { hugetlb } from '../../subsystems/hugetlb/index.js';
import { hugetlbProbe } from '../../subsystems/hugetlb/probe.js';

const finding = (name: string) => scriptOfScenario(hugetlb.findings!.find((f) => f.name === name)!)!;
const obs = (step: number, ret: string, c: Record<string, number>): KernelStepObservation => ({
  step,
  ret,
  sigbus: ret === 'SIGBUS',
  counters: c,
});

describe('predictScript', () => {
  test('finding-child-subpool-reserve: the child fault leaves Rsvd at 1 and the spec disagrees there', () => {
    const p = predictScript(hugetlb, hugetlbProbe, finding('finding-child-subpool-reserve'), { kernelVersion: '6.1' });
    expect(p.map((s) => s.ret)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(p[3]!.counters).toEqual({
      HugePages_Total: 2,
      HugePages_Free: 1,
      HugePages_Rsvd: 1,
      HugePages_Surp: 0,
      spool0_used: 1,
    });
    expect(p.findIndex((s) => s.specProblem)).toBe(3);
  });

  test('out_put_pages: 6.1/6.12 (before a833a693a490) and mainline predict different Rsvd after the failed mmap', () => {
    const s = finding('finding-out-put-pages-min');
    const old = predictScript(hugetlb, hugetlbProbe, s, { kernelVersion: '6.12' });
    const main = predictScript(hugetlb, hugetlbProbe, s, { kernelVersion: 'mainline' });
    expect(old[2]!.ret).toBe('ENOMEM');
    expect(old[2]!.counters.HugePages_Rsvd).toBe(1);
    expect(main[2]!.counters.HugePages_Rsvd).toBe(0);
    expect(predictScript(hugetlb, hugetlbProbe, s).map((x) => x.counters)).toEqual(main.map((x) => x.counters)); // default = mainline
  });

  test('an unknown kernel version is an input error naming the known ones', () => {
    expect(() =>
      predictScript(hugetlb, hugetlbProbe, finding('finding-out-put-pages-min'), { kernelVersion: '5.10' }),
    ).toThrow(ScenarioError);
    expect(() =>
      predictScript(hugetlb, hugetlbProbe, finding('finding-out-put-pages-min'), { kernelVersion: '5.10' }),
    ).toThrow(/6\.1, 6\.12, mainline/);
  });
});

describe('firstDivergence', () => {
  const p = predictScript(hugetlb, hugetlbProbe, finding('finding-out-put-pages-min'), { kernelVersion: '6.1' });
  const same = p.map((s) => obs(s.step, String(s.ret), s.counters));

  test('none when every step matches', () => {
    expect(firstDivergence(hugetlbProbe, p, same)).toBeUndefined();
  });

  test('the first differing step with every difference there: return value, counters, a missing counter, a missing step', () => {
    const bad = same.map((o) => (o.step === 1 ? obs(1, 'SIGBUS', { ...o.counters, HugePages_Rsvd: 9, extra: 1 }) : o));
    expect(firstDivergence(hugetlbProbe, p, bad)).toEqual([
      { step: 1, what: 'ret', kernel: 'SIGBUS', impl: 'ok' },
      { step: 1, what: 'HugePages_Rsvd', kernel: '9', impl: '1' },
      { step: 1, what: 'extra', kernel: '1', impl: '-' },
    ]);
    expect(firstDivergence(hugetlbProbe, p, same.slice(0, 2))).toEqual([
      { step: 2, what: 'step', kernel: '(no output)', impl: 'ran' },
    ]);
  });
});

describe('targets and versions', () => {
  const lab = (tid: number, op: string, invoked: boolean, ret?: string, extra: object = {}) =>
    ({
      tid,
      op,
      args: {},
      slot: 0,
      alt: 0,
      step: 's',
      choices: [],
      injected: [],
      invoked,
      ...(ret !== undefined ? { ret } : {}),
      ...extra,
    }) as never;

  test('a schedule whose operations never overlap is a sequential script, in invocation order', () => {
    const t = targetOfSchedule([lab(0, 'a', true), lab(0, 'a', false, 'ok'), lab(1, 'b', true, 'ok')], {}, false);
    expect(t).toEqual({
      kind: 'script',
      script: {
        params: {},
        steps: [
          { op: 'a', args: {} },
          { op: 'b', args: {} },
        ],
      },
    });
  });

  test('overlapping operations and nondeterministic branches cannot be forced; a sequential injection can', () => {
    expect(
      targetOfSchedule([lab(0, 'a', true), lab(1, 'b', true, 'ok'), lab(0, 'a', false, 'ok')], {}, false).kind,
    ).toBe('concurrent');
    // sequential: a script, its injections located for kernel/inject.ts (test/kernel/inject.test.ts)
    const inj = targetOfSchedule([lab(0, 'a', true, 'ok', { injected: ['add_to_page_cache'] })], {}, true);
    expect(inj.kind === 'script' && inj.injected?.opOf).toEqual([0]);
    const racy = targetOfSchedule(
      [lab(0, 'a', true), lab(1, 'b', true, 'ok', { injected: ['add_to_page_cache'] }), lab(0, 'a', false, 'ok')],
      {},
      true,
    );
    expect(racy.kind === 'concurrent' && racy.why).toMatch(/injects a failure at add_to_page_cache.*overlap/);
    const ch = targetOfSchedule([lab(0, 'a', true, 'ok', { choices: [1] })], {}, false);
    expect(ch.kind === 'concurrent' && ch.why).toMatch(/nondeterministic branch/);
  });
});

describe('races', () => {
  test('an overlapping schedule keeps its happens-before order and the returns to look for', () => {
    const lab = (tid: number, op: string, invoked: boolean, ret?: string) =>
      ({
        tid,
        op,
        args: {},
        slot: 0,
        alt: 0,
        step: 's',
        choices: [],
        injected: [],
        invoked,
        ...(ret !== undefined ? { ret } : {}),
      }) as never;
    const t = targetOfSchedule(
      [lab(0, 'a', true, 'ok'), lab(0, 'b', true), lab(1, 'c', true, 'x'), lab(0, 'b', false, 'y')],
      {},
      false,
    );
    expect(t.kind).toBe('concurrent');
    if (t.kind !== 'concurrent') return;
    expect(t.race!.script.concurrency).toEqual({ threadOf: [0, 0, 1], after: [[], [0], [0]] });
    expect(t.race!.expected).toEqual(['ok', 'y', 'x']);
  });

  // the per-node counters the probe reads under /sys/devices/system/node/node<nid>/hugepages/hugepages-2048kB/,
  // worked out by hand from mm/hugetlb.c set_max_huge_pages() and the round-robin cursors @ v6.1 (the probe
  // starts every script with both cursors on node 0: probe-c-nodes.ts h_nodes_setup)
  const nodes = (n0: number[], n1: number[]) => ({
    N0_nr_hugepages: n0[0],
    N0_free_hugepages: n0[1],
    N0_surplus_hugepages: n0[2],
    N1_nr_hugepages: n1[0],
    N1_free_hugepages: n1[1],
    N1_surplus_hugepages: n1[2],
  });
  const perNode = (c: Record<string, number>) => Object.fromEntries(Object.entries(c).filter(([k]) => /^N\d_/.test(k)));

  test('per-node counters: the global write interleaves its fresh pages and its removals over the nodes', () => {
    const s = finding('finding-node-remove-surplus-page');
    const p = predictScript(hugetlb, hugetlbProbe, {
      params: s.params,
      steps: [
        { op: 'set_nr', args: { n: 3 } },
        { op: 'set_nr', args: { n: 1 } },
        { op: 'set_nr_node', args: { nid: 1, n: 2 } },
        { op: 'set_nr', args: { n: 0 } },
      ],
    });
    // next_nid_to_alloc 0: nodes 0, 1, 0; next_nid_to_free 0: node 0, then node 1
    expect(perNode(p[0]!.counters)).toEqual(nodes([2, 2, 0], [1, 1, 0]));
    expect(perNode(p[1]!.counters)).toEqual(nodes([1, 1, 0], [0, 0, 0]));
    expect(perNode(p[2]!.counters)).toEqual(nodes([1, 1, 0], [2, 2, 0]));
    // node 1's write left next_nid_to_free on node 1 (nothing removed there, the cursor untouched): the walk
    // starts where the previous global removal left it, node 0 after node 1
    expect(perNode(p[3]!.counters)).toEqual(nodes([0, 0, 0], [0, 0, 0]));
  });

  test('per-node counters of finding-node-remove-surplus-page: node 1 keeps a surplus page and has none', () => {
    const p = predictScript(hugetlb, hugetlbProbe, finding('finding-node-remove-surplus-page'), {
      kernelVersion: '6.12',
    });
    expect(perNode(p[2]!.counters)).toEqual(nodes([0, 0, 0], [1, 1, 1]));
    expect(perNode(p[3]!.counters)).toEqual(nodes([2, 2, 0], [1, 1, 1]));
    expect(perNode(p[4]!.counters)).toEqual(nodes([2, 2, 1], [0, 0, 1]));
    expect(p[4]!.specProblem).toMatch(/surplus-bounded: node 1: nr=0 free=0 surplus=1/);
  });
});
