/** The bench report: a parallel configuration's speedup by wall time and by thread CPU, and its count check. */
import { describe, expect, test } from 'vitest';
import { printText, targets, type ConfigReport, type MmcheckMeasure } from '../../bench/report.js';

function measure(over: Partial<MmcheckMeasure>): MmcheckMeasure {
  return {
    scenario: 's',
    scenarioDescription: 'd',
    refinement: 'none (no spec)',
    specStates: 0,
    stopReason: 'complete',
    exhaustive: true,
    violation: null,
    states: 1000,
    transitions: 5000,
    maxDepth: 9,
    seconds: 10,
    cpuSeconds: 10,
    wallSeconds: 11,
    statesPerSec: 100,
    transitionsPerSec: 500,
    bytesPerState: 16,
    peakFrontierMiB: 1,
    peakRssMiB: 100,
    peakHeapUsedMiB: 10,
    heapTotalMiB: 20,
    ...over,
  };
}

describe('bench report', () => {
  const base: ConfigReport = { name: 'b', description: '', mmcheck: measure({ threadCpuSeconds: 20 }) };
  const par: ConfigReport = {
    name: 'b-w2',
    description: '',
    baseline: 'b',
    mmcheck: measure({
      workers: 2,
      seconds: 8,
      threadCpu: { workers: [10.5, 9.5], expanded: [520, 480], serial: 0.5, reused: false },
    }),
  };

  test('a parallel configuration gets its wall speedup and the thread-CPU one (baseline thread / busiest worker + serial)', () => {
    const t = targets([base, par]).find((x) => x.target.startsWith('b-w2'))!;
    expect(t.measured).toBe('1.25x wall (1.82x by thread CPU)');
    expect(t.met).toBe(false); // the target is judged on wall time only
    const text = printText([base, par], 'h');
    expect(text).toContain(
      'thread CPU s: threads 10.50/9.50 (states expanded 520/480), coordinator between levels 0.50',
    );
    expect(text).toContain('1.82x with a core per thread');
    // the work the threads add: (10.5 + 9.5 + 0.5) / 20
    expect(text).toContain(`all threads' CPU ${(20.5 / 20).toFixed(2)}x its`);
  });

  test("the threads' start-up and step-memo misses are printed when measured", () => {
    const t = { ...par.mmcheck!.threadCpu!, startup: [0, 0.31], cacheMisses: [38_322, 40_326] };
    const m = { ...par, mmcheck: { ...par.mmcheck!, threadCpu: t } };
    expect(printText([base, m], 'h')).toContain(
      'threads 10.50/9.50 (start-up 0.00/0.31, states expanded 520/480, step-memo misses 38,322/40,326)',
    );
  });

  test("the step memo's figures are printed: steps run, evictions, peak size", () => {
    const m = { ...base, mmcheck: { ...base.mmcheck!, stepMemo: { misses: 916_854, drops: 3, peakMiB: 64.2 } } };
    expect(printText([m], 'h')).toContain('step memo: 916,854 steps run, 3 evictions, peak 64.2 MiB');
    const t = { ...par.mmcheck!.threadCpu!, cacheDrops: [2, 1] };
    const p = { ...par, mmcheck: { ...par.mmcheck!, threadCpu: t, stepMemo: { misses: 10, drops: 3, peakMiB: 5 } } };
    const text = printText([base, p], 'h');
    expect(text).toContain("step memo: 10 steps run, 3 evictions, peak 5.0 MiB (the largest thread's)");
    expect(text).toContain('step-memo evictions 2/1');
  });

  test('differing counts are called out', () => {
    const bad = { ...par, mmcheck: { ...par.mmcheck!, states: 999 } };
    expect(targets([base, bad]).find((x) => x.target.startsWith('b-w2'))!.measured).toContain('COUNTS DIFFER');
  });
});
