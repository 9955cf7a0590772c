/**
 * The staged truncate / hole punch of the hugetlb spec (spec/hugetlb/ops-staged.ts):
 * a call in flight may take its own steps before it linearizes, and only its own
 * event finishes them. Another punch of the same file waits for it (inode_lock):
 * it must not finish the staged call as if it were its own and leave its own
 * range unpunched.
 */
import { describe, expect, test } from 'vitest';
import type { SpecAdapter } from '../../checker/spec-adapter.js';
import { SpecWalker } from '../../checker/spec-walk.js';
import type { SpecDef } from '../../checker/types.js';
import type { HugetlbView } from '../../spec/hugetlb/view.js';
import { hugetlb } from '../../subsystems/hugetlb/index.js';
import { P } from '../../subsystems/hugetlb/scenario-helpers.js';

const params = P({ pool: 4, overcommit: 0, fileSize: 4, vmas: 2 });

/** Spec states after a shared mapping faulted all 4 pages of file 0 in and was unmapped. */
function filled(): { w: SpecWalker; ad: SpecAdapter; states: number[] } {
  const w = new SpecWalker(hugetlb.spec as SpecDef<unknown, unknown>, params);
  let states = w.initial();
  const steps: [string, Record<string, unknown>][] = [
    ['mmap', { v: 0, kind: 'shared', f: 0, from: 0, to: 4 }],
    ...[0, 1, 2, 3].map((i): [string, Record<string, unknown>] => ['fault', { v: 0, i, write: true }]),
    ['munmap', { v: 0 }],
  ];
  for (const [op, args] of steps) {
    const outs = w.outcomes(states, op, args as never).filter((o) => o.ret === 'ok');
    expect(outs.length, op).toBeGreaterThan(0);
    states = w.close(outs.map((o) => o.next));
  }
  return { w, ad: (w as unknown as { adapter: SpecAdapter }).adapter, states };
}

describe('hugetlb spec: a staged punch is finished only by its own call', () => {
  test('punch [0,2) in flight: punch [2,4) of the same file waits, then removes its own pages', () => {
    const { ad, states } = filled();
    const view = (id: number) => ad.views.get(id) as HugetlbView;
    const A = ad.opId('punch', { f: 0, from: 0, to: 2 });
    const B = ad.opId('punch', { f: 0, from: 2, to: 4 });
    let staged = 0;
    for (const s0 of states) {
      expect(view(s0).files[0]!.cache).toEqual([0, 1, 2, 3]);
      for (const s1 of ad.pendingSuccessors(s0, A)) {
        staged++;
        expect(view(s1).removing.length).toBeGreaterThan(0);
        // B does not advance A's removal, and cannot linearize before A finishes
        expect([...ad.pendingSuccessors(s1, B)]).toEqual([]);
        expect([...ad.outcomes(s1, B)]).toEqual([]);
        // A's own event finishes it; then B punches [2,4)
        const fa = ad.outcomes(s1, A);
        expect(fa.length).toBeGreaterThan(0);
        for (let i = 0; i < fa.length; i += 2) {
          expect(view(fa[i]!).files[0]!.cache).toEqual([2, 3]);
          const fb = ad.outcomes(fa[i]!, B);
          expect(fb.length).toBeGreaterThan(0);
          for (let j = 0; j < fb.length; j += 2) expect(view(fb[j]!).files[0]!.cache).toEqual([]);
        }
      }
    }
    expect(staged).toBeGreaterThan(0);
  });
});
