/**
 * munmap splits a PMD straddling its border before it cuts the VMA: do_mas_align_munmap() @ v6.1 /
 * vms_gather_munmap_vmas() @ v6.12 → __split_vma() → vma_adjust_trans_huge() (under the PMD lock) before the VMA
 * bounds change and the pieces go back into the anon_vma tree (anon_vma_lock_write). Before session 16 the model
 * cut the pieces in munmap's first step and split the PMD in the zap after it (now the variant
 * vma-cut-before-pmd-split), so a walk in between met a huge PMD across a VMA border.
 */
import { describe, expect, test } from 'vitest';
import { selectImpl } from '../../checker/impls.js';
import type { Script } from '../../checker/scenario-file.js';
import { runImplSteps } from '../../checker/sequential-impl.js';
import { parseParams, thp } from '../../subsystems/thp/index.js';

type Mm = { pmd: string; vma: number; vma_start: number };
type G = { mms: Mm[]; avc: number[] };
const params = parseParams({ kind: 'anon', initial: 'forked', nr: 4, mms: 2 });

/** Every atomic state of mm 0 along the script, with the step that led there. */
function states(impl: string, steps: Script['steps'], variant: string | null = null) {
  const r = runImplSteps(selectImpl(thp, impl), { params, steps }, variant, true);
  expect(r.stopped).toBeUndefined();
  const tr = r.trace!;
  return tr.states.slice(1).map((s, k) => ({ step: tr.transitions[k]!, g: s.impl as G }));
}

for (const impl of ['compound', 'folio'])
  describe(`${impl}: munmap splits the PMD before it cuts the VMA`, () => {
    for (const [from, to] of [
      [0, 1],
      [3, 4],
      [1, 3],
    ] as const)
      test(`munmap(mm 0, ${from}..${to}): no state has mm 0's VMA cut while its PMD maps the range`, () => {
        const all = states(impl, [{ op: 'munmap', args: { mm: 0, from, to } }]);
        const cut = all.findIndex((s) => s.g.mms[0]!.vma_start !== 1);
        expect(cut).toBeGreaterThan(0);
        for (const s of all.slice(cut)) expect(s.g.mms[0]!.pmd).not.toBe('huge');
        expect(all[cut - 1]!.g.mms[0]!.pmd).toBe('table'); // __split_huge_pmd done, then __split_vma's re-insert
        expect(all.at(-1)!.g.mms[0]!.vma).toBe(0b1111 & ~(((1 << to) - 1) & ~((1 << from) - 1)));
      });

    test('the variant vma-cut-before-pmd-split cuts first: the invariant huge-pmd-in-one-vma breaks', () => {
      const r = runImplSteps(
        selectImpl(thp, impl),
        { params, steps: [{ op: 'munmap', args: { mm: 0, from: 0, to: 1 } }] },
        'vma-cut-before-pmd-split',
      );
      expect(r.steps[0]!.invariant).toMatch(/huge-pmd-in-one-vma/);
      const ok = runImplSteps(
        selectImpl(thp, impl),
        { params, steps: [{ op: 'munmap', args: { mm: 0, from: 0, to: 1 } }] },
        null,
      );
      expect(ok.steps[0]!.invariant).toBeUndefined();
    });

    test('khugepaged does not collapse a range several VMAs cover (hugepage_vma_revalidate: SCAN_ADDRESS_RANGE)', () => {
      const steps: Script['steps'] = [
        { op: 'mprotect', args: { mm: 0, from: 0, to: 1 } },
        { op: 'collapse', args: { mm: 0 } },
      ];
      const r = runImplSteps(
        selectImpl(thp, impl),
        { params: parseParams({ kind: 'anon', initial: 'pmd', nr: 4, mms: 2 }), steps },
        null,
      );
      expect(r.steps.map((s) => s.ret)).toEqual(['ok', 'fail']);
      expect(r.steps.map((s) => s.invariant)).toEqual([undefined, undefined]);
    });
  });
