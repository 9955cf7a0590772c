/**
 * kernel/inject/mmcheck_inject.c built for one kernel (kernel/inject.ts). A Debian kernel is built
 * against its headers package: linux-image-6.1.0-57-amd64-unsigned -> linux-headers-6.1.0-57-amd64
 * (with its -common package and linux-kbuild, which apt pulls in; `npm run kernel:setup` installs them),
 * at /usr/src/linux-headers-<abi>, with the machine's gcc (Debian builds both kernels with gcc 12, the
 * compiler bookworm has). A `--kernel PATH/bzImage` is built against its own tree. The .ko is cached beside
 * the image (~/.cache/mmcheck/kernels/<package>/mmcheck_inject-<hash>.ko, the hash of the module source):
 * built once per kernel and source.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KernelSetupError, requireTool } from './tools.js';
import type { ResolvedKernel } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The module's source; from dist/ the .c file stays in the source tree. */
export function injectModuleSource(): string {
  for (const p of [
    join(here, 'inject', 'mmcheck_inject.c'),
    join(here, '..', '..', 'kernel', 'inject', 'mmcheck_inject.c'),
  ])
    if (existsSync(p)) return readFileSync(p, 'utf8');
  throw new Error('kernel/inject/mmcheck_inject.c not found');
}

/** The headers package and its directory for a Debian image package ("linux-image-... version"). */
export function debianHeaders(debianPackage: string): { pkg: string; version: string; dir: string } {
  const [image, version] = debianPackage.split(' ');
  const m = image?.match(/^linux-image-(.+-amd64)(-unsigned)?$/);
  if (!m || !version) throw new KernelSetupError(`cannot name the headers package of '${debianPackage}'`);
  return { pkg: `linux-headers-${m[1]}`, version, dir: `/usr/src/linux-headers-${m[1]}` };
}

/** The kernel build directory for `k`: its Debian headers (installed at the image's version) or its own tree. */
export function kernelBuildDir(k: Pick<ResolvedKernel, 'debianPackage' | 'image'>): string {
  if (k.debianPackage) {
    const h = debianHeaders(k.debianPackage);
    let installed = '';
    try {
      installed = execFileSync('dpkg-query', ['-W', '-f', '${Version}', h.pkg], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    } catch {
      /* not installed */
    }
    if (installed !== h.version || !existsSync(join(h.dir, 'Makefile')))
      throw new KernelSetupError(
        `${h.pkg} ${h.version} is not installed (${installed ? `found ${installed}` : 'missing'}): an injected failure needs it to build kernel/inject/mmcheck_inject.c; run 'npm run kernel:setup' or 'apt-get install ${h.pkg}=${h.version}'`,
      );
    return h.dir;
  }
  const tree = join(k.image, '..', '..', '..', '..');
  if (!existsSync(join(tree, 'Makefile')) || !existsSync(join(tree, 'Module.symvers')))
    throw new KernelSetupError(
      `${k.image}: no kernel build tree with Module.symvers around it: an injected failure needs one to build kernel/inject/mmcheck_inject.c`,
    );
  return tree;
}

/** Path of mmcheck_inject.ko for kernel `k`, built (and cached beside the image) when missing. */
export function injectModule(
  k: Pick<ResolvedKernel, 'debianPackage' | 'image'>,
  log: (s: string) => void = () => {},
): string {
  const src = injectModuleSource();
  const hash = createHash('sha256').update(src).digest('hex').slice(0, 12);
  const cacheDir = k.debianPackage
    ? dirname(k.image)
    : join(tmpdir(), 'mmcheck-inject', createHash('sha256').update(k.image).digest('hex').slice(0, 12));
  const ko = join(cacheDir, `mmcheck_inject-${hash}.ko`);
  if (existsSync(ko)) return ko;
  const build = kernelBuildDir(k);
  requireTool('gcc');
  requireTool('make');
  const tmp = mkdtempSync(join(tmpdir(), 'mmcheck-inject-'));
  try {
    writeFileSync(join(tmp, 'mmcheck_inject.c'), src);
    writeFileSync(join(tmp, 'Kbuild'), 'obj-m += mmcheck_inject.o\n');
    log(`building kernel/inject/mmcheck_inject.c against ${build}`);
    try {
      execFileSync('make', ['-s', '-C', build, `M=${tmp}`, 'modules'], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      const err = ((e as { stderr?: Buffer }).stderr?.toString() ?? (e as Error).message).split('\n');
      throw new KernelSetupError(
        `building mmcheck_inject.ko against ${build} failed: ${err.find((l) => /error/i.test(l)) ?? err[0]}`,
      );
    }
    execFileSync('mkdir', ['-p', cacheDir]);
    copyFileSync(join(tmp, 'mmcheck_inject.ko'), `${ko}.tmp`);
    renameSync(`${ko}.tmp`, ko);
    return ko;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
