/**
 * mprotect()/mlock()/munlock() of part of the THP that changes no VMA flag splits nothing: mprotect_fixup() and
 * mlock_fixup() return when `newflags == oldflags` (mm/mprotect.c, mm/mlock.c @ v6.1 / v6.12), before any
 * __split_vma(), so vma_adjust_trans_huge() never runs. Found by `conform thp --kernel 6.1 --kernel 6.12 --runs 200
 * --seed 20261602` (session 16): fault; mprotect_ro; mprotect(mm 0, 0..1, exec 0) — both kernels kept the PMD
 * (AnonHugePages 2048), both implementations split it.
 */
import { describe, expect, test } from 'vitest';
import { selectImpl } from '../../checker/impls.js';
import type { Script } from '../../checker/scenario-file.js';
import { runScript } from '../../checker/sequential.js';
import { runImplSteps } from '../../checker/sequential-impl.js';
import { parseParams, thp } from '../../subsystems/thp/index.js';

type Steps = Script['steps'];
const params = parseParams({ kind: 'anon', initial: 'none', nr: 4, mms: 2 });
const pmdAfter = (impl: string, steps: Steps): string => {
  const r = runImplSteps(selectImpl(thp, impl), { params, steps }, null);
  expect(r.stopped).toBeUndefined();
  return (r.steps.at(-1)!.impl as { mms: { pmd: string }[] }).mms[0]!.pmd;
};
const fault: Steps[number] = { op: 'fault', args: { mm: 0 } };

for (const impl of ['compound', 'folio'])
  describe(`${impl}: a partial mprotect/mlock/munlock that changes no flag keeps the PMD`, () => {
    test('fault; mprotect_ro; mprotect(0..1, exec 0): PROT_READ again, the PMD stays huge (the conform script)', () => {
      const steps: Steps = [
        fault,
        { op: 'mprotect_ro', args: { mm: 0 } },
        { op: 'mprotect', args: { mm: 0, from: 0, to: 1, exec: 0 } },
      ];
      for (const o of runScript(selectImpl(thp, impl), { params, steps }, null)) expect(o.problem).toBeUndefined();
      expect(pmdAfter(impl, steps)).toBe('huge');
    });

    test('munlock of a range nothing locked, and mprotect(exec 0) of a range without PROT_EXEC: no split', () => {
      expect(pmdAfter(impl, [fault, { op: 'munlock', args: { mm: 0, from: 1, to: 2 } }])).toBe('huge');
      expect(pmdAfter(impl, [fault, { op: 'mprotect', args: { mm: 0, from: 1, to: 2, exec: 0 } }])).toBe('huge');
    });

    test('a flag change over part of the range still splits the PMD at the new border', () => {
      expect(pmdAfter(impl, [fault, { op: 'mlock', args: { mm: 0, from: 1, to: 2 } }])).toBe('table');
      expect(pmdAfter(impl, [fault, { op: 'mprotect', args: { mm: 0, from: 0, to: 1 } }])).toBe('table');
    });

    test('mlock over a range already locked splits no more: the second mlock of the whole locked piece is a no-op', () => {
      const steps: Steps = [
        fault,
        { op: 'mlock', args: { mm: 0, from: 0, to: 4 } },
        { op: 'mlock', args: { mm: 0, from: 1, to: 2 } },
      ];
      expect(pmdAfter(impl, steps)).toBe('huge');
    });
  });
