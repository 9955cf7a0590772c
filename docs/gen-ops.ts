/**
 * Operation reference generator: docs/ops.md from every registered
 * subsystem's op schemas (subsystems/<sub>/op-schemas.ts).
 *
 *   npx tsx docs/gen-ops.ts            write docs/ops.md
 *   npx tsx docs/gen-ops.ts --check    exit 1 if docs/ops.md is out of date
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { opReferenceMarkdown } from '../checker/op-schema.js';
import { registry } from '../subsystems/index.js';

export const OPS_MD = fileURLToPath(new URL('./ops.md', import.meta.url));

export function opsMarkdown(): string {
  return opReferenceMarkdown(registry) + '\n';
}

if (process.argv[1] && /gen-ops\.(ts|js)$/.test(process.argv[1])) {
  const text = opsMarkdown();
  if (process.argv.includes('--check')) {
    let old = '';
    try {
      old = readFileSync(OPS_MD, 'utf8');
    } catch {
      // missing: out of date
    }
    if (old !== text) {
      process.stderr.write('docs/ops.md is out of date: run npm run docs:ops\n');
      process.exitCode = 1;
    }
  } else writeFileSync(OPS_MD, text);
}
