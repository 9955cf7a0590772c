/**
 * Several implementations of one spec (Subsystem.impls, checker/impls.ts): the
 * test counter gets a second, differently built implementation ('atomic': one
 * step, no lock) with its own variant, and every command selects it with
 * --impl while the spec, scenarios and op schemas stay the counter's.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { allImpls, implNames, ImplError, selectImpl } from '../../checker/impls.js';
import { registrationProblems } from '../../checker/registration.js';
import { checkScenario } from '../../checker/check.js';
import { S } from '../../checker/schema.js';
import { done, invariant, type ImplChoice, type Subsystem } from '../../checker/types.js';
import { main, type Out } from '../../cli/mmcheck.js';
import { counter, type CounterParams } from '../fixtures/counter.js';

type A = { value: number };

const atomic: ImplChoice<A, { x: number }, CounterParams> = {
  name: 'atomic',
  description: 'one atomic fetch-and-add, no lock',
  impl: {
    state: S.struct({ value: S.int() }),
    init: () => ({ value: 0 }),
    ops: {
      inc: {
        doc: 'atomic_fetch_add(&value, 1)',
        steps: [
          {
            name: 'atomic_fetch_add',
            run: (g, t) => {
              const old = g.value;
              g.value = old + (t.bug('adds-two') ? 2 : 1);
              return done(old);
            },
          },
        ],
      },
      get: { doc: 'atomic_read(&value)', steps: [{ name: 'atomic_read', run: (g) => done(g.value) }] },
    },
  },
  abstraction: (g) => ({ x: g.value }),
  invariants: [
    invariant<A, CounterParams>({
      name: 'value-non-negative',
      doc: 'The counter never goes below zero (test).',
      source: 'test',
      when: 'always',
      check: (g) => g.value >= 0,
    }),
  ],
  variants: [{ name: 'adds-two', description: 'fetch-and-add of 2', source: 'test' }],
  observer: { impl: (g) => ({ x: g.value }), spec: (v) => ({ x: v.x }) },
};

const two: Subsystem = { ...counter, implName: 'locked', impls: [atomic] } as Subsystem;

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Out = { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n'), isTTY: false };
  const code = await main(argv, io, [two]);
  return { code, out, err };
}
const tmp = () => mkdtempSync(join(tmpdir(), 'mmcheck-impls-'));

describe('selectImpl', () => {
  test('names the implementations, main first, and selects each', () => {
    expect(implNames(two)).toEqual(['locked', 'atomic']);
    expect(selectImpl(two, undefined)).toBe(two);
    expect(selectImpl(two, 'locked')).toBe(two);
    const a = selectImpl(two, 'atomic');
    expect(a.impl).toBe(atomic.impl);
    expect(a.variants.map((v) => v.name)).toEqual(['adds-two']);
    expect(a.spec).toBe(counter.spec);
    expect(a.scenarios).toBe(counter.scenarios);
    expect(allImpls(two).map((s) => s.implName)).toEqual(['locked', 'atomic']);
    expect(() => selectImpl(two, 'nope')).toThrow(ImplError);
    expect(() => selectImpl(counter as Subsystem, 'atomic')).toThrow(/single implementation/);
  });

  test('registration checks every implementation against the op schemas', () => {
    expect(registrationProblems(two)).toEqual([]);
    const { get: _get, ...incOnly } = atomic.impl.ops;
    const broken = { ...two, impls: [{ ...atomic, impl: { ...atomic.impl, ops: incOnly } }] } as Subsystem;
    expect(registrationProblems(broken).join('\n')).toMatch(/impl atomic.*get/);
  });

  test('a result names the alternative implementation; the main one is unlabelled', () => {
    const s = counter.scenarios[0]!;
    expect(checkScenario(two, s).impl).toBeUndefined();
    const r = checkScenario(selectImpl(two, 'atomic'), s);
    expect(r.impl).toBe('atomic');
    expect(r.violation).toBeUndefined();
    expect(r.invariants.map((i) => i.name)).toEqual(['value-non-negative']);
  });
});

describe('the CLI with --impl', () => {
  test('check runs every implementation by default, --impl one of them', async () => {
    const all = await run(['check', 'counter', '--quiet']);
    expect(all.code).toBe(0);
    expect(all.out).toMatch(/PASS counter\/two-incs:/);
    expect(all.out).toMatch(/PASS counter\/two-incs \[impl atomic\]:/);
    const one = await run(['check', 'counter', '--impl', 'atomic', '--quiet']);
    expect(one.code).toBe(0);
    expect(one.out).toMatch(/\[impl atomic\]/);
    expect(one.out).not.toMatch(/PASS counter\/two-incs:/);
  });

  test('an unknown implementation is a one-line usage error', async () => {
    const r = await run(['check', 'counter', '--impl', 'nope']);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/--impl nope: counter has no implementation 'nope' \(known: locked, atomic\)/);
  });

  test('a variant runs in the implementation that has it; its trace replays in that implementation', async () => {
    const dir = tmp();
    const r = await run(['check', 'counter', '--variant', 'adds-two', '--out', dir]);
    expect(r.code).toBe(1);
    const file = join(dir, 'counter-atomic-two-incs-adds-two.itf.json');
    expect(existsSync(file)).toBe(true);
    expect(JSON.parse(readFileSync(file, 'utf8'))['#meta'].impl).toBe('atomic');
    const again = await run(['replay', file]);
    expect(again.code).toBe(1);
    expect(again.out).toMatch(/^STILL FAILS counter\/two-incs \[impl atomic\] \[variant adds-two\]/);
    const fixed = await run(['replay', file, '--variant', 'none']);
    expect(fixed.out).toMatch(/^FIXED counter\/two-incs \[impl atomic\]/);
  });

  test('run --script and simulate take --impl', async () => {
    const dir = tmp();
    const f = join(dir, 's.json');
    writeFileSync(f, JSON.stringify({ steps: [{ op: 'inc' }, { op: 'get' }] }));
    const r = await run(['run', 'counter', '--script', f, '--impl', 'atomic', '--variant', 'adds-two']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/step 0 \(inc\): refinement/);
    const ok = await run(['run', 'counter', '--script', f, '--impl', 'atomic']);
    expect(ok.code).toBe(0);
    const sim = await run(['simulate', 'counter', '--impl', 'atomic', '--runs', '20', '--variant', 'adds-two']);
    expect(sim.code).toBe(1);
  });

  test('an unknown variant lists the variants of every implementation, or of the selected one', async () => {
    const r = await run(['check', 'counter', '--variant', 'nosuch']);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/unknown variant 'nosuch' for counter \(known: impl locked: [^;]*; impl atomic: adds-two\)/);
    const one = await run(['check', 'counter', '--impl', 'atomic', '--variant', 'nosuch']);
    expect(one.code).toBe(2);
    expect(one.err.trim()).toMatch(/\(known: impl atomic: adds-two\)$/);
  });

  test('list shows every implementation with its variants', async () => {
    const r = await run(['list', 'counter']);
    expect(r.out).toMatch(/impl atomic \(--impl atomic\): one atomic fetch-and-add/);
    expect(r.out).toMatch(/adds-two/);
  });
});
