/** `mmcheck run --keep-going` and `mmcheck run --spec-only` on hugetlb scripts. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { main, type Out } from '../../cli/mmcheck.js';
import { registry } from '../../subsystems/index.js';

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const io: Out = { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n'), isTTY: false };
  const code = await main(argv, io, registry);
  return {
    code,
    lines: out
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l)),
    err,
  };
}

function file(script: unknown): string {
  const f = join(mkdtempSync(join(tmpdir(), 'mmcheck-run-')), 's.json');
  writeFileSync(f, JSON.stringify(script));
  return f;
}

// the child-subpool-reserve finding, then two more steps: the spec and the implementation part at step 3
const finding = file({
  params: { pool: 2, fileSize: 2, vmas: 2, mounts: [{ size: 4, min: 1, mounted: true }] },
  steps: [
    { op: 'mmap', args: { v: 0, kind: 'private', f: 0, from: 0, to: 1 } },
    { op: 'fork', args: { v: 0, c: 1 } },
    { op: 'munmap', args: { v: 0 } },
    { op: 'fault', args: { v: 1, i: 0, write: true } },
    { op: 'munmap', args: { v: 1 } },
    { op: 'mmap', args: { v: 0, kind: 'shared', f: 0, from: 0, to: 2 } },
  ],
});

describe('mmcheck run --keep-going', () => {
  test('without it the run stops at the first disagreement', async () => {
    const r = await run(['run', 'hugetlb', '--script', finding]);
    expect(r.code).toBe(1);
    expect(r.lines).toHaveLength(4);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });

  test('with it every step is judged and every disagreement reported, later ones marked as following the first', async () => {
    const r = await run(['run', 'hugetlb', '--script', finding, '--keep-going']);
    expect(r.code).toBe(1);
    expect(r.lines.map((l) => l.step)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(r.lines.map((l) => l.agree)).toEqual([true, true, true, false, false, false]);
    expect(r.lines[3].problem).toMatch(/resv-conservation.*refinement.*HugePages_Rsvd differ/);
    expect(r.lines[4].problem).toMatch(/after the disagreement at step 3/);
    expect(r.lines[3].impl.HugePages_Rsvd).toBe(1);
    expect(r.lines[3].spec.HugePages_Rsvd).toBe(0);
    expect(r.err).toMatch(/3 of 6 steps disagree/);
  });

  test('an agreeing script exits 0 with --keep-going too', async () => {
    const ok = file({
      params: { pool: 1, fileSize: 1, vmas: 1 },
      steps: [{ op: 'mmap', args: { v: 0, kind: 'shared', f: 0, from: 0, to: 1 } }],
    });
    const r = await run(['run', 'hugetlb', '--script', ok, '--keep-going']);
    expect(r.code).toBe(0);
    expect(r.lines[0].agree).toBe(true);
  });
});

describe('mmcheck run --spec-only', () => {
  test('prints every outcome the spec allows at each step', async () => {
    const r = await run(['run', 'hugetlb', '--script', finding, '--spec-only']);
    expect(r.code).toBe(0);
    expect(r.lines).toHaveLength(6);
    // a 1-page private mmap with a 2-page pool and min_size 1, nothing else in flight: ok (reserving) only, since
    // spec/hugetlb/ops-window.ts allows a transient ENOMEM only while a concurrent call holds pages or charges
    const rets0 = r.lines[0].allowed.map((a: { ret: unknown }) => a.ret).sort();
    expect(rets0).toEqual(['ok']);
    expect(r.lines[0].allowed.find((a: { ret: unknown }) => a.ret === 'ok').HugePages_Rsvd).toBe(1);
    expect(
      r.lines[3].allowed.some(
        (a: { ret: unknown; HugePages_Rsvd: number }) => a.ret === 'ok' && a.HugePages_Rsvd === 0,
      ),
    ).toBe(true);
    expect(r.lines[3].allowed.some((a: { HugePages_Rsvd: number }) => a.HugePages_Rsvd === 1 && false)).toBe(false);
    expect(r.lines.every((l) => l.specStates >= 1)).toBe(true);
  });

  test('takes neither --keep-going nor --variant', async () => {
    const r = await run(['run', 'hugetlb', '--script', finding, '--spec-only', '--variant', 'H11']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--spec-only runs no implementation/);
  });
});
