/**
 * The kernel configuration of a booted kernel, where it is known: Debian's
 * image packages ship it as /boot/config-<release> (kernel/resolve.ts keeps
 * it beside the cached vmlinuz), and a user's build tree has it as .config
 * three levels above arch/x86/boot/bzImage. Conform asks it whether a device
 * an op needs exists at all (CONFIG_UDMABUF=y gives /dev/udmabuf; a module
 * loads only where the probe carries it: kernel/modules.ts, brd for swap), so it never generates an op the kernel
 * cannot run. An unknown configuration answers nothing: the op is generated
 * and the probe's own answer (ENOENT of the device) shows what is missing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** CONFIG_ option values: 'y', 'm', a string or number as written, and 'n' for "is not set". */
export interface KernelConfig {
  /** Where it was read (for reports). */
  readonly source: string;
  readonly options: Readonly<Record<string, string>>;
}

/** Parses a kernel .config text. */
export function parseKernelConfig(text: string, source: string): KernelConfig {
  const options: Record<string, string> = {};
  for (const line of text.split('\n')) {
    let m = line.match(/^(CONFIG_[A-Za-z0-9_]+)=(.*)$/);
    if (m) options[m[1]!] = m[2]!;
    else if ((m = line.match(/^# (CONFIG_[A-Za-z0-9_]+) is not set$/))) options[m[1]!] = 'n';
  }
  return { source, options };
}

/** The configuration at `path`, or undefined when there is no file there. */
export function readKernelConfig(path: string): KernelConfig | undefined {
  return existsSync(path) ? parseKernelConfig(readFileSync(path, 'utf8'), path) : undefined;
}

/** A bzImage's configuration: `config` beside it, or the build tree's .config (arch/x86/boot/bzImage). */
export function configOfImage(image: string): KernelConfig | undefined {
  const dir = dirname(image);
  return readKernelConfig(join(dir, 'config')) ?? readKernelConfig(join(dir, '..', '..', '..', '.config'));
}

/**
 * Why a built-in option is missing from `c` (undefined: it is built in, or the configuration is unknown).
 * `module`: the probe could load it as that module (kernel/modules.ts), which this kernel's files lack.
 */
export function lacksBuiltin(c: KernelConfig | undefined, option: string, module?: string): string | undefined {
  if (!c) return undefined;
  const v = c.options[option];
  if (v === 'y') return undefined;
  const mod = module
    ? `a module, and no ${module}.ko was extracted with the kernel`
    : 'a module: the initramfs loads none';
  const said = v === undefined || v === 'n' ? ' is not set' : `=${v} (${mod})`;
  return `${option}${said} in ${c.source}`;
}
