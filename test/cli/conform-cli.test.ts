/**
 * `mmcheck conform` as a user drives it, with a fake kernel in place of qemu:
 * the seed is printed, the verdict and exit code follow the CLI's convention,
 * bad input is one line and exit 2.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { cmdConform, type RunnerFactory } from '../../cli/conform.js';
import { main, type Out } from '../../cli/mmcheck.js';
import type { Script } from '../../checker/scenario-file.js';
import { registry } from '../../subsystems/index.js';
import { hugetlb } from '../../subsystems/hugetlb/index.js';
import { hugetlbProbe } from '../../subsystems/hugetlb/probe.js';
import { FakeKernel } from '../kernel/fake-kernel.js';

async function conform(argv: string[], diverge: (s: Script, i: number) => boolean, bootFails = false) {
  let out = '';
  let err = '';
  const kernels: FakeKernel[] = [];
  const factory: RunnerFactory = () => {
    const k = new FakeKernel(hugetlb, hugetlbProbe, diverge);
    k.bootFails = bootFails;
    kernels.push(k);
    return k;
  };
  const code = await cmdConform(
    argv,
    { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n') },
    registry,
    factory,
  );
  return { code, out, err, kernels };
}

const outDir = () => mkdtempSync(join(tmpdir(), 'conform-cli-'));
const agreeArgv = (seed: number, kernels: string[]): string[] => [
  'hugetlb',
  ...kernels,
  '--runs',
  '30',
  '--seed',
  String(seed),
  '--out',
  outDir(),
];

describe('mmcheck conform', () => {
  // The first seed whose 30 scripts implementation and spec agree on (a fake kernel that never diverges):
  // scanned, not fixed, since every op the language grows reshuffles which seed reaches a reserve finding.
  test('agreement on every kernel: exit 0, the seed, coverage and verdict per kernel', async () => {
    let seed = 1;
    while (seed < 40 && (await conform(agreeArgv(seed, ['--kernel', 'a']), () => false)).code !== 0) seed++;
    const r = await conform(agreeArgv(seed, ['--kernel', 'a', '--kernel=b']), () => false);
    expect(r.code).toBe(0);
    expect(r.kernels).toHaveLength(2);
    expect(r.out.match(new RegExp(`seed {8}${seed} `, 'g'))).toHaveLength(2);
    expect(r.out).toContain(`--seed ${seed} --runs 30`);
    expect(r.out).toMatch(/ops {7}.*fault \d+.*mmap \d+/);
    expect(r.out).toMatch(/compared {2}HugePages_Free, HugePages_Rsvd/);
    expect(r.out.match(/verdict {5}AGREE: every step of 30 scripts/g)).toHaveLength(2);
    // which implementation and version each kernel is compared with
    expect(r.err).toMatch(/--kernel b: 6\.99\.0-fake, compared with kernel-version mainline/);
  });

  test('a disagreement: exit 1, shrunk and saved', async () => {
    const r = await conform(
      ['hugetlb', '--kernel', 'a', '--runs', '40', '--seed', '3', '--out', outDir()],
      (s, i) => s.steps[i]!.op === 'truncate',
    );
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/kernel-vs-model on truncate \(ret\): \d+ scripts/);
    expect(r.out).toMatch(/shrunk to 1 steps in \d+ boots .*minimal/);
    expect(r.out).toMatch(/saved .*\.script\.json, .*\.itf\.json, .*\.c/);
    expect(r.out).toMatch(/verdict {5}DISAGREE/);
  });

  test('kernel and model agreeing against the spec fails by default, not with --fail-on diverged', async () => {
    // The first seed whose 30 scripts hit a reserve finding on a fault; the fake kernel shows what the model predicts.
    // Scanned, not fixed: every op the language grows reshuffles which seed reaches a finding.
    const argvOf = (seed: number) => [
      'hugetlb',
      '--kernel',
      'a',
      '--runs',
      '30',
      '--seed',
      String(seed),
      '--max-shrinks',
      '0',
      '--out',
      outDir(),
    ];
    let argv: string[] = [];
    let any = { code: 0, out: '' };
    for (let seed = 1; seed <= 120 && !/kernel-vs-spec on fault/.test(any.out); seed++) {
      argv = argvOf(seed);
      any = await conform(argv, () => false);
    }
    expect(any.code).toBe(1);
    expect(any.out).toMatch(/kernel-vs-spec on fault \(spec\): [1-9]\d* scripts/);
    expect(any.out).toMatch(
      /DISAGREE: [1-9]\d* of 30 scripts \(0 where the implementation does not model the kernel, [1-9]\d* where/,
    );
    expect((await conform([...argv, '--fail-on', 'diverged'], () => false)).code).toBe(0);
    const div = await conform([...argv, '--fail-on', 'diverged'], (s, i) => s.steps[i]!.op === 'mmap');
    expect(div.code).toBe(1);
  });

  test('a boot failure: exit 3, INCONCLUSIVE', async () => {
    const r = await conform(['hugetlb', '--kernel', 'a', '--runs', '5', '--seed', '3'], () => false, true);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/verdict {5}INCONCLUSIVE: boot-failed/);
  });

  test('the same seed gives the same report; no --seed picks one and prints it', async () => {
    const a = await conform(['hugetlb', '--kernel', 'a', '--runs', '15', '--seed', '9', '--json'], () => false);
    const b = await conform(['hugetlb', '--kernel', 'a', '--runs', '15', '--seed', '9', '--json'], () => false);
    const strip = (s: string) => ({ ...JSON.parse(s), kernelSeconds: 0 });
    expect(strip(a.out)).toEqual(strip(b.out));
    const c = await conform(['hugetlb', '--kernel', 'a', '--runs', '2'], () => false);
    expect(c.err).toMatch(/^mmcheck conform hugetlb: seed \d+, 2 scripts per kernel/);
  });

  test('--help prints the conform options and exits 0', async () => {
    let out = '';
    let err = '';
    const io: Out = { out: (s) => (out += s), err: (s) => (err += s), isTTY: false };
    expect(await main(['conform', 'thp', '--help'], io, registry)).toBe(0);
    expect(out).toMatch(/^mmcheck conform SUBSYSTEM --kernel K/);
    expect(out).toMatch(/--fail-on any\|diverged/);
    expect(err).toBe('');
  });

  test('bad input is one line and exit 2', async () => {
    let err = '';
    const io: Out = { out: () => {}, err: (s) => (err += s + '\n'), isTTY: false };
    for (const [argv, msg] of [
      [['conform', 'hugetlb'], /needs --kernel/],
      [['conform', 'nosuch', '--kernel', '6.1'], /unknown subsystem 'nosuch'/],
      [['conform', 'cleancache', '--kernel', '6.1'], /cleancache cannot be run on a kernel yet/],
      [['conform', 'hugetlb', '--kernel', '6.1', '--runs', '0'], /--runs' must be at least 1/],
      [['conform', 'hugetlb', '--kernel'], /'--kernel' needs a value/],
      // checked before the header line (seed, scripts per kernel) is printed
      [['conform', 'thp', '--kernel', 'nosuch'], /--kernel nosuch: expected a series such as 6.1/],
      [
        ['conform', 'thp', '--kernel', '6.1', '--kernel', '/no/such/bzImage'],
        /--kernel \/no\/such\/bzImage: no such file/,
      ],
      // an implementation or version the subsystem does not model, before any download
      [['conform', 'thp', '--kernel', '6.1', '--impl', 'nope'], /--impl nope: thp has compound, folio/],
      [['conform', 'hugetlb', '--kernel', '6.1', '--kernel-version', '4.4'], /hugetlb models 6.1, 6.12, mainline/],
      [
        ['reproduce', 'hugetlb', '--scenario', 'finding-child-subpool-reserve', '--kernel', '6.1', '--impl', 'folio'],
        /--impl folio: hugetlb has one implementation/,
      ],
    ] as const) {
      err = '';
      expect(await main([...argv], io, registry)).toBe(2);
      expect(err.trim().split('\n')).toHaveLength(1);
      expect(err).toMatch(msg);
    }
  });
});
