/**
 * Typed step labels: an implementation that declares its step labels as a
 * const list (STEP_LABELS, the StepLabel type every step name and every
 * returned label must be) declares exactly the labels its steps carry. A label
 * declared but carried by no step is dead (a typo'd return could compile
 * against it); a step name not declared cannot happen while the types hold,
 * and this catches a step built around them (a cast, a computed name).
 *
 * impl/thp and impl/thp-folio type labels per operation instead (KStep<L>:
 * an op's steps may return only the names of its own steps).
 */
import { describe, expect, it } from 'vitest';
import type { ImplDef } from '../../checker/types.js';
import { STEP_LABELS as CLEANCACHE_LABELS } from '../../impl/cleancache/labels.js';
import { cleancacheImpl } from '../../impl/cleancache/ops.js';
import { STEP_LABELS as FRONTSWAP_LABELS } from '../../impl/frontswap/labels.js';
import { frontswapImpl } from '../../impl/frontswap/ops.js';
import { STEP_LABELS as HUGETLB_LABELS } from '../../impl/hugetlb/labels.js';
import { OPS as HUGETLB_OPS } from '../../impl/hugetlb/ops.js';

type Ops = ImplDef<unknown>['ops'];

const IMPLS: readonly { name: string; labels: readonly string[]; ops: Ops }[] = [
  { name: 'hugetlb', labels: HUGETLB_LABELS, ops: HUGETLB_OPS as Ops },
  { name: 'cleancache', labels: CLEANCACHE_LABELS, ops: cleancacheImpl.ops as Ops },
  { name: 'frontswap', labels: FRONTSWAP_LABELS, ops: frontswapImpl.ops as Ops },
];

/** Every step name of every op. */
function stepNames(ops: Ops): Set<string> {
  return new Set(Object.values(ops).flatMap((op) => op.steps.map((s) => s.name)));
}

describe.each(IMPLS)('$name step labels', ({ labels, ops }) => {
  it('declares each label once', () => {
    expect(labels.filter((l, i) => labels.indexOf(l) !== i)).toEqual([]);
  });

  it('declares no label that no step carries', () => {
    const used = stepNames(ops);
    expect(labels.filter((l) => !used.has(l))).toEqual([]);
  });

  it('carries no step name it does not declare', () => {
    const declared = new Set(labels);
    expect([...stepNames(ops)].filter((n) => !declared.has(n))).toEqual([]);
  });
});
