/**
 * The mmcheck CLI as users drive it: exit codes, one-line errors on bad input,
 * saved counterexamples and replay, scripts. Uses a test counter subsystem so
 * the CLI is exercised independently of the real subsystems.
 */
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { main, type Out } from '../../cli/mmcheck.js';
import { counter } from '../fixtures/counter.js';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Out = { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n'), isTTY: false };
  const code = await main(argv, io, [counter]);
  return { code, out, err };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'mmcheck-cli-'));

/** A usage error: exit 2 and exactly one line on stderr, no stack trace. */
function expectOneLineError(r: { code: number; err: string }, pattern: RegExp): void {
  expect(r.code).toBe(2);
  const lines = r.err.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^mmcheck: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.err).not.toMatch(/\n\s+at /);
}

describe('usage', () => {
  test('--help exits 0 and lists the commands', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['check', 'run', 'replay', 'list']) expect(r.out).toContain(`mmcheck ${c}`);
  });
  test('no command prints help and exits 2', async () => {
    expect((await run([])).code).toBe(2);
  });
  test('unknown command', async () => expectOneLineError(await run(['frobnicate']), /unknown command 'frobnicate'/));
  test('unknown option', async () => expectOneLineError(await run(['check', '--bogus']), /unknown option '--bogus'/));
  test('missing option value', async () => expectOneLineError(await run(['check', '--max-states']), /needs a value/));
  test('non-integer value', async () =>
    expectOneLineError(await run(['check', '--threads', 'two']), /needs an integer/));
  test('out-of-range value', async () => expectOneLineError(await run(['check', '--max-states', '0']), /at least 1/));
  test('out-of-range knob value', async () =>
    expectOneLineError(await run(['check', 'counter', '--threads', '0']), /--threads: expected 1\.\.4, got 0/));
  test('unknown subsystem', async () =>
    expectOneLineError(await run(['check', 'nosuch']), /unknown subsystem 'nosuch'/));
  test('unknown variant', async () =>
    expectOneLineError(await run(['check', 'counter', '--variant', 'X9']), /unknown variant 'X9'/));
  test('unknown scenario', async () =>
    expectOneLineError(await run(['check', 'counter', '--scenario', 'nope']), /unknown scenario 'nope'/));
  test('reshaping a subsystem with an impossible flag', async () =>
    expectOneLineError(await run(['check', 'counter', '--pool', '3']), /unknown option '--pool'/));
  test('list names variants with descriptions', async () => {
    const r = await run(['list']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/racy\s+no lock around read-modify-write/);
  });
});

describe('check', () => {
  test('the correct implementation passes exhaustively (exit 0)', async () => {
    const r = await run(['check', 'counter', '--out', tmp()]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/exhaustive/i);
  });

  test('a state limit makes the run inconclusive (exit 3), never a pass', async () => {
    const r = await run(['check', 'counter', '--max-states', '3', '--quiet']);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/INCONCLUSIVE.*NOT exhaustive/);
  });

  test('reshaping flags change the explored bounds', async () => {
    const r = await run(['check', 'counter', '--threads', '3', '--ops', '2', '--json']);
    const res = JSON.parse(r.out).scenarios[0].result;
    expect(res.bounds.threads).toBe(3);
    expect(res.bounds.opsPerThread).toEqual([2, 2, 2]);
    expect(r.code).toBe(0);
  });

  test('a variant is caught (exit 1); the trace is saved and replays', async () => {
    const dir = tmp();
    const r = await run(['check', 'counter', '--variant', 'racy', '--out', dir]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/linearizability|refinement/);
    const file = join(dir, 'counter-two-incs-racy.itf.json');
    expect(existsSync(file)).toBe(true);
    expect(existsSync(join(dir, 'counter-two-incs-racy.html'))).toBe(true);
    const itf = JSON.parse(readFileSync(file, 'utf8'));
    expect(itf['#meta'].format).toBe('ITF');
    expect(itf['#meta'].variant).toBe('racy');

    const again = await run(['replay', file]);
    expect(again.code).toBe(1);
    expect(again.out).toMatch(/^STILL FAILS/);

    const fixed = await run(['replay', file, '--variant', 'none']);
    expect(fixed.code).not.toBe(1);
    expect(fixed.out).toMatch(/^(FIXED|NO LONGER APPLIES)/);
  });

  test('a scenario file is checked; bad ones give one-line errors', async () => {
    const dir = tmp();
    const good = join(dir, 'good.json');
    writeFileSync(
      good,
      JSON.stringify({
        name: 'mine',
        params: { threads: 2 },
        threads: [[{ op: 'inc' }], [{ op: ['get'].at(0), args: {} }]],
      }),
    );
    const r = await run(['check', 'counter', '--scenario-file', good, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).scenarios[0].scenario).toBe('mine');

    const notJson = join(dir, 'bad.json');
    writeFileSync(notJson, '{ nope');
    expectOneLineError(await run(['check', 'counter', '--scenario-file', notJson]), /not valid JSON/);

    const badOp = join(dir, 'badop.json');
    writeFileSync(badOp, JSON.stringify({ threads: [[{ op: 'dec' }]] }));
    expectOneLineError(
      await run(['check', 'counter', '--scenario-file', badOp]),
      /threads\[0\]\[0\]\.op: unknown operation 'dec'/,
    );

    const badParams = join(dir, 'badparams.json');
    writeFileSync(badParams, JSON.stringify({ params: { threads: 'x' }, threads: [[{ op: 'inc' }]] }));
    expectOneLineError(await run(['check', 'counter', '--scenario-file', badParams]), /params: expected/);

    expectOneLineError(
      await run(['check', 'counter', '--scenario-file', join(dir, 'missing.json')]),
      /cannot read scenario file/,
    );
  });
});

