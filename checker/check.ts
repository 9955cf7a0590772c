/**
 * checkScenario: strategy -> model -> store. The scenario becomes a Product
 * model (product.ts); a strategy (strategy/bfs.ts by default, strategy/dfs.ts)
 * explores it with a visited store (store/visited.ts: exact 64-bit
 * fingerprints, or bitstate); the result says which ran and what that means
 * for completeness. A counterexample is rebuilt from the strategy's path of
 * successor indices by re-expansion with labels.
 *
 * checkScenarioParallel: the same scenario explored by strategy/parallel-bfs.ts
 * in N worker threads, each building the Product from the registry module
 * (product/source.ts) with ids from tables shared by all (ProductSharing).
 */
import { alternativeImpl } from './impls.js';
import { collisionProbability } from './fingerprint.js';
import type { Failure, Model } from './model.js';
import { evalInvariants } from './properties.js';
import { createProductSharing, Product } from './product.js';
import type { ProductSourceArgs } from './product/source.js';
import type { CheckResult, SearchInfo, StepLabel, TraceState, Violation } from './result.js';
import { bfs } from './strategy/bfs.js';
import { dfs } from './strategy/dfs.js';
import { parallelBfs, type ParallelOptions } from './strategy/parallel-bfs.js';
import type { Progress, SearchOutcome } from './strategy/search.js';
import type { ThreadCpu } from './strategy/thread-cpu.js';
import { BitstateStore, ExactStore, type VisitedStore } from './store/visited.js';
import { planPor, porResult } from './por.js';
import { symmetricModel, symmetryResult, type SymmetryRun } from './symmetry-run.js';
import type { Scenario, Subsystem } from './types.js';

export { evalInvariants };
export type { Progress };

export interface CheckOptions {
  variant?: string | null;
  /** Stop (non-exhaustive) after this many distinct states. */
  maxStates?: number;
  /** Stop (non-exhaustive) after this many seconds. */
  timeLimitSeconds?: number;
  /** Called about once a second while running. */
  progress?: (p: Progress) => void;
  /** 'bfs' (default: shortest counterexamples) or 'dfs' (memory bounded by depth; not shortest). */
  strategy?: 'bfs' | 'dfs';
  /** DFS only: do not expand states deeper than this (the run is then not exhaustive). */
  maxDepth?: number;
  /** Bitstate hashing with 2^bitstate bits (SPIN -w): fixed memory, may omit states (reported). */
  bitstate?: number;
  /** Shared watch word naming the step being run (see Product.watch). */
  watch?: Int32Array;
  /** Shared stop flag: when stop[0] becomes non-zero the search ends as 'interrupted' (SIGINT/SIGTERM). */
  stop?: Int32Array;
  /**
   * false: run every step instead of replaying it from the step memo
   * (step-memo.ts); 'always': use it whatever the impl state's size. Same results.
   */
  stepMemo?: boolean | 'always';
  /** Symmetry reduction over identical threads (symmetry.ts); the result's `symmetry` says whether it applied. */
  symmetry?: boolean;
  /** Partial-order reduction (por.ts); the result's `por` says whether it applied and what it reduced. */
  por?: boolean;
}

export interface ParallelCheckOptions extends Omit<CheckOptions, 'strategy' | 'maxDepth' | 'bitstate'> {
  /** Worker threads (BFS with the exact store only). */
  workers: number;
  /** A module exporting `registry: Subsystem[]` holding `sub` (by name), for the workers to load. */
  registryModule: string;
  /** Levels the coordinator expands itself (default 'auto': while the workers start) and more: see parallel-bfs.ts. */
  parallel?: ParallelOptions;
}

function limitsOf(opts: CheckOptions) {
  return {
    ...(opts.maxStates !== undefined ? { maxStates: opts.maxStates } : {}),
    ...(opts.timeLimitSeconds !== undefined ? { timeLimitSeconds: opts.timeLimitSeconds } : {}),
    ...(opts.progress ? { progress: opts.progress } : {}),
    ...(opts.stop ? { stop: opts.stop } : {}),
  };
}

