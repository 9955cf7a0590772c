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
});
