/**
 * subsystems/hugetlb/explain.ts: the known finding behind a conform
 * disagreement where kernel and implementation agree against the spec. The
 * scripts are the four the CI conformance smoke showed on Debian 6.1.192 and
 * 6.12.118 (seed 20261205, scripts 16, 57, 124 and 166 of 200 at 71b91fb),
 * and script 642 of seed 20261206 (a fork child's page faulted in by
 * MADV_SOFT_OFFLINE).
 */
import { describe, expect, test } from 'vitest';
import type { Script } from '../../checker/scenario-file.js';
import type { Args } from '../../checker/types.js';
import { runImplSteps } from '../../checker/sequential-impl.js';
import { hugetlb } from '../../subsystems/hugetlb/index.js';
import { explainHugetlb } from '../../subsystems/hugetlb/explain.js';

const mount = (size: number, min: number) => ({ size, min, mounted: true });
const P = (p: Record<string, unknown>): unknown => hugetlb.parseParams!({ numa: false, inject: false, ...p });
const step = (op: string, args: Args) => ({ op, args });

const SMOKE: { index: number; step: number; finding: string; script: Script }[] = [
  {
    index: 16,
    step: 6,
    finding: 'finding-out-put-pages-min',
    script: {
      params: P({ pool: 3, overcommit: 0, fileSize: 4, mounts: [mount(-1, 3)], fileMount: [0], vmas: 4 }),
      steps: [
        step('mmap', { v: 3, kind: 'shared', f: 0, from: 1, to: 4 }),
        step('unlink', { f: 0 }),
        step('fault', { v: 3, i: 2, write: true }),
        step('uffd_continue', { v: 3, i: 3 }),
        step('fault', { v: 3, i: 3, write: false }),
        step('fault', { v: 3, i: 3, write: false }),
        step('mmap', { v: 2, kind: 'private', f: 0, from: 2, to: 4 }),
      ],
    },
  },
  {
    index: 57,
    step: 1,
    finding: 'finding-alloc-fail-subpool-refill',
    script: {
      params: P({
        pool: 2,
        overcommit: 0,
        fileSize: 4,
        mounts: [mount(-1, 1), mount(-1, -1)],
        fileMount: [0, 0],
        vmas: 3,
      }),
      steps: [
        step('mmap', { v: 1, kind: 'shared', f: 1, from: 3, to: 4 }),
        step('fallocate', { f: 0, from: 2, to: 4 }),
      ],
    },
  },
  {
    index: 124,
    step: 5,
    finding: 'finding-alloc-fail-subpool-refill',
    script: {
      params: P({
        pool: 1,
        overcommit: 2,
        fileSize: 3,
        mounts: [mount(-1, 1), mount(2, -1)],
        fileMount: [0, 1, 1],
        vmas: 3,
      }),
      steps: [
        step('mmap', { v: 2, kind: 'private_file', f: 1, from: 2, to: 3 }),
        step('umount', { m: 1 }),
        step('munmap', { v: 2 }),
        step('fallocate', { f: 2, from: 2, to: 3 }),
        step('mmap', { v: 2, kind: 'private_noreserve', f: 0, from: 2, to: 3 }),
        step('fallocate', { f: 0, from: 0, to: 3 }), // the first page takes the mount reserve, a later one fails
      ],
    },
  },
  {
    index: 166,
    step: 1,
    finding: 'finding-noreserve-subpool-reserve',
    script: {
      params: P({
        pool: 3,
        overcommit: 1,
        fileSize: 1,
        mounts: [mount(2, 1), mount(-1, -1)],
        fileMount: [0, 0, 1],
        vmas: 4,
      }),
      steps: [
        step('mmap', { v: 1, kind: 'private_noreserve', f: 0, from: 0, to: 1 }),
        step('fault', { v: 1, i: 0, write: false }),
      ],
    },
  },
];

describe('known findings behind kernel-and-implementation-against-the-spec disagreements', () => {
  for (const kv of ['6.1', '6.12'])
    test(`the CI smoke's four disagreements on ${kv} are known findings`, () => {
      for (const s of SMOKE) {
        const run = runImplSteps(hugetlb, s.script, null, false, kv);
        expect(run.steps[s.step]!.invariant, `script ${s.index}`).toMatch(/resv-conservation/);
        expect(explainHugetlb(s.script, s.step, run), `script ${s.index}`).toBe(s.finding);
      }
    });

  test('a script that breaks nothing, or a step no finding describes, is not explained', () => {
    const ok: Script = {
      params: P({ pool: 2, overcommit: 0, fileSize: 2, mounts: [mount(-1, 1)], fileMount: [0], vmas: 2 }),
      steps: [step('mmap', { v: 0, kind: 'shared', f: 0, from: 0, to: 1 }), step('fault', { v: 0, i: 0, write: true })],
    };
    const run = runImplSteps(hugetlb, ok, null, false, '6.12');
    expect(run.steps.every((s) => s.invariant === undefined)).toBe(true);
    expect(explainHugetlb(ok, 1, run)).toBeUndefined();
    // the same fault with its mapping's reservation gone would be the noreserve finding: not here
    expect(
      explainHugetlb(SMOKE[3]!.script, 0, runImplSteps(hugetlb, SMOKE[3]!.script, null, false, '6.12')),
    ).toBeUndefined();
  });

  test("only the disagreement's own step is explained: an earlier pattern is the first cause of an unexplained one", () => {
    // the noreserve finding at step 1, then a later step (a write fault on the same page) disagreeing for
    // another reason: the finding names the first cause but does not explain step 2
    const s = SMOKE[3]!;
    const script: Script = { ...s.script, steps: [...s.script.steps, step('fault', { v: 1, i: 0, write: true })] };
    const run = runImplSteps(hugetlb, script, null, false, '6.12');
    expect(explainHugetlb(script, 1, run)).toBe('finding-noreserve-subpool-reserve');
    expect(explainHugetlb(script, 2, run)).toEqual({
      notExplained:
        'first cause finding-noreserve-subpool-reserve at step 1, later disagreement at step 2 not explained',
    });
  });

  const SOFT_OFFLINE_CHILD: Script = {
    params: P({ pool: 5, overcommit: 1, fileSize: 2, mounts: [mount(4, 1)], fileMount: [0], vmas: 3, pud: 0 }),
    steps: [
      step('mmap', { v: 1, kind: 'private', f: 0, from: 0, to: 1 }),
      step('madvise_dontneed', { v: 1, from: 1, to: 2 }),
      step('fork', { v: 1, c: 0 }),
      step('uffd_register', { v: 0, mode: 'minor' }),
      step('uffd_register', { v: 0, mode: 'minor' }),
      step('munmap', { v: 1 }),
      step('soft_offline', { v: 0, i: 0 }), // GUP faults the child's page in, the migration says EBUSY
    ],
  };
  for (const kv of ['6.1', '6.12'])
    test(`MADV_SOFT_OFFLINE faulting a fork child's page in is finding-child-subpool-reserve on ${kv}`, () => {
      const run = runImplSteps(hugetlb, SOFT_OFFLINE_CHILD, null, false, kv);
      expect(run.steps[6]!.ret).toBe('EBUSY');
      expect(run.steps[6]!.invariant).toMatch(/resv-conservation/);
      expect(explainHugetlb(SOFT_OFFLINE_CHILD, 6, run)).toBe('finding-child-subpool-reserve');
    });
});
