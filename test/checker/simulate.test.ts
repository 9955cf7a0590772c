/**
 * Simulation: seeded random walks over swarm configurations are repeatable,
 * find a racy variant and shrink it to a minimal scenario + schedule that
 * replays; the correct implementation yields no violation; coverage lists
 * every step offered, reached or not. The CLI labels every run SAMPLED and
 * never exits 0.
 */
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { followEdges } from '../../checker/check.js';
import { Product } from '../../checker/product.js';
import { simulate } from '../../checker/simulate.js';
import { main, type Out } from '../../cli/mmcheck.js';
import { registry } from '../../subsystems/index.js';
import { counter } from '../fixtures/counter.js';

const base = { seed: 7, runs: 200, depth: 50, swarm: true } as const;

describe('simulate', () => {
  test('the correct counter: no violation, coverage of every step, same seed -> same walks', () => {
    const a = simulate(counter, { ...base, variant: null });
    const b = simulate(counter, { ...base, variant: null });
    expect(a.violation).toBeUndefined();
    expect(a.runs).toBe(200);
    expect(a.steps).toBe(b.steps);
    expect(a.coverage).toEqual(b.coverage);
    expect(Object.keys(a.coverage.steps).sort()).toEqual(['get › read', 'inc › lock_read', 'inc › write_unlock']);
    expect(a.coverage.steps['inc › lock_read']).toBeGreaterThan(0);
    expect(a.coverage.properties['lock-free-at-rest']![0]).toBeGreaterThan(0);
  });

  test('the racy counter is found and shrunk to two threads, one inc each; the schedule replays the failure', () => {
    const r = simulate(counter, { ...base, variant: 'racy' });
    expect(r.violation).toBeDefined();
    const v = r.violation!;
    expect(v.scenario.threads).toHaveLength(2);
    expect(v.scenario.threads.every((t) => t.length === 1 && t[0]![0]!.op === 'inc')).toBe(true);
    expect(v.path.length).toBe(4); // read, read, write, write: the lost update
    const { transitions } = followEdges(new Product(counter, v.scenario, 'racy'), v.path);
    expect(transitions.map((l) => l.step)).toEqual(['lock_read', 'lock_read', 'write_unlock', 'write_unlock']);
  });

  test('every subsystem: the correct implementation survives a short swarm', () => {
    for (const sub of registry) {
      const r = simulate(sub, { seed: 3, runs: 60, depth: 100, swarm: true, variant: null });
      expect(r.violation?.failure.message, sub.name).toBeUndefined();
      expect(r.steps).toBeGreaterThan(0);
    }
  }, 300_000);
});

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Out = { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n'), isTTY: false };
  const code = await main(argv, io, [counter]);
  return { code, out, err };
}

describe('mmcheck simulate', () => {
  test('no violation: SAMPLED, seed printed, exit 3 (never a pass)', async () => {
    const r = await run(['simulate', 'counter', '--runs', '50', '--seed', '9']);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/^SAMPLED counter: 50 random walks/);
    expect(r.out).toContain('seed 9');
    expect(r.out).toContain('NOT exhaustive');
    expect(r.out).toContain('mmcheck simulate counter --seed 9');
  });

  test('a violation: shrunk, printed, saved as ITF that replays; exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmcheck-sim-'));
    const r = await run(['simulate', 'counter', '--variant', 'racy', '--out', dir]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('VIOLATION');
    const file = join(dir, 'counter-simulate-seed1-racy.itf.json');
    expect(existsSync(file)).toBe(true);
    const rep = await run(['replay', file]);
    expect(rep.code).toBe(1);
    expect(rep.out).toContain('STILL FAILS');
  });

  test.each([
    [['simulate'], /one SUBSYSTEM/],
    [['simulate', 'nope'], /unknown subsystem 'nope'/],
    [['simulate', 'counter', '--runs', '0'], /--runs' must be at least 1/],
    [['simulate', 'counter', '--scenario', 'zz'], /unknown scenario 'zz'/],
    [['simulate', 'counter', '--no-swarm', '--threads', '2'], /drop --no-swarm/],
    [['simulate', 'counter', '--variant', 'zz'], /unknown variant 'zz'/],
  ])('bad input %j: one line, exit 2', async (argv, msg) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(msg);
  });
});
