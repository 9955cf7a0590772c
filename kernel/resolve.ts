/**
 * `--kernel 6.1`, `--kernel 6.12` or `--kernel PATH/bzImage` to a kernel image
 * on this machine.
 *
 * A version is resolved through apt to the newest Debian package of that
 * series, never a hard-coded revision (they change every few weeks):
 * bookworm names 6.1 kernels `linux-image-6.1.0-<abi>-amd64` and its 6.12
 * backport `linux-image-6.12.<n>+deb12-amd64`. We take the `-unsigned`
 * package: it is the build's own image (the signed package repackages the
 * same kernel with a UEFI Secure Boot signature, which qemu's BIOS boot does
 * not use) and it does not pull in the signing template. The cloud and rt
 * flavours are skipped: the generic flavour is what users run. The package
 * is fetched with `apt-get download` (no root, no install), only
 * boot/vmlinuz-* is extracted, with the few modules the probe loads itself
 * (kernel/modules.ts: brd for a swap device), and the image is cached under
 * DIR/<package>_<version>/vmlinuz, with the package's boot/config-* beside it
 * as `config` (kernel/kconfig.ts: which devices the kernel has) and the
 * modules with their index `modules.json` (an image cached without either is
 * fetched once more).
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readSync,
  closeSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { configOfImage, type KernelConfig, readKernelConfig } from './kconfig.js';
import { cachedModules, extractPackageModules, installModules, MODULES_INDEX, treeModules } from './modules.js';
import { KernelSetupError, requireTool } from './tools.js';
import type { ModelChoice } from './model-choice.js';
import type { ResolvedKernel } from './types.js';

export const DEFAULT_KERNEL_CACHE = join(homedir(), '.cache', 'mmcheck', 'kernels');

/** The release string a bzImage carries (boot protocol: kernel_version at 0x20e, +0x200). */
export function bzImageRelease(path: string): string | undefined {
  const fd = openSync(path, 'r');
  try {
    const hdr = Buffer.alloc(0x210);
    if (readSync(fd, hdr, 0, hdr.length, 0) < hdr.length || hdr.toString('latin1', 0x202, 0x206) !== 'HdrS')
      return undefined;
    const off = hdr.readUInt16LE(0x20e) + 0x200;
    const buf = Buffer.alloc(128);
    readSync(fd, buf, 0, buf.length, off);
    return buf.toString('latin1').split(/[\s\0]/)[0] || undefined;
  } finally {
    closeSync(fd);
  }
}

const numbers = (s: string): number[] => (s.match(/\d+/g) ?? []).map(Number);
function newer(a: string, b: string): boolean {
  const x = numbers(a);
  const y = numbers(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++)
    if ((x[i] ?? -1) !== (y[i] ?? -1)) return (x[i] ?? -1) > (y[i] ?? -1);
  return false;
}

/** Newest `linux-image-<series>...-amd64[-unsigned]` package apt knows. */
export function newestDebianKernel(series: string): string {
  requireTool('apt-cache');
  const esc = series.replace(/\./g, '\\.');
  let out: string;
  try {
    out = execFileSync('apt-cache', ['search', '--names-only', `^linux-image-${esc}[.-]`], { encoding: 'utf8' });
  } catch (e) {
    throw new KernelSetupError(`apt-cache search failed: ${(e as Error).message.split('\n')[0]}`);
  }
  const names = out.split('\n').map((l) => l.split(' ')[0] ?? '');
  const generic = (suffix: string): string[] =>
    names.filter(
      (n) => new RegExp(`^linux-image-${esc}[.-][0-9][^ ]*?-amd64${suffix}$`).test(n) && !/-(cloud|rt)-amd64/.test(n),
    );
  const pick = (xs: string[]): string | undefined =>
    xs.reduce<string | undefined>((best, n) => (!best || newer(n, best) ? n : best), undefined);
  const best = pick(generic('-unsigned')) ?? pick(generic(''));
  if (!best)
    throw new KernelSetupError(
      `no Debian kernel package for ${series} (apt-cache search '^linux-image-${series}'): run 'apt-get update'?`,
    );
  return best;
}

function packageVersion(pkg: string): string {
  const out = execFileSync('apt-cache', ['show', '--no-all-versions', pkg], { encoding: 'utf8' });
  return out.match(/^Version: (\S+)/m)?.[1] ?? 'unknown';
}

