/** The docs generator's pages from a small registry and a synthetic check record. */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMachine } from 'xstate';
import type { Subsystem } from '../../checker/types.js';
import { buildDocs } from '../../docs/gen/build.js';
import { renderHtml } from '../../docs/gen/html.js';
import { machineDiagram } from '../../docs/gen/mermaid.js';
import { rerecordFindings, type CheckRecord } from '../../docs/gen/record.js';
import type { Collected } from '../../docs/gen-invariants.js';
import { counter } from '../fixtures/counter.js';

const machine = createMachine({
  id: 'file',
  initial: 'closed',
  states: {
    closed: { on: { open: 'open' } },
    open: {
      initial: 'clean',
      on: { close: { target: 'closed', guard: 'noWriters' }, read: {} },
      states: { clean: { on: { write: 'dirty' } }, dirty: { on: { sync: 'clean' } } },
    },
  },
});

const sub = counter as unknown as Subsystem;
const collected: Collected = {
  scanned: ['subsystems'],
  invariants: sub.invariants.map((i, k) => ({
    kind: 'invariant',
    subsystem: sub.name,
    name: i.name,
    when: i.when,
    doc: i.doc,
    source: 'mm/x.c f() @ v6.12',
    why: k === 0 ? 'the lock is held across the update' : '',
    file: 'test/fixtures/counter.ts',
    line: 10 + k,
  })),
  variants: sub.variants.map((v, k) => ({
    kind: 'variant',
    subsystem: sub.name,
    name: v.name,
    description: v.description,
    source: v.source,
    file: 'test/fixtures/counter.ts',
    line: 40 + k,
  })),
};
const inv0 = sub.invariants[0]!.name;
const record: CheckRecord = {
  what: 'test',
  recordedAt: '2026-01-01T00:00:00Z',
  commit: 'abc',
  timeLimitSeconds: 1,
  defaults: sub.scenarios.map((s) => ({
    subsystem: sub.name,
    scenario: s.name,
    stopReason: 'complete',
    exhaustive: true,
    states: 1234,
    transitions: 2000,
    seconds: 0.1,
    violation: null,
    threads: s.threads.length,
    opsPerThread: s.threads.map((t) => t.length),
    faultSites: [],
    ops: ['inc'],
    invariants: sub.invariants.map((i) => ({
      name: i.name,
      when: i.when,
      checked: 1234,
      nonTrivial: i.name === inv0 ? 1000 : 0,
    })),
  })),
  variants: sub.variants.map((v, k) => ({
    subsystem: sub.name,
    variant: v.name,
    runs: [
      {
        scenario: sub.scenarios[0]!.name,
        stopReason: k === 0 ? 'violation' : 'complete',
        exhaustive: k !== 0,
        states: 9,
        transitions: 9,
        seconds: 0,
        violation: k === 0 ? { kind: 'invariant', property: inv0 } : null,
      },
    ],
  })),
  findings: [],
};

describe('docs generator', () => {
  it('draws xstate machines as Mermaid: nested states, targets, guards, in-place events', () => {
    const d = machineDiagram(machine);
    expect(d).toContain('stateDiagram-v2');
    expect(d).toContain('[*] --> file_closed');
    expect(d).toContain('file_closed --> file_open : open');
    expect(d).toContain('file_open --> file_closed : close [noWriters]');
    expect(d).toContain('state file_open {');
    expect(d).toContain('[*] --> file_open_clean');
    expect(d).toContain('file_open_dirty --> file_open_clean : sync');
    expect(d).toContain('file_open --> file_open : read');
  });

  it('writes a page per subsystem with op reference, invariant counts, catching variants, and the pages around it', () => {
    const root = mkdtempSync(join(tmpdir(), 'mmcheck-docs-'));
    mkdirSync(join(root, 'docs'));
    writeFileSync(
      join(root, 'docs/findings.json'),
      JSON.stringify([
        {
          subsystem: 'counter',
          target: 'racy',
          reproducer: 'r.c',
          kernels: [{ request: '6.1', release: '6.1.0-1', modelVersion: '6.1', verdict: 'REPRODUCED' }],
        },
      ]),
    );
    const files = buildDocs(root, collected, [sub], record);
    const page = files.get(`docs/subsystems/${sub.name}.md`)!;
    expect(page).toContain('## Operations');
    for (const op of Object.keys(sub.impl.ops)) expect(page).toContain(`### \`${op}\``);
    expect(page).toContain(`### \`${inv0}\``);
    expect(page).toContain('**Why it holds:** the lock is held across the update');
    if (sub.invariants.length > 1) expect(page).toContain('not stated in the code');
    expect(page).toContain(`non-trivial in ${(1000 * sub.scenarios.length).toLocaleString('en-US')}`);
    expect(page).toContain(`(whose first reported violation is this invariant): \`${sub.variants[0]!.name}\``);
    if (sub.invariants.length > 1) expect(page).toContain('**vacuous** in');
    if (sub.variants.length > 1) expect(page).toContain('**NOT CAUGHT**');
    expect(page).toContain('mm/x.c f() @ v6.12');
    expect(files.get('docs/coverage.md')).toContain('1,234');
    expect(files.get('docs/findings.md')).toContain('| `counter` | `racy` | 6.1.0-1 | 6.1 | REPRODUCED | [r.c](r.c) |');
    expect(files.get('docs/index.md')).toContain(`[${sub.name}](subsystems/${sub.name}.md)`);
    const html = files.get(`docs/subsystems/${sub.name}.html`)!;
    expect(html).toContain('href="../index.html"');
    expect(html).toContain('src="../../node_modules/mermaid/dist/mermaid.min.js"');
    expect(html).toContain(`<h3 id="${inv0}-${sub.invariants[0]!.when}">`);
  });

  it('--record-findings runs the findings again and keeps the rest of the record', () => {
    const withFinding = {
      ...sub,
      findings: [{ ...sub.scenarios[0]!, name: 'finding-x', expect: 'none' }],
    } as unknown as Subsystem;
    const lines: string[] = [];
    const root = mkdtempSync(join(tmpdir(), 'mmcheck-docs-'));
    const rec = rerecordFindings(record, root, [withFinding], (l) => lines.push(l));
    expect(rec.defaults).toBe(record.defaults);
    expect(rec.variants).toBe(record.variants);
    expect(rec.findings.map((f) => [f.subsystem, f.scenario, f.expect])).toEqual([[sub.name, 'finding-x', 'none']]);
    expect(rec.findingsRecordedAt).toMatch(/^\d{4}-\d\d-\d\dT.* at /);
    expect(lines).toEqual([expect.stringMatching(/finding finding-x: /)]);
  });

  it('says when no run is recorded', () => {
    const root = mkdtempSync(join(tmpdir(), 'mmcheck-docs-'));
    const files = buildDocs(root, collected, [sub], undefined);
    expect(files.get(`docs/subsystems/${sub.name}.md`)).toContain('no check run recorded yet');
    expect(files.get('docs/findings.md')).toContain('No real-kernel run is recorded yet');
  });

  it('renders Mermaid blocks for the browser and rewrites .md links only', () => {
    const h = renderHtml(
      '# T\n\n[a](x.md#y) [b](https://e.org/r.md) [c](../src/f.ts#L3)\n\n```mermaid\nstateDiagram-v2\n  a --> b\n```\n',
      'docs/t.md',
    );
    expect(h).toContain('href="x.html#y"');
    expect(h).toContain('href="https://e.org/r.md"');
    expect(h).toContain('href="../src/f.ts#L3"');
    expect(h).toContain('<pre class="mermaid">stateDiagram-v2\n  a --&gt; b</pre>');
  });
});
