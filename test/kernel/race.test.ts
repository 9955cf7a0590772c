/**
 * kernel/race.ts: a concurrent counterexample run with real threads is
 * REPRODUCED only when its outcome (every return value and the final
 * counters) is seen and no sequential order of its operations ends that way.
 * The kernel here is fake (test/kernel/fake-race-kernel.ts): the
 * implementation itself under a random or a sequential scheduler.
 */
import { describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import { hugetlb } from '../../subsystems/hugetlb/index.js';
import { hugetlbProbe } from '../../subsystems/hugetlb/probe.js';
import { compileScripts } from '../../kernel/compile.js';
import { judgeRace, predictRaceOutcome, sequentialOrders, tallyRace } from '../../kernel/race.js';
import { predictScript } from '../../kernel/predict.js';
import { parseProbeLog } from '../../kernel/serial.js';
import { targetOfSchedule } from '../../kernel/target.js';
import type { KernelScript } from '../../kernel/types.js';
import { FakeRaceKernel } from './fake-race-kernel.js';

function race(name: string) {
  const sc = { ...hugetlb.findings!.find((f) => f.name === name)!, kernelVersion: '6.12' };
  const schedule = checkScenario(hugetlb, sc, {}).violation!.trace.transitions;
  const t = targetOfSchedule(schedule, sc.params, false);
  if (t.kind !== 'concurrent' || !t.race) throw new Error(`${name}: not a race`);
  const prediction = predictRaceOutcome(hugetlb, sc, null, schedule, hugetlbProbe, t.race.script);
  return { sc, script: t.race.script, prediction };
}

async function runs(k: FakeRaceKernel, script: KernelScript, n: number) {
  const out = await k.runBatch(
    'hugetlb',
    Array.from({ length: n }, () => script),
  );
  if (out.kind !== 'ran') throw new Error('fake kernel failed');
  return out.results;
}

describe('race runs compare the final counters', () => {
  test('finding-unmapped-child-survives: the child keeps a page; seen under a random scheduler, REPRODUCED', async () => {
    const { sc, script, prediction } = race('finding-unmapped-child-survives');
    expect(prediction.kind).toBe('outcome');
    if (prediction.kind !== 'outcome') return;
    expect(prediction.alsoSequential).toBeUndefined();
    const results = await runs(new FakeRaceKernel(hugetlb, sc, hugetlbProbe, 7), script, 150);
    const v = judgeRace(script, prediction, results);
    expect(v.tally!.ran).toBe(150);
    expect(v.tally!.seen).toBeGreaterThan(0);
    expect(v.tally!.seen).toBeLessThan(150); // other interleavings end otherwise: the counters tell them apart
    expect(v.verdict).toBe('REPRODUCED');
    expect(v.why).toMatch(new RegExp(`seen in ${v.tally!.seen} of 150 runs`));
  });

  test('a kernel that never interleaves the window (sequential scheduler) is INCONCLUSIVE: seen 0 times', async () => {
    const { sc, script, prediction } = race('finding-unmapped-child-survives');
    if (prediction.kind !== 'outcome') throw new Error('no prediction');
    const results = await runs(new FakeRaceKernel(hugetlb, sc, hugetlbProbe, 1, true), script, 5);
    const v = judgeRace(script, prediction, results);
    expect([v.tally!.ran, v.tally!.seen]).toEqual([5, 0]);
    expect(v.verdict).toBe('INCONCLUSIVE');
    expect(v.why).toMatch(/seen in 0 of 5 runs/);
  });

  test('the same return values with another final counter are not the outcome', () => {
    const { script, prediction } = race('finding-unmapped-child-survives');
    if (prediction.kind !== 'outcome') throw new Error('no prediction');
    const steps = prediction.outcome.returns.map((ret, step) => ({ step, ret, sigbus: false, counters: {} }));
    const other = { ...prediction.outcome.counters, HugePages_Free: prediction.outcome.counters.HugePages_Free! + 1 };
    const v = judgeRace(script, prediction, [{ kind: 'ran', steps, poolRestored: true, final: other }]);
    expect([v.tally!.ran, v.tally!.seen, v.verdict]).toEqual([1, 0, 'INCONCLUSIVE']);
  });

  test('finding-uffd-copy-vs-truncate ends like truncate-then-copy: never REPRODUCED by a race run', async () => {
    const { sc, script, prediction } = race('finding-uffd-copy-vs-truncate');
    expect(prediction.kind === 'outcome' && prediction.alsoSequential).toMatch(/truncate#1, uffd_copy#2/);
    const results = await runs(new FakeRaceKernel(hugetlb, sc, hugetlbProbe, 3), script, 30);
    const v = judgeRace(script, prediction, results);
    expect(v.verdict).toBe('INCONCLUSIVE');
    expect(v.why).toMatch(/one after another/);
  });

  test('an outcome whose sequential orders were not all tried is never REPRODUCED', () => {
    const { script, prediction } = race('finding-unmapped-child-survives');
    if (prediction.kind !== 'outcome') throw new Error('no prediction');
    const steps = prediction.outcome.returns.map((ret, step) => ({ step, ret, sigbus: false, counters: {} }));
    const seen = [{ kind: 'ran' as const, steps, poolRestored: true, final: prediction.outcome.counters }];
    expect(judgeRace(script, { ...prediction, alsoSequential: undefined }, seen).verdict).toBe('REPRODUCED');
    const capped = { ...prediction, alsoSequential: undefined, ordersUnchecked: 'more than 500 orders' };
    const v = judgeRace(script, capped, seen);
    expect(v.verdict).toBe('INCONCLUSIVE');
    expect(v.why).toMatch(/more than 500 orders/);
  });

  test('an order in which the implementation can go more than one way is not counted as checked', () => {
    // params.numa: an allocation may find the free pages on disallowed nodes (choose(2)), so a fault branches
    const { sc, script } = race('finding-unmapped-child-survives');
    const numa = { ...script, params: { ...(script.params as object), numa: true } };
    const pred = predictScript(hugetlb, hugetlbProbe, { params: numa.params, steps: numa.steps.slice(0, 2) });
    expect(pred.map((p) => p.branched ?? false)).toEqual([false, true]); // mmap, then the write fault allocates
    expect(
      predictScript(hugetlb, hugetlbProbe, { params: script.params, steps: script.steps }).some((p) => p.branched),
    ).toBe(false);
    const schedule = checkScenario(hugetlb, sc, {}).violation!.trace.transitions;
    const prediction = predictRaceOutcome(hugetlb, sc, null, schedule, hugetlbProbe, numa);
    expect(prediction.kind === 'outcome' && prediction.ordersUnchecked).toMatch(/more than one way at fault#/);
  });

  test('runs without a FINAL line do not count; no prediction is INCONCLUSIVE', () => {
    const { script, prediction } = race('finding-unmapped-child-survives');
    if (prediction.kind !== 'outcome') throw new Error('no prediction');
    const steps = prediction.outcome.returns.map((ret, step) => ({ step, ret, sigbus: false, counters: {} }));
    const t = tallyRace(script, prediction.outcome, [
      { kind: 'ran', steps, poolRestored: true },
      { kind: 'ran', steps, poolRestored: true, final: prediction.outcome.counters },
      { kind: 'error', detail: 'x' },
    ]);
    expect([t.ran, t.seen]).toEqual([1, 1]);
    expect(judgeRace(script, { kind: 'unknown', why: 'blocked' }, []).verdict).toBe('INCONCLUSIVE');
  });

  test('sequential orders keep each thread in order and the happens-before edges', () => {
    const s: KernelScript = {
      params: {},
      steps: [0, 1, 2].map(() => ({ op: 'x', args: {} })),
      concurrency: { threadOf: [0, 1, 0], after: [[], [0], []] },
    };
    expect(sequentialOrders(s)).toEqual([
      [0, 1, 2],
      [0, 2, 1],
    ]);
  });
});

describe('the probe reports a race outcome', () => {
  test('a concurrent script observes once more after its threads joined; the FINAL line parses', () => {
    const { script } = race('finding-unmapped-child-survives');
    const c = compileScripts(hugetlbProbe, [script]);
    expect(c).toMatch(/run_concurrent\(&c\);\s*obs_reset\(\);\s*h_observe\(\);\s*final_line\(\);/);
    expect(compileScripts(hugetlbProbe, [{ params: script.params, steps: script.steps }])).not.toMatch(
      /final_line\(\);/,
    );
    const log = parseProbeLog(
      'MMCHECK BEGIN 1 FIRST 0\nMMCHECK S 0 BEGIN\nMMCHECK S 0 FINAL HugePages_Rsvd=2 spool0_used=-1\nMMCHECK S 0 END restored=1\n',
    );
    expect(log.scripts.get(0)!.final).toEqual({ HugePages_Rsvd: 2, spool0_used: -1 });
    expect(log.garbled).toEqual([]);
  });
});