/** Download + extract vmlinuz (cached). Returns the image path. */
function fetchDebianKernel(pkg: string, version: string, cacheDir: string, log: (s: string) => void): string {
  const dir = join(cacheDir, `${pkg}_${version}`);
  const image = join(dir, 'vmlinuz');
  const config = join(dir, 'config');
  if (existsSync(image) && existsSync(config) && existsSync(join(dir, MODULES_INDEX))) return image;
  requireTool('apt-get');
  requireTool('dpkg-deb');
  mkdirSync(cacheDir, { recursive: true });
  const tmp = mkdtempSync(join(tmpdir(), 'mmcheck-kernel-'));
  try {
    log(`downloading ${pkg} ${version} with apt-get download`);
    execFileSync('apt-get', ['download', `${pkg}=${version}`], { cwd: tmp, stdio: ['ignore', 'ignore', 'pipe'] });
    const deb = readdirSync(tmp).find((f) => f.endsWith('.deb'));
    if (!deb) throw new KernelSetupError(`apt-get download ${pkg} produced no .deb`);
    // the package's data once, then read twice (the boot files, then the modules)
    const data = join(tmp, 'data.tar');
    execFileSync('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" > "$2"', 'sh', join(tmp, deb), data]);
    execFileSync('tar', ['-x', '-C', tmp, '-f', data, '--wildcards', './boot/vmlinuz-*', './boot/config-*']);
    const vm = readdirSync(join(tmp, 'boot')).find((f) => f.startsWith('vmlinuz-'));
    if (!vm) throw new KernelSetupError(`${pkg} has no boot/vmlinuz-*`);
    const cfg = readdirSync(join(tmp, 'boot')).find((f) => f.startsWith('config-'));
    if (!cfg) throw new KernelSetupError(`${pkg} has no boot/config-*`);
    extractPackageModules(data, tmp);
    mkdirSync(dir, { recursive: true });
    renameSync(join(tmp, 'boot', vm), image);
    renameSync(join(tmp, 'boot', cfg), config);
    installModules(tmp, dir);
    return image;
  } catch (e) {
    if (e instanceof KernelSetupError) throw e;
    const msg = ((e as { stderr?: Buffer }).stderr?.toString() || (e as Error).message).trim().split('\n').pop();
    throw new KernelSetupError(`cannot fetch kernel package ${pkg}: ${msg}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export interface ResolveOptions {
  readonly cacheDir?: string;
  /** The implementation and version a kernel of this release is compared with (kernel/model-choice.ts). */
  readonly model: (release: string) => ModelChoice;
  readonly log?: (s: string) => void;
}

const isPathRequest = (request: string): boolean => request.includes('/') || existsSync(request);

/**
 * The checks of a `--kernel` request that need no download: a path names a
 * bzImage, anything else is a series such as 6.1. Throws KernelSetupError;
 * returns the bzImage's release for a path.
 */
export function checkKernelRequest(request: string): string | undefined {
  if (isPathRequest(request)) {
    const image = resolve(request);
    if (!existsSync(image) || !statSync(image).isFile())
      throw new KernelSetupError(`--kernel ${request}: no such file`);
    const release = bzImageRelease(image);
    if (!release) throw new KernelSetupError(`--kernel ${request}: not a bzImage (no HdrS boot header)`);
    return release;
  }
  if (!/^\d+\.\d+$/.test(request))
    throw new KernelSetupError(`--kernel ${request}: expected a series such as 6.1 or 6.12, or a path to a bzImage`);
  return undefined;
}

const withConfig = (
  k: ResolvedKernel,
  config: KernelConfig | undefined,
  modules: Readonly<Record<string, string>> | undefined,
): ResolvedKernel => ({ ...k, ...(config ? { config } : {}), ...(modules ? { modules } : {}) });

export function resolveKernel(request: string, opts: ResolveOptions): ResolvedKernel {
  const log = opts.log ?? (() => {});
  const pick = (release: string): Pick<ResolvedKernel, 'modelVersion' | 'modelImpl' | 'modelHow'> => {
    const m = opts.model(release);
    return { modelVersion: m.version ?? '', ...(m.impl !== undefined ? { modelImpl: m.impl } : {}), modelHow: m.how };
  };
  const imageRelease = checkKernelRequest(request);
  if (imageRelease !== undefined)
    return withConfig(
      { request, release: imageRelease, ...pick(imageRelease), image: resolve(request) },
      configOfImage(resolve(request)),
      treeModules(resolve(request)),
    );
  const pkg = newestDebianKernel(request);
  const version = packageVersion(pkg);
  const image = fetchDebianKernel(pkg, version, opts.cacheDir ?? DEFAULT_KERNEL_CACHE, log);
  const release = version.replace(/-[^-]*$/, ''); // Debian revision off: upstream release, until uname says better
  const config = readKernelConfig(join(dirname(image), 'config'));
  const k = { request, release, ...pick(release), image, debianPackage: `${pkg} ${version}` };
  return withConfig(k, config, cachedModules(dirname(image)));
}
