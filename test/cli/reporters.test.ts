/**
 * CI reporters: JUnit XML valid against the Jenkins/Ant schema, with one
 * testcase per scenario and per variant and failures naming their trace file;
 * GitHub annotations at the violated invariant's source line; the JSON report
 * with schemaVersion and a top-level verdict; --shard partitions the run.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { main, type Out } from '../../cli/mmcheck.js';
import { renderGithub } from '../../cli/reporters/github.js';
import type { RunReport } from '../../cli/outcome.js';
import { counter } from '../fixtures/counter.js';
import { faulty } from '../fixtures/limits.js';
import { junitProblems, parseXml } from './junit-schema.js';

async function run(
  argv: string[],
  subs: readonly unknown[] = [counter],
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Out = { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n'), isTTY: false };
  const code = await main(argv, io, subs as never);
  return { code, out, err };
}
const tmp = () => mkdtempSync(join(tmpdir(), 'mmcheck-rep-'));

describe('--reporter junit', () => {
  test('valid JUnit; one testcase per scenario and per variant; a failure names its trace file', async () => {
    const dir = tmp();
    const r = await run(['check', 'counter', '--variant', 'all', '--reporter', 'junit', '--out', dir]);
    expect(r.code).toBe(0); // every variant CAUGHT
    expect(junitProblems(r.out)).toEqual([]);
    const root = parseXml(r.out.trim());
    const cases = root.children[0]!.children.filter((c) => c.name === 'testcase').map((c) => c.attrs.name);
    expect(cases).toEqual([
      'two-incs',
      'two-incs [variant racy]',
      'two-incs [variant wrong-ret]',
      'two-incs [variant leak-lock]',
      'every invariant exercised',
    ]);

    const failing = await run(['check', 'counter', '--variant', 'racy', '--reporter', 'junit', '--out', dir]);
    expect(failing.code).toBe(1);
    expect(junitProblems(failing.out)).toEqual([]);
    const tc = parseXml(failing.out.trim()).children[0]!.children.find((c) => c.name === 'testcase')!;
    const f = tc.children.find((c) => c.name === 'failure')!;
    expect(f.attrs.type).toMatch(/linearizability|refinement/);
    expect(f.text).toContain(join(dir, 'counter-two-incs-racy.itf.json'));
  });
  test('vacuous runs are failures, written to a file next to text output', async () => {
    const dir = tmp();
    const file = join(dir, 'junit.xml');
    const r = await run(['check', 'faulty', '--reporter', `text,junit=${file}`], [faulty]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/VACUOUS faulty\/typo-site/);
    const xml = readFileSync(file, 'utf8');
    expect(junitProblems(xml)).toEqual([]);
    expect(xml).toMatch(/<testsuites name="mmcheck" tests="3" failures="3" errors="0"/);
  });
  test('a real subsystem run (as npm run check -- --reporter junit writes it) is valid', async () => {
    let out = '';
    const io: Out = { out: (s) => (out += s + '\n'), err: () => {}, isTTY: false };
    const code = await main(['check', 'frontswap', '--reporter', 'junit', '--heartbeat', '0', '--out', tmp()], io);
    expect(code).toBe(0);
    expect(junitProblems(out)).toEqual([]);
    expect(out).toMatch(/<testcase name="dup-store" classname="mmcheck\.frontswap" time="[0-9.]+"\/>/);
  }, 120000);
  test('the validator catches what the schema forbids', () => {
    expect(junitProblems('<testsuites skipped="1"/>')).toEqual(['testsuites: attribute skipped is not allowed']);
    expect(junitProblems('<testsuites><testsuite name="x"/></testsuites>')).toHaveLength(3);
    expect(junitProblems('<testsuites><testcase name="x"/></testsuites>')[0]).toMatch(
      /not allowed inside <testsuites>/,
    );
    expect(junitProblems('<testsuites time="1.5s"/>')[0]).toMatch(/SUREFIRE_TIME/);
    expect(junitProblems('<testsuites><testsuite>')[0]).toMatch(/XML/);
  });
});

describe('--reporter github', () => {
  test('an ::error at the line defining the violated invariant', async () => {
    const r = await run(['check', 'counter', '--variant', 'leak-lock', '--reporter', 'github', '--out', tmp()]);
    expect(r.code).toBe(1);
    const line = r.out.split('\n').find((l) => l.startsWith('::error'))!;
    // the fixture has no subsystems/counter folder, so no file= here (the real tree: next test)
    expect(line).toMatch(
      /^::error title=mmcheck counter\/two-incs \[variant leak-lock\]::FAIL .*(lock-free-at-rest|deadlock)/,
    );
    expect(r.out).toMatch(/^::notice title=mmcheck::1 scenario run: FAIL \(exit 1\)/m);
  });
  test('file and line of an invariant in the real tree', () => {
    const run: RunReport = {
      outcomes: [
        {
          subsystem: 'hugetlb',
          scenario: 'error-paths',
          variant: 'H13',
          expectViolation: false,
          verdict: 'violation',
          reason: 'invariant resv-conservation after 9 steps',
          vacuous: [],
          tracePath: 'traces/out/x.itf.json',
          result: {
            violation: {
              kind: 'invariant',
              property: 'resv-conservation',
              message: 'resv 1 != 0',
              trace: { states: [], transitions: [] },
            },
          } as never,
        },
      ],
      wallSeconds: 1,
      interrupted: false,
      shard: null,
      notes: [],
      vacuousInvariants: [],
      allowVacuous: false,
      exitCode: 1,
      verdict: 'fail',
    };
    const out = renderGithub(run);
    const m = /^::error file=([^,]+),line=(\d+),/.exec(out)!;
    const src = readFileSync(m[1]!, 'utf8').split('\n')[Number(m[2]) - 1]!;
    expect(src).toMatch(/name: 'resv-conservation'/);
    expect(out).toMatch(/counterexample: traces\/out\/x\.itf\.json/);
  });
});

describe('--reporter json', () => {
  test('schemaVersion, top-level verdict, the documented fields', async () => {
    const r = await run(['check', 'counter', '--json']);
    const doc = JSON.parse(r.out);
    expect(doc.schemaVersion).toBe(1);
    expect(doc.verdict).toBe('pass');
    expect(doc.exitCode).toBe(0);
    const documented = readFileSync(new URL('../../docs/report-json.md', import.meta.url), 'utf8');
    const fields = [...documented.matchAll(/^\| `([A-Za-z.[\]]+)` \|/gm)].map((m) => m[1]!);
    const top = fields.filter((f) => !f.includes('.'));
    expect(Object.keys(doc).sort()).toEqual(top.sort());
    const perScenario = fields.filter((f) => f.startsWith('scenarios[].')).map((f) => f.slice('scenarios[].'.length));
    expect(Object.keys(doc.scenarios[0]).sort()).toEqual(perScenario.sort());
  });
  test('json and junit cannot both take stdout', async () => {
    const r = await run(['check', 'counter', '--reporter', 'json,junit']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/needs stdout to itself/);
  });
});

describe('--shard i/n', () => {
  test('deterministic, disjoint, and the shards make up the whole run', async () => {
    const names = async (extra: string[]) =>
      (
        JSON.parse(
          (await run(['check', 'faulty', '--variant', 'none', '--allow-vacuous', '--json', ...extra], [faulty])).out,
        ).scenarios as { scenario: string }[]
      ).map((s) => s.scenario);
    const whole = await names([]);
    const parts = [await names(['--shard', '1/2']), await names(['--shard', '2/2'])];
    expect(parts.flat().sort()).toEqual([...whole].sort());
    expect(parts[0]!.filter((n) => parts[1]!.includes(n))).toEqual([]);
    expect(await names(['--shard', '1/2'])).toEqual(parts[0]);
    const three = [await names(['--shard', '1/3']), await names(['--shard', '2/3']), await names(['--shard', '3/3'])];
    expect(three.flat().sort()).toEqual([...whole].sort());
  });
  test('bad shard specs', async () => {
    expect((await run(['check', '--shard', '3/2'])).err).toMatch(/--shard 3\/2: need 1 <= i <= n/);
    expect((await run(['check', '--shard', 'x'])).err).toMatch(/--shard: expected i\/n/);
  });
});
