/**
 * mremap of a range several VMAs cover fails with EFAULT and moves nothing: vma_to_resize() (mm/mremap.c @ v6.1 and
 * v6.12): vma_lookup() of the old address finds no VMA, or "We can't remap across vm area boundaries" (old_len >
 * vma->vm_end - addr). Both implementations (impl/thp-common/mremap.ts vmaToResizeFails) and the spec
 * (spec/thp/vmas.ts) predict it; before session 16 both said 'ok' and conform drew no such mremap.
 */
import { describe, expect, test } from 'vitest';
import { selectImpl } from '../../checker/impls.js';
import type { Script } from '../../checker/scenario-file.js';
import { runScript } from '../../checker/sequential.js';
import { applyThp, initialThp, type ThpContext } from '../../spec/thp/machine.js';
import { parseParams, thp } from '../../subsystems/thp/index.js';

type Steps = Script['steps'];
const params = parseParams({ kind: 'anon', initial: 'pmd', nr: 4, mms: 2 });
const run = (impl: string, steps: Steps) => runScript(selectImpl(thp, impl), { params, steps }, null);
const mremap = (mm: number, aligned = 1): Steps[number] => ({ op: 'mremap', args: { mm, aligned } });
const reads = (mm: number): Steps => [0, 1, 2, 3].map((sub) => ({ op: 'read', args: { mm, sub } }));

const cases: [string, Steps, string][] = [
  ['an mprotect of page 1 cut the VMA in three', [{ op: 'mprotect', args: { mm: 0, from: 1, to: 2 } }], 'EFAULT'],
  ['an mlock of the tail', [{ op: 'mlock', args: { mm: 0, from: 2, to: 4 } }], 'EFAULT'],
  [
    'a munmap hole at the first page (no VMA at the address)',
    [{ op: 'munmap', args: { mm: 0, from: 0, to: 1 } }],
    'EFAULT',
  ],
  ['a munmap of the last page (the VMA ends early)', [{ op: 'munmap', args: { mm: 0, from: 3, to: 4 } }], 'EFAULT'],
  [
    'a fork child of a cut VMA (dup_mmap copies every VMA)',
    [
      { op: 'mlock', args: { mm: 0, from: 0, to: 1 } },
      { op: 'fork', args: { src: 0, dst: 1 } },
    ],
    'EFAULT',
  ],
  ['mlock of the whole range: still one VMA', [{ op: 'mlock', args: { mm: 0, from: 0, to: 4 } }], 'ok'],
  [
    'mprotect of page 1 and back: vma_merge() makes one VMA again',
    [
      { op: 'mprotect', args: { mm: 0, from: 1, to: 2 } },
      { op: 'mprotect', args: { mm: 0, from: 1, to: 2, exec: 0 } },
    ],
    'ok',
  ],
];

for (const impl of ['compound', 'folio'])
  describe(`${impl}: mremap across several VMAs`, () => {
    for (const [what, before, ret] of cases)
      test(`${what}: mremap ${ret}`, () => {
        const obs = run(impl, [...before, mremap(0), mremap(0, 0), ...reads(0)]);
        for (const o of obs) expect(o.problem).toBeUndefined();
        expect(obs.slice(before.length, before.length + 2).map((o) => o.impl.ret)).toEqual([ret, ret]);
      });

    test('a failed mremap moves nothing: the other process keeps its data', () => {
      const steps: Steps = [
        { op: 'wp_fault', args: { mm: 0, sub: 3, val: 5 } },
        { op: 'mlock', args: { mm: 0, from: 0, to: 4 } },
        { op: 'munlock', args: { mm: 0, from: 0, to: 4 } },
        { op: 'munmap', args: { mm: 1, from: 0, to: 4 } },
        mremap(1, 0),
        ...reads(0),
      ];
      const obs = run(impl, steps);
      for (const o of obs) expect(o.problem).toBeUndefined();
      expect(obs.slice(4).map((o) => o.impl.ret)).toEqual(['EFAULT', 0, 0, 0, 5]);
    });
  });

describe('spec: mremap of a range not covered by one VMA fails EFAULT and changes nothing', () => {
  const apply = (c: ThpContext, type: string, args: Record<string, unknown>, choice?: string): ThpContext =>
    applyThp(c, choice === undefined ? { type, ...args } : { type, ...args, choice });
  const init = initialThp(params);

  test('a flag change inside the range cuts it: only EFAULT, and no merge may be claimed', () => {
    const cut = apply(init, 'mprotect', { mm: 0, from: 1, to: 2 });
    expect(cut.vmaCut).toEqual([0]);
    expect(apply(init, 'mprotect', { mm: 0, from: 1, to: 2 }, 'one').ret).toBeUndefined();
    const after = apply(cut, 'mremap', { mm: 0, aligned: 0 });
    expect(after.ret).toBe('EFAULT');
    expect({ ...after, ret: undefined }).toEqual({ ...cut, ret: undefined });
    expect(apply(cut, 'mremap', { mm: 1, aligned: 0 }).ret).toBe('ok'); // the other process is one VMA
  });

  test('flags equal again: the kernel may or may not have merged (vma_merge), so both outcomes are allowed', () => {
    const cut = apply(init, 'mprotect', { mm: 0, from: 1, to: 2 });
    const merged = apply(cut, 'mprotect', { mm: 0, from: 1, to: 2, exec: 0 }, 'one');
    const kept = apply(cut, 'mprotect', { mm: 0, from: 1, to: 2, exec: 0 }, 'cut');
    expect(apply(merged, 'mremap', { mm: 0, aligned: 1 }).ret).toBe('ok');
    expect(apply(kept, 'mremap', { mm: 0, aligned: 1 }).ret).toBe('EFAULT');
    // a flag op that changes nothing leaves one VMA whole: no 'cut' outcome
    expect(apply(init, 'munlock', { mm: 0, from: 1, to: 2 }, 'cut').ret).toBeUndefined();
  });

  test('a munmap hole never merges away, and fork copies the layout', () => {
    const holed = apply(init, 'munmap', { mm: 0, from: 3, to: 4 });
    expect(apply(holed, 'mprotect_ro', { mm: 0 }, 'one').ret).toBeUndefined();
    const child = apply(apply(holed, 'munmap', { mm: 1, from: 0, to: 4 }), 'fork', { src: 0, dst: 1 });
    expect(child.ret).toBe('ok');
    expect(apply(child, 'mremap', { mm: 1, aligned: 1 }).ret).toBe('EFAULT');
  });
});
