/** The shared --threads/--ops/--pool/--file-size reshaping used by every subsystem's customize(). */
import { describe, expect, test } from 'vitest';
import { flagInRange, reshapeThreads } from '../../checker/reshape.js';
import type { ThreadScript } from '../../checker/types.js';

const op = (name: string) => [{ op: name, args: {} }];
const scripts: ThreadScript[] = [
  [op('a1'), op('a2'), op('a3')],
  [op('b1'), op('b2')],
];
const names = (ts: ThreadScript[]) => ts.map((t) => t.map((slot) => slot[0]!.op).join(','));

describe('reshapeThreads', () => {
  test('fewer threads drop the last scripts; more cycle through them when allowed', () => {
    expect(names(reshapeThreads(scripts, { threads: 1 }, { maxThreads: 4, maxOps: 8, cycle: true }))).toEqual([
      'a1,a2,a3',
    ]);
    expect(names(reshapeThreads(scripts, { threads: 3 }, { maxThreads: 4, maxOps: 8, cycle: true }))).toEqual([
      'a1,a2,a3',
      'b1,b2',
      'a1,a2,a3',
    ]);
    expect(() => reshapeThreads(scripts, { threads: 3 }, { maxThreads: 4, maxOps: 8, cycle: false })).toThrow(
      /2 thread scripts; 3 would need more/,
    );
  });
  test('--ops keeps the first N slots of each thread', () => {
    expect(names(reshapeThreads(scripts, { ops: 2 }, { maxThreads: 4, maxOps: 8, cycle: true }))).toEqual([
      'a1,a2',
      'b1,b2',
    ]);
  });
  test('out-of-range values name the flag', () => {
    expect(() => reshapeThreads(scripts, { threads: 5 }, { maxThreads: 4, maxOps: 8, cycle: true })).toThrow(
      /^--threads: expected 1..4, got 5$/,
    );
    expect(() => reshapeThreads(scripts, { ops: 0 }, { maxThreads: 4, maxOps: 8, cycle: true })).toThrow(
      /^--ops: expected 1..8, got 0$/,
    );
    expect(() => flagInRange('pool', 2.5, 0, 6)).toThrow(/^--pool: expected 0..6, got 2.5$/);
    expect(flagInRange('file-size', 3, 1, 4, 'pages')).toBe(3);
  });
});

describe('knobs grow scenarios as well as shrink them', () => {
  test('--ops beyond the script repeats it; the knob range is the limit, not a silent cap', async () => {
    expect(names(reshapeThreads(scripts, { ops: 5 }, { maxThreads: 4, maxOps: 8, cycle: true }))).toEqual([
      'a1,a2,a3,a1,a2',
      'b1,b2,b1,b2,b1',
    ]);
    const { applyKnobs, opsKnob } = await import('../../checker/reshape.js');
    expect(() =>
      applyKnobs([opsKnob(4)], { name: 's', description: '', params: null, threads: scripts }, { ops: 5 }),
    ).toThrow(/^--ops: expected 1\.\.4, got 5$/);
    expect(() =>
      applyKnobs([opsKnob(4)], { name: 's', description: '', params: null, threads: scripts }, { pool: 5 }),
    ).toThrow(/--pool does not apply here \(knobs: --ops\)/);
  });
  test('hugetlb --threads beyond the scripts adds copies on fresh VMA slots', async () => {
    const { hugetlb } = await import('../../subsystems/hugetlb/index.js');
    const { applyKnobs } = await import('../../checker/reshape.js');
    const { scenarioOpProblem } = await import('../../checker/op-schema.js');
    const base = hugetlb.scenarios.find((s) => s.name === 'reserve-vs-reserve')!;
    const grown = applyKnobs(hugetlb.knobs!, base, { threads: 4 });
    expect(grown.threads).toHaveLength(4);
    expect(grown.params.vmas).toBe(base.params.vmas * 2);
    expect(grown.threads[2]![0]![0]!.args.v).toBe((base.threads[0]![0]![0]!.args.v as number) + base.params.vmas);
    expect(scenarioOpProblem(hugetlb.opSchemas!, grown)).toBeUndefined();
    expect(applyKnobs(hugetlb.knobs!, base, { pool: 5 }).params.pool).toBe(5);
    expect(() =>
      applyKnobs(
        hugetlb.knobs!,
        hugetlb.scenarios.find((s) => s.name === 'mixed-3')!,
        { threads: 4 },
      ),
    ).toThrow(/VMA slots/);
  });
  test('every subsystem declares its knobs; none is spelled by the checker', async () => {
    const { registry } = await import('../../subsystems/index.js');
    for (const s of registry)
      expect(
        s.knobs?.map((k) => k.flag),
        s.name,
      ).toEqual(expect.arrayContaining(['threads', 'ops']));
    const { readFileSync } = await import('node:fs');
    for (const f of ['checker/types.ts', 'checker/reshape.ts', 'cli/select.ts', 'cli/check.ts'])
      expect(readFileSync(new URL(`../../${f}`, import.meta.url), 'utf8'), f).not.toMatch(
        /fileSize|\.pool\b|\bpool\?*:/,
      );
  });
});
