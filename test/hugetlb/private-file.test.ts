/**
 * MAP_PRIVATE of a file that has page-cache pages, and MADV_DONTNEED: the
 * spec's data promises (sees(): what each mapping reads at each index) on a
 * sequential history, and every one-thread program over the private-file
 * ops refining the spec with the data invariant exercised.
 */
import { describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import { parseScript } from '../../checker/scenario-file.js';
import { runImplSteps } from '../../checker/sequential-impl.js';
import type { OpChoice } from '../../checker/types.js';
import { applyOp, initView, sees, TOKEN, type HugetlbView } from '../../spec/hugetlb/model.js';
import { hugetlb, parseParams } from '../../subsystems/hugetlb/index.js';

const o = (op: string, args: Record<string, number | string | boolean> = {}): OpChoice => ({ op, args });

/** Run ops on the spec with the default (no-failure) outcome; every op must be accepted. */
function specRun(params: object, ops: OpChoice[]): { view: HugetlbView; rets: string[] } {
  const p = parseParams(params);
  let view = initView(p);
  const rets: string[] = [];
  for (const x of ops) {
    const out = applyOp(view, x.op, x.args, 0, p);
    if (!out) throw new Error(`spec rejected ${x.op}`);
    view = out.view;
    rets.push(out.ret);
  }
  return { view, rets };
}

describe('hugetlb private file mappings: data', () => {
  const mine = (slot: number): number => TOKEN.privateBase + slot;

  test('a private read sees the shared write; a private write is never visible through the file or the shared mapping', () => {
    const { view, rets } = specRun({ pool: 4, fileSize: 3, vmas: 2 }, [
      o('mmap', { v: 0, kind: 'shared', f: 0, from: 1, to: 3 }),
      o('fault', { v: 0, i: 1, write: true }),
      o('mmap', { v: 1, kind: 'private_file', f: 0, from: 1, to: 3 }),
      o('fault', { v: 1, i: 1, write: false }),
      o('fault', { v: 1, i: 2, write: true }),
    ]);
    expect(rets).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(sees(view, 1, 1)).toBe(TOKEN.file); // read through the private mapping: the file's page
    expect(sees(view, 1, 2)).toBe(mine(1)); // its own copy
    expect(sees(view, 0, 2)).toBe(TOKEN.zero); // the shared mapping reads the file: no private data
    expect(view.files[0]!.data.every(([, tok]) => tok < TOKEN.privateBase)).toBe(true);
    expect(view.vmas[1]!.resv).toEqual([1]); // the copy at 2 took the owner's promise, the read did not
  });

  test('after fork and COW each process sees its own copy; the child copies without a reservation', () => {
    const { view, rets } = specRun({ pool: 4, fileSize: 2, vmas: 3 }, [
      o('mmap', { v: 0, kind: 'private_file', f: 0, from: 0, to: 2 }),
      o('fault', { v: 0, i: 0, write: true }),
      o('fork', { v: 0, c: 1 }),
      o('fault', { v: 1, i: 0, write: false }),
      o('fault', { v: 1, i: 0, write: true }),
      o('fault', { v: 0, i: 0, write: true }),
    ]);
    expect(rets).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
    expect(sees(view, 0, 0)).toBe(mine(0));
    expect(sees(view, 1, 0)).toBe(mine(1));
    expect(view.vmas[1]!.owner).toBe(false);
    expect(view.rsvd).toBe(1); // only the parent's promise for index 1 is outstanding
  });

  test('MADV_DONTNEED discards the private copy: the file shows again and the owner gets its promise back', () => {
    const { view, rets } = specRun({ pool: 2, fileSize: 2, vmas: 2 }, [
      o('fallocate', { f: 0, from: 0, to: 1 }),
      o('mmap', { v: 0, kind: 'private_file', f: 0, from: 0, to: 1 }),
      o('fault', { v: 0, i: 0, write: true }),
      o('madvise_dontneed', { v: 0, from: 0, to: 1 }),
      o('madvise_dontneed', { v: 0, from: 0, to: 2 }),
      o('madvise_dontneed', { v: 0, from: 1, to: 0 }),
    ]);
    expect(rets).toEqual(['ok', 'ok', 'ok', 'ok', 'ENOMEM', 'EINVAL']);
    expect(sees(view, 0, 0)).toBe(TOKEN.zero); // the file's (zeroed) page again
    expect(view.vmas[0]!.resv).toEqual([0]);
    expect(view.rsvd).toBe(1);
  });
});

describe('hugetlb private file mappings: every one-thread program refines the spec', () => {
  const menu = [
    o('mmap', { v: 0, kind: 'shared', f: 0, from: 0, to: 2 }),
    o('mmap', { v: 1, kind: 'private_file', f: 0, from: 1, to: 3 }),
    o('fault', { v: 0, i: 1, write: true }),
    o('fault', { v: 1, i: 1, write: false }),
    o('fault', { v: 1, i: 1, write: true }),
    o('fault', { v: 1, i: 2, write: true }),
    o('fork', { v: 1, c: 2 }),
    o('fault', { v: 2, i: 1, write: true }),
    o('madvise_dontneed', { v: 1, from: 1, to: 3 }),
    o('punch', { f: 0, from: 1, to: 2 }),
    o('truncate', { f: 0, size: 1 }),
    o('munmap', { v: 1 }),
    o('set_nr', { n: 4 }),
  ];
  test('pool 3 + overcommit 1: reserved, unreserved and surplus copies, zaps with and without restore', () => {
    const params = parseParams({ pool: 3, overcommit: 1, fileSize: 3, vmas: 3 });
    const sc = {
      name: 'private-file menu',
      description: 'private-file menu',
      params,
      threads: [[menu, menu, menu, menu]],
    };
    const r = checkScenario(hugetlb, sc, { variant: null });
    if (r.violation) throw new Error(`${r.violation.kind}: ${r.violation.message}`);
    expect(r.exhaustive).toBe(true);
    expect(r.states).toBeGreaterThan(500);
    expect(r.invariants.find((i) => i.name === 'private-writes-stay-private')?.nonTrivial).toBeGreaterThan(0);
  });
});

describe('hugetlb private file mappings: userfaultfd MINOR', () => {
  // conform seed 20261205 script 174: Debian 6.1.192 and 6.12.118 both SIGBUS at the fault
  // (hugetlb_no_page's userfaultfd_minor() check does not ask VM_SHARED); the model used to COW
  const params = {
    pool: 3,
    overcommit: 1,
    fileSize: 1,
    mounts: [{ size: -1, min: 3, mounted: true }],
    fileMount: [0, 0],
    vmas: 2,
  };
  const steps: OpChoice[] = [
    o('fallocate', { f: 1, from: 0, to: 1 }),
    o('mmap', { v: 1, kind: 'private_file', f: 1, from: 0, to: 1 }),
    o('uffd_register', { v: 1, mode: 'minor' }),
    o('fault', { v: 1, i: 0, write: true }),
  ];

  test("a fault on a page-cache page of a MINOR-registered private mapping is the handler's (SIGBUS), in spec and implementation", () => {
    const spec = specRun(params, steps);
    expect(spec.rets).toEqual(['ok', 'ok', 'ok', 'SIGBUS']);
    expect(spec.view.vmas[1]!.anon).toEqual([]); // no private copy was made
    const run = runImplSteps(hugetlb, parseScript(hugetlb, { params, steps }, 'test'), null);
    expect(run.stopped).toBeUndefined();
    expect(run.steps.map((s) => s.ret)).toEqual(['ok', 'ok', 'ok', 'SIGBUS']);
  });

  test('MISSING registration: a page-cache page is not missing, so the fault maps it (spec and implementation)', () => {
    const missing = steps.map((x) => (x.op === 'uffd_register' ? o('uffd_register', { v: 1, mode: 'missing' }) : x));
    missing[3] = o('fault', { v: 1, i: 0, write: false });
    const spec = specRun(params, missing);
    expect(spec.rets).toEqual(['ok', 'ok', 'ok', 'ok']);
    const run = runImplSteps(hugetlb, parseScript(hugetlb, { params, steps: missing }, 'test'), null);
    expect(run.steps.map((s) => s.ret)).toEqual(['ok', 'ok', 'ok', 'ok']);
  });
});
