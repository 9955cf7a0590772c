/** Judging kernel observations against the implementation's prediction and the spec. */
import { describe, expect, it } from 'vitest';
import type { Script } from '../../checker/scenario-file.js';
import { hugetlbProfile } from '../../kernel/conform/arbitraries/hugetlb/index.js';
import { conformOnKernel } from '../../kernel/conform/conform.js';
import { judge, type Verdict } from '../../kernel/conform/judge.js';
import { predict } from '../../kernel/conform/predict.js';
import type { KernelScriptResult, KernelStepObservation } from '../../kernel/types.js';
import { hugetlb } from '../../subsystems/hugetlb/index.js';
import { hugetlbProbe } from '../../subsystems/hugetlb/probe.js';
import { FakeKernel } from './fake-kernel.js';

const P = (o: Record<string, unknown>) => hugetlb.parseParams!(o);
const script = (
  params: Record<string, unknown>,
  steps: [string, Record<string, number | string | boolean>][],
): Script => ({
  params: P(params),
  steps: steps.map(([op, args]) => ({ op, args })),
});

/** What the implementation predicts, as a kernel would print it, with `edit` applied. */
function asKernel(s: Script, edit: (o: KernelStepObservation) => KernelStepObservation = (o) => o): KernelScriptResult {
  const pred = predict(hugetlb, null, hugetlbProbe, s);
  const steps = pred.steps.map((p, i) =>
    edit({
      step: i,
      ret: /^-?\d+$/.test(p.ret) ? Number(p.ret) : p.ret,
      sigbus: p.ret === 'SIGBUS',
      counters: { ...p.counters },
    }),
  );
  return { kind: 'ran', steps, poolRestored: true };
}
const run = (s: Script, k: KernelScriptResult): Verdict =>
  judge(hugetlb, s, predict(hugetlb, null, hugetlbProbe, s), k, hugetlbProbe.retOf);

const shared = script({ pool: 2, fileSize: 2, vmas: 2, mounts: [{ size: 4, min: -1, mounted: true }] }, [
  ['mmap', { v: 0, kind: 'shared', f: 0, from: 0, to: 2 }],
  ['fault', { v: 0, i: 0, write: true }],
  ['munmap', { v: 0 }],
]);

describe('conform judge', () => {
  it('agrees when the kernel shows what the implementation predicts, and lists what was compared', () => {
    const v = run(shared, asKernel(shared));
    expect(v).toEqual({
      kind: 'agree',
      compared: ['HugePages_Free', 'HugePages_Rsvd', 'HugePages_Surp', 'HugePages_Total', 'ret', 'spool0_used'],
    });
  });

  it('a counter the kernel shows differently is a kernel-vs-model disagreement at that step, with the spec view', () => {
    const k = asKernel(shared, (o) => (o.step === 1 ? { ...o, counters: { ...o.counters, HugePages_Rsvd: 0 } } : o));
    const v = run(shared, k);
    expect(v.kind).toBe('disagree');
    if (v.kind !== 'disagree') return;
    expect(v.d.cls).toBe('kernel-vs-model');
    expect(v.d.step).toBe(1);
    expect(v.d.fields).toEqual(['HugePages_Rsvd']);
    expect(v.d.specAllowsKernel).toBe(false);
    expect(v.d.message).toMatch(/HugePages_Rsvd=0 .*predicts ok .*HugePages_Rsvd=1/);
  });

  it('a different return value the spec allows is still a model disagreement, marked as allowed by the spec', () => {
    // an mmap that needs surplus pages may fail with ENOMEM in the spec (buddy may fail: a real kernel freedom); the
    // model's buddy allocation succeeds here (on an idle pool with enough free pages the spec allows only ok since
    // spec/hugetlb/ops-window.ts scoped the transient ENOMEM to concurrent calls)
    const short = script({ pool: 0, overcommit: 2, fileSize: 2, vmas: 1 }, [
      ['mmap', { v: 0, kind: 'shared', f: 0, from: 0, to: 2 }],
    ]);
    const model = asKernel(short);
    expect(model.kind === 'ran' && model.steps[0]!.ret).toBe('ok');
    const k = asKernel(short, (o) =>
      o.step === 0
        ? {
            ...o,
            ret: 'ENOMEM',
            counters: { ...o.counters, HugePages_Rsvd: 0, HugePages_Total: 0, HugePages_Free: 0, HugePages_Surp: 0 },
          }
        : o,
    );
    const v = run(short, k);
    expect(v.kind === 'disagree' && v.d.cls === 'kernel-vs-model' && v.d.specAllowsKernel).toBe(true);
    expect(v.kind === 'disagree' && v.d.fields).toContain('ret');
  });

  it('a caught SIGBUS is the outcome SIGBUS', () => {
    const s = script({ pool: 0, fileSize: 1, vmas: 1 }, [
      ['mmap', { v: 0, kind: 'noreserve', f: 0, from: 0, to: 1 }],
      ['fault', { v: 0, i: 0, write: true }],
    ]);
    const k = asKernel(s);
    expect(k.kind === 'ran' && k.steps[1]!.ret).toBe('SIGBUS');
    expect(run(s, k).kind).toBe('agree');
    const noBus = asKernel(s, (o) => (o.step === 1 ? { ...o, ret: 'ok', sigbus: false } : o));
    const v = run(s, noBus);
    expect(v.kind === 'disagree' && v.d.fields).toEqual(['ret']);
  });

  it('kernel and implementation agreeing on what the spec forbids is kernel-vs-spec (the child subpool reserve finding)', () => {
    const s = script({ pool: 2, fileSize: 2, vmas: 2, mounts: [{ size: 4, min: 1, mounted: true }] }, [
      ['mmap', { v: 0, kind: 'private', f: 0, from: 0, to: 1 }],
      ['fork', { v: 0, c: 1 }],
      ['munmap', { v: 0 }],
      ['fault', { v: 1, i: 0, write: true }],
    ]);
    const v = run(s, asKernel(s));
    expect(v.kind).toBe('disagree');
    if (v.kind !== 'disagree') return;
    expect(v.d.cls).toBe('kernel-vs-spec');
    expect(v.d.step).toBe(3);
    expect(v.d.message).toMatch(/HugePages_Rsvd=1.*allows only .*HugePages_Rsvd=0/);
  });

  it('a probe error is not a verdict on the script; a missing step is an error too', () => {
    expect(run(shared, { kind: 'error', detail: 'mount failed' })).toEqual({ kind: 'error', detail: 'mount failed' });
    const k = asKernel(shared);
    const cut: KernelScriptResult = {
      kind: 'ran',
      steps: k.kind === 'ran' ? k.steps.slice(0, 1) : [],
      poolRestored: true,
    };
    expect(run(shared, cut)).toEqual({ kind: 'error', detail: 'the probe reported no observation for step 1 (fault)' });
  });

  it('a boot failure makes the run INCONCLUSIVE, never AGREE', async () => {
    const k = new FakeKernel(hugetlb, hugetlbProbe, () => false);
    k.bootFails = true;
    const r = await conformOnKernel(
      { sub: hugetlb, variant: null, profile: hugetlbProfile, runner: k, mapping: hugetlbProbe },
      {
        runs: 10,
        seed: 1,
        length: 5,
        perBoot: 5,
        shrinkBatch: 4,
        shrinkBoots: 2,
        maxShrinks: 1,
        outDir: '/nonexistent',
      },
      () => {},
    );
    expect(r.verdict).toBe('INCONCLUSIVE');
    expect(r.stopped).toMatch(/boot-failed on scripts 0..4: fake: no console output/);
    expect(r.judged).toBe(0);
  });
});
