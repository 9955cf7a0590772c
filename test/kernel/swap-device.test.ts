/**
 * The probe's swap device (kernel/modules.ts): the brd module taken from a kernel package (decompressed,
 * its dependencies refused), whether a kernel can have a swap device at all (one-line errors), the
 * module in the initramfs, swap turned on and off only around the scripts that need it, and conform
 * generating a swap op only for a kernel whose module was extracted.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Script } from '../../checker/scenario-file.js';
import { compileScripts } from '../../kernel/compile.js';
import { profileForKernel, resolveSteps } from '../../kernel/conform/generate.js';
import { thpProfile } from '../../kernel/conform/arbitraries/thp/index.js';
import { madvisePageout } from '../../kernel/conform/arbitraries/thp/madvise_pageout.js';
import { initModel, pageoutRange } from '../../kernel/conform/arbitraries/thp/model.js';
import type { ConformProfile } from '../../kernel/conform/profile.js';
import { packInitramfs } from '../../kernel/initramfs.js';
import { parseKernelConfig } from '../../kernel/kconfig.js';
import {
  cachedModules,
  extractPackageModules,
  installModules,
  lacksSwapDevice,
  moduleDepends,
  swapModule,
  treeModules,
} from '../../kernel/modules.js';
import { hasTool, KernelSetupError } from '../../kernel/tools.js';
import type { KernelMapping } from '../../kernel/types.js';

/** A module file as the kernel build writes one: ELF bytes with a .modinfo section of NUL-separated fields. */
const fakeKo = (depends: string): Buffer =>
  Buffer.concat([Buffer.from('\x7fELF....'), Buffer.from(`\0license=GPL\0depends=${depends}\0name=brd\0`)]);

const config = (brd: string, swap = 'y') =>
  parseKernelConfig(
    `CONFIG_SWAP=${swap}\n${brd === 'n' ? '# CONFIG_BLK_DEV_RAM is not set' : `CONFIG_BLK_DEV_RAM=${brd}`}\n`,
    '/k/config',
  );

/** An extracted package: lib/modules/<release>/kernel/drivers/block/brd.ko<ext>. */
function fakePackage(ko: Buffer, ext = '.ko'): string {
  const root = mkdtempSync(join(tmpdir(), 'mmcheck-pkg-'));
  const dir = join(root, 'lib', 'modules', '6.99.0-amd64', 'kernel', 'drivers', 'block');
  mkdirSync(dir, { recursive: true });
  const f = join(dir, 'brd.ko');
  writeFileSync(f, ko);
  if (ext === '.ko.xz') execFileSync('xz', ['-z', f]);
  return root;
}

