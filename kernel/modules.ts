/**
 * Kernel modules the probe loads itself. The probe's initramfs has no module
 * tree and no modprobe: a script that needs a device the kernel builds as a
 * module (CONFIG_BLK_DEV_RAM=m on Debian: brd, the RAM disk the probe swaps
 * to) gets the module file in its initramfs and loads it with finit_module(2)
 * (kernel/probe/runtime.c swap_on).
 *
 * resolve.ts extracts each module named here from the Debian image package
 * (lib/modules/<release>/kernel/<path>.ko, .ko.xz on 6.12: Debian compresses
 * modules there, CONFIG_MODULE_COMPRESS_XZ) and caches it decompressed beside
 * vmlinuz; a build tree (`--kernel PATH/bzImage`) has it at <tree>/<path>.ko.
 * Only modules that depend on nothing are handled (modinfo depends= empty):
 * the probe loads exactly one file per module.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { KernelConfig } from './kconfig.js';
import { KernelSetupError, requireTool } from './tools.js';
import type { ResolvedKernel } from './types.js';

export interface ModuleSpec {
  /** Module name (modinfo name=). */
  readonly name: string;
  /** Path under lib/modules/<release>/kernel/ and under a build tree, without .ko. */
  readonly path: string;
  /** The Kconfig option that builds it. */
  readonly config: string;
}

/** brd: the RAM block device the probe makes its swap device (drivers/block/brd.c). */
export const BRD: ModuleSpec = { name: 'brd', path: 'drivers/block/brd', config: 'CONFIG_BLK_DEV_RAM' };

/** Every module resolve.ts extracts from a kernel package. */
export const KERNEL_MODULES: readonly ModuleSpec[] = [BRD];

/** The file listing what was extracted beside the cached vmlinuz (module name -> file name). */
export const MODULES_INDEX = 'modules.json';

/** The `depends=` field of a module's .modinfo section ('' when it depends on nothing). */
export function moduleDepends(ko: Buffer): string | undefined {
  const at = ko.indexOf('\0depends=');
  if (at < 0) return undefined;
  const end = ko.indexOf(0, at + 1);
  return ko.toString('latin1', at + 9, end < 0 ? ko.length : end);
}

/** A module file's contents, decompressed on the host (.ko.xz with xz, .ko.zst with zstd, .ko.gz). */
export function decompressModule(file: string): Buffer {
  if (file.endsWith('.ko')) return readFileSync(file);
  if (file.endsWith('.ko.gz')) return gunzipSync(readFileSync(file));
  const tool = file.endsWith('.ko.xz') ? 'xz' : file.endsWith('.ko.zst') ? 'zstd' : undefined;
  if (!tool) throw new KernelSetupError(`${file}: not a kernel module (.ko, .ko.xz, .ko.zst or .ko.gz)`);
  requireTool(tool);
  return execFileSync(tool, ['-dc', file], { maxBuffer: 64 << 20 });
}

/**
 * Extract every module of KERNEL_MODULES the package data `tar` holds under `root`. A module the package
 * lacks is left out (tar's "Not found in archive": swapModule() later says why it is missing); any other
 * tar failure throws, since the index installModules() writes after this is cached for good.
 */
export function extractPackageModules(tar: string, root: string): void {
  const globs = KERNEL_MODULES.map((m) => `./lib/modules/*/kernel/${m.path}.ko*`);
  const r = spawnSync('tar', ['-x', '-C', root, '-f', tar, '--wildcards', ...globs], { encoding: 'utf8' });
  if (r.error) throw new KernelSetupError(`tar: ${r.error.message}`);
  if (r.status === 0) return;
  const other = r.stderr
    .split('\n')
    .filter(
      (l) => l.trim() !== '' && !/Not found in archive|Exiting with failure status due to previous errors/.test(l),
    );
  if (other.length > 0 || r.status === null)
    throw new KernelSetupError(`extracting kernel modules from ${tar}: ${other[0] ?? `tar killed by ${r.signal}`}`);
}

/**
 * Copy the modules found under `root` (an extracted package: lib/modules/<release>/kernel/...) into `dir`
 * as <name>.ko, and write dir/modules.json naming them. A module the package lacks is simply absent
 * (its option may be built in or off: swapModule() says which).
 */
export function installModules(root: string, dir: string): void {
  const index: Record<string, string> = {};
  const base = join(root, 'lib', 'modules');
  const releases = existsSync(base) ? readdirSync(base) : [];
  for (const m of KERNEL_MODULES)
    for (const rel of releases) {
      const stem = join(base, rel, 'kernel', m.path);
      const found = ['.ko', '.ko.xz', '.ko.zst', '.ko.gz'].map((x) => stem + x).find((f) => existsSync(f));
      if (!found) continue;
      const ko = decompressModule(found);
      const deps = moduleDepends(ko);
      if (deps) throw new KernelSetupError(`${m.name}.ko depends on ${deps}: the probe loads single modules only`);
      writeFileSync(join(dir, `${m.name}.ko`), ko);
      index[m.name] = `${m.name}.ko`;
      break;
    }
  writeFileSync(join(dir, MODULES_INDEX), `${JSON.stringify(index)}\n`);
}

/** The modules cached in `dir` (installModules), as name -> path; undefined when dir has no index. */
export function cachedModules(dir: string): Record<string, string> | undefined {
  const idx = join(dir, MODULES_INDEX);
  if (!existsSync(idx)) return undefined;
  const names = JSON.parse(readFileSync(idx, 'utf8')) as Record<string, string>;
  return Object.fromEntries(Object.entries(names).map(([n, f]) => [n, join(dir, f)]));
}

/** The modules a build tree holds next to its bzImage (<tree>/arch/x86/boot/bzImage). */
export function treeModules(image: string): Record<string, string> {
  const tree = join(image, '..', '..', '..', '..');
  const out: Record<string, string> = {};
  for (const m of KERNEL_MODULES) {
    const f = join(tree, `${m.path}.ko`);
    if (existsSync(f)) out[m.name] = f;
  }
  return out;
}

/**
 * What a kernel needs loaded for a swap device: undefined when brd is built in (or the configuration is
 * unknown: the probe then tries /dev/ram0 as it is), the module's path when it is a module the package
 * shipped. Throws a one-line KernelSetupError when the kernel cannot have one.
 */
export function swapModule(k: Pick<ResolvedKernel, 'release' | 'config' | 'modules'>): string | undefined {
  const why = lacksSwapDevice(k);
  if (why) throw new KernelSetupError(`${k.release} cannot give the probe a swap device: ${why}`);
  return k.config?.options[BRD.config] === 'm' ? k.modules?.[BRD.name] : undefined;
}

/** Why kernel `k` has no swap device for the probe (no CONFIG_SWAP, no brd), or undefined. */
export function lacksSwapDevice(k: Pick<ResolvedKernel, 'config' | 'modules'>): string | undefined {
  const c: KernelConfig | undefined = k.config;
  if (!c) return undefined;
  if (c.options.CONFIG_SWAP !== 'y') return `CONFIG_SWAP is not set in ${c.source}`;
  const v = c.options[BRD.config];
  if (v === 'y') return undefined;
  if (v === 'm')
    return k.modules?.[BRD.name]
      ? undefined
      : `${BRD.config}=m in ${c.source} but ${BRD.name}.ko was not found (run 'npm run kernel:setup' again, or remove the kernel cache entry)`;
  return `${BRD.config} is not set in ${c.source}`;
}