/** The module defining subsystem `name`, when the registry module names one (its `subsystemModules`). */
async function subsystemModuleOf(registryModule: string, name: string): Promise<string | undefined> {
  const m = (await import(registryModule)) as { subsystemModules?: Readonly<Record<string, string>> };
  return m.subsystemModules?.[name];
}

/**
 * The scenario explored by a BFS in `opts.workers` threads: the same states,
 * transitions, verdict, tallies and counterexample as checkScenario's BFS.
 */
export async function checkScenarioParallel<G extends object, C, P>(
  sub: Subsystem<G, C, P>,
  scenario: Scenario<P>,
  opts: ParallelCheckOptions,
): Promise<CheckResult> {
  if (opts.por) throw new Error('partial-order reduction (por) runs with one worker only');
  const sharing = createProductSharing();
  const product = new Product<G>(sub, scenario, opts.variant ?? null, sharing);
  product.watch = opts.watch;
  const sym = opts.symmetry ? symmetricModel(sub, scenario, product) : undefined;
  const start = performance.now();
  const impl = alternativeImpl(sub as Subsystem);
  const subsystemModule = await subsystemModuleOf(opts.registryModule, sub.name);
  const args: ProductSourceArgs = {
    registryModule: opts.registryModule,
    ...(subsystemModule !== undefined ? { subsystemModule } : {}),
    subsystem: sub.name,
    ...(impl !== undefined ? { impl } : {}),
    scenario: scenario as Scenario,
    variant: product.variant,
    sharing,
    ...(opts.watch ? { watch: opts.watch } : {}),
    ...(sym?.model ? { symmetry: true } : {}),
  };
  const here = import.meta.url;
  const source = { module: new URL(`./product/source.${here.endsWith('.ts') ? 'ts' : 'js'}`, here).href, args };
  const out = await parallelBfs(sym?.model ?? product, source, opts.workers, limitsOf(opts), opts.parallel);
  return resultOf(sub, scenario, product, out, (performance.now() - start) / 1000, 'bfs', opts.workers, sym);
}

export function checkScenario<G extends object, C, P>(
  sub: Subsystem<G, C, P>,
  scenario: Scenario<P>,
  opts: CheckOptions = {},
): CheckResult {
  const product = new Product<G>(sub, scenario, opts.variant ?? null);
  product.watch = opts.watch;
  if (opts.stepMemo !== undefined) product.setStepMemo(opts.stepMemo);
  if (opts.por && opts.symmetry) throw new Error('partial-order reduction (por) and symmetry cannot be combined yet');
  const por = opts.por ? planPor(new Set(product.alts.flat(2).map((a) => a.op))) : undefined;
  if (por && por.reason === undefined) product.setPor(true);
  const sym = opts.symmetry ? symmetricModel(sub, scenario, product) : undefined;
  const model: Model = sym?.model ?? product;
  const start = performance.now();
  const visited: VisitedStore =
    opts.bitstate !== undefined ? new BitstateStore(opts.bitstate) : new ExactStore(1 << 16);
  const limits = limitsOf(opts);
  const strategy = opts.strategy ?? 'bfs';
  const out: SearchOutcome =
    strategy === 'dfs'
      ? dfs(model, visited, { ...limits, ...(opts.maxDepth !== undefined ? { maxDepth: opts.maxDepth } : {}) })
      : bfs(model, visited, limits);
  return resultOf(sub, scenario, product, out, (performance.now() - start) / 1000, strategy, 1, sym, por);
}

/** SearchInfo.stepMemo: the product's own figures, or with a parallel search's per-thread ones, theirs. */
function stepMemoStats(product: Product, t: ThreadCpu | undefined): NonNullable<SearchInfo['stepMemo']> {
  const sum = (a: readonly number[]) => a.reduce((x, y) => x + y, 0);
  const misses = t?.cacheMisses ? sum(t.cacheMisses) : product.cacheMisses;
  const drops = t?.cacheDrops ? sum(t.cacheDrops) : product.cacheDrops;
  const peak = t?.cachePeakBytes ? Math.max(...t.cachePeakBytes) : product.cachePeakBytes;
  return { misses, drops, peakMiB: Math.round((10 * peak) / (1 << 20)) / 10 };
}

