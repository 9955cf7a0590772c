/**
 * `mmcheck check --workers N`: the result states the worker count and is the
 * same as with one worker (verdict, counts, saved trace); bad values are
 * one-line usage errors (exit 2); --workers with DFS or bitstate, or with
 * subsystems worker threads cannot load, is refused.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { main, type Out } from '../../cli/mmcheck.js';
import { registry } from '../fixtures/counter.js';

const registryModule = new URL('../fixtures/counter.ts', import.meta.url).href;

async function run(argv: string[], inProcess = false): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Out = { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n'), isTTY: false };
  const code = await main(argv, io, registry, inProcess ? {} : { registryModule });
  return { code, out, err };
}

function expectOneLineError(r: { code: number; err: string }, pattern: RegExp): void {
  expect(r.code).toBe(2);
  const lines = r.err.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

describe('check --workers', () => {
  test('bad values: one line, exit 2', async () => {
    expectOneLineError(await run(['check', 'counter', '--workers', '0']), /--workers.*at least 1/);
    expectOneLineError(await run(['check', 'counter', '--workers', 'abc']), /--workers.*integer/);
    expectOneLineError(await run(['check', 'counter', '--workers', '-3']), /--workers/);
    expectOneLineError(await run(['check', 'counter', '--workers', '2', '--strategy', 'dfs']), /BFS only/);
    expectOneLineError(await run(['check', 'counter', '--workers', '2', '--bitstate', '20']), /exact store/);
    expectOneLineError(await run(['check', 'counter', '--workers', '2'], true), /worker threads can load/);
  });

  test('2 workers: the same counts and verdict as 1, and the result says how many threads ran', async () => {
    const one = await run(['check', 'counter', '--threads', '3', '--json']);
    const two = await run(['check', 'counter', '--threads', '3', '--workers', '2', '--json']);
    expect(two.code).toBe(one.code);
    const a = JSON.parse(one.out).scenarios[0].result;
    const b = JSON.parse(two.out).scenarios[0].result;
    expect([b.states, b.transitions, b.maxDepth, b.exhaustive]).toEqual([a.states, a.transitions, a.maxDepth, true]);
    expect(b.invariants).toEqual(a.invariants);
    expect(a.search.workers).toBe(1);
    expect(b.search.workers).toBe(2);
    // a search this small never spawns the second thread (parallel-bfs.ts SPAWN_AT), and says so
    expect(b.search.solo).toMatch(/^no level reached 1,024 states/);
    const text = await run(['check', 'counter', '--threads', '3', '--workers', '2', '--verbose']);
    expect(text.out).toMatch(/search\s+BFS, 1 worker \(--workers 2 not used: no level reached/);
  }, 120_000);

  test('a variant caught with 2 workers saves the same shortest trace as with 1', async () => {
    const d1 = mkdtempSync(join(tmpdir(), 'mmcheck-w1-'));
    const d2 = mkdtempSync(join(tmpdir(), 'mmcheck-w2-'));
    const one = await run(['check', 'counter', '--variant', 'racy', '--out', d1]);
    const two = await run(['check', 'counter', '--variant', 'racy', '--workers', '2', '--out', d2]);
    expect(one.code).toBe(1);
    expect(two.code).toBe(1);
    const states = (d: string) =>
      JSON.parse(readFileSync(join(d, 'counter-two-incs-racy.itf.json'), 'utf8')).states.map((s: object) => {
        const { '#meta': _m, ...rest } = s as Record<string, unknown>;
        return rest;
      });
    expect(states(d2)).toEqual(states(d1));
    expect(states(d1).length).toBeGreaterThan(2);
  }, 120_000);

  // A spec view a worker interned comes back from the shared table with its keys sorted
  // (canonicalDecode): the trace writer must not let that order reach the file. Here the whole CLI
  // path (files, lines); whether the workers or the coordinator expand the last levels depends on how
  // fast the workers start, so test/checker/parallel-bfs.test.ts forces the workers (lead 0).
  test('a hugetlb counterexample saved with 1 and 2 workers: byte-identical files and result lines', async () => {
    const d1 = mkdtempSync(join(tmpdir(), 'mmcheck-w1-'));
    const d2 = mkdtempSync(join(tmpdir(), 'mmcheck-w2-'));
    const argv = ['check', 'hugetlb', '--variant', 'HR-8', '--scenario', 'private-cow-fork', '--quiet'];
    const real = async (extra: string[]) => {
      let out = '';
      const io: Out = { out: (s) => (out += s + '\n'), err: () => {}, isTTY: false };
      const code = await main([...argv, ...extra], io);
      return { code, out };
    };
    const one = await real(['--out', d1]);
    const two = await real(['--workers', '2', '--out', d2]);
    expect([one.code, two.code]).toEqual([1, 1]);
    for (const f of ['hugetlb-private-cow-fork-HR-8.itf.json', 'hugetlb-private-cow-fork-HR-8.html'])
      expect(readFileSync(join(d2, f)).equals(readFileSync(join(d1, f))), f).toBe(true);
    // the lines apart from the directory, the search note of --workers 2 (run in 1 or 2 threads) and the wall time
    const lines = (r: { out: string }, d: string) =>
      r.out
        .split(d)
        .join('DIR')
        .replace(/ \[BFS, (2 workers|1 worker \(--workers 2 not used)[^\n]*\]$/m, '')
        .replace(/ in [\d.]+ s wall/, '')
        .split('\n');
    expect(lines(two, d2)).toEqual(lines(one, d1));
    expect(one.out).toMatch(/^FAIL hugetlb\/private-cow-fork \[variant HR-8\]: refinement .* after \d+ steps$/m);
  }, 180_000);
});
