/**
 * VMA surgery beyond munmap: mprotect and mremap, on the spec (what a user
 * may rely on) and on the implementation (kernel-faithful), including the
 * kernel's partial-move behaviour the spec rejects (the finding).
 */
import { describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import type { OpChoice } from '../../checker/types.js';
import { applyOp, initView, sees, TOKEN, type HugetlbView } from '../../spec/hugetlb/model.js';
import { findings, hugetlb, parseParams } from '../../subsystems/hugetlb/index.js';

const o = (op: string, args: Record<string, number | string | boolean> = {}): OpChoice => ({ op, args });

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

describe('hugetlb mprotect and mremap', () => {
  test('mprotect of the middle: three mappings, each with its own promises; a write to the read-only one is SIGSEGV', () => {
    const { view, rets } = specRun({ pool: 4, fileSize: 3, vmas: 3 }, [
      o('mmap', { v: 0, kind: 'private', f: 0, from: 0, to: 3 }),
      o('fault', { v: 0, i: 0, write: true }),
      o('mprotect', { v: 0, from: 1, to: 2, ro: true, misalign: true }),
      o('mprotect', { v: 0, from: 1, to: 2, ro: true }),
      o('fault', { v: 1, i: 1, write: true }),
      o('munmap', { v: 2 }),
    ]);
    expect(rets).toEqual(['ok', 'ok', 'EINVAL', 'ok', 'SIGSEGV', 'ok']);
    expect(view.vmas.map((m) => [m.from, m.to, m.ro, m.resv])).toEqual([
      [0, 1, false, []],
      [1, 2, true, [1]],
      [0, 0, false, []],
    ]);
    expect(view.rsvd).toBe(1); // the unmapped piece gave back its own promise only
  });

  test('mremap: growing and a misaligned address are EINVAL, a range past the mapping EFAULT; a move takes pages and data along', () => {
    const { view, rets } = specRun({ pool: 2, fileSize: 2, vmas: 2 }, [
      o('mmap', { v: 0, kind: 'private', f: 0, from: 0, to: 2 }),
      o('fault', { v: 0, i: 1, write: true }),
      o('mremap', { v: 0, from: 0, to: 2, len: 3 }),
      o('mremap', { v: 0, from: 0, to: 2, len: 2, c: 1, misalign: true }),
      o('mremap', { v: 0, from: 1, to: 3, len: 1, c: 1 }),
      o('mremap', { v: 0, from: 0, to: 2, len: 2, c: 1 }),
    ]);
    expect(rets).toEqual(['ok', 'ok', 'EINVAL', 'EINVAL', 'EFAULT', 'ok']);
    expect(view.vmas[0]!.kind).toBe('none');
    expect(view.vmas[1]!.resv).toEqual([0]);
    expect(sees(view, 1, 1)).toBe(TOKEN.privateBase + 0);
  });

  test('the default scenarios refine the spec exhaustively', () => {
    for (const name of ['mprotect-split', 'mremap-shared']) {
      const sc = hugetlb.scenarios.find((s) => s.name === name)!;
      const r = checkScenario(hugetlb, sc, { variant: null });
      if (r.violation) throw new Error(`${name}: ${r.violation.kind}: ${r.violation.message}`);
      expect(r.exhaustive).toBe(true);
    }
  });

  test('the kernel moving part of a private mapping strands the rest without its reservations (finding)', () => {
    const sc = findings.find((f) => f.name === 'finding-mremap-partial-private')!;
    const r = checkScenario(hugetlb, sc, { variant: null });
    expect(r.violation?.kind).toBe('refinement');
  });
});