describe('brd from a kernel package', () => {
  test('moduleDepends reads the .modinfo depends= field', () => {
    expect(moduleDepends(fakeKo(''))).toBe('');
    expect(moduleDepends(fakeKo('libcrc32c,zsmalloc'))).toBe('libcrc32c,zsmalloc');
    expect(moduleDepends(Buffer.from('no modinfo'))).toBeUndefined();
  });

  test('installModules copies brd.ko and indexes it; a package without it gives an empty index', () => {
    const out = mkdtempSync(join(tmpdir(), 'mmcheck-cache-'));
    installModules(fakePackage(fakeKo('')), out);
    expect(cachedModules(out)).toEqual({ brd: join(out, 'brd.ko') });
    expect(readFileSync(join(out, 'brd.ko')).equals(fakeKo(''))).toBe(true);
    const none = mkdtempSync(join(tmpdir(), 'mmcheck-cache-'));
    installModules(mkdtempSync(join(tmpdir(), 'mmcheck-pkg-')), none);
    expect(cachedModules(none)).toEqual({});
    expect(cachedModules(mkdtempSync(join(tmpdir(), 'mmcheck-cache-')))).toBeUndefined();
  });

  test.skipIf(!hasTool('xz'))('a .ko.xz module (Debian 6.12) is decompressed on the host', () => {
    const out = mkdtempSync(join(tmpdir(), 'mmcheck-cache-'));
    installModules(fakePackage(fakeKo(''), '.ko.xz'), out);
    expect(readFileSync(join(out, 'brd.ko')).equals(fakeKo(''))).toBe(true);
  });

  test('extractPackageModules: a package without brd is fine, a broken archive is a one-line error', () => {
    const tarOf = (root: string) => {
      const t = join(mkdtempSync(join(tmpdir(), 'mmcheck-tar-')), 'data.tar');
      execFileSync('tar', ['-c', '-f', t, '-C', root, '.']);
      return t;
    };
    const got = mkdtempSync(join(tmpdir(), 'mmcheck-pkg-'));
    extractPackageModules(tarOf(fakePackage(fakeKo(''))), got);
    const out = mkdtempSync(join(tmpdir(), 'mmcheck-cache-'));
    installModules(got, out);
    expect(cachedModules(out)).toEqual({ brd: join(out, 'brd.ko') });
    const empty = mkdtempSync(join(tmpdir(), 'mmcheck-pkg-'));
    writeFileSync(join(empty, 'README'), 'no modules here');
    expect(() => extractPackageModules(tarOf(empty), mkdtempSync(join(tmpdir(), 'mmcheck-pkg-')))).not.toThrow();
    const broken = join(mkdtempSync(join(tmpdir(), 'mmcheck-tar-')), 'data.tar');
    writeFileSync(broken, 'x'.repeat(1000));
    expect(() => extractPackageModules(broken, mkdtempSync(join(tmpdir(), 'mmcheck-pkg-')))).toThrow(
      /^extracting kernel modules from .*data\.tar: /,
    );
  });

  test('a module with dependencies is refused in one line', () => {
    const out = mkdtempSync(join(tmpdir(), 'mmcheck-cache-'));
    expect(() => installModules(fakePackage(fakeKo('libfoo')), out)).toThrow(KernelSetupError);
    expect(() => installModules(fakePackage(fakeKo('libfoo')), out)).toThrow(/^brd\.ko depends on libfoo: /);
  });

  test('a build tree has brd.ko at drivers/block/brd.ko beside arch/x86/boot/bzImage', () => {
    const tree = mkdtempSync(join(tmpdir(), 'mmcheck-tree-'));
    mkdirSync(join(tree, 'drivers', 'block'), { recursive: true });
    writeFileSync(join(tree, 'drivers', 'block', 'brd.ko'), fakeKo(''));
    expect(treeModules(join(tree, 'arch', 'x86', 'boot', 'bzImage'))).toEqual({
      brd: join(tree, 'drivers', 'block', 'brd.ko'),
    });
  });
});

