/**
 * Documentation generator (`npm run docs`; see docs/gen/build.ts for every page it writes, --check and --record).
 * This module collects invariants and variants. Scans spec/, impl/ and subsystems/ with ts-morph for
 *   - calls `invariant({name, when, doc, source, ...})` (checker/types.ts), and object
 *     literals with name and check written directly in an `invariants` list,
 *   - variant definitions: object literals with name/description/source inside a
 *     `variants` array (a `variants: [...]` property, a `const variants = [...]`,
 *     or an array typed `Variant[]`),
 * and writes docs/invariants.md grouped by subsystem (the folder below spec/, impl/ or subsystems/; an invariant
 * defined in a factory several subsystems call counts for each of them: gen/shared-invariants.ts). String fields may
 * be literals, templates, `+` concatenations or references to `const` strings (also imported ones); anything else is
 * shown as its source text. Missing folders are skipped. The output has no timestamp, so `--check` is stable.
 */
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Node, Project, SyntaxKind, type ObjectLiteralExpression, type SourceFile } from 'ts-morph';
import { anchor, cell, code } from './gen/md.js';
import { usingSubsystems } from './gen/shared-invariants.js';

export const DEFAULT_DIRS = ['spec', 'impl', 'subsystems'] as const;

export interface InvariantDoc {
  readonly kind: 'invariant';
  readonly subsystem: string;
  readonly name: string;
  readonly when: string;
  readonly doc: string;
  readonly source: string;
  /** Why it holds: the `why` field, else the comment written just above the invariant ('' when neither). */
  readonly why: string;
  /** Path relative to the project root, with '/' separators. */
  readonly file: string;
  readonly line: number;
}

export interface VariantDoc {
  readonly kind: 'variant';
  readonly subsystem: string;
  readonly name: string;
  readonly description: string;
  readonly source: string;
  readonly scenarios?: readonly string[];
  readonly file: string;
  readonly line: number;
}

export interface Collected {
  readonly invariants: InvariantDoc[];
  readonly variants: VariantDoc[];
  /** Folders scanned that exist. */
  readonly scanned: string[];
}

// Static evaluation of string-ish expressions

function unwrap(e: Node): Node {
  let n = e;
  for (;;) {
    if (Node.isParenthesizedExpression(n) || Node.isAsExpression(n) || Node.isSatisfiesExpression(n))
      n = n.getExpression();
    else if (Node.isTypeAssertion(n) || Node.isNonNullExpression(n)) n = n.getExpression();
    else return n;
  }
}

/** The initializer a `const`/`let` identifier (possibly imported) refers to, if any. */
function resolveIdentifier(id: Node): Node | undefined {
  let sym = id.getSymbol();
  if (!sym) return undefined;
  if (sym.isAlias()) sym = sym.getAliasedSymbol() ?? sym;
  for (const d of sym.getDeclarations()) {
    if (Node.isVariableDeclaration(d)) {
      const init = d.getInitializer();
      if (init) return init;
    }
    if (Node.isShorthandPropertyAssignment(d)) {
      const s = d.getValueSymbol();
      for (const dd of s?.getDeclarations() ?? [])
        if (Node.isVariableDeclaration(dd) && dd.getInitializer()) return dd.getInitializer();
    }
  }
  return undefined;
}

/** Evaluate a string expression statically; undefined when it cannot. */
export function evalString(e: Node | undefined, depth = 0): string | undefined {
  if (!e || depth > 8) return undefined;
  const n = unwrap(e);
  if (Node.isStringLiteral(n) || Node.isNoSubstitutionTemplateLiteral(n)) return n.getLiteralValue();
  if (Node.isNumericLiteral(n)) return String(n.getLiteralValue());
  if (Node.isTemplateExpression(n)) {
    let s = n.getHead().getLiteralText();
    for (const span of n.getTemplateSpans()) {
      const v = evalString(span.getExpression(), depth + 1);
      s += (v ?? `\${${span.getExpression().getText()}}`) + span.getLiteral().getLiteralText();
    }
    return s;
  }
  if (Node.isBinaryExpression(n) && n.getOperatorToken().getKind() === SyntaxKind.PlusToken) {
    const a = evalString(n.getLeft(), depth + 1);
    const b = evalString(n.getRight(), depth + 1);
    return a !== undefined && b !== undefined ? a + b : undefined;
  }
  if (Node.isIdentifier(n)) {
    const init = resolveIdentifier(n);
    if (init) return evalString(init, depth + 1);
    const t = n.getType();
    if (t.isStringLiteral()) return String(t.getLiteralValue());
  }
  return undefined;
}