/** The result of a search over the scenario's Product. */
function resultOf<G extends object, C, P>(
  sub: Subsystem<G, C, P>,
  scenario: Scenario<P>,
  product: Product<G>,
  out: SearchOutcome,
  seconds: number,
  strategy: 'bfs' | 'dfs',
  workers: number,
  sym?: SymmetryRun,
  por?: ReturnType<typeof planPor>,
): CheckResult {
  sym?.model?.mergeClauseRuns();
  const porInfo = por && porResult(por, out.states, product.porReduced); // before the trace re-expands
  // taken before the counterexample is rebuilt: re-expanding its path would count pruned paths again
  const preconditions = [...product.pruned].map(([text, count]) => ({ text, count }));
  const invariants = product.invariantStats.map((s) => ({ ...s }));
  let violation: Violation | undefined;
  if (out.found) {
    const { states, transitions, last } = followEdges(sym?.model ?? product, out.found.path);
    const f = sym?.model ? sym.model.realFailure(out.found.failure, last) : out.found.failure;
    violation = { kind: f.kind, property: f.property, message: f.message, trace: { states, transitions } };
  }
  const search: SearchInfo = {
    strategy,
    workers,
    visited: out.visitedKind,
    // a reduced graph's shortest counterexample need not be the full graph's
    shortestCounterexample: out.shortest && !(porInfo && porInfo.reducedExpansions > 0),
    ...(out.omission ? { omission: out.omission } : {}),
    ...(out.threadCpu ? { threadCpu: out.threadCpu } : {}),
    ...(out.solo ? { solo: out.solo } : {}),
    ...(product.stepMemoOn ? { stepMemo: stepMemoStats(product, out.threadCpu) } : {}),
  };
  const states = out.states;
  return {
    subsystem: sub.name,
    ...(alternativeImpl(sub) !== undefined ? { impl: alternativeImpl(sub) } : {}),
    scenario: scenario.name,
    scenarioDescription: scenario.description,
    variant: product.variant,
    bounds: {
      threads: product.T,
      opsPerThread: scenario.threads.map((t) => t.length),
      ...(product.hasMenus ? { minOpsPerThread: Array.from(product.mustRun) } : {}),
      params: scenario.params,
      faultBudget: product.faultBudget,
      faultSites: product.faultSites,
      ...(product.faultBudget > 0 ? { faultSitesNeverReached: product.faultSitesNeverReached() } : {}),
      clausesNeverRun: product.clausesNeverRun(),
    },
    stopReason: out.stop,
    // bitstate may have omitted states: a complete bitstate run is still not exhaustive
    exhaustive: out.stop === 'complete' && out.visitedKind === 'exact',
    states,
    transitions: out.transitions,
    maxDepth: out.maxDepth,
    seconds,
    statesPerSecond: seconds > 0 ? states / seconds : states,
    collisionProbability: collisionProbability(states, out.transitions),
    bytesPerState: out.storeBytes / states,
    peakFrontierBytes: out.peakFrontierBytes,
    refinement: product.spec ? 'linearizability+abstraction' : 'none (no spec)',
    specStates: product.spec ? product.spec.views.size : 0,
    invariants,
    preconditions,
    search,
    ...(sym ? { symmetry: symmetryResult(sym, states) } : {}),
    ...(porInfo ? { por: porInfo } : {}),
    ...(violation ? { violation } : {}),
  };
}

/** Re-execute a path of successor indices from the initial state. */
export function followEdges(
  product: Model,
  path: readonly number[],
): { states: TraceState[]; transitions: StepLabel[]; last: { vec: Int32Array; failure?: Failure } } {
  let vec = product.initial().vec;
  const states: TraceState[] = [product.traceState(vec)];
  const transitions: StepLabel[] = [];
  let failure: Failure | undefined;
  for (const want of path) {
    const hit = product.pick(vec, (_l, i) => i === want);
    if (!hit) throw new Error('internal: counterexample path is not reproducible (nondeterministic step?)');
    vec = hit.vec;
    failure = hit.failure;
    transitions.push(hit.label);
    states.push(product.traceState(vec));
  }
  return { states, transitions, last: { vec, ...(failure ? { failure } : {}) } };
}
