/**
 * Op schemas: scenario files, scripts and reshaped scenarios are validated
 * against them (one line naming the file, the JSON path and the valid form;
 * exit 2); `mmcheck list --ops` prints them; docs/ops.md is generated from
 * them; the op union type rejects a misspelt op or argument at compile time.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { main, type Out } from '../../cli/mmcheck.js';
import { schemaCoverageProblem, typedOp } from '../../checker/op-schema.js';
import { opsMarkdown } from '../../docs/gen-ops.js';
import type { hugetlbOps } from '../../subsystems/hugetlb/op-schemas.js';
import { registry } from '../../subsystems/index.js';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Out = { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n'), isTTY: false };
  const code = await main(argv, io);
  return { code, out, err };
}

function oneLine(r: { code: number; err: string }, re: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.err.trim().split('\n')).toHaveLength(1);
  expect(r.err).toMatch(re);
}

const dir = mkdtempSync(join(tmpdir(), 'mmcheck-ops-'));
const scenario = (threads: unknown, extra: object = {}) => {
  const f = join(dir, `s${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(
    f,
    JSON.stringify({ subsystem: 'hugetlb', params: { pool: 2, fileSize: 2, vmas: 1 }, threads, ...extra }),
  );
  return f;
};

describe('scenario files are validated against the op schemas', () => {
  test("the README's old example (wrong argument names) is an error, not a silent PASS", async () => {
    const f = scenario([[{ op: 'mmap', args: { from: 0, to: 2 } }], [{ op: 'fault', args: { idx: [0, 1] } }]]);
    oneLine(
      await run(['check', '--scenario-file', f]),
      /s\w+\.json: threads\[0\]\[0\]\.args\.v: missing; valid form: mmap \{v: int 0\.\.3 \(at most params\.vmas - 1\), kind: "shared"\|"noreserve"\|"private"\|"private_noreserve"\|"private_file", f: .*from: .*to: .*\}/,
    );
  });
  test('an unknown argument names its path and the valid form', async () => {
    const f = scenario([[{ op: 'fault', args: { v: 0, i: 0, write: true, idx: 1 } }]]);
    oneLine(
      await run(['check', '--scenario-file', f]),
      /threads\[0\]\[0\]\.args\.idx: unknown argument of fault; valid form: fault \{v: .*, i: .*, write: true\|false\}/,
    );
  });
  test('a value beyond the params (a domain element) names its index', async () => {
    const f = scenario([[{ op: 'fault', args: { v: 0, i: [0, 2], write: true } }]]);
    oneLine(
      await run(['check', '--scenario-file', f]),
      /threads\[0\]\[0\]\.args\.i\[1\]: 2 is above params\.fileSize - 1 = 1 for these params; valid form: i: int 0\.\.5/,
    );
  });
  test('a wrong type and a bad enum value', async () => {
    oneLine(
      await run(['check', '--scenario-file', scenario([[{ op: 'fault', args: { v: 0, i: 0, write: 'yes' } }]])]),
      /args\.write: expected true or false, got "yes"/,
    );
    oneLine(
      await run([
        'check',
        '--scenario-file',
        scenario([
          [
            [
              { op: 'munmap', args: { v: 0 } },
              { op: 'mmap', args: { v: 0, kind: 'anon', f: 0, from: 0, to: 1 } },
            ],
          ],
        ]),
      ]),
      /threads\[0\]\[0\]\[1\]\.args\.kind: expected one of "shared", "noreserve", "private", "private_noreserve", "private_file", got "anon"/,
    );
  });
  test('scripts too', async () => {
    const f = join(dir, 'script.json');
    writeFileSync(f, JSON.stringify({ steps: [{ op: 'mmap', args: { from: 0, to: 2 } }] }));
    oneLine(
      await run(['run', 'hugetlb', '--script', f]),
      /script\.json: steps\[0\]\.args\.v: missing; valid form: mmap \{/,
    );
  });
  test('reshaped scenarios too: a knob that makes the ops invalid names itself', async () => {
    oneLine(
      await run(['check', 'hugetlb', '--scenario', 'reserve-vs-fault', '--file-size', '1']),
      /hugetlb\/reserve-vs-fault reshaped by --file-size 1: threads\[0\]\[0\]\[0\]\.args\.to: 2 is above params\.fileSize = 1/,
    );
  });
});

describe('list --ops and the op reference', () => {
  test('mmcheck list --ops hugetlb lists every op with its arguments', async () => {
    const r = await run(['list', '--ops', 'hugetlb']);
    expect(r.code).toBe(0);
    for (const op of Object.keys(registry[0]!.impl.ops)) expect(r.out).toMatch(new RegExp(`^  ${op}$`, 'm'));
    expect(r.out).toMatch(/^\s+write: true\|false\s+write fault \(true\) or read fault \(false\)$/m);
  });
  test('unknown subsystem', async () => oneLine(await run(['list', '--ops', 'nope']), /unknown subsystem 'nope'/));
  test('docs/ops.md is generated from the schemas and up to date (npm run docs:ops)', () => {
    expect(readFileSync(new URL('../../docs/ops.md', import.meta.url), 'utf8')).toBe(opsMarkdown());
  });
  test('registration: every impl op has a schema and every schema an op', () => {
    for (const s of registry)
      expect(schemaCoverageProblem(s.name, Object.keys(s.impl.ops), s.opSchemas)).toBeUndefined();
    expect(schemaCoverageProblem('x', ['a', 'b'], { a: { doc: '', args: {} } })).toMatch(
      /impl ops without a schema: b/,
    );
    expect(schemaCoverageProblem('x', ['a'], { a: { doc: '', args: {} }, c: { doc: '', args: {} } })).toMatch(
      /schemas for ops the impl does not have: c/,
    );
  });
  test('the op union type checks op names and arguments', () => {
    const op = typedOp<typeof hugetlbOps>();
    expect(op('fault', { v: 0, i: 1, write: true })).toEqual({ op: 'fault', args: { v: 0, i: 1, write: true } });
    // @ts-expect-error: 'idx' is not an argument of fault
    op('fault', { v: 0, idx: 1, write: true });
    // @ts-expect-error: 'anon' is not a mapping kind
    op('mmap', { v: 0, kind: 'anon', f: 0, from: 0, to: 1 });
    // @ts-expect-error: no such op
    op('mmapp', {});
  });
});

describe('replay rejects a bad trace with exit 2', () => {
  test('a schedule that does not fit its scenario is a bad file, not NO LONGER APPLIES', async () => {
    const out = mkdtempSync(join(tmpdir(), 'mmcheck-replay-'));
    const r = await run(['check', 'hugetlb', '--variant', 'H11', '--out', out, '--heartbeat', '0']);
    expect(r.code).toBe(1);
    const file = join(out, 'hugetlb-reserve-vs-fault-H11.itf.json');
    const itf = JSON.parse(readFileSync(file, 'utf8'));
    itf.states[1]['#meta'].thread = 7;
    const bad = join(out, 'bad.itf.json');
    writeFileSync(bad, JSON.stringify(itf));
    oneLine(
      await run(['replay', bad]),
      /bad\.itf\.json: not a valid hugetlb trace: states\[1\]\.#meta: thread 7 slot \d+ is not in the recorded scenario/,
    );
    const itf2 = JSON.parse(readFileSync(file, 'utf8'));
    itf2['#meta'].scenario.threads[0][0][0].args.v = 9;
    writeFileSync(bad, JSON.stringify(itf2));
    oneLine(
      await run(['replay', bad]),
      /not a valid hugetlb trace: #meta\.scenario\.threads\[0\]\[0\]\[0\]\.args\.v: 9 is outside 0\.\.3/,
    );
    writeFileSync(bad, readFileSync(file, 'utf8').slice(0, 200));
    oneLine(await run(['replay', bad]), /bad\.itf\.json: not JSON/);
  }, 60000);
});