/** A string field as text: its static value, or its source text in backticks. */
function fieldText(obj: ObjectLiteralExpression, key: string): string | undefined {
  const p = obj.getProperty(key);
  if (!p) return undefined;
  let init: Node | undefined;
  if (Node.isPropertyAssignment(p)) init = p.getInitializer();
  else if (Node.isShorthandPropertyAssignment(p)) init = p.getNameNode();
  if (!init) return undefined;
  const v = evalString(init);
  return v !== undefined ? v : `\`${init.getText().replace(/\s+/g, ' ')}\``;
}

function stringList(obj: ObjectLiteralExpression, key: string): string[] | undefined {
  const p = obj.getProperty(key);
  if (!p || !Node.isPropertyAssignment(p)) return undefined;
  const init = p.getInitializer();
  const arr = init && unwrap(init);
  if (!arr || !Node.isArrayLiteralExpression(arr))
    return init ? [`\`${init.getText().replace(/\s+/g, ' ')}\``] : undefined;
  return arr.getElements().map((x) => evalString(x) ?? `\`${x.getText()}\``);
}

/** An object literal given directly or through a `const` identifier. */
function objectOf(e: Node | undefined, depth = 0): ObjectLiteralExpression | undefined {
  if (!e || depth > 4) return undefined;
  const n = unwrap(e);
  if (Node.isObjectLiteralExpression(n)) return n;
  if (Node.isIdentifier(n)) return objectOf(resolveIdentifier(n), depth + 1);
  return undefined;
}

// ---------------------------------------------------------------------------
// Collection
// ---------------------------------------------------------------------------

/** `spec/hugetlb/x.ts` -> hugetlb; `subsystems/index.ts` -> (shared); `impl/thp.ts` -> thp; `subsystems/thp/folio/x.ts` -> thp-folio. */
export function subsystemOfPath(rel: string, dirs: readonly string[] = DEFAULT_DIRS): string {
  const parts = rel.split('/');
  const i = parts.findIndex((p) => dirs.includes(p));
  const rest = i >= 0 ? parts.slice(i + 1) : parts;
  if (i >= 0 && parts[i] === 'subsystems' && rest.length >= 3) return `${rest[0]}-${rest[1]}`;
  if (rest.length >= 2) return rest[0]!;
  const base = (rest[0] ?? '').replace(/\.[cm]?tsx?$/, '');
  return base === 'index' || base === '' ? '(shared)' : base;
}

/** The comment written just above a node (JSDoc or // lines), as one line of text. */
function leadingComment(at: Node): string {
  return at
    .getLeadingCommentRanges()
    .map((r) => r.getText())
    .join(' ')
    .replace(/^\s*\/\*\*?|\*\/\s*$/g, '')
    .replace(/^\s*(\/\/|\*)\s?/gm, '')
    .replace(/\s+/g, ' ')
    .trim();
}

function isInvariantCallee(callee: Node): boolean {
  const c = unwrap(callee);
  if (Node.isIdentifier(c)) return c.getText() === 'invariant';
  if (Node.isPropertyAccessExpression(c)) return c.getName() === 'invariant';
  return false;
}

/**
 * True when `arr` is a list named like `what` (`variants: [...]`, `const thpVariants = [...]`)
 * or typed with `type` (`Variant[]`, `readonly Invariant<G, P>[]`, `[...] satisfies Variant[]`).
 */
