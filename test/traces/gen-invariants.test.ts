import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Project } from 'ts-morph';
import { describe, expect, it } from 'vitest';
import { collect, collectFromFiles, main, renderMarkdown, subsystemOfPath } from '../../docs/gen-invariants.js';

const TYPES = `
export interface Invariant<G> { name: string; doc: string; source: string; when: 'always' | 'quiescent'; check(g: G): boolean | null | string }
export interface Variant { name: string; description: string; source: string; scenarios?: readonly string[] }
export function invariant<G>(inv: Invariant<G>): Invariant<G> { return inv; }
`;

const HUGETLB = `
import { invariant, type Variant } from '../../checker/types.js';
import { DOC } from './sources.js';
const KERNEL = 'mm/hugetlb.c';
export const invariants = [
  invariant({
    name: 'resv-le-free',
    when: 'always',
    doc: 'resv_huge_pages <= free_huge_pages | always',
    source: DOC + ' §reserves',
    check: () => true,
  }),
  invariant<{ x: number }>({
    name: \`no-leak\`,
    when: 'quiescent',
    doc: \`no reservation leaks on the \${'error'} path\`,
    source: KERNEL,
    check: () => null,
  }),
];
const h11 = { name: 'H11', description: 'region_chg forgets the cache entry', source: 'cf3ad20bfead', scenarios: ['fault-race'] };
export const sub = {
  name: 'hugetlb',
  variants: [h11, { name: 'HR-1', description: 'double free of a reservation', source: KERNEL }],
};
`;

const THP_VARIANTS = `
import type { Variant } from '../../checker/types.js';
const thpVariants: readonly Variant[] = [{ name: 'T8', description: 'split under a pinned page', source: 'transhuge.rst' }];
export default thpVariants;
`;

function memoryProject(files: Record<string, string>): Project {
  const project = new Project({ useInMemoryFileSystem: true, compilerOptions: { strict: true } });
  for (const [p, text] of Object.entries(files)) project.createSourceFile(p, text);
  return project;
}

