/**
 * The hugetlb spec as an xstate v5 machine: one state, every operation an
 * event `{type: op, ...args, choice}` whose effect is `applyOp` (model.ts).
 * The machine sets `context.ret` on every accepted event and leaves it
 * undefined when the (op, choice) pair is not a possible outcome.
 */
import { assign, setup } from 'xstate';
import type { SpecDef } from '../../checker/types.js';
import { applyOp, CHOICES_BY_OP, initView, SETNR_CHOICES, shrinkSurplus, type HugetlbView, type Ret } from './model.js';
import type { HugetlbParams } from './params.js';

export interface HugetlbSpecContext extends HugetlbView {
  /** Scenario parameters (not part of the view). */
  p: HugetlbParams;
  ret: Ret | undefined;
}

export const OPS = ['set_nr', 'set_overcommit', 'mount', 'mmap', 'fault', 'uffd_copy', 'munmap', 'truncate', 'punch', 'fork'] as const;
/** Internal spec event (see shrinkSurplus). */
export const SHRINK_SURPLUS = 'surplus_to_buddy';

type Ev = { type: string; choice?: number } & Record<string, unknown>;

const PLACEHOLDER = Object.freeze({ total: 0, free: 0, rsvd: 0, surp: 0, overcommit: 0, spools: [], files: [], vmas: [], p: undefined, ret: undefined });

export const hugetlbMachine = setup({
  types: {
    context: {} as HugetlbSpecContext,
    events: {} as Ev,
    input: {} as HugetlbParams,
  },
  actions: {
    shrink: assign(({ context }) => {
      const { p, ret: _r, ...view } = context;
      const v = shrinkSurplus(view as HugetlbView);
      return v ? { ...v, ret: 'ok' as Ret } : { ret: undefined };
    }),
    step: assign(({ context, event }) => {
      const { p, ret: _r, ...view } = context;
      const { type, choice, ...args } = event;
      const o = applyOp(view as HugetlbView, type, args as any, choice, p);
      if (!o) return { ret: undefined };
      return { ...o.view, ret: o.ret };
    }),
  },
}).createMachine({
  id: 'hugetlb',
  // xstate's transition() instantiates a throwaway actor without input on every call: keep that cheap
  context: ({ input }) => (input ? { ...initView(input), p: input, ret: undefined } : (PLACEHOLDER as unknown as HugetlbSpecContext)),
  initial: 'running',
  states: {
    running: {
      on: {
        ...Object.fromEntries(OPS.map((op) => [op, { actions: 'step' as const }])),
        [SHRINK_SURPLUS]: { actions: 'shrink' as const },
      },
    },
  },
});

export function specView(ctx: HugetlbSpecContext | HugetlbView): HugetlbView {
  const { total, free, rsvd, surp, overcommit, spools, files, vmas } = ctx;
  return { total, free, rsvd, surp, overcommit, spools, files, vmas };
}

export const hugetlbSpec: SpecDef<HugetlbView, HugetlbParams> = {
  machine: hugetlbMachine,
  input: (p) => p,
  choices: Object.fromEntries(OPS.map((op) => [op, op === 'set_nr' ? SETNR_CHOICES : CHOICES_BY_OP[op]!])),
  view: (snap) => specView(snap.context),
  internal: (v) => (v.surp > 0 && v.free - v.rsvd > 0 ? [{ type: SHRINK_SURPLUS }] : []),
};
