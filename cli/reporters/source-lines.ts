/**
 * Where a subsystem defines an invariant, a scenario or a variant: the file and
 * line of its `name: '...'` in the TypeScript source (subsystems/, spec/ and
 * impl/ of that subsystem), for `--reporter github` annotations. The sources
 * ship with the repository; when they cannot be read the subsystem's folder is
 * named without a line.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface SourceLine {
  readonly file: string;
  readonly line: number;
}

/** The repository root: the nearest folder above this file with a package.json. */
export function projectRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(d, 'package.json'))) return d;
    d = dirname(d);
  }
  return process.cwd();
}

function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (e.endsWith('.ts')) out.push(p);
  }
  return out;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The first line matching `pattern` in the subsystem's own folders (subsystems/ first). */
export function findInSubsystem(root: string, subsystem: string, pattern: RegExp): SourceLine | undefined {
  for (const top of ['subsystems', 'spec', 'impl'])
    for (const f of tsFiles(join(root, top, subsystem))) {
      const lines = readFileSync(f, 'utf8').split('\n');
      const i = lines.findIndex((l) => pattern.test(l));
      if (i >= 0) return { file: relative(root, f).split(sep).join('/'), line: i + 1 };
    }
  return undefined;
}

/** The `name: 'NAME'` definition of an invariant, scenario or variant. */
export function findNamed(root: string, subsystem: string, name: string): SourceLine | undefined {
  return findInSubsystem(root, subsystem, new RegExp(`\\bname:\\s*['"\`]${escapeRe(name)}['"\`]`));
}
