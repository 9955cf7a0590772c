/**
 * Issue 11's size rule, checked independently of the linter: no source file
 * over 400 lines and no function over 80 (blank and comment-only lines not
 * counted, as oxlint's max-lines-per-function is configured), unless an
 * `eslint-disable`/`oxlint-disable` comment for that rule says why after
 * `--`. An exemption on a file or function within the limit is stale and
 * fails too, so the reasons in the tree stay true.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SOURCE_DIRS = ['bench', 'checker', 'cli', 'docs', 'impl', 'kernel', 'spec', 'subsystems', 'traces'];
export const MAX_FILE_LINES = 400;
export const MAX_FUNCTION_LINES = 80;

function tsFiles(dir: string): string[] {
  let out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (e === 'node_modules' || e === 'out') continue;
    if (statSync(p).isDirectory()) out = out.concat(tsFiles(p));
    else if (e.endsWith('.ts') && !e.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** A disable comment for `rule` with a reason: `eslint-disable[-next-line] ... rule ... -- why`. */
function exempts(text: string, rule: string, form: 'file' | 'next-line'): boolean {
  const re =
    form === 'file'
      ? new RegExp(`(?:eslint|oxlint)-disable(?!-)[^\\n]*\\b${rule}(?![\\w-])[^\\n]*--\\s*\\S`)
      : new RegExp(`(?:eslint|oxlint)-disable-next-line[^\\n]*\\b${rule}(?![\\w-])[^\\n]*--\\s*\\S`);
  return re.test(text);
}

/** Lines of `text` that hold code: not blank, not inside or only a comment. */
function codeLines(text: string): number {
  let n = 0;
  let inBlock = false;
  for (const raw of text.split('\n')) {
    let line = raw.trim();
    if (inBlock) {
      const end = line.indexOf('*/');
      if (end < 0) continue;
      inBlock = false;
      line = line.slice(end + 2).trim();
    }
    while (line.startsWith('/*')) {
      const end = line.indexOf('*/', 2);
      if (end < 0) {
        inBlock = true;
        line = '';
        break;
      }
      line = line.slice(end + 2).trim();
    }
    if (line === '' || line.startsWith('//')) continue;
    n++;
  }
  return n;
}

function isFunction(node: ts.Node): node is ts.FunctionLikeDeclaration {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isFunctionExpression(node) ||
    ts.isArrowFunction(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node)
  );
}

/** The problems of one file: over-long without a reason, or exempt without being over-long. */
export function sizeProblems(name: string, text: string): string[] {
  const problems: string[] = [];
  const lines = text.split('\n');
  const fileLines = lines.length - (text.endsWith('\n') ? 1 : 0);
  const fileExempt = exempts(text, 'max-lines', 'file');
  if (fileLines > MAX_FILE_LINES && !fileExempt)
    problems.push(`${name}: ${fileLines} lines (> ${MAX_FILE_LINES}) and no max-lines exemption saying why`);
  if (fileLines <= MAX_FILE_LINES && fileExempt)
    problems.push(`${name}: ${fileLines} lines carries a stale max-lines exemption`);
  const allFunctionsExempt = exempts(text, 'max-lines-per-function', 'file');
  const sf = ts.createSourceFile(name, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const exemptLines = new Set<number>();
  lines.forEach((l, i) => {
    if (exempts(l, 'max-lines-per-function', 'next-line')) exemptLines.add(i + 1);
  });
  const usedExemptions = new Set<number>();
  const visit = (node: ts.Node): void => {
    if (isFunction(node) && node.body) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line; // 0-based: the line above is `start`
      const size = codeLines(text.slice(node.getStart(sf), node.getEnd()));
      const exempt = allFunctionsExempt || exemptLines.has(start);
      if (exemptLines.has(start)) usedExemptions.add(start);
      if (size > MAX_FUNCTION_LINES && !exempt)
        problems.push(`${name}:${start + 1}: a function of ${size} lines (> ${MAX_FUNCTION_LINES}) with no reason`);
      if (size <= MAX_FUNCTION_LINES && exemptLines.has(start))
        problems.push(
          `${name}:${start + 1}: a function of ${size} lines carries a stale max-lines-per-function exemption`,
        );
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  for (const l of exemptLines)
    if (!usedExemptions.has(l)) problems.push(`${name}:${l}: a max-lines-per-function exemption above no function`);
  return problems;
}

describe('size limits (files <= 400 lines, functions <= 80, or a reason)', () => {
  test('every source file outside test/ keeps them', () => {
    const files = SOURCE_DIRS.flatMap((d) => tsFiles(join(ROOT, d)));
    expect(files.length).toBeGreaterThan(100);
    const problems = files.flatMap((f) => sizeProblems(relative(ROOT, f), readFileSync(f, 'utf8')));
    expect(problems).toEqual([]);
  });

  const body = (n: number): string => Array.from({ length: n }, (_, i) => `  x += ${i};`).join('\n');
  const fn = (n: number): string => `function f(): number {\n  let x = 0;\n${body(n - 3)}\n  return x;\n}\n`;

  test('a function over the limit is reported, and accepted with a reason', () => {
    expect(sizeProblems('a.ts', fn(81))).toEqual(['a.ts:1: a function of 82 lines (> 80) with no reason']);
    expect(sizeProblems('a.ts', `// oxlint-disable-next-line max-lines-per-function -- one table\n${fn(81)}`)).toEqual(
      [],
    );
    expect(sizeProblems('a.ts', `// oxlint-disable-next-line max-lines-per-function\n${fn(81)}`)).toHaveLength(1);
  });

  test('blank and comment lines do not count; arrows and methods do', () => {
    const commented = `function f(): void {\n${Array.from({ length: 100 }, () => '  // note\n').join('')}}\n`;
    expect(sizeProblems('a.ts', commented)).toEqual([]);
    const arrow = `const g = (): number => {\n  let x = 0;\n${body(80)}\n  return x;\n};\n`;
    expect(sizeProblems('a.ts', arrow)).toHaveLength(1);
    const method = `class C {\n  m(): number {\n    let x = 0;\n${body(80)}\n    return x;\n  }\n}\n`;
    expect(sizeProblems('a.ts', method)).toHaveLength(1);
  });

  test('a long file needs a reason; a stale exemption is reported', () => {
    const long = Array.from({ length: 401 }, (_, i) => `export const c${i} = ${i};`).join('\n') + '\n';
    expect(sizeProblems('a.ts', long)).toHaveLength(1);
    expect(sizeProblems('a.ts', `/* eslint-disable max-lines -- a table */\n${long}`)).toEqual([]);
    expect(sizeProblems('a.ts', `/* eslint-disable max-lines -- a table */\nexport const c = 1;\n`)).toHaveLength(1);
    expect(sizeProblems('a.ts', `// oxlint-disable-next-line max-lines-per-function -- x\n${fn(10)}`)).toHaveLength(1);
  });
});
