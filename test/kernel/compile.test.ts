/** The op -> C compiler and the hugetlb mapping: every op has C, the C compiles, the structure is right. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { Script } from '../../checker/scenario-file.js';
import { compileScripts } from '../../kernel/compile.js';
import { scriptOfScenario } from '../../kernel/target.js';
import { hasTool } from '../../kernel/tools.js';
import type { HugetlbParams } from '../../spec/hugetlb/params.js';
import { hugetlb } from '../../subsystems/hugetlb/index.js';
import { HUGETLB_KERNEL_UNSUPPORTED, hugetlbProbe } from '../../subsystems/hugetlb/probe.js';

const finding = (name: string): Script => scriptOfScenario(hugetlb.findings!.find((f) => f.name === name)!)!;

describe('op -> C compiler', () => {
  test('every op of the hugetlb script language has a C counterpart', () => {
    for (const op of Object.keys(hugetlb.impl.ops))
      if (HUGETLB_KERNEL_UNSUPPORTED[op])
        expect(() => hugetlbProbe.step(op, {}, hugetlb.scenarios[0]!.params), op).toThrow(
          `has no C counterpart in subsystems/hugetlb/probe.ts: ${HUGETLB_KERNEL_UNSUPPORTED[op]}`,
        );
      else expect(() => hugetlbProbe.step(op, {}, hugetlb.scenarios[0]!.params), op).not.toThrow();
    expect(() => hugetlbProbe.step('no_such_op', {}, hugetlb.scenarios[0]!.params)).toThrow(/no C counterpart/);
  });

  test('a script becomes one run function with a case per step, routed to the task owning the slot', () => {
    const c = compileScripts(hugetlbProbe, [finding('finding-child-subpool-reserve')]);
    expect(c).toContain('static void s0_run(void)');
    expect(c).toMatch(/case 0: \{ \/\* mmap \{"v":0,"kind":"private","f":0,"from":0,"to":1\} \*\//);
    expect(c).toContain('ret = h_mmap(0, K_PRIVATE, 0, 0, 1);');
    expect(c).toContain('ret = h_fork(0, 1);');
    expect(c).toContain('ret = h_fault(1, 0, 1, &bus);');
    expect(c).toContain('case 3: return h_task_of(1);');
    expect(c).toContain('h_setup(0, 2, 0, 2, 1, fm, 1, msize, mmin, mon);');
    expect(c).toContain('static const long msize[] = { 4 };');
    expect(c).toContain('static const long mmin[] = { 1 };');
    expect(c.match(/step_line\(/g)!.length).toBe(1 + 4); // the runtime's definition + one per step
  });

  test('many scripts per probe: one table entry each, indexes in order', () => {
    const scripts = [finding('finding-child-subpool-reserve'), finding('finding-out-put-pages-min')];
    const c = compileScripts(hugetlbProbe, scripts, { header: 'expected: */ not a comment end' });
    expect(c).toContain('{ s0_run, s0_restore },\n\t{ s1_run, s1_restore },');
    expect(c).toContain('probe_main(scripts, 2, argc, argv)');
    expect(c.startsWith('/*\n * expected: * / not a comment end')).toBe(true);
  });

  test('a concurrent script: one pthread per model thread, each step after what the counterexample finished before it', () => {
    const s = finding('finding-child-subpool-reserve');
    const c = compileScripts(hugetlbProbe, [
      { ...s, concurrency: { threadOf: [0, 0, 1, 0], after: [[], [0], [0, 1], [0, 1]] } },
    ]);
    expect(c).toContain('static const int thr[] = { 0, 0, 1, 0 };');
    expect(c).toContain('static const int after[] = { 0, 0, 1, 0, 1 };');
    expect(c).toContain('static const int after_at[] = { 0, 0, 1, 3, 5 };');
    expect(c).toContain('static const struct conc c = { 2, 4, thr, after, after_at, s0_task };');
    expect(c).toContain('run_concurrent(&c);');
  });

  test('a per-node script: the pool on node 0 before the mounts, the node write, two NUMA nodes; three nodes refused', () => {
    const s = finding('finding-node-remove-surplus-page');
    const c = compileScripts(hugetlbProbe, [s]);
    expect(c).toContain('ret = h_set_nr_node(1, 1);');
    expect(c.indexOf('h_nodes_setup(0, 2, 0, -1);')).toBeGreaterThan(0);
    expect(c.indexOf('h_nodes_setup(0, 2, 0, -1);')).toBeLessThan(c.indexOf('h_setup(0, 0, 0,'));
    const params = s.params as HugetlbParams;
    const bound = { ...s, params: { ...params, membind: 1 } };
    expect(compileScripts(hugetlbProbe, [bound])).toContain('h_nodes_setup(0, 2, 0, 1);');
    expect(hugetlbProbe.numaNodes!([s])).toBe(2);
    expect(hugetlbProbe.numaNodes!([finding('finding-child-subpool-reserve')])).toBe(1);
    expect(hugetlbProbe.unsupported!({ ...s, params: { ...params, nodePool: 3 } })).toBe(
      'params.nodePool 3: the probe VM boots with at most 2 NUMA nodes',
    );
  });

  test.skipIf(!hasTool('gcc'))('the generated probe compiles with gcc (warnings are errors)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmcheck-cc-'));
    // the findings a stock kernel can run (reproduce refuses the others with the probe's reason, e.g. an
    // injected allocation failure); the per-node finding runs on a two-node VM since session 13
    const scripts = (hugetlb.findings ?? [])
      .map(scriptOfScenario)
      .filter((s): s is Script => s !== undefined && hugetlbProbe.unsupported?.(s) === undefined);
    expect(scripts.length).toBeGreaterThan(3);
    expect(scripts).toContainEqual(finding('finding-node-remove-surplus-page'));
    const all: Script = {
      params: hugetlb.scenarios[0]!.params,
      steps: Object.keys(hugetlb.impl.ops)
        .filter((op) => !HUGETLB_KERNEL_UNSUPPORTED[op])
        .map((op) => ({
          op,
          args: { v: 0, f: 0, i: 0, from: 0, to: 1, size: 1, n: 1, m: 0, min: -1, c: 1, kind: 'shared', write: true },
        })),
    };
    const file = join(dir, 'p.c');
    const race = {
      ...scripts[0]!,
      concurrency: { threadOf: scripts[0]!.steps.map((_, i) => i % 2), after: scripts[0]!.steps.map(() => []) },
    };
    writeFileSync(file, compileScripts(hugetlbProbe, [...scripts, all, race]));
    expect(() =>
      execFileSync('gcc', ['-fsyntax-only', '-Wall', '-Werror', '-Wno-unused-function', file], { stdio: 'pipe' }),
    ).not.toThrow();
  });
});
