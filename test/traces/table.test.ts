import { describe, expect, it } from 'vitest';
import type { CheckResult, Violation } from '../../checker/result.js';
import { renderResult, renderTrace, tlcProbability, visibleWidth, wrap } from '../../traces/table.js';
import { diffPlain, flatten, groupedLines } from '../../traces/diff.js';
import * as f from './fixtures.js';

const lines = (s: string) => s.split('\n');

describe('renderTrace', () => {
  const out = renderTrace(f.violation);

  it('has a header with kind, property and message', () => {
    expect(lines(out)[0]).toBe('✗ refinement violation: refinement');
    expect(out).toContain(f.violation.message);
    expect(out).toContain('shortest counterexample: 3 steps, failing at step 3');
  });

  it('puts each step in its thread column with op(args) › step, ret and injection', () => {
    const header = lines(out).find((l) => l.includes('T0'))!;
    const t1col = header.indexOf('T1');
    const row1 = lines(out).find((l) => l.includes('region_chg') && l.includes('alloc(n=1)'))!;
    const row2 = lines(out).find((l) => l.includes('hugetlb_acct'))!;
    expect(row1.indexOf('alloc(n=1) › region_chg')).toBeLessThan(t1col);
    expect(row2.indexOf('alloc(n=1) › hugetlb_acct')).toBe(t1col);
    const failing = out.slice(out.indexOf('✗3'));
    expect(failing).toMatch(/alloc\(n=1\) › alloc_page = -12\s+│?\s*\n?.*!inject:alloc_page/);
  });

  it('lists the impl fields a step changed, with old → new, and abstract changes', () => {
    const afterStep1 = out.slice(out.indexOf('  1 │'), out.indexOf('  2 │'));
    expect(afterStep1).toContain('impl.resv: 0 → 1');
    expect(afterStep1).toContain('impl.lock: 0 → 1');
    expect(afterStep1).toContain('impl.mode: idle → busy');
    expect(afterStep1).not.toContain('impl.free');
    const afterStep3 = out.slice(out.indexOf('✗3'));
    expect(afterStep3).toContain('faultsUsed: 0 → 1');
    expect(afterStep3).toContain('abstract.free: 2 → 1');
  });

  it('diffs the spec state against the abstraction at the failing step', () => {
    expect(out).toContain('Spec vs abstraction(impl) after step 3:');
    expect(out).toMatch(/the only spec state: 1 field differs/);
    expect(out).toMatch(/- free: 2\n\s+\+ free: 1/);
  });

  it('falls back to the candidates before the failing step when none is left', () => {
    const states = f.states.map((s, i) => (i === 3 ? { ...s, spec: [] } : s));
    const v: Violation = { ...f.violation, kind: 'linearizability', trace: { states, transitions: f.transitions } };
    const o = renderTrace(v);
    expect(o).toContain(
      'no spec state is consistent with the history after step 3; candidates before the failing step: 2',
    );
    // {free: 1} (a linearization where T0's alloc took the page) is closest
    expect(o).toMatch(/spec state 1 of 2 \(closest\): equals the abstraction/);
    expect(o).toMatch(/spec state 2 of 2: 1 field differs/);
  });

  it('renders a violation of the initial state (no steps)', () => {
    const v: Violation = {
      kind: 'invariant',
      property: 'init-ok',
      message: 'bad init',
      trace: { states: [f.states[0]!], transitions: [] },
    };
    const o = renderTrace(v);
    expect(o).toContain('shortest counterexample: 0 steps, in the initial state');
    expect(o).toContain('Impl state in the initial state:');
    expect(o).toContain('free = 2');
  });

  it('stays within the width and only colours when asked', () => {
    for (const w of [60, 100, 140]) {
      const o = renderTrace(f.violation, { width: w });
      for (const l of lines(o)) expect(visibleWidth(l), l).toBeLessThanOrEqual(w);
    }
    expect(out).not.toContain('\x1b[');
    expect(renderTrace(f.violation, { color: true })).toContain('\x1b[');
  });
});

