/**
 * The hugetlb spec as an xstate v5 machine: one state, every operation an
 * event `{type: op, ...args, choice}` whose effect is `applyOp` (model.ts).
 * The machine sets `context.ret` on every accepted event and leaves it
 * undefined when the (op, choice) pair is not a possible outcome.
 */
import { assign, setup } from 'xstate';
import type { SpecDef } from '../../checker/types.js';
import { NODE_RELEASING_OPS, RELEASING_OPS, setNrNodeChoices, withNodes, withReserveOffsets } from './choices.js';
import {
  applyOp,
  CHOICES_BY_OP,
  decodeChoice,
  INJ,
  initView,
  SETNR_CHOICES,
  shrinkSurplus,
  surplusToBuddy,
  type HugetlbView,
  type Ret,
} from './model.js';
import { maxReserveOffsets } from './promises.js';
import { registerChoices } from './ops-pmd-share.js';
import { STAGE_BEGIN, STAGE_STEP, stageBegin, stageStep, stagedSteps } from './ops-staged.js';
import { NODE_SHRINK_REMOVE, nodeShrinkRemove, nodeShrinkSteps } from './ops-node.js';
import { OFFLINE_TAKE, offlineSteps, offlineTake } from './ops-pool.js';
import type { HugetlbParams } from './params.js';
import { FAULTING, GROW_STEP, WINDOW_OPEN, growStep, growSteps, windowOpen, windowSteps } from './ops-window.js';

export interface HugetlbSpecContext extends HugetlbView {
  /** Scenario parameters (not part of the view). */
  p: HugetlbParams;
  ret: Ret | undefined;
}

export const OPS = [
  'set_nr',
  'set_nr_node',
  'set_overcommit',
  'mount',
  'mmap',
  'fault',
  'uffd_copy',
  'uffd_continue',
  'uffd_register',
  'munmap',
  'truncate',
  'punch',
  'fork',
  'close',
  'unlink',
  'umount',
  'fallocate',
  'madvise_dontneed',
  'mprotect',
  'mremap',
  'dissolve',
  'soft_offline',
  'memfd_create',
  'pin',
  'unpin',
  'udmabuf',
] as const;
/** Internal spec event (see shrinkSurplus). */
export const SHRINK_SURPLUS = 'surplus_to_buddy';

type Ev = { type: string; choice?: number } & Record<string, unknown>;

const PLACEHOLDER = Object.freeze({
  total: 0,
  free: 0,
  rsvd: 0,
  surp: 0,
  overcommit: 0,
  spools: [],
  files: [],
  vmas: [],
  removing: [],
  pins: [],
  nodes: [],
  nodeSurp: [],
  resizing: [],
  offlining: [],
  windows: [],
  p: undefined,
  ret: undefined,
});

