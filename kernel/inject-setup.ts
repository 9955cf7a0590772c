/**
 * `npm run kernel:setup`'s last part (kernel/setup.sh): for each default kernel series, resolve the Debian
 * package (downloaded and cached as `reproduce` would), then build kernel/inject/mmcheck_inject.c against
 * its installed headers and cache the .ko beside the image (kernel/inject-module.ts). Exit 2 with one line
 * when something is missing.
 */
import { injectModule } from './inject-module.js';
import { resolveKernel } from './resolve.js';
import { KernelSetupError } from './tools.js';

export function setupInject(series: readonly string[], log: (s: string) => void): number {
  try {
    for (const s of series) {
      const k = resolveKernel(s, { model: () => ({ how: 'setup' }), log });
      const t0 = Date.now();
      const ko = injectModule(k, log);
      log(`--kernel ${s}: ${ko} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    }
    return 0;
  } catch (e) {
    if (e instanceof KernelSetupError) {
      log(e.message);
      return 2;
    }
    throw e;
  }
}

if (process.argv[1]?.endsWith('inject-setup.js'))
  process.exitCode = setupInject(process.argv.slice(2), (s) => console.log(`kernel:setup: ${s}`));