function isNamedArray(arr: Node, what: 'variants' | 'invariants', type: 'Variant' | 'Invariant'): boolean {
  const typeRe = new RegExp(`\\b${type}\\b`);
  const nameRe = new RegExp(`${what}$`, 'i');
  let n: Node = arr;
  let parent = n.getParent();
  while (
    parent &&
    (Node.isParenthesizedExpression(parent) || Node.isAsExpression(parent) || Node.isSatisfiesExpression(parent))
  ) {
    const typeText =
      Node.isAsExpression(parent) || Node.isSatisfiesExpression(parent) ? parent.getTypeNode()?.getText() : undefined;
    if (typeText && typeRe.test(typeText)) return true;
    n = parent;
    parent = n.getParent();
  }
  if (!parent) return false;
  if (Node.isPropertyAssignment(parent)) return parent.getNameNode().getText().replace(/['"]/g, '') === what;
  if (Node.isVariableDeclaration(parent)) {
    if (nameRe.test(parent.getName())) return true;
    const t = parent.getTypeNode()?.getText();
    return !!t && typeRe.test(t);
  }
  return false;
}

function rel(root: string, sf: SourceFile): string {
  return relative(root, sf.getFilePath()).split(sep).join('/');
}

/** Collect invariants and variants from the given source files. */
export function collectFromFiles(
  files: readonly SourceFile[],
  root: string,
  dirs: readonly string[] = DEFAULT_DIRS,
): Collected {
  const invariants: InvariantDoc[] = [];
  const variants: VariantDoc[] = [];
  const seenVariant = new Set<Node>();
  const seenInvariant =
    new Set<string>(); /* definition × subsystem: a shared one (gen/shared-invariants.ts) is in several */
  const addInvariant = (obj: ObjectLiteralExpression, at: Node, subsystem: string): void => {
    const key = `${rel(root, obj.getSourceFile())}:${obj.getStart()}:${subsystem}`;
    if (seenInvariant.has(key)) return;
    seenInvariant.add(key);
    invariants.push({
      kind: 'invariant',
      subsystem,
      name: fieldText(obj, 'name') ?? '(unnamed)',
      when: fieldText(obj, 'when') ?? '?',
      doc: fieldText(obj, 'doc') ?? '',
      source: fieldText(obj, 'source') ?? '',
      why: fieldText(obj, 'why') ?? leadingComment(at),
      file: rel(root, at.getSourceFile()),
      line: at.getStartLineNumber(),
    });
  };
  for (const sf of files) {
    const file = rel(root, sf);
    const subsystem = subsystemOfPath(file, dirs);
    for (const call of sf.getDescendantsOfKind(SyntaxKind.CallExpression)) {
      if (!isInvariantCallee(call.getExpression())) continue;
      const obj = objectOf(call.getArguments()[0]);
      const owners = obj && (usingSubsystems(call, root, (r) => subsystemOfPath(r, dirs)) ?? [subsystem]);
      for (const s of owners ?? []) addInvariant(obj!, call, s);
    }
    // Invariants written as plain objects in an `invariants` list (without the invariant() helper).
    for (const arr of sf.getDescendantsOfKind(SyntaxKind.ArrayLiteralExpression)) {
      if (!isNamedArray(arr, 'invariants', 'Invariant')) continue;
      for (const el of arr.getElements()) {
        const obj = Node.isObjectLiteralExpression(unwrap(el)) ? (unwrap(el) as ObjectLiteralExpression) : undefined;
        if (obj && obj.getProperty('name') && obj.getProperty('check')) addInvariant(obj, obj, subsystem);
      }
    }
    for (const arr of sf.getDescendantsOfKind(SyntaxKind.ArrayLiteralExpression)) {
      if (!isNamedArray(arr, 'variants', 'Variant')) continue;
      for (const el of arr.getElements()) {
        const obj = objectOf(el);
        if (!obj || seenVariant.has(obj)) continue;
        if (!obj.getProperty('name') || !(obj.getProperty('description') || obj.getProperty('source'))) continue;
        seenVariant.add(obj);
        const scenarios = stringList(obj, 'scenarios');
        variants.push({
          kind: 'variant',
          subsystem,
          name: fieldText(obj, 'name') ?? '(unnamed)',
          description: fieldText(obj, 'description') ?? '',
          source: fieldText(obj, 'source') ?? '',
          ...(scenarios ? { scenarios } : {}),
          file: rel(root, obj.getSourceFile()),
          line: obj.getStartLineNumber(),
        });
      }
    }
  }
  // Plain code-unit comparison: the output must not depend on the locale.
  const cmp = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
  const order = (a: { subsystem: string; file: string; line: number }, b: typeof a) =>
    cmp(a.subsystem, b.subsystem) || cmp(a.file, b.file) || a.line - b.line;
  invariants.sort(order);
  variants.sort(order);
  return { invariants, variants, scanned: [] };
}

/** Scan `root`'s spec/, impl/, subsystems/ (those that exist) from disk. */
export function collect(root: string, dirs: readonly string[] = DEFAULT_DIRS): Collected {
  const tsconfig = join(root, 'tsconfig.json');
  const project = existsSync(tsconfig)
    ? new Project({ tsConfigFilePath: tsconfig, skipAddingFilesFromTsConfig: true })
    : new Project({ compilerOptions: { strict: true } });
  const scanned: string[] = [];
  for (const d of dirs) {
    const abs = join(root, d);
    if (!existsSync(abs)) continue;
    scanned.push(d);
    project.addSourceFilesAtPaths([`${abs}/**/*.ts`, `!${abs}/**/*.d.ts`, `!${abs}/**/*.test.ts`]);
  }
  const files = project.getSourceFiles().filter((sf) => {
    const r = rel(root, sf);
    return scanned.some((d) => r.startsWith(d + '/'));
  });
  return { ...collectFromFiles(files, root, dirs), scanned };
}

// ---------------------------------------------------------------------------
// Markdown
// ---------------------------------------------------------------------------

function where(file: string, line: number, docsDir: string): string {
  return `[${file}:${line}](${docsDir}${file}#L${line})`;
}

export interface RenderDocOptions {
  /** Prefix from the output file to the project root, for links. Default '../' (docs/invariants.md). */
  readonly linkPrefix?: string;
  readonly dirs?: readonly string[];
}

/** docs/invariants.md for the collected entries (deterministic: no timestamps). */
export function renderMarkdown(c: Collected, opts: RenderDocOptions = {}): string {
  const lp = opts.linkPrefix ?? '../';
  const dirs = opts.dirs ?? DEFAULT_DIRS;
  const out: string[] = [];
  out.push('<!-- Generated by docs/gen-invariants.ts; do not edit. Regenerate: npx tsx docs/gen-invariants.ts -->');
  out.push('# Invariants and variants');
  out.push('');
  out.push(
    `Extracted from \`invariant({...})\` calls and \`variants\` lists in ${dirs.map((d) => `\`${d}/\``).join(', ')}. ` +
      'Each invariant is checked in every reachable state (`always`) or in states with no operation in flight ' +
      '(`quiescent`); a check run reports, per invariant, the states checked and the non-vacuous ones.',
  );
  out.push('');
  const subs = [...new Set([...c.invariants, ...c.variants].map((x) => x.subsystem))].sort();
  if (subs.length === 0) {
    out.push('No invariants or variants found yet.');
    return out.join('\n') + '\n';
  }
  out.push(
    `${c.invariants.length} invariant${c.invariants.length === 1 ? '' : 's'} and ${c.variants.length} variant${
      c.variants.length === 1 ? '' : 's'
    } in ${subs.length} subsystem${subs.length === 1 ? '' : 's'}: ${subs.map((s) => `[${s}](#${anchor(s)})`).join(', ')}.`,
  );
  for (const sub of subs) {
    out.push('');
    out.push(`## ${sub}`);
    const inv = c.invariants.filter((i) => i.subsystem === sub);
    const vars = c.variants.filter((v) => v.subsystem === sub);
    const dup = duplicates(inv.map((i) => i.name));
    if (inv.length) {
      out.push('');
      out.push('### Invariants');
      out.push('');
      out.push('| Invariant | When | What must hold | Source | Defined at |');
      out.push('|---|---|---|---|---|');
      for (const i of inv)
        out.push(
          `| ${code(i.name)}${dup.has(i.name) ? ' (duplicate name)' : ''} | ${cell(i.when)} | ${cell(i.doc) || '*(no doc)*'} | ${
            cell(i.source) || '*(no source)*'
          } | ${where(i.file, i.line, lp)} |`,
        );
    }
    if (vars.length) {
      out.push('');
      out.push('### Variants (bugs from kernel history, selected with `--variant NAME`)');
      out.push('');
      out.push('| Variant | Description | Source | Scenarios | Defined at |');
      out.push('|---|---|---|---|---|');
      for (const v of vars)
        out.push(
          `| ${code(v.name)} | ${cell(v.description)} | ${cell(v.source) || '*(no source)*'} | ${
            v.scenarios ? v.scenarios.map(cell).join(', ') : 'all defaults'
          } | ${where(v.file, v.line, lp)} |`,
        );
    }
  }
  return out.join('\n') + '\n';
}

function duplicates(names: string[]): Set<string> {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const n of names) (seen.has(n) ? dup : seen).add(n);
  return dup;
}

// CLI: docs/gen/build.ts (every page); kept here as the entry point of `npm run docs`

export { main, buildDocs, type MainIo } from './gen/build.js';

const here = fileURLToPath(import.meta.url);
if (process.argv[1] && pathToFileURL(resolve(process.argv[1])).href === import.meta.url) {
  // The project root is the parent of docs/ (also when run from dist/docs/).
  let root = resolve(dirname(here), '..');
  if (!existsSync(join(root, 'package.json')) || root.endsWith(`${sep}dist`)) root = resolve(dirname(here), '..', '..');
  // not a top-level await: gen/build.js imports this module back
  void Promise.all([import('./gen/build.js'), import('../subsystems/index.js')]).then(([b, s]) => {
    process.exitCode = b.main(process.argv.slice(2), root, undefined, b.docsSubsystems(s.registry));
  });
}