export const hugetlbMachine = setup({
  types: {
    context: {} as HugetlbSpecContext,
    events: {} as Ev,
    input: {} as HugetlbParams,
  },
  actions: {
    shrink: assign(({ context, event }) => {
      const { p: _p, ret: _r, ...view } = context;
      const v = shrinkSurplus(view as HugetlbView, Number((event as Ev)['nid'] ?? 0));
      return v ? { ...v, ret: 'ok' as Ret } : { ret: undefined };
    }),
    stageBegin: assign(({ context, event }) => {
      const { p, ret: _r, ...view } = context;
      const { type: _t, ...args } = event;
      const v = stageBegin(view as HugetlbView, args as any, p);
      return v ? { ...v, ret: 'ok' as Ret } : { ret: undefined };
    }),
    nodeShrinkRemove: assign(({ context, event }) => {
      const { p: _p, ret: _r, ...view } = context;
      const ev = event as Ev;
      const v = nodeShrinkRemove(view as HugetlbView, Number(ev['nid'] ?? 0), Number(ev['n'] ?? 0));
      return v ? { ...v, ret: 'ok' as Ret } : { ret: undefined };
    }),
    offlineTake: assign(({ context, event }) => {
      const { p: _p, ret: _r, ...view } = context;
      const v = offlineTake(view as HugetlbView, Number((event as Ev)['nid'] ?? 0));
      return v ? { ...v, ret: 'ok' as Ret } : { ret: undefined };
    }),
    windowOpen: assign(({ context, event }) => {
      const { p: _p, ret: _r, ...view } = context;
      const v = windowOpen(view as HugetlbView, Number((event as Ev)['code'] ?? -1));
      return v ? { ...v, ret: 'ok' as Ret } : { ret: undefined };
    }),
    growStep: assign(({ context }) => {
      const { p: _p, ret: _r, ...view } = context;
      const v = growStep(view as HugetlbView);
      return v ? { ...v, ret: 'ok' as Ret } : { ret: undefined };
    }),
    stageStep: assign(({ context, event }) => {
      const { p: _p, ret: _r, ...view } = context;
      const v = stageStep(view as HugetlbView, Number((event as Ev)['off'] ?? 0));
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
  context: ({ input }) =>
    input ? { ...initView(input), p: input, ret: undefined } : (PLACEHOLDER as unknown as HugetlbSpecContext),
  initial: 'running',
  states: {
    running: {
      on: {
        ...Object.fromEntries(OPS.map((op) => [op, { actions: 'step' as const }])),
        [SHRINK_SURPLUS]: { actions: 'shrink' as const },
        [STAGE_BEGIN]: { actions: 'stageBegin' as const },
        [STAGE_STEP]: { actions: 'stageStep' as const },
        [NODE_SHRINK_REMOVE]: { actions: 'nodeShrinkRemove' as const },
        [OFFLINE_TAKE]: { actions: 'offlineTake' as const },
        [WINDOW_OPEN]: { actions: 'windowOpen' as const },
        [GROW_STEP]: { actions: 'growStep' as const },
      },
    },
  },
});

export function specView(ctx: HugetlbSpecContext | HugetlbView): HugetlbView {
  const {
    total,
    free,
    rsvd,
    surp,
    overcommit,
    spools,
    files,
    vmas,
    removing,
    pins,
    nodes,
    nodeSurp,
    resizing,
    offlining,
    windows,
  } = ctx;
  return {
    total,
    free,
    rsvd,
    surp,
    overcommit,
    spools,
    files,
    vmas,
    removing,
    pins,
    nodes,
    nodeSurp,
    resizing,
    offlining,
    windows,
  };
}

const choiceCache = new Map<string, readonly number[]>();

export const hugetlbSpec: SpecDef<HugetlbView, HugetlbParams> = {
  machine: hugetlbMachine,
  input: (p) => p,
  // Only the outcomes these params can produce: injected-failure outcomes need params.inject,
  // the HR-13 node miss needs params.numa (applyOp rejects the others; listing them only costs xstate calls).
  // A min_size mount may refill its reserve from charges given back: those ops get one more
  // dimension (the refill above its lower bound), sized by the largest min_size mounted.
  choices: (op, args, view, p) => {
    // several nodes: set_nr's y and the node digits of its conversions, fresh pages and removals (ops-node.ts)
    if (op === 'set_nr' && (p.nodePool ?? 1) > 1) return setNrNodeChoices(p.nodePool ?? 1);
    if (op === 'set_nr' || op === 'set_nr_node') return SETNR_CHOICES;
    if (op === 'uffd_register') return registerChoices(p);
    const all = CHOICES_BY_OP[op];
    if (!all) return undefined;
    const offsets = RELEASING_OPS.has(op) ? maxReserveOffsets(view) : 1;
    // with several nodes and the default policy, a fault's page may come from any node (ops-numa.ts)
    // and a memory offline may hit a free page of any node
    // (fallocate: a node per page it allocates, ops-numa.ts fallocatePagePlan)
    const np = p.nodePool ?? 1;
    const unbound = p.membind === undefined;
    // (pin: the page its GUP fault allocates; uffd_copy: the page it installs)
    // (soft_offline: the page its GUP fault allocates)
    const faulting = op === 'fault' || op === 'pin' || op === 'uffd_copy' || op === 'soft_offline';
    // (munmap, truncate, close, unlink, umount: which node gives back each surplus page, a digit each)
    // (mmap, mount with nr_overcommit_hugepages set: the node of each surplus page gathered, ops-numa.ts gatherPlace)
    const gathering = np > 1 && unbound && view.overcommit > 0 && (op === 'mmap' || op === 'mount');
    // (soft_offline: digit 0 the GUP fault's node, digit 1 the node the copy lands on, ops-migrate.ts)
    const nodes =
      op === 'soft_offline' && np > 1
        ? np * np
        : op === 'dissolve' || op === 'udmabuf' || (faulting && unbound)
          ? np
          : (op === 'fallocate' && unbound) || (np > 1 && NODE_RELEASING_OPS.has(op))
            ? np ** p.fileSize
            : gathering
              ? np ** (op === 'mount' ? Math.max(1, Number(args['min'] ?? 0)) : p.fileSize)
              : 1;
    const bound = !unbound && (faulting || op === 'mmap' || op === 'mount' || op === 'fallocate');
    const key = `${op}:${p.inject ? 1 : 0}${p.numa ? 1 : 0}${bound ? 1 : 0}:${offsets}:${nodes}`;
    let out = choiceCache.get(key);
    if (!out) {
      out = all.filter((c) => {
        const plan = decodeChoice(c);
        const miss = op === 'mmap' || op === 'mount' ? bound : p.numa || bound;
        if (op === 'dissolve' && nodes === 1 && plan.surplusFirst) return false;
        return (p.inject || plan.inj === INJ.none || plan.inj === INJ.busy) && (miss || !plan.numaMiss);
      });
      if (offsets > 1) out = withReserveOffsets(out, offsets);
      if (nodes > 1) out = withNodes(out, nodes);
      choiceCache.set(key, out);
    }
    return out;
  },
  view: (snap) => specView(snap.context),
  internal: (v) => surplusToBuddy(v).map((nid) => ({ type: SHRINK_SURPLUS, nid })),
  // truncate and hole punch remove their pages one at a time while in flight (ops-staged.ts)
  // and a node's nr_hugepages write drops hugetlb_lock between its removals and its surplus marking (ops-node.ts)
  // and a memory offline drops hugetlb_lock between the pages of its block (ops-pool.ts)
  // and a reserving mmap or a fault opens a kernel window for the calls concurrent with it (ops-window.ts)
  pendingInternal: (v, op, args, p) =>
    op === 'set_nr_node'
      ? nodeShrinkSteps(v, Number(args['nid'] ?? 0), Number(args['n'] ?? 0))
      : op === 'dissolve'
        ? offlineSteps(v)
        : op === 'set_nr'
          ? growSteps(v, Number(args['n'] ?? 0))
          : op === 'mmap' || FAULTING.includes(op)
            ? windowSteps(v, op, args)
            : op === 'punch'
              ? [...stagedSteps(v, op, args, p), ...windowSteps(v, op, args)]
              : stagedSteps(v, op, args, p),
};