describe('run --script', () => {
  test('prints one JSON line per step from spec and implementation', async () => {
    const dir = tmp();
    const f = join(dir, 's.json');
    writeFileSync(f, JSON.stringify({ steps: [{ op: 'inc' }, { op: 'inc' }, { op: 'get' }] }));
    const r = await run(['run', 'counter', '--script', f]);
    expect(r.code).toBe(0);
    const lines = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatchObject({ op: 'get', impl: { ret: 2, x: 2 }, spec: { ret: 2, x: 2 }, agree: true });
  });

  test('a disagreement is reported and exits 1', async () => {
    const dir = tmp();
    const f = join(dir, 's.json');
    writeFileSync(f, JSON.stringify({ steps: [{ op: 'inc' }] }));
    const r = await run(['run', 'counter', '--script', f, '--variant', 'wrong-ret']);
    expect(r.code).toBe(1);
    const line = JSON.parse(r.out.trim());
    expect(line.agree).toBe(false);
    expect(line.impl.ret).toBe(1);
    expect(line.spec.ret).toBe(0);
    expect(r.err).toMatch(/linearizability/);
  });

  test('invariants are checked after every step of a script', async () => {
    const dir = tmp();
    const f = join(dir, 's.json');
    writeFileSync(f, JSON.stringify({ steps: [{ op: 'inc' }, { op: 'get' }] }));
    const r = await run(['run', 'counter', '--script', f, '--variant', 'leak-lock']);
    expect(r.code).toBe(1);
    const line = JSON.parse(r.out.trim().split('\n')[0]!);
    expect(line).toMatchObject({ step: 0, op: 'inc', agree: false });
    expect(line.problem).toMatch(/invariant: .*lock-free-at-rest/);
  });

  test('bad scripts give one-line errors', async () => {
    const dir = tmp();
    const f = join(dir, 's.json');
    writeFileSync(f, JSON.stringify({ steps: [] }));
    expectOneLineError(await run(['run', 'counter', '--script', f]), /steps: expected a non-empty list/);
    writeFileSync(f, JSON.stringify({ steps: [{ op: 'inc', args: { n: [1, 2] } }] }));
    expectOneLineError(
      await run(['run', 'counter', '--script', f]),
      /steps\[0\]\.args\.n: unknown argument of inc; valid form: inc \{\}/,
    );
    expectOneLineError(await run(['run', 'counter']), /needs --script/);
  });
});

describe('replay input errors', () => {
  test('missing, non-JSON and non-ITF trace files', async () => {
    const dir = tmp();
    expectOneLineError(await run(['replay', join(dir, 'none.itf.json')]), /does not exist/);
    const notJson = join(dir, 'x.itf.json');
    writeFileSync(notJson, 'garbage');
    expectOneLineError(await run(['replay', notJson]), /x\.itf\.json/);
    const notItf = join(dir, 'y.itf.json');
    writeFileSync(notItf, JSON.stringify({ hello: 1 }));
    expectOneLineError(await run(['replay', notItf]), /vars/);
  });
});
