/**
 * kernel/conform/save.ts: a disagreement's ITF trace says what the kernel was
 * compared with, the implementation and the kernel version it modelled, and
 * reading the trace back gives the version to its scenario.
 */
import { describe, expect, test } from 'vitest';
import { selectImpl } from '../../checker/impls.js';
import { scriptItf } from '../../kernel/conform/save.js';
import type { Disagreement } from '../../kernel/conform/judge.js';
import { scenarioOf, implOf } from '../../traces/itf.js';
import { thp } from '../../subsystems/thp/index.js';

const script = {
  params: { nr: 4, mms: 1, kind: 'anon', initial: 'pmd' },
  steps: [{ op: 'split', args: { sub: 0 } }],
};
const d = { cls: 'kernel-vs-model', step: 0, op: 'split', args: { sub: 0 }, fields: ['ret'], message: 'x' };
const kernel = { request: '6.12', release: '6.12.118', modelVersion: '6.12', image: '/k' };

describe('conform ITF traces', () => {
  test('record the implementation and --kernel-version they were compared with', () => {
    const folio = selectImpl(thp, 'folio');
    const itf = scriptItf(folio, script, null, '6.12', d as unknown as Disagreement, kernel, 'c');
    expect(implOf(itf)).toBe('folio');
    expect(itf['#meta'].scenario.kernelVersion).toBe('6.12');
    expect(itf['#meta']['conform']).toMatchObject({ impl: 'folio', kernelVersion: '6.12', kernel: '6.12.118' });
    expect(scenarioOf(itf).kernelVersion).toBe('6.12');
    // the main implementation: no impl key at the top (as check writes it), but conform still names it
    const main = scriptItf(thp, script, null, '6.1', d as unknown as Disagreement, kernel, 'c');
    expect(implOf(main)).toBeUndefined();
    expect(main['#meta']['conform']).toMatchObject({ impl: 'compound', kernelVersion: '6.1' });
    expect(scenarioOf(main).kernelVersion).toBe('6.1');
  });
});
