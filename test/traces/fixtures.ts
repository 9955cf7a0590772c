/** Hand-made CheckResult fixtures with a small pool schema (no checker needed). */
import type { CheckResult, StepLabel, ThreadView, TraceState, Violation } from '../../checker/result.js';
import { S } from '../../checker/schema.js';
import type { Scenario } from '../../checker/types.js';

export const poolSchema = S.struct({
  free: S.int(),
  resv: S.int(),
  pages: S.array(S.struct({ ref: S.int(), mapped: S.bool() }), 2),
  owners: S.intSet(),
  lock: S.int(),
  mode: S.enum('idle', 'busy'),
});
export type Pool = ReturnType<typeof poolSchema.decode>;

export interface PoolParams {
  pool: number;
}

export const scenario: Scenario<PoolParams> = {
  name: 'two-allocs',
  description: 'two threads allocate one page each from a pool of two',
  params: { pool: 2 },
  threads: [
    [
      [{ op: 'alloc', args: { n: 1 } }],
      [
        { op: 'free', args: { n: 1 } },
        { op: 'alloc', args: { n: 2 } },
      ],
    ],
    [[{ op: 'alloc', args: { n: 1 } }]],
  ],
  faults: { budget: 1, sites: ['alloc_page'] },
};

const pool = (free: number, resv: number, ref0: number, ref1: number, owners: number[], lock = 0): Pool => ({
  free,
  resv,
  pages: [
    { ref: ref0, mapped: ref0 > 0 },
    { ref: ref1, mapped: ref1 > 0 },
  ],
  owners,
  lock,
  mode: lock ? 'busy' : 'idle',
});

const idle = (tid: number, slot: number, finished = false): ThreadView => ({ tid, slot, finished });
const busy = (tid: number, slot: number, op: string, pc: string, locals: Record<string, number>): ThreadView => ({
  tid,
  slot,
  op,
  args: { n: 1 },
  pc,
  locals,
  finished: false,
});

export const states: TraceState[] = [
  {
    impl: pool(2, 0, 0, 0, []),
    threads: [idle(0, 0), idle(1, 0)],
    abstract: { free: 2 },
    spec: [{ free: 2 }],
    faultsUsed: 0,
  },
  {
    impl: pool(2, 1, 0, 0, [], 1),
    threads: [busy(0, 0, 'alloc', 'alloc_page', { chg: 1 }), idle(1, 0)],
    abstract: { free: 2 },
    spec: [{ free: 2 }, { free: 1 }],
    faultsUsed: 0,
  },
  {
    impl: pool(2, 1, 0, 0, [], 1),
    threads: [busy(0, 0, 'alloc', 'alloc_page', { chg: 1 }), busy(1, 0, 'alloc', 'region_chg', {})],
    abstract: { free: 2 },
    spec: [{ free: 2 }, { free: 1 }],
    faultsUsed: 0,
  },
  {
    // T0's allocation fails (injected) but the reservation is not given back.
    impl: pool(2, 1, 0, 0, [], 0),
    threads: [idle(0, 1), busy(1, 0, 'alloc', 'region_chg', {})],
    abstract: { free: 1 },
    spec: [{ free: 2 }],
    faultsUsed: 1,
  },
];

export const transitions: StepLabel[] = [
  {
    tid: 0,
    op: 'alloc',
    args: { n: 1 },
    slot: 0,
    alt: 0,
    step: 'region_chg',
    choices: [],
    injected: [],
    invoked: true,
  },
  {
    tid: 1,
    op: 'alloc',
    args: { n: 1 },
    slot: 0,
    alt: 0,
    step: 'hugetlb_acct',
    choices: [],
    injected: [],
    invoked: true,
  },
  {
    tid: 0,
    op: 'alloc',
    args: { n: 1 },
    slot: 0,
    alt: 0,
    step: 'alloc_page',
    choices: [1],
    injected: ['alloc_page'],
    ret: -12,
    invoked: false,
  },
];

export const violation: Violation = {
  kind: 'refinement',
  property: 'refinement',
  message: 'abstraction(impl) {free: 1} matches no spec state: the reservation leaked on the error path',
  trace: { states, transitions },
};

export function result(over: Partial<CheckResult> = {}): CheckResult {
  return {
    subsystem: 'hugetlb',
    scenario: 'two-allocs',
    scenarioDescription: scenario.description,
    variant: 'H11',
    bounds: { threads: 2, opsPerThread: [2, 1], params: { pool: 2 }, faultBudget: 1, faultSites: ['alloc_page'] },
    stopReason: 'violation',
    exhaustive: false,
    states: 1234,
    transitions: 5678,
    maxDepth: 9,
    seconds: 0.25,
    statesPerSecond: 4936,
    collisionProbability: 1.07e-13,
    bytesPerState: 16.5,
    refinement: 'linearizability+abstraction',
    specStates: 3,
    invariants: [
      { name: 'resv-le-free', when: 'always', checked: 1234, nonTrivial: 1000 },
      { name: 'no-surplus', when: 'quiescent', checked: 200, nonTrivial: 0 },
    ],
    preconditions: [{ text: 'free without a prior alloc', count: 3 }],
    violation,
    ...over,
  };
}
