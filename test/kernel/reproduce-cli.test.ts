/**
 * `mmcheck reproduce` input errors (exit 2, one line) need no kernel. The
 * real-kernel path runs when MMCHECK_TEST_KERNEL names a kernel (6.1, 6.12 or
 * a bzImage) and qemu is installed; .ci/run always runs it through the CLI.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { main } from '../../cli/mmcheck.js';
import { hasTool } from '../../kernel/tools.js';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n'), isTTY: false });
  return { code, out, err };
}

describe('mmcheck reproduce: bad input is exit 2 with one line', () => {
  const cases: [string[], RegExp][] = [
    [['reproduce', 'hugetlb', '--scenario', 'finding-out-put-pages-min'], /needs --kernel/],
    [['reproduce', 'hugetlb', '--kernel', '6.1'], /needs --scenario/],
    [['reproduce', 'nosuch', '--scenario', 'x', '--kernel', '6.1'], /unknown subsystem 'nosuch'/],
    [['reproduce', 'hugetlb', '--scenario', 'nosuch', '--kernel', '6.1'], /unknown scenario 'nosuch'/],
    [
      ['reproduce', 'hugetlb', '--scenario', 'finding-out-put-pages-min', '--kernel', '6.1', '--kernel-version', '4.4'],
      /--kernel-version 4\.4: hugetlb models 6\.1, 6\.12, mainline/,
    ],
    [
      ['reproduce', 'hugetlb', '--scenario', 'finding-out-put-pages-min', '--kernel', 'v6.1'],
      /expected a series such as 6\.1/,
    ],
    [
      ['reproduce', 'hugetlb', '--scenario', 'finding-out-put-pages-min', '--kernel', '/no/such/bzImage'],
      /no such file/,
    ],
    [['reproduce', '/no/such/script.json', '--kernel', '6.1'], /does not exist/],
    [['reproduce', 'hugetlb', '--scenario', 'finding-out-put-pages-min', '--kernel'], /'--kernel' needs a value/],
  ];
  for (const [argv, msg] of cases)
    test(argv.slice(1).join(' '), async () => {
      const r = await run(argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(msg);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    });

  test('a file that is not a bzImage', async () => {
    const f = join(mkdtempSync(join(tmpdir(), 'mmcheck-k-')), 'bzImage');
    writeFileSync(f, 'not a kernel');
    const r = await run(['reproduce', 'hugetlb', '--scenario', 'finding-out-put-pages-min', '--kernel', f]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/not a bzImage/);
  });

  test('a script for no kernel-runnable subsystem', async () => {
    const f = join(mkdtempSync(join(tmpdir(), 'mmcheck-s-')), 's.json');
    writeFileSync(f, JSON.stringify({ steps: [{ op: 'nope', args: {} }] }));
    const r = await run(['reproduce', f, '--kernel', '6.1']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/not a script of any kernel-runnable subsystem/);
  });
});

const kernel = process.env.MMCHECK_TEST_KERNEL;
describe.skipIf(!kernel || !hasTool('qemu-system-x86_64'))(
  `on a real kernel (${kernel ? `MMCHECK_TEST_KERNEL=${kernel}` : 'skipped: set MMCHECK_TEST_KERNEL=6.1|6.12|PATH and install qemu-system-x86'})`,
  () => {
    test('finding-child-subpool-reserve is REPRODUCED and a reproducer is written', { timeout: 300_000 }, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'mmcheck-r-'));
      const r = await run([
        'reproduce',
        'hugetlb',
        '--scenario',
        'finding-child-subpool-reserve',
        '--kernel',
        kernel!,
        '--out',
        dir,
      ]);
      expect(r.out).toMatch(/verdict {7}REPRODUCED/);
      expect(r.code).toBe(0);
    });
  },
);

describe('mmcheck check --kernel-version', () => {
  const out = mkdtempSync(join(tmpdir(), 'mmcheck-kv-'));
  const check = (...extra: string[]) =>
    run([
      'check',
      'hugetlb',
      '--scenario',
      'out-put-pages-min-only',
      '--jobs',
      '1',
      '--quiet',
      '--allow-vacuous',
      '--out',
      out,
      ...extra,
    ]);

  test('mainline (the default) passes; 6.1 and 6.12 lack a833a693a490 and violate', async () => {
    expect((await check()).code).toBe(0);
    expect((await check('--kernel-version', 'mainline')).code).toBe(0);
    expect((await check('--kernel-version', '6.1')).code).toBe(1);
    expect((await check('--kernel-version', '6.12')).code).toBe(1);
  });

  test('an unknown version is exit 2 naming the known ones', async () => {
    const r = await check('--kernel-version', '5.10');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--kernel-version 5\.10: hugetlb models 6\.1, 6\.12, mainline/);
  });
});
