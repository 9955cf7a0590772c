/**
 * The cross-subsystem pages: docs/index.md (where to start), docs/coverage.md
 * (what the default scenarios exercise) and docs/findings.md (violations of the
 * correct implementation found while modelling, and what real kernels said).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Subsystem } from '../../checker/types.js';
import { scenarioOps, type CheckRecord } from './record.js';
import { GENERATED, cell, code, n, plural, table } from './md.js';
import { scenarioTable } from './subsystem-page.js';

function recordLine(rec: CheckRecord | undefined): string {
  return rec
    ? `Counts are from the recorded check run of ${rec.recordedAt} at commit ${rec.commit} (\`docs/check-record.json\`, refreshed by \`npm run docs -- --record\`).`
    : 'No check run is recorded yet: run `npm run docs -- --record`.';
}

export function indexPage(subs: readonly Subsystem[], rec: CheckRecord | undefined): string {
  const out = [GENERATED('index'), '# mmcheck documentation', ''];
  out.push(
    'Generated from the code (`npm run docs`; an HTML copy of every page sits next to it and opens from file://).',
    '',
  );
  out.push(
    ...table(
      ['Subsystem', 'What it models', 'Ops', 'Invariants', 'Variants', 'Default scenarios'],
      subs.map((s) => [
        `[${s.name}](subsystems/${s.name}.md)`,
        cell(s.title),
        String(Object.keys(s.impl.ops).length),
        String(s.invariants.length),
        String(s.variants.length),
        String(s.scenarios.length),
      ]),
    ),
    '',
  );
  out.push(
    '- [Operation reference](ops.md): every operation and its arguments, as scenario files and scripts name them',
    '- [Coverage of the default scenarios](coverage.md)',
    '- [Findings](findings.md): the correct implementation fails these; real-kernel reproductions',
    '- [All invariants and variants in one table](invariants.md)',
    '- [Architecture](architecture.md)',
    '',
  );
  out.push(recordLine(rec), '');
  return out.join('\n');
}

export function coveragePage(subs: readonly Subsystem[], rec: CheckRecord | undefined): string {
  const out = [
    GENERATED('coverage'),
    '# Coverage of the default scenarios',
    '',
    '`npm run check` runs these. ' + recordLine(rec),
    '',
  ];
  let total = 0;
  for (const sub of subs) {
    out.push(`## ${sub.name}`, '', ...scenarioTable(rec, sub), '');
    const used = new Map<string, string[]>();
    for (const s of sub.scenarios) for (const op of scenarioOps(s)) used.set(op, [...(used.get(op) ?? []), s.name]);
    const rows = Object.keys(sub.impl.ops).map((op) => [
      code(op),
      used.has(op) ? String(used.get(op)!.length) : '**0 (never exercised)**',
      (used.get(op) ?? []).map(code).join(', '),
    ]);
    out.push('Operations:', '', ...table(['Operation', 'Scenarios', 'Which'], rows), '');
    const unused = Object.keys(sub.impl.ops).filter((op) => !used.has(op));
    if (unused.length) out.push(`**Not exercised by any default scenario:** ${unused.map(code).join(', ')}.`, '');
    if (rec) {
      const inv = sub.invariants.map((i) => {
        const st = rec.defaults
          .filter((d) => d.subsystem === sub.name)
          .flatMap((d) => d.invariants.filter((x) => x.name === i.name).map((x) => ({ d, x })));
        const nt = st.filter((y) => y.x.nonTrivial > 0).length;
        return [code(i.name), i.when, `${nt} of ${st.length}`, n(st.reduce((a, y) => a + y.x.nonTrivial, 0))];
      });
      out.push(
        'Invariants (scenarios in which each was non-trivial at least once):',
        '',
        ...table(['Invariant', 'When', 'Non-trivial in', 'Non-trivial states'], inv),
        '',
      );
      total += rec.defaults.filter((d) => d.subsystem === sub.name).reduce((a, d) => a + d.states, 0);
    }
  }
  if (rec) out.push(`${plural(rec.defaults.length, 'default scenario')}, ${n(total)} distinct states in all.`, '');
  return out.join('\n');
}

/** docs/findings.json as kernel/record.ts writes it (`mmcheck reproduce --record`). */
interface KernelFinding {
  readonly subsystem: string;
  readonly target: string;
  readonly reproducer: string;
  readonly kernels: readonly {
    request: string;
    release: string;
    package?: string;
    modelVersion: string;
    verdict: string;
  }[];
}

function kernelRecord(root: string): KernelFinding[] | undefined {
  const p = join(root, 'docs', 'findings.json');
  if (!existsSync(p)) return undefined;
  const x = JSON.parse(readFileSync(p, 'utf8')) as unknown;
  if (!Array.isArray(x)) throw new Error('docs/findings.json: expected a JSON list of findings');
  return x as KernelFinding[];
}

export function findingsPage(root: string, subs: readonly Subsystem[], rec: CheckRecord | undefined): string {
  const out = [GENERATED('findings'), '# Findings', ''];
  out.push(
    'A finding is a scenario in which the checker reports a violation of the *correct*, kernel-faithful implementation: a window or an ' +
      'error path of the kernel as modelled. Findings are not in the default run; `mmcheck check SUBSYSTEM --scenario NAME` runs one, ' +
      '`mmcheck reproduce` runs it on a real kernel under qemu.',
    '',
    recordLine(rec),
    '',
  );
  out.push('## Found by the model checker', '');
  const rows = subs.flatMap((sub) =>
    (sub.findings ?? []).map((f) => {
      const r = rec?.findings.find((x) => x.subsystem === sub.name && x.scenario === f.name);
      const got = !r
        ? '(no record)'
        : r.violation
          ? r.violation.kind === r.violation.property
            ? r.violation.kind
            : `${r.violation.kind}: ${r.violation.property}`
          : `**no violation** (${r.stopReason})`;
      return [code(sub.name), code(f.name), cell(f.description), cell(f.expect), cell(got)];
    }),
  );
  out.push(
    ...(rows.length ? table(['Subsystem', 'Finding', 'What happens', 'Expected', 'Recorded result'], rows) : ['None.']),
    '',
  );
  out.push('## On real kernels', '');
  const k = kernelRecord(root);
  if (!k || k.length === 0)
    out.push('No real-kernel run is recorded yet (`mmcheck reproduce ... --record` writes `docs/findings.json`).', '');
  else {
    const krows = k.flatMap((f) =>
      f.kernels.map((x) => [
        code(f.subsystem),
        code(f.target),
        cell(`${x.release}${x.package ? ` (${x.package})` : ''}`),
        cell(x.modelVersion),
        cell(x.verdict),
        f.reproducer ? `[${cell(f.reproducer.replace(/^docs\//, ''))}](${f.reproducer.replace(/^docs\//, '')})` : '—',
      ]),
    );
    out.push(...table(['Subsystem', 'Target', 'Kernel', 'Model version', 'Verdict', 'Reproducer'], krows), '');
  }
  return out.join('\n');
}
