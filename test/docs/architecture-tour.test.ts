/**
 * The one-minute tour of docs/architecture.md stays true to the layout: every
 * path it names exists, and every file of the example subsystem (hugetlb's
 * spec/, impl/ and subsystems/ folders) is named in it, so a file added or
 * renamed there fails until the tour says where it lives. And for every
 * registered subsystem the tour names the six places a newcomer looks for:
 * its registration, spec, implementation, mapping, invariants, and the search.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registry } from '../../subsystems/index.js';

const root = resolve(__dirname, '../..');
const doc = readFileSync(join(root, 'docs', 'architecture.md'), 'utf8');
const tour = doc.slice(doc.indexOf('## A one-minute tour'), doc.indexOf('## Naming rules'));
const EXAMPLE_DIRS = ['spec/hugetlb', 'impl/hugetlb', 'subsystems/hugetlb'];

/**
 * The files the tour names, resolved: a backticked path with a slash stands
 * for itself; a bare `name.ts` in a table row is in the last folder named
 * before it in that row, and one in the prose below the table is a
 * per-subsystem file (subsystems/hugetlb/, as the prose says).
 */
export function namedPaths(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    let dir = line.startsWith('|') ? '' : 'subsystems/hugetlb/';
    for (const [, tok] of line.matchAll(/`([^`\s]+)`/g)) {
      const t = tok!.replace(/\(.*$/, '');
      if (/^[A-Za-z_][\w.-]*\/([\w.-]+\/)*$/.test(t)) dir = t;
      if (t.includes('/') && /^[A-Za-z_][\w.-]*(\/[\w.*-]+)+\/?$/.test(t)) out.push(t);
      else if (/^[\w-]+\*?\.(ts|md)$/.test(t) && dir) out.push(dir + t);
    }
  }
  return out;
}

const exists = (p: string): boolean => {
  if (!p.includes('*')) return existsSync(join(root, p));
  const dir = p.slice(0, p.lastIndexOf('/'));
  const re = new RegExp(
    `^${p
      .slice(dir.length + 1)
      .replace(/\./g, '\\.')
      .replace(/\*/g, '.*')}$`,
  );
  return existsSync(join(root, dir)) && readdirSync(join(root, dir)).some((f) => re.test(f));
};

describe('docs/architecture.md tour', () => {
  it('names only paths that exist', () => {
    const named = namedPaths(tour);
    expect(named.length).toBeGreaterThan(30);
    expect(
      named.filter((p) => !exists(p)),
      'the tour of docs/architecture.md names these; fix it, then npm run docs',
    ).toEqual([]);
  });

  it("names every file of the example subsystem's folders", () => {
    const named = namedPaths(tour);
    const covered = (f: string): boolean =>
      named.some(
        (p) =>
          p === f ||
          (p.includes('*') && exists(p) && new RegExp(`^${p.replace(/\./g, '\\.').replace(/\*/g, '.*')}$`).test(f)),
      );
    const files = EXAMPLE_DIRS.flatMap((d) =>
      readdirSync(join(root, d))
        .filter((f) => f.endsWith('.ts') || f.endsWith('.md'))
        .map((f) => `${d}/${f}`),
    );
    const unnamed = files.filter((f) => !covered(f));
    expect(unnamed, 'say in the tour of docs/architecture.md where these live, then npm run docs').toEqual([]);
  });

  it.each(registry.map((sub) => sub.name))('names the six places of subsystem %s', (name) => {
    const named = namedPaths(tour);
    const row = namedPaths(tour.split('\n').find((l) => l.startsWith(`| ${name} |`)) ?? '');
    const places = {
      registration: row.includes(`subsystems/${name}/index.ts`),
      spec: row.some((p) => p.startsWith(`spec/${name}/`)),
      implementation: row.some((p) => p.startsWith(`impl/${name}`)),
      mapping: row.includes(`subsystems/${name}/abstraction.ts`),
      invariants: row.includes(`subsystems/${name}/invariants.ts`),
      search: named.includes('checker/check.ts'),
    };
    expect(places, `the tour of docs/architecture.md has no row '| ${name} |' naming these`).toEqual({
      registration: true,
      spec: true,
      implementation: true,
      mapping: true,
      invariants: true,
      search: true,
    });
  });

  it('resolves bare names against the folder named before them', () => {
    expect(namedPaths('| x | `impl/a/`: `b.ts`, `c-*.ts` |')).toEqual(['impl/a/', 'impl/a/b.ts', 'impl/a/c-*.ts']);
    expect(namedPaths('Prose: `knobs.ts` and `checker/x.ts`')).toEqual(['subsystems/hugetlb/knobs.ts', 'checker/x.ts']);
  });
});