describe('docs generator (ts-morph)', () => {
  it('derives the subsystem from the folder', () => {
    expect(subsystemOfPath('subsystems/hugetlb/index.ts')).toBe('hugetlb');
    expect(subsystemOfPath('spec/thp/machine/x.ts')).toBe('thp');
    expect(subsystemOfPath('impl/cleancache.ts')).toBe('cleancache');
    expect(subsystemOfPath('subsystems/index.ts')).toBe('(shared)');
  });

  it('finds invariants and variants with their fields and lines in an in-memory project', () => {
    const project = memoryProject({
      '/p/checker/types.ts': TYPES,
      '/p/subsystems/hugetlb/sources.ts': "export const DOC = 'hugetlbfs_reserv.rst';\n",
      '/p/subsystems/hugetlb/index.ts': HUGETLB,
      '/p/spec/thp/variants.ts': THP_VARIANTS,
    });
    const files = project.getSourceFiles().filter((f) => !f.getFilePath().includes('/checker/'));
    const c = collectFromFiles(files, '/p');
    expect(c.invariants.map((i) => [i.subsystem, i.name, i.when, i.file, i.line])).toEqual([
      ['hugetlb', 'resv-le-free', 'always', 'subsystems/hugetlb/index.ts', 6],
      ['hugetlb', 'no-leak', 'quiescent', 'subsystems/hugetlb/index.ts', 13],
    ]);
    // an imported const, a + concatenation, a template with a literal substitution
    expect(c.invariants[0]!.source).toBe('hugetlbfs_reserv.rst §reserves');
    expect(c.invariants[1]!.doc).toBe('no reservation leaks on the error path');
    expect(c.invariants[1]!.source).toBe('mm/hugetlb.c');
    expect(c.variants.map((v) => [v.subsystem, v.name, v.source, v.scenarios])).toEqual([
      ['hugetlb', 'H11', 'cf3ad20bfead', ['fault-race']],
      ['hugetlb', 'HR-1', 'mm/hugetlb.c', undefined],
      ['thp', 'T8', 'transhuge.rst', undefined],
    ]);

    const md = renderMarkdown(c);
    expect(md).toContain('## hugetlb');
    expect(md).toContain('## thp');
    expect(md).toContain('| `resv-le-free` | always | resv_huge_pages <= free_huge_pages \\| always |');
    expect(md).toContain('[subsystems/hugetlb/index.ts:6](../subsystems/hugetlb/index.ts#L6)');
    expect(md).toContain('| `H11` | region_chg forgets the cache entry | cf3ad20bfead | fault-race |');
    expect(md).not.toMatch(/\d{4}-\d{2}-\d{2}T/); // no timestamps: --check must be stable
  });

  it('also finds invariants written as plain objects in an invariants list', () => {
    const project = memoryProject({
      '/p/subsystems/thp/index.ts': `export const sub = {
  name: 'thp',
  invariants: [
    { name: 'split-refcount', when: 'always', doc: 'refcount = mapcount + 1', source: 'transhuge.rst', check: () => true },
  ],
};`,
    });
    const c = collectFromFiles(project.getSourceFiles(), '/p');
    expect(c.invariants.map((i) => [i.subsystem, i.name, i.source, i.line])).toEqual([
      ['thp', 'split-refcount', 'transhuge.rst', 4],
    ]);
  });

  it('attributes an invariant defined once in a factory to every subsystem whose list calls it', () => {
    // subsystems/thp/vma-invariants.ts: both THP implementations list vmaInvariants(); attributed by the defining
    // file alone, the thp-folio pages lost the invariant (session 15)
    const project = memoryProject({
      '/p/checker/types.ts': TYPES,
      '/p/subsystems/thp/factory.ts': `import { invariant, type Invariant } from '../../checker/types.js';
export function shared<G>(): Invariant<G>[] {
  return [invariant<G>({ name: 'one-vma', when: 'always', doc: 'd', source: 'mm/vma.c', check: () => true })];
}`,
      '/p/subsystems/thp/invariants.ts': `import { shared } from './factory.js';
export const invariants = [...shared<number>()];`,
      '/p/subsystems/thp/folio/invariants.ts': `import { shared } from '../factory.js';
import { invariant } from '../../../checker/types.js';
export const invariants = [...shared<string>(), invariant({ name: 'own', when: 'always', doc: 'd', source: 's', check: () => true })];`,
    });
    const c = collectFromFiles(project.getSourceFiles(), '/p');
    expect(c.invariants.map((i) => [i.subsystem, i.name, i.file, i.line])).toEqual([
      ['thp', 'one-vma', 'subsystems/thp/factory.ts', 3],
      ['thp-folio', 'one-vma', 'subsystems/thp/factory.ts', 3],
      ['thp-folio', 'own', 'subsystems/thp/folio/invariants.ts', 3],
    ]);
  });

  it('shows a non-static field as source text instead of guessing', () => {
    const project = memoryProject({
      '/p/impl/cc/x.ts': `declare function invariant(x: any): any; declare const names: string[];
        export const i = invariant({ name: names[0], when: 'always', doc: 'd', source: 's', check: () => true });`,
    });
    const c = collectFromFiles(project.getSourceFiles(), '/p');
    expect(c.invariants[0]!.name).toBe('`names[0]`');
  });

  it('runs on a directory tree, tolerates missing folders, and --check detects stale docs', () => {
    const root = mkdtempSync(join(tmpdir(), 'mmcheck-docs-'));
    const write = (p: string, text: string) => {
      mkdirSync(dirname(join(root, p)), { recursive: true });
      writeFileSync(join(root, p), text);
    };
    write('checker/types.ts', TYPES);
    write('subsystems/hugetlb/sources.ts', "export const DOC = 'hugetlbfs_reserv.rst';\n");
    write('subsystems/hugetlb/index.ts', HUGETLB);
    mkdirSync(join(root, 'docs'));
    // spec/ and impl/ do not exist yet
    expect(collect(root).scanned).toEqual(['subsystems']);

    const logs: string[] = [];
    const io = { out: (s: string) => logs.push(s), err: (s: string) => logs.push(s) };
    expect(main(['--check'], root, io)).toBe(1);
    expect(logs.pop()).toMatch(/missing/);
    expect(main([], root, io)).toBe(0);
    expect(readFileSync(join(root, 'docs/invariants.md'), 'utf8')).toContain('`no-leak`');
    expect(main(['--check'], root, io)).toBe(0);

    write('spec/thp/variants.ts', THP_VARIANTS);
    expect(main(['--check'], root, io)).toBe(1);
    expect(logs.pop()).toMatch(/out of date/);
    expect(main(['--bogus'], root, io)).toBe(2);
  });

  it('says so when nothing is found', () => {
    expect(renderMarkdown({ invariants: [], variants: [], scanned: [] })).toContain(
      'No invariants or variants found yet.',
    );
  });
});
