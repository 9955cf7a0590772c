#!/usr/bin/env node
// The mmcheck command: runs the compiled CLI (npm ci builds it through the "prepare" script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const compiled = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'mmcheck.js');
if (!existsSync(compiled)) {
  process.stderr.write('mmcheck: not built yet: run "npm run build" (npm ci does it for you)\n');
  process.exit(2);
}
const { main, quietOnClosedPipe } = await import(compiled);
quietOnClosedPipe();
process.exitCode = await main(process.argv.slice(2));
