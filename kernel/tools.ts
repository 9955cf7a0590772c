/**
 * The host tools the kernel loop needs, each with the Debian package that
 * provides it (`npm run kernel:setup` installs them all). A missing one is a
 * one-line error naming the package; the CLI turns it into exit 2.
 */
import { execFileSync } from 'node:child_process';

export class KernelSetupError extends Error {}

export const TOOLS: readonly { readonly cmd: string; readonly pkg: string; readonly why: string }[] = [
  { cmd: 'qemu-system-x86_64', pkg: 'qemu-system-x86', why: 'boots the kernel' },
  { cmd: 'gcc', pkg: 'gcc', why: 'compiles the probe (-static)' },
  { cmd: 'apt-get', pkg: 'apt', why: 'downloads Debian kernel packages' },
  { cmd: 'apt-cache', pkg: 'apt', why: 'finds the newest Debian kernel package' },
  { cmd: 'dpkg-deb', pkg: 'dpkg', why: 'extracts vmlinuz from a kernel package' },
  { cmd: 'xz', pkg: 'xz-utils', why: 'decompresses a kernel module (.ko.xz) the probe loads' },
  { cmd: 'zstd', pkg: 'zstd', why: 'decompresses a kernel module (.ko.zst) the probe loads' },
  { cmd: 'make', pkg: 'make', why: 'builds the injection module (kernel/inject) against the kernel headers' },
];

const found = new Map<string, boolean>();

export function hasTool(cmd: string): boolean {
  let ok = found.get(cmd);
  if (ok === undefined) {
    try {
      execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
      ok = true;
    } catch {
      ok = false;
    }
    found.set(cmd, ok);
  }
  return ok;
}

/** Throws KernelSetupError naming the package when `cmd` is not on PATH. */
export function requireTool(cmd: string): void {
  if (hasTool(cmd)) return;
  const t = TOOLS.find((x) => x.cmd === cmd);
  throw new KernelSetupError(
    `${cmd} not found: install it with 'apt-get install ${t?.pkg ?? cmd}' (or run 'npm run kernel:setup')`,
  );
}

/** Whether static linking works (libc6-dev ships libc.a). */
export function requireStaticLibc(): void {
  requireTool('gcc');
  try {
    execFileSync('gcc', ['-static', '-x', 'c', '-o', '/dev/null', '-'], {
      input: 'int main(void){return 0;}',
      stdio: ['pipe', 'ignore', 'ignore'],
    });
  } catch {
    throw new KernelSetupError(
      "gcc cannot link statically: install libc6-dev with 'apt-get install libc6-dev' (or run 'npm run kernel:setup')",
    );
  }
}
