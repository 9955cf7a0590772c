/**
 * memfd_create(MFD_HUGETLB): an empty unnamed file on the internal mount,
 * sized, mapped, faulted and closed like a hugetlbfs file, in the spec and in
 * the implementation; the internal mount cannot be mounted or unmounted.
 */
import { describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import { parseScript } from '../../checker/scenario-file.js';
import { runImplSteps } from '../../checker/sequential-impl.js';
import type { OpChoice } from '../../checker/types.js';
import { applyOp, initView } from '../../spec/hugetlb/model.js';
import { hugetlb, parseParams } from '../../subsystems/hugetlb/index.js';

const o = (op: string, args: Record<string, number | string | boolean> = {}): OpChoice => ({ op, args });
const params = {
  pool: 2,
  fileSize: 2,
  vmas: 2,
  mounts: [
    { size: 6, min: -1, mounted: true },
    { size: -1, min: -1, mounted: true, internal: true },
  ],
  fileMount: [0, 1],
};
const steps: OpChoice[] = [
  o('memfd_create', { f: 0 }),
  o('memfd_create', { f: 1 }),
  o('memfd_create', { f: 1 }),
  o('umount', { m: 1 }),
  o('truncate', { f: 1, size: 2 }),
  o('mmap', { v: 0, kind: 'shared', f: 1, from: 0, to: 2 }),
  o('fault', { v: 0, i: 0, write: true }),
  o('close', { f: 1 }),
  o('munmap', { v: 0 }),
  o('memfd_create', { f: 1 }),
];
const rets = ['EINVAL', 'ok', 'EBUSY', 'EINVAL', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'];

describe('hugetlb memfd_create(MFD_HUGETLB)', () => {
  test('spec: a fresh empty unnamed file; reservations at mmap, all back after close and munmap; the slot is free again', () => {
    const p = parseParams(params);
    let view = initView(p);
    expect(view.files[1]!.evicted).toBe(true);
    const got: string[] = [];
    for (const x of steps) {
      const out = applyOp(view, x.op, x.args, 0, p);
      if (!out) throw new Error(`spec rejected ${x.op}`);
      view = out.view;
      got.push(out.ret);
      if (x.op === 'mmap') expect(view.rsvd).toBe(2);
    }
    expect(got).toEqual(rets);
    expect(view.files[1]).toMatchObject({ size: 0, open: true, linked: false, evicted: false, cache: [] });
    expect([view.free, view.rsvd]).toEqual([2, 0]);
  });

  test('implementation: the same returns', () => {
    const run = runImplSteps(hugetlb, parseScript(hugetlb, { params, steps }, 'test'), null);
    expect(run.stopped).toBeUndefined();
    expect(run.steps.map((s) => s.ret)).toEqual(rets);
  });

  test('an internal mount with size= is rejected', () => {
    expect(() => parseParams({ ...params, mounts: [{ size: 2, min: -1, mounted: true, internal: true }] })).toThrow(
      /internal/,
    );
  });

  test('the default scenario refines the spec', () => {
    const sc = hugetlb.scenarios.find((s) => s.name === 'memfd-hugetlb')!;
    const r = checkScenario(hugetlb, sc, { variant: null });
    if (r.violation) throw new Error(`${r.violation.kind}: ${r.violation.message}`);
    expect(r.exhaustive).toBe(true);
  });
});
