/**
 * `mmcheck check --por`: every reporter says whether the partial-order
 * reduction ran, over which declared steps, how many expansions it reduced,
 * and that the state count is the reduced graph's; a counterexample found
 * with it is not called shortest; the combinations it does not support are
 * one-line usage errors.
 */
import { describe, expect, test } from 'vitest';
import { main, type Out } from '../../cli/mmcheck.js';
import { registry as fixtures } from '../fixtures/local-steps.js';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Out = { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n'), isTTY: false };
  const code = await main(argv, io, fixtures, {});
  return { code, out, err };
}

describe('check --por', () => {
  const args = ['check', 'localsteps', '--out', '/tmp/mmcheck-por-test'];

  test('JSON: the por field, states the reduced count (fewer than without)', async () => {
    const plain = JSON.parse((await run([...args, '--json'])).out).scenarios[0].result;
    const x = await run([...args, '--por', '--json']);
    expect(x.code).toBe(0);
    const r = JSON.parse(x.out).scenarios[0].result;
    expect(r.por).toMatchObject({
      applied: true,
      localSteps: ['inc.double', 'inc.add_local'],
      reducedStates: r.states,
    });
    expect(r.por.reducedExpansions).toBeGreaterThan(0);
    expect(r.states).toBeLessThan(plain.states);
    expect(plain.por).toBeUndefined();
  });

  test('text and junit: the result line names the reduction', async () => {
    const text = await run([...args, '--por', '--verbose']);
    expect(text.out).toMatch(/por\s+partial-order reduction over 2 thread-local steps: [\d,]+ of the [\d,]+ states/);
    expect(text.out).toContain('(reduced by partial-order reduction)');
    const quiet = await run([...args, '--por', '--quiet']);
    expect(quiet.out).toMatch(/PASS localsteps\/three-incs: .*\[partial-order reduction over 2/);
    const junit = await run([...args, '--por', '--reporter', 'junit']);
    expect(junit.out).toMatch(/<testcase name="three-incs"[^]*<system-out>PASS[^<]*partial-order reduction over/);
  });

  test('a counterexample found with it is not called shortest', async () => {
    const x = await run([...args, '--por', '--variant', 'racy', '--verbose']);
    expect(x.code).toBe(1);
    expect(x.out).toMatch(/counterexample \(not necessarily\s+shortest\) has \d+ steps/);
    expect(x.out).toMatch(/counterexample \(not necessarily shortest\): \d+ steps/);
    expect(x.out).not.toContain('shortest counterexample');
  });

  test.each([
    [['--symmetry'], '--por and --symmetry cannot be combined yet'],
    [['--workers', '2'], '--por runs with one worker only'],
  ])('with %j: a one-line usage error', async (extra, msg) => {
    const x = await run([...args, '--por', ...extra]);
    expect(x.code).toBe(2);
    expect(x.out).toBe('');
    expect(x.err.trim().split('\n')).toHaveLength(1);
    expect(x.err).toContain(msg);
  });
});
