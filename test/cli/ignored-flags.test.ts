/**
 * The CLI: flags that would be silently ignored are usage errors.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
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

function expectOneLineError(r: { code: number; out: string; err: string }, pattern: RegExp): void {
  expect(r.code).toBe(2);
  const lines = r.err.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^mmcheck: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.out).toBe('');
}

describe('flags that --scenario-file would ignore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mmcheck-flags-'));
  const file = join(dir, 's.json');
  writeFileSync(
    file,
    JSON.stringify({ name: 'mine', params: { threads: 2 }, threads: [[{ op: 'inc' }], [{ op: 'inc' }]] }),
  );

  test('the file alone is checked', async () => {
    expect((await run(['check', 'counter', '--scenario-file', file, '--quiet'])).code).toBe(0);
  });
  for (const extra of [
    ['--threads', '3'],
    ['--ops', '2'],
    ['--scenario', 'two-incs'],
  ]) {
    test(`--scenario-file with ${extra[0]} is a usage error, not a silently different run`, async () => {
      expectOneLineError(
        await run(['check', 'counter', '--scenario-file', file, ...extra]),
        new RegExp(`${extra[0]}.*--scenario-file|--scenario-file.*${extra[0]}`),
      );
    });
  }
  test('--color with --no-color is a usage error', async () => {
    expectOneLineError(
      await run(['check', 'counter', '--color', '--no-color']),
      /--color.*--no-color|--no-color.*--color/,
    );
  });
});

describe('--scenario-file without a subsystem argument', () => {
  const other = { ...counter, name: 'other' };
  const run2 = async (argv: string[]) => {
    let out = '';
    let err = '';
    const io: Out = { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n'), isTTY: false };
    const code = await main(argv, io, [other, counter]);
    return { code, out, err };
  };
  const dir = mkdtempSync(join(tmpdir(), 'mmcheck-flags-'));
  test('the file\'s "subsystem" field picks the subsystem', async () => {
    const file = join(dir, 'named.json');
    writeFileSync(
      file,
      JSON.stringify({ subsystem: 'counter', name: 'mine', params: { threads: 2 }, threads: [[{ op: 'inc' }]] }),
    );
    const r = await run2(['check', '--scenario-file', file, '--json']);
    expect(r.err).toMatch(/^mmcheck: 1 scenario run: 1 passed/); // the summary: stdout is the JSON's
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).scenarios.map((l: { subsystem: string }) => l.subsystem)).toEqual(['counter']);
  });
  test('without one, with several subsystems registered, the user is asked to name it', async () => {
    const file = join(dir, 'anon.json');
    writeFileSync(file, JSON.stringify({ params: { threads: 2 }, threads: [[{ op: 'inc' }]] }));
    expectOneLineError(await run2(['check', '--scenario-file', file]), /subsystem/);
  });
});

describe('--out is checked before the search', () => {
  test('--out under a regular file: exit 2 naming the directory, nothing explored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmcheck-flags-'));
    const file = join(dir, 'plain');
    writeFileSync(file, '');
    expectOneLineError(
      await run(['check', 'counter', '--variant', 'racy', '--out', join(file, 'sub'), '--quiet']),
      /--out .*sub: cannot write there \(ENOTDIR\)/,
    );
  });
  test('--out /proc/nope fails at once', async () => {
    expectOneLineError(
      await run(['check', 'counter', '--out', '/proc/nope/x']),
      /--out \/proc\/nope\/x: cannot write there/,
    );
  });
});

describe('--variant with explicitly named subsystems', () => {
  test('a named subsystem without that variant is an error, not silently skipped', async () => {
    const other = { ...counter, name: 'other', variants: [] };
    let err = '';
    let out = '';
    const io: Out = { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n'), isTTY: false };
    const code = await main(['check', 'other', 'counter', '--variant', 'racy', '--quiet'], io, [other, counter]);
    expect(code).toBe(2);
    expect(err).toMatch(/unknown variant 'racy' for other/);
    expect(out).toBe('');
  });
});

describe('no command', () => {
  test('exit 2 with one line on stderr, like every usage error', async () => {
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^mmcheck: .*command/);
  });
});
