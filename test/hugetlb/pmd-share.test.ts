/**
 * PMD sharing: which page tables two processes' MAP_SHARED mappings of one
 * file share (impl/hugetlb/pmd-share.ts), what each unshare path leaves, and
 * the spec's promises under it (spec/hugetlb/ops-pmd-share.ts): a MINOR
 * registration tracks presence exactly from then on, the variants
 * b30c14cd6102 and 081056dc00a2 break that and are caught.
 */
import { describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import { parseScript } from '../../checker/scenario-file.js';
import { runImplSteps } from '../../checker/sequential-impl.js';
import type { OpChoice } from '../../checker/types.js';
import type { G } from '../../impl/hugetlb/state.js';
import { applyOp, initView, sees, TOKEN, type HugetlbView } from '../../spec/hugetlb/model.js';
import { hugetlb, parseParams } from '../../subsystems/hugetlb/index.js';

const o = (op: string, args: Record<string, number | string | boolean> = {}): OpChoice => ({ op, args });
const params = { pool: 2, fileSize: 2, vmas: 3, pud: 2 };
const both: OpChoice[] = [
  o('mmap', { v: 0, kind: 'shared', f: 0, from: 0, to: 2 }),
  o('fault', { v: 0, i: 1, write: false }),
  o('mmap', { v: 1, kind: 'shared', f: 0, from: 0, to: 2 }),
  o('fault', { v: 1, i: 0, write: true }),
];

/** The implementation along a sequential script: the returns and the final state. */
function implRun(steps: OpChoice[], variant: string | null = null, p: object = params): { rets: string[]; g: G } {
  const run = runImplSteps(hugetlb, parseScript(hugetlb, { params: p, steps }, 'test'), variant);
  if (run.stopped) throw new Error(`stopped: ${run.stopped.problem}`);
  return { rets: run.steps.map((s) => String(s.ret)), g: run.steps.at(-1)!.impl as G };
}

function specRun(steps: OpChoice[], choices: Record<number, number> = {}): { view: HugetlbView; rets: string[] } {
  const p = parseParams(params);
  let view = initView(p);
  const rets: string[] = [];
  steps.forEach((x, k) => {
    const out = applyOp(view, x.op, x.args, choices[k] ?? 0, p);
    if (!out) throw new Error(`spec rejected ${x.op}`);
    view = out.view;
    rets.push(out.ret);
  });
  return { view, rets };
}

describe('hugetlb PMD sharing (implementation)', () => {
  test("a second process's fault shares the first one's page table: each sees the other's PTEs", () => {
    const { rets, g } = implRun(both);
    expect(rets).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(g.vma[0]!.pmd).toEqual(g.vma[1]!.pmd);
    expect(g.vma[0]!.pmd[0]! & 15).toBeGreaterThanOrEqual(2); // PMD_SHARED + lowest slot
    expect(g.vma[0]!.pcm).toEqual([0, 1]);
    expect(g.vma[1]!.pcm).toEqual([0, 1]);
  });

  test('without a PUD block (pud 0) nothing is shared', () => {
    const { g } = implRun(both, null, { ...params, pud: 0 });
    expect(g.vma[0]!.pmd).toEqual([]);
    expect(g.vma[0]!.pcm).toEqual([1]);
  });

  test('munmap, mprotect and MADV_DONTNEED unshare only their own mapping; the other keeps its table and PTEs', () => {
    for (const last of [
      o('munmap', { v: 0 }),
      o('mprotect', { v: 0, from: 0, to: 1, ro: true, c: 2 }),
      o('madvise_dontneed', { v: 0, from: 0, to: 2 }),
    ]) {
      const { g } = implRun([...both, last]);
      expect(g.vma[1]!.pmd).toEqual([1]); // block 0, PMD_OWN: its own now
      expect(g.vma[1]!.pcm).toEqual([0, 1]);
      expect(g.vma[0]!.pmd).toEqual([]);
    }
  });

  test('a hole punch unmaps the page from every process (the first unshares, the last zaps)', () => {
    const { g } = implRun([...both, o('punch', { f: 0, from: 0, to: 1 })]);
    expect(g.file[0]!.pc).toEqual([1]);
    expect(g.vma.flatMap((v) => v.pcm.filter((i) => i === 0))).toEqual([]);
  });

  test('a MINOR registration of part of the block unshares it (hugetlb_split); without b30c14cd6102 the piece keeps sharing', () => {
    const reg = o('uffd_register', { v: 0, mode: 'minor', from: 0, to: 1, c: 2 });
    const fixed = implRun([...both, reg]).g;
    expect(fixed.vma[0]!.pmd).toEqual([]);
    expect(fixed.vma[0]!.pcm).toEqual([]);
    const buggy = implRun([...both, reg], 'b30c14cd6102').g;
    expect(buggy.vma[0]!.pmd).toEqual(buggy.vma[1]!.pmd);
    expect(buggy.vma[0]!.pcm).toEqual([0]);
  });
});

describe('hugetlb PMD sharing (spec)', () => {
  test("a shareable mapping's present pages are not tracked; data is the file's", () => {
    const { view } = specRun(both);
    expect(view.vmas[0]!.pagecache).toEqual([]);
    expect(sees(view, 0, 0)).toBe(TOKEN.file);
  });

  test('a MINOR registration picks any subset of the cached pages in its range, and tracks them exactly from then on', () => {
    const reg = o('uffd_register', { v: 0, mode: 'minor', from: 0, to: 1, c: 2 });
    const p = parseParams(params);
    const v0 = specRun(both).view;
    expect(applyOp(v0, reg.op, reg.args, 0b01, p)?.view.vmas[0]!.pagecache).toEqual([0]);
    expect(applyOp(v0, reg.op, reg.args, 0b00, p)?.view.vmas[0]!.pagecache).toEqual([]);
    expect(applyOp(v0, reg.op, reg.args, 0b10, p)).toBeUndefined(); // index 1 is outside the range
    const { view, rets } = specRun([...both, reg, o('fault', { v: 0, i: 0, write: false })]);
    expect(rets.slice(4)).toEqual(['ok', 'SIGBUS']); // not present: a minor fault
    expect(view.vmas.map((m) => [m.from, m.to, m.uffd])).toEqual([
      [0, 1, 'minor'],
      [0, 2, 'none'],
      [1, 2, 'none'],
    ]);
  });

  test('register errors change nothing: empty or outside range EINVAL, no slot for the piece ENOMEM', () => {
    const { rets } = specRun([
      o('mmap', { v: 0, kind: 'shared', f: 0, from: 0, to: 2 }),
      o('mmap', { v: 1, kind: 'shared', f: 0, from: 0, to: 2 }),
      o('mmap', { v: 2, kind: 'shared', f: 0, from: 0, to: 2 }),
      o('uffd_register', { v: 0, mode: 'minor', from: 1, to: 1 }),
      o('uffd_register', { v: 0, mode: 'minor', from: 1, to: 3 }),
      o('uffd_register', { v: 0, mode: 'minor', from: 1, to: 2 }),
    ]);
    expect(rets.slice(3)).toEqual(['EINVAL', 'EINVAL', 'ENOMEM']);
  });

  test('the scenarios refine the spec; b30c14cd6102 and 081056dc00a2 are caught in pmd-share-minor-split', () => {
    for (const name of ['pmd-share-minor-split', 'pmd-share-unshare']) {
      const sc = hugetlb.scenarios.find((s) => s.name === name)!;
      const r = checkScenario(hugetlb, sc, { variant: null });
      if (r.violation) throw new Error(`${name}: ${r.violation.kind}: ${r.violation.message}`);
      expect(r.exhaustive).toBe(true);
    }
    const sc = hugetlb.scenarios.find((s) => s.name === 'pmd-share-minor-split')!;
    for (const variant of ['b30c14cd6102', '081056dc00a2'])
      expect(checkScenario(hugetlb, sc, { variant }).violation?.kind).toBe('refinement');
  });
});
