/**
 * Citations a reader of the repository cannot resolve: the team's private notes
 * (the digest of the seeds, the notes on kernel semantics and on known bugs,
 * anything in the shared folder beside the repository) and line numbers of the
 * seed files (the seeds concatenate Documentation/ files, so a seed line
 * number names no line of any real file).
 * A product citation is a kernel path and function at a version or commit, a
 * commit id with its title, or a Documentation/ path and section at a version.
 *
 * The patterns are written so that their own source text does not match them.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

export interface BadCitation {
  /** Path relative to the project root, '/' separators. */
  readonly file: string;
  readonly line: number;
  readonly rule: string;
  /** The offending text with a little context, one line. */
  readonly text: string;
}

const notes = (a: string, b: string) => `${a}-${b} (private notes)`;

export const BAD_CITATIONS: readonly { readonly rule: string; readonly re: RegExp }[] = [
  { rule: notes('seeds', 'digest'), re: /seeds?[-_ ]digest/i },
  { rule: notes('kernel', 'semantics'), re: /kernel[-_]semantics/i },
  { rule: notes('known', 'bugs'), re: /known[-_]bugs/i },
  { rule: notes('checker', 'anchors'), re: /checker[-_]anchors/i },
  { rule: 'the shared folder (outside the repository)', re: /\.\.\/shared\b|\/work\/shared\b/ },
  { rule: 'seed line number', re: /\bseeds?\b[^\n|]{0,12}?\bL\d+/i },
  { rule: 'seed line number', re: /\.rst\s*(?:L|:|line\s*)\d+/i },
];

/** Folders whose files are product code or docs (tests are checked too: they are read as examples). */
export const CITATION_DIRS = [
  'checker',
  'spec',
  'impl',
  'subsystems',
  'traces',
  'cli',
  'kernel',
  'docs',
  'bench',
  'bin',
  'test',
];
export const CITATION_FILES = ['README.md'];
const EXT = /\.(ts|js|mjs|md|html|json|c|h|sh)$/;
const SKIP = new Set(['node_modules', 'dist', 'out', '.git']);

function walk(dir: string, out: string[]): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    if (SKIP.has(n)) continue;
    const p = join(dir, n);
    const st = statSync(p);
    if (st.isDirectory()) walk(p, out);
    else if (EXT.test(n) && st.size < 2_000_000) out.push(p);
  }
}

/** Unresolvable citations in `text` (a file's content), one entry per line and rule. */
export function findBadCitations(text: string, file: string): BadCitation[] {
  const out: BadCitation[] = [];
  text.split('\n').forEach((line, i) => {
    for (const { rule, re } of BAD_CITATIONS) {
      const m = re.exec(line);
      if (!m) continue;
      const from = Math.max(0, m.index - 30);
      out.push({ file, line: i + 1, rule, text: line.slice(from, m.index + m[0].length + 30).trim() });
      break;
    }
  });
  return out;
}

/** Scan the repository at `root` (the folders above plus README.md). */
export function scanRepository(root: string, dirs = CITATION_DIRS, files = CITATION_FILES): BadCitation[] {
  const paths: string[] = files.map((f) => join(root, f));
  for (const d of dirs) walk(join(root, d), paths);
  const out: BadCitation[] = [];
  for (const p of paths) {
    let text: string;
    try {
      text = readFileSync(p, 'utf8');
    } catch {
      continue;
    }
    out.push(...findBadCitations(text, relative(root, p).split(sep).join('/')));
  }
  return out;
}
