/**
 * The layering, enforced: spec/ never imports impl/, impl/ never imports
 * spec/, and checker/ imports no subsystem, spec or impl (it is generic).
 * Every static and dynamic import of every .ts file under those folders is
 * resolved and checked.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function tsFiles(dir: string): string[] {
  let out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out = out.concat(tsFiles(p));
    else if (e.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Top-level folders a file imports from, e.g. ['checker', 'impl'], with the import text. */
export function importsOf(file: string): { spec: string; top: string }[] {
  const src = readFileSync(file, 'utf8');
  const specs = [
    ...src.matchAll(/(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm),
  ].map((m) => m[1] ?? m[2]!);
  return specs
    .filter((s) => s.startsWith('.'))
    .map((s) => ({ spec: s, top: relative(ROOT, resolve(dirname(file), s)).split(sep)[0]! }));
}

const RULES: [string, string[]][] = [
  ['spec', ['impl']],
  ['impl', ['spec']],
  ['checker', ['subsystems', 'spec', 'impl', 'cli']],
];

describe('import boundaries', () => {
  for (const [from, forbidden] of RULES)
    test(`${from}/ imports none of ${forbidden.join(', ')}`, () => {
      const bad: string[] = [];
      const files = tsFiles(join(ROOT, from));
      expect(files.length).toBeGreaterThan(0);
      for (const f of files)
        for (const i of importsOf(f)) if (forbidden.includes(i.top)) bad.push(`${relative(ROOT, f)} imports ${i.spec}`);
      expect(bad).toEqual([]);
    });
  test('the scanner sees static, type-only and dynamic imports', () => {
    const f = join(ROOT, 'checker', 'check.ts');
    expect(importsOf(f).map((i) => i.top)).toContain('checker');
    const probe = join(ROOT, 'test', 'contract', 'import-boundary.test.ts');
    expect(importsOf(probe).length).toBe(0); // node: imports and vitest only
  });
});