describe('whether a kernel can have a swap device', () => {
  const k = { release: '6.99.0' };
  test('built in: nothing to load; a module: its file; unknown configuration: try as it is', () => {
    expect(swapModule({ ...k, config: config('y') })).toBeUndefined();
    expect(swapModule({ ...k, config: config('m'), modules: { brd: '/c/brd.ko' } })).toBe('/c/brd.ko');
    expect(swapModule(k)).toBeUndefined();
  });
  test('a missing module, brd off or no CONFIG_SWAP: one-line KernelSetupError', () => {
    const msg = (c: ReturnType<typeof config>): string => {
      try {
        swapModule({ ...k, config: c, modules: {} });
      } catch (e) {
        expect(e).toBeInstanceOf(KernelSetupError);
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(msg(config('m'))).toMatch(/^6\.99\.0 cannot give the probe a swap device: .*brd\.ko was not found/);
    expect(msg(config('n'))).toContain('CONFIG_BLK_DEV_RAM is not set in /k/config');
    expect(msg(config('y', 'n'))).toContain('CONFIG_SWAP is not set');
    for (const c of [config('m'), config('n'), config('y', 'n')]) expect(msg(c)).not.toContain('\n');
    expect(lacksSwapDevice({ config: config('m'), modules: { brd: '/x' } })).toBeUndefined();
  });
});

const swapMapping = (needs: (s: Script) => boolean): KernelMapping =>
  ({
    subsystem: 'x',
    cHelpers: '',
    cmdline: () => [],
    needsSwap: needs,
    setup: () => 'x_setup();',
    step: () => '',
    task: () => '0',
    observe: '',
    restore: () => 'return 1;',
    predict: () => ({}),
    retOf: String,
    describe: '',
  }) as KernelMapping;

describe('the probe turns swap on only around the scripts that need it', () => {
  const a: Script = { params: { swap: 1 }, steps: [{ op: 'pageout', args: {} }] };
  const b: Script = { params: { swap: 0 }, steps: [{ op: 'read', args: {} }] };
  const c = compileScripts(
    swapMapping((s) => (s.params as { swap: number }).swap === 1),
    [a, b],
  );
  test('swap_on before the setup and swap_off before the restore of script 0 only', () => {
    expect(c).toMatch(/static void s0_run\(void\)\n\{\n\tcur_step = s0_step;\n\tswap_on\(0\);\n\tx_setup\(\);/);
    expect(c).toMatch(/static int s0_restore\(void\)\n\{\n\tif \(!swap_off\(0\)\)\n\t\treturn 0;\n\treturn 1;/);
    expect(c).not.toMatch(/swap_on\(1\)|swap_off\(1\)/);
  });
  test.skipIf(!hasTool('gcc'))('the runtime with swap_on/swap_off compiles', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmcheck-swapc-'));
    writeFileSync(join(dir, 'p.c'), c);
    execFileSync('gcc', ['-fsyntax-only', '-w', join(dir, 'p.c')]);
  });
  test('the module rides in the initramfs root beside /init', () => {
    const ko = fakeKo('');
    const img = packInitramfs(Buffer.from('init'), [{ name: 'brd.ko', data: ko }]);
    expect(img.indexOf('brd.ko\0')).toBeGreaterThan(img.indexOf('init\0'));
    expect(img.indexOf(ko)).toBeGreaterThan(0);
    expect(() => packInitramfs(Buffer.from('init'), [{ name: '../x', data: ko }])).toThrow(/bad extra file name/);
    if (hasTool('cpio'))
      expect(execFileSync('cpio', ['-t', '--quiet'], { input: img }).toString().split('\n')).toContain('brd.ko');
  });
});

describe('conform generates a swap op only where the module can be loaded', () => {
  const profile = {
    subsystem: 'x',
    params: () => fc.constant({}),
    model: () => ({}),
    internalOps: {},
    ops: [
      {
        op: 'madvise_pageout',
        needs: { config: 'CONFIG_BLK_DEV_RAM', device: 'swap (/dev/ram0)', module: 'brd' },
        draw: () => fc.constant({}),
        resolve: () => ({}),
        apply: () => {},
      },
    ],
  } as ConformProfile;
  test('brd=m with brd.ko: generated; without it: not generated, and the reason names brd.ko', () => {
    const k = { release: '6.99.0', config: config('m') };
    expect(profileForKernel(profile, { ...k, modules: { brd: '/c/brd.ko' } }).ops).toHaveLength(1);
    const without = profileForKernel(profile, k);
    expect(without.ops).toHaveLength(0);
    expect(without.internalOps.madvise_pageout).toMatch(
      /CONFIG_BLK_DEV_RAM=m \(a module, and no brd\.ko was extracted/,
    );
    expect(profileForKernel(profile, { ...k, config: config('y') }).ops).toHaveLength(1);
  });
  test('brd there but CONFIG_SWAP off: not generated (alsoBuiltin), instead of a batch that cannot start', () => {
    const g = profile.ops[0]!;
    const swapProfile = { ...profile, ops: [{ ...g, needs: { ...g.needs!, alsoBuiltin: ['CONFIG_SWAP'] } }] };
    const k = { release: '6.99.0', config: config('y', 'n') };
    expect(profileForKernel(profile, k).ops).toHaveLength(1); // without the declaration it would be generated
    const left = profileForKernel(swapProfile, k);
    expect(left.ops).toHaveLength(0);
    expect(left.internalOps.madvise_pageout).toMatch(/CONFIG_SWAP is not set/);
    expect(profileForKernel(swapProfile, { ...k, config: config('y') }).ops).toHaveLength(1);
  });
  test('the THP madvise_pageout generator declares CONFIG_SWAP', () => {
    expect(madvisePageout.needs?.alsoBuiltin).toContain('CONFIG_SWAP');
  });
  test('the THP madvise_pageout generator keeps a range within one VMA (no mprotect border inside it)', () => {
    /* conform seed 20261212 on 6.1.192: mprotect(mm 1, 0..3) then a pageout of 1..4 walked the VMA [3, 4) on its own */
    const p = { nr: 4, mms: 2, kind: 'anon' as const, initial: 'forked' as const };
    const m = initModel(p);
    m.flagged.mprotect[1]!.fill(true, 0, 3);
    const range = (from: number, len: number) => pageoutRange(m, p, { mm: 1, from, len });
    expect(range(1, 2)).toBeUndefined(); /* [1, 4) crosses the border at 3 */
    expect(range(0, 2)).toEqual({ mm: 1, from: 0, to: 3 });
    expect(range(3, 0)).toEqual({ mm: 1, from: 3, to: 4 });
    expect(pageoutRange(m, p, { mm: 0, from: 0, len: 3 })).toEqual({ mm: 0, from: 0, to: 4 });
  });
  test('the THP madvise_pageout generator covers private copies (both implementations reclaim them)', () => {
    const p = { nr: 4, mms: 2, kind: 'anon' as const, initial: 'forked' as const };
    const m = initModel(p);
    m.written[0]!.fill(true, 1, 3); /* written (COW copies), or read back from swap */
    expect(pageoutRange(m, p, { mm: 0, from: 1, len: 1 })).toEqual({ mm: 0, from: 1, to: 3 });
    expect(pageoutRange(m, p, { mm: 0, from: 0, len: 3 })).toEqual({ mm: 0, from: 0, to: 4 });
  });
  test('the THP madvise_pageout generator aims three draws in four at a subpage that may map a private copy', () => {
    const p = { nr: 4, mms: 3, kind: 'anon' as const, initial: 'forked' as const };
    const m = initModel(p);
    m.copies[1]![2] = true; /* mm 1 wrote subpage 2 after the fork: a COW copy */
    const raw = { mm: 0, from: 0, len: 3 };
    expect(madvisePageout.resolve(m, { ...raw, copy: 0 }, p)).toEqual({ mm: 0, from: 0, to: 4 });
    expect(madvisePageout.resolve(m, { ...raw, copy: 1 }, p)).toEqual({ mm: 1, from: 2, to: 3 });
    expect(madvisePageout.resolve(m, { ...raw, copy: 2 }, p)).toEqual({ mm: 1, from: 2, to: 3 });
    m.swapped[1]![2] = true; /* paged out already: no copy mapped there until a read */
    expect(madvisePageout.resolve(m, { ...raw, copy: 1 }, p)).toEqual({ mm: 0, from: 0, to: 4 });
  });
  test('with no copy yet, copy 2 makes one first: a fork if the script has one process, then a write', () => {
    const p = { nr: 4, mms: 2, kind: 'anon' as const, initial: 'pmd' as const };
    const draws = [{ op: 'madvise_pageout', raw: { mm: 0, from: 1, len: 5, copy: 2 } }];
    const steps = resolveSteps(thpProfile, p, draws);
    expect(steps.map((s) => s.op)).toEqual(['fork', 'wp_fault', 'madvise_pageout']);
    expect(steps[2]!.args).toEqual({ mm: 0, from: 1, to: 2 });
    /* copy 1 without a candidate: the plain range, nothing set up */
    const plain = resolveSteps(thpProfile, p, [{ op: 'madvise_pageout', raw: { mm: 0, from: 1, len: 5, copy: 1 } }]);
    expect(plain.map((s) => s.op)).toEqual(['madvise_pageout']);
  });
});
