/**
 * conform names the known finding behind every disagreement where kernel and
 * implementation agree against the spec (KernelMapping.explain), and says so
 * when none does. The kernel is fake: the implementation itself, so every
 * spec breach of the implementation shows as such a disagreement.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hugetlbProfile } from '../../kernel/conform/arbitraries/hugetlb/index.js';
import { conformOnKernel } from '../../kernel/conform/conform.js';
import type { ConformProfile } from '../../kernel/conform/profile.js';
import { renderConform } from '../../kernel/conform/render.js';
import { hugetlb } from '../../subsystems/hugetlb/index.js';
import { hugetlbProbe } from '../../subsystems/hugetlb/probe.js';
import { FakeKernel } from './fake-kernel.js';

// a MAP_PRIVATE|MAP_NORESERVE read fault on a min_size mount: finding-noreserve-subpool-reserve every time
const profile: ConformProfile = {
  ...hugetlbProfile,
  params: () =>
    fc.constant({
      pool: 2,
      overcommit: 0,
      fileSize: 1,
      mounts: [{ size: -1, min: 1, mounted: true }],
      fileMount: [0],
      vmas: 1,
      numa: false,
      inject: false,
    }),
  ops: [
    {
      op: 'mmap',
      draw: () => fc.constant({}),
      resolve: (m: { mapped?: boolean }) =>
        m.mapped ? undefined : { v: 0, kind: 'private_noreserve', f: 0, from: 0, to: 1 },
      apply: (m: { mapped?: boolean }) => void (m.mapped = true),
    },
    {
      op: 'fault',
      draw: () => fc.constant({}),
      resolve: (m: { mapped?: boolean }) => (m.mapped ? { v: 0, i: 0, write: false } : undefined),
      apply: () => {},
    },
  ],
  model: () => ({}),
};
const opts = { runs: 6, seed: 3, length: 4, perBoot: 6, shrinkBatch: 4, shrinkBoots: 1, maxShrinks: 0, outDir: '/x' };

describe('conform explains disagreements by known findings', () => {
  it('names the finding per group and says every disagreement is explained', async () => {
    const k = new FakeKernel(hugetlb, hugetlbProbe, () => false);
    const r = await conformOnKernel(
      { sub: hugetlb, variant: null, profile, runner: k, mapping: hugetlbProbe },
      opts,
      () => {},
    );
    expect(r.disagreed).toBeGreaterThan(0);
    expect(r.unexplained).toBe(0);
    expect(r.groups.every((g) => g.explained?.['finding-noreserve-subpool-reserve'] === g.count)).toBe(true);
    const text = renderConform(hugetlb, r, 'rerun').join('\n');
    expect(text).toMatch(/known findings: \d+ explained by finding-noreserve-subpool-reserve/);
    expect(text).toMatch(/every one explained by a known finding\)/);
  });

  it('a disagreement no finding explains is reported as new', async () => {
    const k = new FakeKernel(hugetlb, hugetlbProbe, () => false);
    const mapping = { ...hugetlbProbe, explain: () => undefined };
    const r = await conformOnKernel({ sub: hugetlb, variant: null, profile, runner: k, mapping }, opts, () => {});
    expect(r.unexplained).toBe(r.disagreed);
    const text = renderConform(hugetlb, r, 'rerun').join('\n');
    expect(text).toMatch(/NOT explained by a known finding \(new: shrink it and report it\)/);
    expect(text).toMatch(new RegExp(`${r.disagreed} of them NOT explained by a known finding`));
  });

  it('an explanation that names only an earlier cause is reported as not explained, with that cause', async () => {
    const k = new FakeKernel(hugetlb, hugetlbProbe, () => false);
    const mapping = {
      ...hugetlbProbe,
      explain: () => ({ notExplained: 'first cause finding-x at step 0, later disagreement at step 1 not explained' }),
    };
    const r = await conformOnKernel({ sub: hugetlb, variant: null, profile, runner: k, mapping }, opts, () => {});
    expect(r.disagreed).toBeGreaterThan(0);
    expect(r.unexplained).toBe(r.disagreed);
    expect(r.verdict).toBe('DISAGREE');
    const text = renderConform(hugetlb, r, 'rerun').join('\n');
    expect(text).toMatch(
      /not explained: first cause finding-x at step 0, later disagreement at step 1 not explained \(\d+ scripts\)/,
    );
  });

  // mmap MAP_PRIVATE, write fault, MADV_DONTNEED: 6.1 lacks df7a6d1f6405, so the zap does not restore the
  // owner's reservation (HugePages_Rsvd stays 0 where the spec promises 1); 6.12 has the fix
  const stages = ['mmap', 'fault', 'madvise_dontneed'] as const;
  const ARGS = {
    mmap: { v: 0, kind: 'private', f: 0, from: 0, to: 1 },
    fault: { v: 0, i: 0, write: true },
    madvise_dontneed: { v: 0, from: 0, to: 1 },
  };
  const zapProfile: ConformProfile = {
    ...hugetlbProfile,
    params: () =>
      fc.constant({
        pool: 2,
        overcommit: 0,
        fileSize: 1,
        mounts: [{ size: -1, min: -1, mounted: true }],
        fileMount: [0],
        vmas: 1,
        numa: false,
        inject: false,
      }),
    ops: stages.map((op, n) => ({
      op,
      draw: () => fc.constant({}),
      resolve: (m: { stage: number }): Readonly<Record<string, string | number | boolean>> | undefined =>
        m.stage !== n ? undefined : ARGS[op],
      apply: (m: { stage: number }) => void m.stage++,
    })),
    model: () => ({ stage: 0 }),
  };
  const zapOpts = { ...opts, runs: 30, length: 8 };
  it('a disagreement a fix of a newer modelled version removes is that fix, lacking in this kernel version', async () => {
    const k = new FakeKernel(hugetlb, hugetlbProbe, () => false, '6.1');
    const t = {
      sub: hugetlb,
      variant: null,
      kernelVersion: '6.1',
      profile: zapProfile,
      runner: k,
      mapping: hugetlbProbe,
    };
    const r = await conformOnKernel(t, zapOpts, () => {});
    expect(r.disagreed).toBeGreaterThan(0);
    expect(r.diverged).toBe(0);
    expect(r.unexplained).toBe(0);
    const fix = 'df7a6d1f6405 (a fix 6.1 lacks; 6.12 has it and keeps the spec here)';
    expect(r.groups.every((g) => g.explained?.[fix] === g.count)).toBe(true);
    // 6.12 has the fix: the same scripts agree
    const k12 = new FakeKernel(hugetlb, hugetlbProbe, () => false, '6.12');
    const r12 = await conformOnKernel({ ...t, kernelVersion: '6.12', runner: k12 }, zapOpts, () => {});
    expect(r12.disagreed).toBe(0);
  });
});
