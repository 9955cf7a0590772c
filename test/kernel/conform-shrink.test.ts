/**
 * The conform shrinker against a fake kernel that diverges at a chosen step:
 * the minimal script is found with fast-check's own shrinker, candidates run in
 * batches (one boot each), and the result is saved as script, ITF and C.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileScripts } from '../../kernel/compile.js';
import { hugetlbProfile } from '../../kernel/conform/arbitraries/hugetlb/index.js';
import { conformOnKernel, type ConformOptions, type ConformTarget } from '../../kernel/conform/conform.js';
import { generateScripts, scriptArbitrary } from '../../kernel/conform/generate.js';
import { judge } from '../../kernel/conform/judge.js';
import { predict } from '../../kernel/conform/predict.js';
import { shrinkDisagreement } from '../../kernel/conform/shrink.js';
import { readItf } from '../../traces/itf.js';
import { hugetlb } from '../../subsystems/hugetlb/index.js';
import { hugetlbProbe } from '../../subsystems/hugetlb/probe.js';
import { FakeKernel } from './fake-kernel.js';

const opts = (over: Partial<ConformOptions> = {}): ConformOptions => ({
  runs: 60,
  seed: 7,
  length: 10,
  perBoot: 25,
  shrinkBatch: 16,
  shrinkBoots: 40,
  maxShrinks: 3,
  outDir: mkdtempSync(join(tmpdir(), 'conform-')),
  ...over,
});

const target = (k: FakeKernel): ConformTarget => ({
  sub: hugetlb,
  variant: null,
  profile: hugetlbProfile,
  runner: k,
  mapping: hugetlbProbe,
  toC: (s) => compileScripts(hugetlbProbe, [s]),
});

describe('conform shrinking with a fake kernel', () => {
  it('shrinks a divergence on any hole punch to the single punch, one boot per batch', async () => {
    const k = new FakeKernel(hugetlb, hugetlbProbe, (s, i) => s.steps[i]!.op === 'punch');
    const o = opts();
    const r = await conformOnKernel(target(k), o, () => {});
    expect(r.verdict).toBe('DISAGREE');
    // the fake kernel is the model elsewhere, so the model's own spec disagreements may show too
    const g = r.groups.find((x) => x.signature === 'kernel-vs-model on punch (ret)')!;
    expect(r.groups.filter((x) => x.signature.startsWith('kernel-vs-model'))).toEqual([g]);
    const min = g.shrunk!.minimal.value_.script;
    expect(min.steps).toEqual([{ op: 'punch', args: { f: 0, from: 0, to: 1 } }]);
    expect(g.shrunk!.minimalReached).toBe(true);
    // generation boots + one boot per shrink batch, never more candidates per boot than asked
    expect(k.batches.length).toBe(r.boots);
    expect(k.batches.slice(Math.ceil(o.runs / o.perBoot)).every((n) => n <= o.shrinkBatch)).toBe(true);
    expect(r.disagreed).toBe(r.judged - r.agreed);
    // saved: a script mmcheck run reads, an ITF trace naming the kernel, a C reproducer
    const f = g.files!;
    expect(JSON.parse(readFileSync(f.script, 'utf8')).steps).toEqual(min.steps);
    const itf = readItf(f.itf);
    expect(itf['#meta'].violation.kind).toBe('conform:kernel-vs-model');
    expect((itf['#meta'] as Record<string, any>).conform.kernel).toBe('6.99.0-fake');
    expect(readFileSync(f.c!, 'utf8')).toContain('h_punch(0, 0, 1)');
  });

  it('keeps the steps the divergence needs: a write fault through a mapping shrinks to mmap + fault', async () => {
    const k = new FakeKernel(
      hugetlb,
      hugetlbProbe,
      (s, i) => s.steps[i]!.op === 'fault' && s.steps[i]!.args.write === true,
    );
    const r = await conformOnKernel(target(k), opts({ runs: 80 }), () => {});
    const g = r.groups.find((x) => x.signature.startsWith('kernel-vs-model on fault'))!;
    const min = g.shrunk!.minimal.value_.script;
    expect(min.steps.map((s) => s.op)).toEqual(['mmap', 'fault']);
    expect(min.steps[0]!.args.v).toBe(0);
    expect(min.steps[1]!.args).toEqual({ v: 0, i: 0, write: true });
    expect(g.shrunk!.disagreement.step).toBe(1);
    expect(g.shrunk!.minimalReached).toBe(true);
  });

  it('a failed boot while shrinking keeps the smallest script so far and says it is not minimal', async () => {
    const k = new FakeKernel(hugetlb, hugetlbProbe, (s, i) => s.steps[i]!.op === 'truncate');
    const arb = scriptArbitrary(hugetlbProfile, hugetlb, 10);
    const values = generateScripts(arb, 3, 50);
    const t = target(k);
    const judgeAll = async (scripts: readonly (typeof values)[number]['value_']['script'][]) => {
      const out = await k.runBatch('hugetlb', scripts);
      if (out.kind !== 'ran') return out.detail;
      return out.results.map((res, j) =>
        judge(hugetlb, scripts[j]!, predict(hugetlb, null, hugetlbProbe, scripts[j]!), res, hugetlbProbe.retOf),
      );
    };
    const start = values.find(
      (v) => v.value_.script.steps.length > 2 && v.value_.script.steps.some((s) => s.op === 'truncate'),
    )!;
    const [v0] = (await judgeAll([start.value_.script])) as ReturnType<typeof judge>[];
    expect(v0!.kind).toBe('disagree');
    k.bootFails = true;
    const r = await shrinkDisagreement(arb, start, (v0 as { d: any }).d, judgeAll, { batch: 8, maxBoots: 5 });
    expect(r.minimalReached).toBe(false);
    expect(r.stoppedBy).toMatch(/failed boot/);
    expect(r.minimal).toBe(start);
    expect(t.runner).toBe(k);
  });

  it('a boot budget of zero reports the first failing script unshrunk, not minimal', async () => {
    const k = new FakeKernel(hugetlb, hugetlbProbe, (s, i) => s.steps[i]!.op === 'mmap');
    const r = await conformOnKernel(target(k), opts({ runs: 20, shrinkBoots: 0 }), () => {});
    const g = r.groups.find((x) => x.signature === 'kernel-vs-model on mmap (ret)')!;
    expect(g.shrunk!.minimalReached).toBe(false);
    expect(g.shrunk!.stoppedBy).toMatch(/budget of 0 boots/);
    expect(existsSync(g.files!.script)).toBe(true);
  });
});
