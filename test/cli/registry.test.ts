/**
 * The CLI against the real registry: every subsystem is listed with its
 * variants, a hugetlb finding is reported as a violation of the correct
 * implementation, and each subsystem's example script runs and agrees.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { main, type Out } from '../../cli/mmcheck.js';
import { registry } from '../../subsystems/index.js';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Out = { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n'), isTTY: false };
  const code = await main(argv, io);
  return { code, out, err };
}

describe('mmcheck with the registered subsystems', () => {
  test('list shows every subsystem, its scenarios and every variant', async () => {
    const r = await run(['list']);
    expect(r.code).toBe(0);
    for (const s of registry) {
      expect(r.out).toContain(`${s.name}: ${s.title}`);
      for (const v of s.variants) expect(r.out).toMatch(new RegExp(`\\n\\s+${v.name.replace(/[-]/g, '\\-')}\\s+\\S`));
    }
    expect(r.out).toMatch(/findings \(the correct implementation fails these/);
  });

  test('every finding runs on the correct implementation and is reported as the violation it declares', async () => {
    const all = registry.flatMap((s) => (s.findings ?? []).map((f) => ({ sub: s.name, f })));
    expect(all.length).toBeGreaterThan(0);
    for (const { sub, f } of all) {
      const r = await run(['check', sub, '--scenario', f.name, '--quiet', '--out', mkdtempSync(join(tmpdir(), 'mm-'))]);
      expect(r.code, f.name).toBe(1);
      const declared = f.expect.split(' / ').join('|');
      expect(r.out, f.name).toMatch(new RegExp(`FAIL ${sub}/${f.name}: \\w+ (${declared}) after \\d+ steps`));
    }
  }, 120_000);

  test('a variant named for one subsystem runs only there', async () => {
    const r = await run(['check', '--variant', 'H11', '--quiet', '--out', mkdtempSync(join(tmpdir(), 'mm-'))]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/FAIL hugetlb\//);
    expect(r.out).not.toMatch(/thp\/|cleancache\//);
  });

  test('run --script prints the meminfo counters of spec and implementation after each step', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mm-'));
    const f = join(dir, 's.json');
    writeFileSync(
      f,
      JSON.stringify({
        params: { pool: 2, fileSize: 2, vmas: 1 },
        steps: [
          { op: 'mmap', args: { v: 0, kind: 'shared', f: 0, from: 0, to: 2 } },
          { op: 'fault', args: { v: 0, i: 0, write: true } },
        ],
      }),
    );
    const r = await run(['run', 'hugetlb', '--script', f]);
    expect(r.code).toBe(0);
    const lines = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.impl.HugePages_Free, l.impl.HugePages_Rsvd])).toEqual([
      [2, 2],
      [1, 1],
    ]);
    expect(lines.map((l) => [l.spec.HugePages_Free, l.spec.HugePages_Rsvd])).toEqual([
      [2, 2],
      [1, 1],
    ]);
    expect(lines.every((l) => l.agree)).toBe(true);
  });
});
