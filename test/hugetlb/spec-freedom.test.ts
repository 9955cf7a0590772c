/**
 * The spec's freedoms are scoped to the kernel windows that open them (issue 10 item 1,
 * spec/hugetlb/ops-window.ts): on an idle pool mmap fails exactly when the promise cannot be
 * made and a fault without a reservation gets a free unreserved page, whatever the choice and
 * whatever steps the call itself takes in flight; with a concurrent call in its window the
 * freedom is back. Each idle-pool case failed on the spec before this change.
 */
import { describe, expect, test } from 'vitest';
import { hugetlbSpec } from '../../spec/hugetlb/machine.js';
import { applyOp, initView, type HugetlbView } from '../../spec/hugetlb/model.js';
import { kindOf, windowOpen } from '../../spec/hugetlb/ops-window.js';
import type { HugetlbParams } from '../../spec/hugetlb/params.js';
import { parseParams } from '../../subsystems/hugetlb/index.js';

type A = Record<string, number | string | boolean>;

/** Every return value the spec allows op(a) on v, over all its choices. */
function outcomes(v: HugetlbView, op: string, a: A, p: HugetlbParams): string[] {
  const cs = (hugetlbSpec.choices as (o: string, a: A, v: HugetlbView, p: HugetlbParams) => readonly number[])(
    op,
    a,
    v,
    p,
  );
  const rets = new Set<string>();
  for (const c of cs) {
    const o = applyOp(v, op, a, c, p);
    if (o) rets.add(o.ret);
  }
  return [...rets].sort();
}

/** The outcomes of op(a) on v and after any sequence of its own in-flight steps (a sequential history). */
function sequentialOutcomes(v: HugetlbView, op: string, a: A, p: HugetlbParams): string[] {
  const rets = new Set<string>();
  const walk = (w: HugetlbView, depth: number): void => {
    for (const r of outcomes(w, op, a, p)) rets.add(r);
    if (depth > 3) return;
    for (const ev of hugetlbSpec.pendingInternal!(w, op, a, p)) {
      const next = windowOpen(w, Number((ev as { code?: number }).code ?? -1));
      if (next) walk(next, depth + 1);
    }
  };
  walk(v, 0);
  return [...rets].sort();
}

/** Run ops with the default outcome. */
function run(p: HugetlbParams, ops: [string, A][]): HugetlbView {
  let v = initView(p);
  for (const [op, a] of ops) {
    const o = applyOp(v, op, a, 0, p);
    if (!o || o.ret !== 'ok') throw new Error(`setup ${op} failed`);
    v = o.view;
  }
  return v;
}

/** The step `op(a)` in flight takes, of the given kind (0 holds a page, 1 mmap accounted). */
function step(v: HugetlbView, op: string, a: A, p: HugetlbParams, kind: number): HugetlbView {
  const ev = hugetlbSpec.pendingInternal!(v, op, a, p).find(
    (e) => kindOf(Number((e as { code?: number }).code)) === kind,
  );
  const next = ev && windowOpen(v, Number((ev as { code?: number }).code));
  if (!next) throw new Error(`no window step of ${op}`);
  return next;
}

describe('hugetlb spec freedom: exact on an idle pool', () => {
  const p = parseParams({ pool: 2, fileSize: 2, vmas: 2 });

  test('a 2-page mmap of a 2-page pool succeeds (no transient ENOMEM)', () => {
    const v = initView(p);
    expect(sequentialOutcomes(v, 'mmap', { v: 0, kind: 'shared', f: 0, from: 0, to: 2 }, p)).toEqual(['ok']);
    expect(sequentialOutcomes(v, 'mmap', { v: 0, kind: 'private', f: 0, from: 0, to: 2 }, p)).toEqual(['ok']);
    // and a 3-page promise on a 2-page pool cannot be made (fileSize 3)
    const p3 = parseParams({ pool: 2, fileSize: 3, vmas: 2 });
    expect(sequentialOutcomes(initView(p3), 'mmap', { v: 0, kind: 'shared', f: 0, from: 0, to: 3 }, p3)).toEqual([
      'ENOMEM',
    ]);
  });

  test('a NORESERVE fault with free unreserved pages gets a page (no SIGBUS)', () => {
    const v = run(p, [['mmap', { v: 0, kind: 'noreserve', f: 0, from: 0, to: 2 }]]);
    expect(sequentialOutcomes(v, 'fault', { v: 0, i: 0, write: true }, p)).toEqual(['ok']);
    const w = run(p, [['mmap', { v: 0, kind: 'private_noreserve', f: 0, from: 0, to: 2 }]]);
    expect(sequentialOutcomes(w, 'fault', { v: 0, i: 1, write: false }, p)).toEqual(['ok']);
  });

  test('an unreserved fault with no free unreserved page and no overcommit SIGBUSes', () => {
    const v = run(p, [
      ['mmap', { v: 0, kind: 'shared', f: 0, from: 0, to: 2 }],
      ['mmap', { v: 1, kind: 'private_noreserve', f: 0, from: 0, to: 1 }],
    ]);
    expect(sequentialOutcomes(v, 'fault', { v: 1, i: 0, write: true }, p)).toEqual(['SIGBUS']);
  });
});

describe('hugetlb spec freedom: kept inside the kernel windows', () => {
  const p = parseParams({ pool: 2, fileSize: 2, vmas: 2 });

  test('a fault holding its page (hugetlb_no_page before the commit): a concurrent 2-page mmap may fail', () => {
    const v = run(p, [['mmap', { v: 1, kind: 'noreserve', f: 0, from: 0, to: 2 }]]);
    const held = step(v, 'fault', { v: 1, i: 0, write: true }, p, 0);
    expect(outcomes(held, 'mmap', { v: 0, kind: 'private', f: 0, from: 0, to: 2 }, p)).toEqual(['ENOMEM', 'ok']);
    // the fault's own event closes the window
    const after = applyOp(held, 'fault', { v: 1, i: 0, write: true }, 0, p)!;
    expect(after.view.windows).toEqual([]);
  });

  test('a reserving mmap between hugetlb_acct_memory and region_add: a NORESERVE fault may SIGBUS', () => {
    const v = run(p, [['mmap', { v: 1, kind: 'noreserve', f: 0, from: 0, to: 2 }]]);
    const acct = step(v, 'mmap', { v: 0, kind: 'private', f: 0, from: 0, to: 2 }, p, 1);
    expect(outcomes(acct, 'fault', { v: 1, i: 0, write: true }, p)).toEqual(['SIGBUS', 'ok']);
  });
});
