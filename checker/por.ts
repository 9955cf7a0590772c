/**
 * Partial-order reduction (`check --por`): ample sets of one thread's step.
 *
 * A step declares `threadLocal` (StepDef.threadLocal) when neither `enabled`
 * nor `run` reads or writes the implementation state and it never calls
 * inject(): it works on its own thread's locals, arguments, params and
 * choices only. At a state s where thread t's op is in flight at such a step
 * α, and at s every run of α (every choice sequence) continues the op at a
 * later step or jumps back to a step not declared thread-local, the reduced search explores α's runs alone (the ample set
 * {α}); otherwise it expands every thread (product/expand.ts).
 *
 * Why that is sound for everything a run reports (C0-C3 of Clarke, Grumberg
 * and Peled, "Model Checking", ch. 10, checked here per state):
 *  - independence: α reads and writes only t's control block, which no other
 *    thread's step, the linearizer (it reads only whether t is in flight) nor
 *    the fault budget reads; so α commutes with every step of every other
 *    thread, stays enabled whatever they do, and t's only transitions at s are
 *    α's runs;
 *  - invisibility: α leaves the impl state, the linearization set, the faults
 *    used and the ops in flight unchanged, which is all invariants
 *    (InvariantCtx), linearizability and refinement see; a thread in flight
 *    has work left, so a state where α is enabled is no deadlock;
 *  - no ignoring: a reduced state's successors are thread-local steps, so on a
 *    cycle of reduced states each thread moves through thread-local steps only;
 *    since a run of α jumps back only to a step that is not thread-local
 *    (checked per run), those moves only raise pcs and cannot close a cycle:
 *    every cycle has a fully expanded state;
 *    (the product graph itself need not be acyclic: steps loop back, e.g. page
 *    by page, so a proviso is needed; this one needs no visited set and holds
 *    for every search order);
 *  - non-empty: when every run of α is pruned (assume()), s is fully expanded.
 * Then every violation reachable in the full graph (a failing state or
 * transition) has one of the same property reachable in the reduced graph,
 * and so does every invariant evaluation, clause start and fault site reached
 * (vacuity is judged the same). By induction on the path's length: a path
 * from a reduced state on which t moves begins with α after reordering; one on
 * which t never moves ends, one α later, in a state with the same impl state,
 * linearization set and ops in flight, and reduced states cannot follow one
 * another forever without a cycle.
 *
 * The declaration is checked on each use, as far as the check runs: α runs
 * first against a state that throws on any access (IMPL_SENTINEL), and a run
 * that touches it or calls inject() fails the search as an impl-error naming
 * the broken declaration. The check stops at the first run that returns,
 * jumps back to a thread-local step or throws otherwise (the state is then
 * fully expanded, which is sound whatever the declaration): a breach on a
 * later run goes unreported there.
 * test/checker/por-footprint.test.ts also compares each declaration with the
 * step's actual effect on random reachable states of every implementation.
 *
 * What it costs a result: BFS finds a shortest counterexample of the reduced
 * graph, not necessarily of the full one (the result says so), and `states`
 * counts the reduced graph's states; the unreduced count is not computed.
 */
import type { PorInfo } from './result.js';
import { NO_SITES, Pruned, type Ctx } from './step-ctx.js';
import type { StepDef } from './types.js';

/** Thrown by IMPL_SENTINEL: a step declared thread-local touched the implementation state. */
export class FootprintBreach extends Error {}

const breach = (): never => {
  throw new FootprintBreach('read or wrote the implementation state');
};

/** Stands for the impl state when a thread-local step is checked: every access throws. */
export const IMPL_SENTINEL: any = new Proxy(Object.freeze({}), {
  get: breach,
  set: breach,
  has: breach,
  ownKeys: breach,
  getOwnPropertyDescriptor: breach,
  defineProperty: breach,
  deleteProperty: breach,
  getPrototypeOf: breach,
  setPrototypeOf: breach,
  isExtensible: breach,
  preventExtensions: breach,
});

/**
 * What checking step `step` at `pc` found: 'local' (its runs may be explored
 * alone), 'full' (expand every thread), or why its declaration is broken.
 * `setup` hands `ctx` the thread's args and locals (called before each run).
 */
export function checkLocalStep(
  steps: readonly StepDef<any, any>[],
  stepIndex: ReadonlyMap<string, number>,
  pc: number,
  ctx: Ctx,
  setup: () => void,
): 'local' | 'full' | { breach: string } {
  const step = steps[pc]!;
  const calls = ctx.injectCalls;
  const broken = (e: unknown): { breach: string } => ({
    breach: `step ${step.name} is declared threadLocal but ${(e as Error).message} (StepDef.threadLocal)`,
  });
  setup();
  try {
    if (step.enabled && !step.enabled(IMPL_SENTINEL, ctx)) return 'full';
  } catch (e) {
    return e instanceof FootprintBreach ? broken(e) : 'full';
  }
  let live = 0;
  ctx.resetScript();
  do {
    ctx.cpos = 0;
    ctx.injected = NO_SITES as string[];
    ctx.faultsLeft = 0;
    setup();
    let res: ReturnType<StepDef<any, any>['run']>;
    try {
      res = step.run(IMPL_SENTINEL, ctx);
    } catch (e) {
      if (e instanceof Pruned) continue;
      return e instanceof FootprintBreach ? broken(e) : 'full'; // a failing step: the full expansion reports it
    }
    if (typeof res !== 'string') return 'full'; // the op returns: the linearizer sees it
    const next = stepIndex.get(res);
    // the cycle proviso: a jump back only to a step not declared thread-local (no loop of them alone)
    if (next === undefined || (next <= pc && steps[next]!.threadLocal)) return 'full';
    live++;
  } while (ctx.nextScript());
  if (ctx.injectCalls !== calls) return broken(new Error('called inject() (the fault budget is shared)'));
  return live > 0 ? 'local' : 'full';
}

/** The steps declared thread-local among `ops` (names as `op.step`). */
export function declaredLocalSteps(ops: Iterable<{ readonly name: string; readonly steps: readonly StepDef<any>[] }>) {
  const out: string[] = [];
  for (const op of ops) for (const s of op.steps) if (s.threadLocal) out.push(`${op.name}.${s.name}`);
  return out;
}

/** Whether a run gets the reduction (a scenario none of whose ops declares a thread-local step does not). */
export function planPor(ops: Iterable<{ readonly name: string; readonly steps: readonly StepDef<any>[] }>): {
  readonly steps: readonly string[];
  readonly reason?: string;
} {
  const steps = declaredLocalSteps(ops);
  if (steps.length > 0) return { steps };
  return { steps, reason: "no step of this scenario's ops is declared thread-local (StepDef.threadLocal)" };
}

/** The result's `por`: `states` is the reduced graph's count. */
export function porResult(
  plan: { readonly steps: readonly string[]; readonly reason?: string },
  states: number,
  reducedExpansions: number,
): PorInfo {
  return {
    applied: plan.reason === undefined,
    ...(plan.reason !== undefined ? { reason: plan.reason } : {}),
    localSteps: [...plan.steps],
    reducedStates: states,
    reducedExpansions,
  };
}
