/**
 * docs/subsystems/<sub>.md: one page per subsystem: the op reference, each
 * invariant (meaning, why it holds, source, the states it was checked in, the
 * variants it catches), the variants, the spec machine as a diagram and the
 * default scenarios.
 */
import type { Subsystem } from '../../checker/types.js';
import type { InvariantDoc, VariantDoc } from '../gen-invariants.js';
import { machineDiagram, machineSummary } from './mermaid.js';
import { GENERATED, cell, code, n, plural, table } from './md.js';
import { opReference } from './ops.js';
import type { CheckRecord } from './record.js';

export interface PageInput {
  readonly sub: Subsystem;
  readonly invariants: readonly InvariantDoc[];
  readonly variants: readonly VariantDoc[];
  readonly record: CheckRecord | undefined;
}

/** From docs/subsystems/ to the repository root. */
const ROOT = '../../';

function where(file: string, line: number): string {
  return `[${file}:${line}](${ROOT}${file}#L${line})`;
}

/** Variants whose recorded runs violated `property`. */
export function catchers(rec: CheckRecord | undefined, sub: string, property: string): string[] {
  if (!rec) return [];
  return rec.variants
    .filter((v) => v.subsystem === sub && v.runs.some((r) => r.violation?.property === property))
    .map((v) => v.variant);
}

function invariantSection(p: PageInput, i: InvariantDoc): string[] {
  const rec = p.record;
  const runs = rec ? rec.defaults.filter((d) => d.subsystem === p.sub.name) : [];
  const stats = runs.flatMap((r) => r.invariants.filter((s) => s.name === i.name).map((s) => ({ r, s })));
  const checked = stats.reduce((a, x) => a + x.s.checked, 0);
  const nonTrivial = stats.reduce((a, x) => a + x.s.nonTrivial, 0);
  const vacuousIn = stats.filter((x) => x.s.nonTrivial === 0).map((x) => x.r.scenario);
  const caught = catchers(rec, p.sub.name, i.name);
  const out = [`### \`${i.name}\` (${i.when})`, ''];
  out.push(`- **Meaning:** ${cell(i.doc) || '*(no doc)*'}`);
  out.push(`- **Why it holds:** ${cell(i.why) || '*(not stated in the code: the invariant has no `why`)*'}`);
  out.push(`- **Source:** ${cell(i.source) || '*(no source)*'}`);
  if (!rec) out.push('- **Checked:** no check run recorded yet (`npm run docs -- --record`)');
  else if (stats.length === 0)
    out.push('- **Checked:** not in the recorded run (added after it: re-record with `npm run docs -- --record`)');
  else
    out.push(
      `- **Checked:** in ${n(checked)} states of ${plural(stats.length, 'default scenario')}, non-trivial in ${n(nonTrivial)}` +
        (vacuousIn.length ? `; **vacuous** in ${vacuousIn.map(code).join(', ')}` : ''),
    );
  out.push(
    `- **Caught variants** (whose first reported violation is this invariant): ${
      caught.length ? caught.map(code).join(', ') : rec ? 'none' : '(no record)'
    }`,
  );
  out.push(`- **Defined at:** ${where(i.file, i.line)}`, '');
  return out;
}

function variantTable(p: PageInput): string[] {
  const rec = p.record;
  const rows = p.variants.map((v) => {
    const rv = rec?.variants.find((x) => x.subsystem === p.sub.name && x.variant === v.name);
    const caught = rv
      ? [...new Set(rv.runs.flatMap((r) => (r.violation ? [`${r.violation.property} (${r.scenario})`] : [])))]
      : [];
    const verdict = !rv ? '(no record)' : caught.length ? caught.join(', ') : '**NOT CAUGHT**';
    return [
      code(v.name),
      cell(v.description),
      cell(v.source) || '*(no source)*',
      v.scenarios ? v.scenarios.map(cell).join(', ') : 'all defaults',
      cell(verdict),
      where(v.file, v.line),
    ];
  });
  return table(['Variant', 'Description', 'Source', 'Scenarios', 'Caught as (recorded)', 'Defined at'], rows);
}

function machineSection(sub: Subsystem): string[] {
  if (!sub.spec) return ['No spec machine: this subsystem is checked against its invariants only.', ''];
  const m = sub.spec.machine;
  const { states, events } = machineSummary(m);
  return [
    `Drawn from the xstate definition of \`${m.id}\` (${plural(states.length, 'state')}, ${plural(events.length, 'event')}). ` +
      'A self-loop stands for the operations that change the context without leaving the state.',
    '',
    '```mermaid',
    machineDiagram(m),
    '```',
    '',
    `Events: ${events.map(code).join(', ')}.`,
    '',
  ];
}

export function scenarioTable(rec: CheckRecord | undefined, sub: Subsystem): string[] {
  const rows = sub.scenarios.map((s) => {
    const r = rec?.defaults.find((d) => d.subsystem === sub.name && d.scenario === s.name);
    const ops = [...new Set(s.threads.flatMap((t) => t.flatMap((slot) => slot.map((a) => a.op))))].sort();
    return [
      code(s.name),
      String(s.threads.length),
      ops.map(code).join(', '),
      s.faults ? `${s.faults.budget} at ${s.faults.sites.map(code).join(', ')}` : '—',
      r ? n(r.states) : '—',
      r ? (r.exhaustive ? 'yes' : `**no** (${r.stopReason})`) : '—',
      r ? (r.violation ? `**${r.violation.kind}: ${r.violation.property}**` : 'pass') : '—',
      cell(s.description),
    ];
  });
  return table(
    ['Scenario', 'Threads', 'Operations', 'Faults', 'States', 'Exhaustive', 'Result', 'What it exercises'],
    rows,
  );
}

export function subsystemPage(p: PageInput): string {
  const { sub, record } = p;
  const out = [GENERATED(`subsystem ${sub.name}`), `# ${sub.name}: ${sub.title}`, '', cell(sub.description), ''];
  out.push(
    `[All docs](../index.md) · [coverage](../coverage.md) · [findings](../findings.md) · [invariants table](../invariants.md)`,
    '',
  );
  out.push(
    record
      ? `Counts are from the recorded check run of ${record.recordedAt} at commit ${record.commit} (\`docs/check-record.json\`).`
      : 'No check run is recorded yet (`npm run docs -- --record`).',
    '',
  );
  out.push(
    '## Contents',
    '',
    '- [Operations](#operations)',
    '- [Invariants](#invariants)',
    '- [Variants](#variants)',
    '- [Spec machine](#spec-machine)',
    '- [Default scenarios](#default-scenarios)',
    '',
  );
  out.push('## Operations', '', ...opReference(sub));
  out.push('## Invariants', '');
  if (p.invariants.length === 0) out.push('None.', '');
  for (const i of p.invariants) out.push(...invariantSection(p, i));
  const props = ['refinement', 'linearizability', 'deadlock'].map(
    (k) => `${code(k)}: ${catchers(record, sub.name, k).map(code).join(', ') || 'none'}`,
  );
  out.push(`Built-in properties (checked in every scenario): ${props.join('; ')}.`, '');
  out.push(
    '## Variants',
    '',
    'Buggy implementations, `mmcheck check ' + sub.name + ' --variant NAME`; each must be caught.',
    '',
    ...variantTable(p),
    '',
  );
  out.push('## Spec machine', '', ...machineSection(sub));
  out.push('## Default scenarios', '', ...scenarioTable(record, sub), '');
  return out.join('\n');
}
