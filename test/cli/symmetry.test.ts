/**
 * `mmcheck check --symmetry`: every reporter says whether it ran, the thread
 * classes, and the canonical and unreduced state counts; a subsystem without
 * a thread-permutation declaration gets none and the result says why.
 */
import { describe, expect, test } from 'vitest';
import { main, type Out } from '../../cli/mmcheck.js';
import { registry as real } from '../../subsystems/index.js';
import { registry as fixtures } from '../fixtures/counter.js';

const scenarioFile = new URL('../fixtures/hugetlb-menu-3x4.json', import.meta.url).pathname;

async function run(argv: string[], registry = real): Promise<{ code: number; out: string }> {
  let out = '';
  const io: Out = { out: (s) => (out += s + '\n'), err: () => {}, isTTY: false };
  const code = await main(argv, io, registry, {});
  return { code, out };
}

describe('check --symmetry', () => {
  const args = ['check', 'hugetlb', '--scenario-file', scenarioFile, '--allow-vacuous'];

  test('text and JSON: canonical states, the classes, the unreduced count (that of the run without it)', async () => {
    const plain = JSON.parse((await run([...args, '--json'])).out).scenarios[0].result;
    const json = await run([...args, '--symmetry', '--json']);
    expect(json.code).toBe(0);
    const r = JSON.parse(json.out).scenarios[0].result;
    expect(r.symmetry).toMatchObject({ applied: true, classes: [[0, 1, 2]], group: 6, canonicalStates: r.states });
    expect(r.symmetry.unreducedStates).toBe(plain.states);
    expect(r.states).toBeLessThan(plain.states);
    const text = (await run([...args, '--symmetry', '--verbose'])).out;
    expect(text).toMatch(/symmetry\s+symmetry over interchangeable threads \{T0,T1,T2\} \(6 permutations\)/);
    expect(text).toContain(`stand for ${plain.states.toLocaleString('en-US')} states`);
  }, 120_000);

  test('junit: the result line names the reduction', async () => {
    const x = await run([...args, '--symmetry', '--reporter', 'junit']);
    expect(x.code).toBe(0);
    expect(x.out).toMatch(/<testcase name="menu-3x4"[^]*<system-out>PASS[^<]*symmetry over interchangeable threads/);
  }, 120_000);

  test('without a declaration (the counter fixture) or identical threads: not applied, and said so', async () => {
    const c = JSON.parse((await run(['check', 'counter', '--threads', '3', '--symmetry', '--json'], fixtures)).out);
    expect(c.scenarios[0].result.symmetry).toMatchObject({ applied: false });
    expect(c.scenarios[0].result.symmetry.reason).toMatch(/declares no thread permutation/);
    const d = await run(['check', 'frontswap', '--scenario', 'dup-store', '--symmetry']);
    expect(d.out).toMatch(/symmetry not applied: no two threads run the same program/);
  }, 120_000);
});