describe('renderResult', () => {
  const field = (out: string, k: string) => lines(out).find((l) => l.trimStart().startsWith(k)) ?? '';

  it('summarizes a violation run as not exhaustive', () => {
    const o = renderResult(f.result());
    expect(field(o, 'exhaustive')).toContain('NO (violation');
    expect(field(o, 'verdict')).toContain('VIOLATION: refinement (refinement); shortest counterexample has 3 steps');
    expect(o).toContain('1,234 distinct, 5,678 transitions, max depth 9');
    expect(o).toContain('val = 1.1E-13');
    expect(o).toContain('16.5 bytes/state');
    expect(o).toContain('linearizability+abstraction, 3 spec states');
    expect(o).toContain('3× free without a prior alloc');
    expect(o).toContain('variant       H11');
  });

  it('flags invariants never exercised as VACUOUS', () => {
    const o = renderResult(f.result());
    expect(field(o, 'no-surplus')).toMatch(/VACUOUS$/);
    expect(field(o, 'resv-le-free')).not.toContain('VACUOUS');
    const pass = renderResult(f.result({ violation: undefined, stopReason: 'complete', exhaustive: true }));
    expect(pass).toMatch(/PASS within bounds.*\n.*\n?.*VACUOUS: no-surplus never\s+(\n\s+)?exercised/);
  });

  it.each<[CheckResult['stopReason'], string]>([
    ['state-limit', 'state-limit'],
    ['time-limit', 'time-limit'],
  ])('never presents a %s run as proved', (stopReason, why) => {
    const o = renderResult(f.result({ violation: undefined, stopReason, exhaustive: false }));
    expect(field(o, 'exhaustive')).toContain(`NO (${why}`);
    expect(o).toContain('INCONCLUSIVE');
    expect(o).toContain('NOT exhaustive');
    expect(o).not.toContain('PASS');
    expect(o).toContain('counts cover the explored part only');
  });

  it('does not trust an exhaustive flag that contradicts the stop reason', () => {
    const o = renderResult(f.result({ violation: undefined, stopReason: 'time-limit', exhaustive: true }));
    expect(o).toContain('INCONCLUSIVE');
    expect(o).not.toContain('PASS');
  });

  it('says a complete run is exhaustive but still bounded', () => {
    const o = renderResult(
      f.result({
        violation: undefined,
        stopReason: 'complete',
        exhaustive: true,
        invariants: [{ name: 'resv-le-free', when: 'always', checked: 10, nonTrivial: 4 }],
        preconditions: [],
      }),
    );
    expect(field(o, 'exhaustive')).toContain('yes (complete');
    expect(o).toContain('PASS within bounds');
    expect(o).toContain('not a proof for other bounds');
    expect(o).not.toContain('VACUOUS');
    expect(o).toContain('preconditions none broken');
  });

  it('fits 100 columns', () => {
    for (const l of lines(renderResult(f.result()))) expect(visibleWidth(l), l).toBeLessThanOrEqual(100);
  });
});

describe('helpers', () => {
  it('prints probabilities as TLC does', () => {
    expect(tlcProbability(1.07e-13)).toBe('1.1E-13');
    expect(tlcProbability(2.5e3)).toBe('2.5E3');
    expect(tlcProbability(0)).toBe('0.0');
  });
  it('wraps on words and cuts long words', () => {
    expect(wrap('aaa bbb ccc', 7)).toEqual(['aaa bbb', 'ccc']);
    expect(wrap('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
  });
  it('shows a list of records growing as its new elements, not as the list vanishing', () => {
    expect(diffPlain({ pages: [] }, { pages: [{ key: 0, data: 1 }] }, 'impl')).toEqual([
      { path: 'impl.pages[0].key', new: '0' },
      { path: 'impl.pages[0].data', new: '1' },
    ]);
    expect(diffPlain({ pages: [{ key: 0 }] }, { pages: [] })).toEqual([{ path: 'pages[0].key', old: '0' }]);
  });
  it('groups leaves of one record on a line', () => {
    expect(groupedLines({ n: 1, pc: [{ present: false, data: 0 }], s: [1] })).toEqual([
      'n = 1',
      'pc[0]: present=false data=0',
      's = [1]',
    ]);
  });
  it('flattens to dotted paths and diffs', () => {
    expect([...flatten({ a: { b: 1 }, l: [{ x: 1 }], s: [1, 2] })]).toEqual([
      ['a.b', '1'],
      ['l[0].x', '1'],
      ['s', '[1, 2]'],
    ]);
    expect(diffPlain({ a: 1, b: [1] }, { a: 2, c: 'x' }, 'g')).toEqual([
      { path: 'g.a', old: '1', new: '2' },
      { path: 'g.b', old: '[1]' },
      { path: 'g.c', new: 'x' },
    ]);
  });
});
