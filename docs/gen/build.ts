/**
 * `npm run docs`: every generated page, from the code (ts-morph for the
 * invariant and variant declarations, the subsystem registry for operations,
 * scenarios and spec machines) and from docs/check-record.json.
 *
 *   npm run docs                 write the pages (markdown + an HTML copy of each)
 *   npm run docs -- --check      exit 1 if any generated page is out of date (CI)
 *   npm run docs -- --record     re-run the checks into docs/check-record.json, then write
 */
import { allImpls, alternativeImpl } from '../../checker/impls.js';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { opReferenceMarkdown } from '../../checker/op-schema.js';
import type { Subsystem } from '../../checker/types.js';
import { collect, renderMarkdown, type Collected } from '../gen-invariants.js';
import { renderHtml } from './html.js';
import { coveragePage, findingsPage, indexPage } from './overview.js';
import { RECORD_FILE, formatRecord, readRecord, recordChecks, rerecordFindings, type CheckRecord } from './record.js';
import { subsystemPage } from './subsystem-page.js';

/** Hand-written pages that also get an HTML copy. */
const HAND_WRITTEN = ['docs/architecture.md', 'docs/report-json.md'];

/** Every generated file (path relative to root -> content). */
export function buildDocs(
  root: string,
  c: Collected,
  subs: readonly Subsystem[],
  rec: CheckRecord | undefined,
): Map<string, string> {
  const md = new Map<string, string>();
  md.set('docs/invariants.md', renderMarkdown(c));
  if (subs.length > 0) {
    md.set('docs/index.md', indexPage(subs, rec));
    md.set('docs/coverage.md', coveragePage(subs, rec));
    md.set('docs/findings.md', findingsPage(root, subs, rec));
    // as docs/gen-ops.ts (npm run docs:ops) writes it: alternative implementations share their subsystem's ops
    md.set('docs/ops.md', opReferenceMarkdown(subs.filter((s) => !alternativeImpl(s))) + '\n');
    for (const sub of subs)
      md.set(
        `docs/subsystems/${sub.name}.md`,
        subsystemPage({
          sub,
          invariants: c.invariants.filter((i) => i.subsystem === sub.name),
          variants: c.variants.filter((v) => v.subsystem === sub.name),
          record: rec,
        }),
      );
  }
  const out = new Map(md);
  for (const p of HAND_WRITTEN) if (existsSync(join(root, p))) md.set(p, readFileSync(join(root, p), 'utf8'));
  for (const [p, text] of md) out.set(p.replace(/\.md$/, '.html'), renderHtml(text, p));
  return out;
}

/**
 * The subsystems the docs describe: every registered one, and each alternative
 * implementation (Subsystem.impls) as a page of its own named SUB-IMPL (e.g.
 * thp-folio), whose invariants and variants live in subsystems/SUB/IMPL/ and
 * impl/SUB-IMPL/ and whose runs the check record keeps under that name.
 */
export function docsSubsystems(registry: readonly Subsystem[]): Subsystem[] {
  return registry.flatMap((sub) =>
    allImpls(sub).map((s) => {
      const impl = alternativeImpl(s);
      if (!impl) return s;
      return { ...s, name: `${sub.name}-${impl}`, title: `${sub.title}, implementation ${impl} (--impl ${impl})` };
    }),
  );
}

export interface MainIo {
  out(s: string): void;
  err(s: string): void;
}

const USAGE = 'usage: npm run docs [-- --check | --record | --record-findings]';

/** Run the generator; returns the exit code. `subs` is the subsystem registry (empty: invariants.md only). */
export function main(
  argv: readonly string[],
  root: string,
  io: MainIo = { out: console.log, err: console.error },
  subs: readonly Subsystem[] = [],
): number {
  const check = argv.includes('--check');
  const record = argv.includes('--record');
  const findingsOnly = argv.includes('--record-findings');
  const unknown = argv.filter((a) => a !== '--check' && a !== '--record' && a !== '--record-findings');
  if (unknown.length) {
    io.err(`gen-invariants: unknown argument '${unknown[0]}' (${USAGE})`);
    return 2;
  }
  if ([check, record, findingsOnly].filter(Boolean).length > 1) {
    io.err(`gen-invariants: --check, --record and --record-findings contradict each other (${USAGE})`);
    return 2;
  }
  let rec: CheckRecord | undefined;
  try {
    if (record) {
      rec = recordChecks(root, subs, (s) => io.out(`  ${s}`));
      writeFileSync(join(root, RECORD_FILE), formatRecord(rec));
      io.out(`wrote ${RECORD_FILE}`);
    } else if (findingsOnly) {
      const old = readRecord(root);
      if (!old) throw new Error(`${RECORD_FILE}: no record to add findings to (run npm run docs -- --record)`);
      rec = rerecordFindings(old, root, subs, (s) => io.out(`  ${s}`));
      writeFileSync(join(root, RECORD_FILE), formatRecord(rec));
      io.out(`wrote the findings of ${RECORD_FILE}`);
    } else rec = readRecord(root);
  } catch (e) {
    io.err(`gen-invariants: ${(e as Error).message.split('\n')[0]}`);
    return 2;
  }
  const c = collect(root);
  const files = buildDocs(root, c, subs, rec);
  const summary = `${c.invariants.length} invariants, ${c.variants.length} variants (scanned ${c.scanned.join(', ') || 'nothing'}), ${files.size} files`;
  if (check) {
    const stale: string[] = [];
    for (const [p, text] of files) {
      const cur = existsSync(join(root, p)) ? readFileSync(join(root, p), 'utf8') : undefined;
      if (cur !== text) stale.push(`${p} (${cur === undefined ? 'missing' : 'out of date'})`);
    }
    if (stale.length === 0) {
      io.out(`docs are up to date: ${summary}`);
      return 0;
    }
    io.err(
      `docs are stale: ${stale.slice(0, 5).join(', ')}${stale.length > 5 ? `, … ${stale.length - 5} more` : ''}; run: npm run docs (${summary})`,
    );
    return 1;
  }
  for (const [p, text] of files) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), text);
  }
  io.out(`wrote docs: ${summary}`);
  return 0;
}
