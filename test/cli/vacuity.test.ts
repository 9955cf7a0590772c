/**
 * Vacuity fails by default: a declared fault site never reached, a scenario
 * clause never started, or an invariant with nothing to check in the whole run
 * is a VACUOUS line naming it and exit 1, unless --allow-vacuous. A spec whose
 * actions the checker would ignore is rejected at registration.
 */
import { assign, setup } from 'xstate';
import { describe, expect, test } from 'vitest';
import { main, type Out } from '../../cli/mmcheck.js';
import { registrationProblems } from '../../checker/registration.js';
import { ignoredSpecActions } from '../../checker/spec-adapter.js';
import type { CheckResult } from '../../checker/result.js';
import { runVacuousInvariants } from '../../checker/verdict.js';
import { counter } from '../fixtures/counter.js';
import { faulty } from '../fixtures/limits.js';

async function run(argv: string[], subs = [faulty as never]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Out = { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n'), isTTY: false };
  const code = await main(argv, io, subs);
  return { code, out, err };
}

describe('vacuity fails the run', () => {
  test('a fault site no step reaches: VACUOUS naming it, exit 1', async () => {
    const r = await run(['check', 'faulty', '--scenario', 'typo-site']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^VACUOUS faulty\/typo-site: fault site kmaloc never reached/m);
    expect(r.out).not.toMatch(/fault site kmalloc never/);
  });
  test('a clause no path starts: VACUOUS naming thread, slot and op', async () => {
    const r = await run(['check', 'faulty', '--scenario', 'dead-clause']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^VACUOUS faulty\/dead-clause: clause T0 slot 0: refused\(\) never started/m);
  });
  test('an invariant with nothing to check in any scenario of the run', async () => {
    const r = await run(['check', 'faulty']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /^VACUOUS faulty: invariant never-checked never had anything to check in any of the 2 scenario runs/m,
    );
  });
  test('--allow-vacuous reports but passes', async () => {
    const r = await run(['check', 'faulty', '--allow-vacuous']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/VACUOUS faulty\/typo-site: fault site kmaloc never reached \(allowed by --allow-vacuous\)/);
    expect(r.out).toMatch(/invariant never-checked .*\(allowed by --allow-vacuous\)/);
    // the summary must not claim the run had nothing vacuous
    expect(r.out).not.toMatch(/nothing vacuous/);
    expect(r.out).toMatch(
      /PASS: every run exhaustive within its bounds \(--allow-vacuous: vacuity reported, not failed\)/,
    );
  });
  test('a non-vacuous run passes', async () => {
    expect((await run(['check', 'counter'], [counter as never])).code).toBe(0);
  });
});

describe('an invariant that does not apply to a scenario (Invariant.appliesTo)', () => {
  const result = (nonTrivial: number, applicable?: false) =>
    ({
      subsystem: 's',
      impl: undefined,
      variant: null,
      exhaustive: true,
      violation: undefined,
      invariants: [
        { name: 'i', when: 'always', checked: 5, nonTrivial, ...(applicable === false ? { applicable } : {}) },
      ],
    }) as unknown as CheckResult;
  test('scenarios it does not apply to neither exercise nor fail it', () => {
    expect(runVacuousInvariants([result(0, false)])).toEqual([]);
    expect(runVacuousInvariants([result(0, false), result(0)])).toEqual([
      { subsystem: 's', invariant: 'i', scenarios: 1 },
    ]);
    expect(runVacuousInvariants([result(0, false), result(3)])).toEqual([]);
  });
  test('hugetlb: a one-node scenario passes; node-pages-conserved is shown as not applicable', async () => {
    const { hugetlb } = await import('../../subsystems/hugetlb/index.js');
    const r = await run(['check', 'hugetlb', '--scenario', 'error-paths', '--verbose'], [hugetlb as never]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/node-pages-conserved .* not applicable \(scenario params\)/);
    expect(r.out).not.toMatch(/VACUOUS/);
  }, 60000);
});

describe('a spec whose actions would be ignored is rejected', () => {
  const machine = (action: unknown) =>
    setup({ types: {} as { context: { x: number; ret?: number } } }).createMachine({
      context: { x: 0 },
      on: { inc: { actions: action as never } },
    });
  test('a plain function action (mutating the context) is named', () => {
    const bad = machine(({ context }: { context: { x: number } }) => {
      context.x++;
    });
    expect(ignoredSpecActions(bad)).toEqual([
      `state '(root)' on 'inc': a plain function would be ignored (use assign or enqueueActions)`,
    ]);
    expect(ignoredSpecActions(machine(assign({ x: ({ context }) => context.x + 1, ret: 0 })))).toEqual([]);
  });
  test('the CLI refuses such a registry (exit 2, one line)', async () => {
    const bad = { ...counter, spec: { ...counter.spec!, machine: machine(() => {}) } };
    expect(registrationProblems(bad as never)).toHaveLength(1);
    const r = await run(['check', 'counter'], [bad as never]);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/registration: counter: spec state '\(root\)' on 'inc': a plain function would be ignored/);
  });
});
