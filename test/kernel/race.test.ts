/**
 * kernel/race.ts: a concurrent counterexample run with real threads is
 * REPRODUCED only when its outcome (every return value and the final
 * counters) is seen and no interleaving of its operations that breaks no
 * property ends that way (kernel/race-search.ts).
 * The kernel here is fake (test/kernel/fake-race-kernel.ts): the
 * implementation itself under a random or a sequential scheduler.
 */
import { describe, expect, test } from 'vitest';
import { checkScenario } from '../../checker/check.js';
import { runImplSteps } from '../../checker/sequential-impl.js';
import { hugetlb } from '../../subsystems/hugetlb/index.js';
import { hugetlbProbe } from '../../subsystems/hugetlb/probe.js';
import { compileScripts } from '../../kernel/compile.js';
import { judgeRace, predictRaceOutcome, tallyRace, type RaceOutcome } from '../../kernel/race.js';
import { violationFreeMatch } from '../../kernel/race-search.js';
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

  test('an order in which the implementation can go more than one way has every way searched', () => {
    // params.numa: an allocation may find the free pages on disallowed nodes (choose(2)), so a fault branches
    const { sc, script } = race('finding-unmapped-child-survives');
    const numa = { ...script, params: { ...(script.params as object), numa: true } };
    const pred = predictScript(hugetlb, hugetlbProbe, { params: numa.params, steps: numa.steps.slice(0, 2) });
    expect(pred.map((p) => p.branched ?? false)).toEqual([false, true]); // mmap, then the write fault allocates
    const schedule = checkScenario(hugetlb, sc, {}).violation!.trace.transitions;
    const prediction = predictRaceOutcome(hugetlb, sc, null, schedule, hugetlbProbe, numa);
    expect(prediction.kind).toBe('outcome');
    expect(prediction.kind === 'outcome' && prediction.ordersUnchecked).toBeFalsy();
  });

  test('a search that hits its bound is never REPRODUCED', () => {
    const { sc, script } = race('finding-unmapped-child-survives');
    const schedule = checkScenario(hugetlb, sc, {}).violation!.trace.transitions;
    const capped = predictRaceOutcome(hugetlb, sc, null, schedule, hugetlbProbe, script, 3);
    if (capped.kind !== 'outcome') throw new Error('no prediction');
    expect(capped.ordersUnchecked).toMatch(/stopped at 3 states/);
    const steps = capped.outcome.returns.map((ret, step) => ({ step, ret, sigbus: false, counters: {} }));
    const seen = [{ kind: 'ran' as const, steps, poolRestored: true, final: capped.outcome.counters }];
    const v = judgeRace(script, capped, seen);
    expect(v.verdict).toBe('INCONCLUSIVE');
    expect(v.why).toMatch(/stopped at 3 states: an interleaving without a violation may end the same way/);
    // with the default bound the same race is searched to the end
    const full = predictRaceOutcome(hugetlb, sc, null, schedule, hugetlbProbe, script);
    expect(full.kind === 'outcome' && full.ordersUnchecked).toBeFalsy();
    expect(judgeRace(script, full, seen).verdict).toBe('REPRODUCED');
  });

  test('an outcome only an overlapping, violation-free interleaving gives: REPRODUCED before, INCONCLUSIVE now', async () => {
    // truncate-window: the staged truncate lets a concurrent fault end in ways no sequential order does, all
    // allowed by the spec; a fake kernel running the correct implementation shows such outcomes
    const sc = { ...hugetlb.scenarios.find((s) => s.name === 'truncate-window')!, kernelVersion: '6.12' };
    const threadOf = sc.threads.flatMap((t, tid) => t.map(() => tid));
    const script: KernelScript = {
      params: sc.params,
      steps: sc.threads.flatMap((t) => t.map((slot) => slot[0]!)),
      concurrency: { threadOf, after: threadOf.map(() => []) },
    };
    const results = await runs(new FakeRaceKernel(hugetlb, sc, hugetlbProbe, 5), script, 120);
    const outcomes = new Map<string, RaceOutcome>();
    for (const r of results)
      if (r.kind === 'ran' && r.final)
        outcomes.set(JSON.stringify([r.steps.map((o) => o.ret), r.final]), {
          returns: script.steps.map((_, i) => String(r.steps.find((o) => o.step === i)?.ret)),
          counters: r.final,
        });
    const concurrentOnly = [...outcomes.values()].find((o) => {
      const m = violationFreeMatch(hugetlb, sc, null, hugetlbProbe, script, o);
      return m.kind === 'match' && !m.sequential;
    });
    expect(concurrentOnly).toBeDefined();
    const outcome = concurrentOnly!;
    // the old criterion: no sequential order ends that way, so seeing it was REPRODUCED
    expect(judgeRace(script, { kind: 'outcome', outcome }, results).verdict).toBe('REPRODUCED');
    const schedule = checkScenario(hugetlb, sc, {}).violation?.trace.transitions;
    expect(schedule).toBeUndefined(); // the correct implementation breaks nothing here: no race to reproduce
    const m = violationFreeMatch(hugetlb, sc, null, hugetlbProbe, script, outcome);
    const now = judgeRace(
      script,
      { kind: 'outcome', outcome, alsoInterleaved: m.kind === 'match' ? m.order : '' },
      results,
    );
    expect(now.verdict).toBe('INCONCLUSIVE');
    expect(now.why).toMatch(/an interleaving of the operations that breaks no property/);
  });

  test('an outcome a sequential order that breaks a property also ends with is no race reproduction', () => {
    // finding-noreserve-subpool-reserve needs no race: mmap in one thread, the read fault after it in
    // another. The only order breaks resv-conservation, so a search that prunes violating paths finds no
    // match, and seeing the outcome was called a race REPRODUCED
    const sc = {
      ...hugetlb.findings!.find((f) => f.name === 'finding-noreserve-subpool-reserve')!,
      kernelVersion: '6.12',
    };
    const steps = sc.threads
      .flat()
      .slice(0, 2)
      .map((slot) => slot[0]!);
    const script: KernelScript = { params: sc.params, steps, concurrency: { threadOf: [0, 1], after: [[], [0]] } };
    const run = runImplSteps(hugetlb, { params: sc.params, steps }, null, false, '6.12');
    expect(run.steps[1]!.invariant).toMatch(/resv-conservation/);
    const outcome: RaceOutcome = {
      returns: run.steps.map((st, i) => hugetlbProbe.retOf(st.ret, steps[i]!.op)),
      counters: hugetlbProbe.predict(run.steps[1]!.impl, sc.params, hugetlb),
    };
    const m = violationFreeMatch(hugetlb, sc, null, hugetlbProbe, script, outcome);
    expect(m).toEqual({ kind: 'match', sequential: true, violating: true, order: 'mmap#0, fault#1' });
    const seen = [{ kind: 'ran' as const, steps: [], poolRestored: true, final: outcome.counters }];
    const withReturns = seen.map((r) => ({
      ...r,
      steps: outcome.returns.map((ret, step) => ({ step, ret, sigbus: false, counters: {} })),
    }));
    const v = judgeRace(
      script,
      { kind: 'outcome', outcome, alsoWithoutRace: m.kind === 'match' ? m.order : '' },
      withReturns,
    );
    expect(v.verdict).toBe('INCONCLUSIVE');
    expect(v.why).toMatch(/also happens without a race: the operations one after another \(mmap#0, fault#1\)/);
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
