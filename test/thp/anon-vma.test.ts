/**
 * The anon_vma of each VMA piece (impl/thp-common/rmap-walk.ts `anon_vma`, anonVmaPrepare): fork copies page tables
 * only for a VMA with an anon_vma (mm/memory.c copy_page_range() → vma_needs_copy() @ v6.1 / v6.12), and a read fault
 * maps the small zero page without anon_vma_prepare() (do_anonymous_page()), the huge zero page only where one VMA
 * covers the range (do_huge_pmd_anonymous_page(): transhuge_vma_suitable() before anon_vma_prepare()).
 */
import { describe, expect, test } from 'vitest';
import { selectImpl } from '../../checker/impls.js';
import type { Script } from '../../checker/scenario-file.js';
import { runScript } from '../../checker/sequential.js';
import { runImplSteps } from '../../checker/sequential-impl.js';
import { parseParams, thp } from '../../subsystems/thp/index.js';

type Steps = Script['steps'];
const params = parseParams({ kind: 'anon', initial: 'none', nr: 4, mms: 2 });
const run = (impl: string, steps: Steps) => runScript(selectImpl(thp, impl), { params, steps }, null);
const stateAfter = (impl: string, steps: Steps) => {
  const r = runImplSteps(selectImpl(thp, impl), { params, steps }, null);
  expect(r.stopped).toBeUndefined();
  return r.steps.at(-1)!.impl as { mms: { pmd: string; pte: number[]; anon_vma: number }[] };
};
const reads = (mm: number): Steps => [0, 1, 2, 3].map((sub) => ({ op: 'read', args: { mm, sub } }));

for (const impl of ['compound', 'folio'])
  describe(`${impl}: fork copies no page table of a VMA without an anon_vma`, () => {
    // conform thp --kernel 6.1 --kernel 6.12 --seed 20261405 --runs 400 (session 14): 399/400 on 6.1.192 and on
    // 6.12.118, this script shrunk: the kernel's child mapped nothing (page[1][*] = -1), the model's the zero page
    const shrunk: Steps = [
      { op: 'mlock', args: { mm: 0, from: 0, to: 1 } },
      { op: 'populate_read', args: { mm: 0 } },
      { op: 'fork', args: { src: 0, dst: 1 } },
    ];

    test('mlock of page 0, populate_read, fork: small zero pages in the parent, nothing in the child', () => {
      const obs = run(impl, [...shrunk, ...reads(0), ...reads(1)]);
      for (const o of obs) expect(o.problem).toBeUndefined();
      expect(obs.slice(3).map((o) => o.impl.ret)).toEqual([0, 0, 0, 0, 'nomap', 'nomap', 'nomap', 'nomap']);
      const g = stateAfter(impl, shrunk);
      expect(g.mms[0]!.pmd).toBe('table'); // the VMA was cut: no huge zero PMD
      expect(g.mms[0]!.anon_vma).toBe(0);
      expect(g.mms[1]!.pmd).toBe('none'); // no page table copied at all
    });

    test('a whole VMA maps the huge zero page (anon_vma_prepare first) and fork copies it', () => {
      const steps: Steps = [shrunk[1]!, shrunk[2]!];
      const obs = run(impl, [...steps, ...reads(1)]);
      for (const o of obs) expect(o.problem).toBeUndefined();
      expect(obs.slice(2).map((o) => o.impl.ret)).toEqual([0, 0, 0, 0]);
      expect(stateAfter(impl, steps).mms.map((m) => m.pmd)).toEqual(['zero', 'zero']);
    });

    test('a COW in one piece gives that piece an anon_vma: fork copies its PTEs only', () => {
      const steps: Steps = [...shrunk.slice(0, 2), { op: 'wp_fault', args: { mm: 0, sub: 2, val: 7 } }, shrunk[2]!];
      const obs = run(impl, [...steps, ...reads(1)]);
      for (const o of obs) expect(o.problem).toBeUndefined();
      // [0, 1) has no anon_vma: not copied; [1, 4) got one from wp_page_copy(): zero pages and the copy
      expect(obs.slice(4).map((o) => o.impl.ret)).toEqual(['nomap', 0, 7, 0]);
      expect(stateAfter(impl, steps).mms[1]!.anon_vma).toBe(0b1110);
    });

    test('munlock merges the piece without an anon_vma into its neighbour with one (is_mergeable_anon_vma)', () => {
      const cow: Steps = [...shrunk.slice(0, 2), { op: 'wp_fault', args: { mm: 0, sub: 2, val: 7 } }];
      // the changed VMA [0, 1) has none, next has one with a singular chain: merged, the anon_vma covers [0, 4)
      const merged = [...cow, { op: 'munlock', args: { mm: 0, from: 0, to: 1 } }, shrunk[2]!];
      expect(stateAfter(impl, merged).mms[1]!.anon_vma).toBe(0b1111);
      expect(
        run(impl, [...merged, ...reads(1)])
          .map((o) => o.impl.ret)
          .slice(5),
      ).toEqual([0, 0, 7, 0]);
      // the other way round: the changed VMA has the anon_vma, its neighbour none (an empty chain): no merge
      const kept: Steps = [
        { op: 'mlock', args: { mm: 0, from: 1, to: 4 } },
        shrunk[1]!,
        { op: 'wp_fault', args: { mm: 0, sub: 2, val: 7 } },
        { op: 'munlock', args: { mm: 0, from: 1, to: 4 } },
        shrunk[2]!,
      ];
      expect(stateAfter(impl, kept).mms[1]!.anon_vma).toBe(0b1110);
      const obs = run(impl, [...kept, ...reads(1)]);
      for (const o of obs) expect(o.problem).toBeUndefined();
      expect(obs.slice(5).map((o) => o.impl.ret)).toEqual(['nomap', 0, 7, 0]);
    });
  });
