/**
 * Is a race's outcome distinctive? Seeing the counterexample's outcome on a
 * kernel shows the violation only when no *violation-free* interleaving of
 * the same operations in the implementation ends the same way. This searches
 * the implementation's interleavings of the race script's operations (each
 * thread in its order, each operation started only after the operations the
 * counterexample finished before it: the happens-before order the probe
 * keeps), every nondeterministic branch included, pruning every path on
 * which the implementation breaks a property (invariant, refinement,
 * linearizability). A path that reaches the end with every operation
 * finished and ends with the outcome (every return value, the final
 * counters) is a match.
 *
 * Sequential interleavings (one operation at a time) are searched first, so
 * a match is reported as "one after another" where one exists. Then the
 * sequential orders again without pruning: one that breaks a property and
 * ends with the outcome shows the violation without any race (a race run
 * seeing it reproduces a bug, but not the race). Only then every
 * interleaving, pruned. Each search is bounded by the number of states it
 * visits; past the bound, not every order was tried, and the caller must not
 * call the outcome distinctive.
 */
import { Product } from '../checker/product.js';
import type { StepLabel } from '../checker/result.js';
import type { Scenario, Subsystem } from '../checker/types.js';
import type { KernelMapping, KernelScript } from './types.js';

/** The outcome a race run ends with (kernel/race.ts RaceOutcome). */
export interface Outcome {
  readonly returns: readonly string[];
  readonly counters: Readonly<Record<string, number>>;
}

/** States each of the three searches (sequential, sequential unpruned, then all interleavings) may visit. */
export const INTERLEAVING_CAP = 20_000;

export type SearchResult =
  | {
      readonly kind: 'match';
      readonly sequential: boolean;
      /** The matching order breaks a property (found by the unpruned sequential search). */
      readonly violating?: boolean;
      readonly order: string;
    }
  | { readonly kind: 'none' }
  | { readonly kind: 'capped'; readonly why: string };

/** Failures that break a property of a path that still runs on (the unpruned search follows them). */
const PROPERTY: ReadonlySet<string> = new Set(['refinement', 'linearizability']);

interface Path {
  readonly vec: Int32Array;
  readonly rets: readonly (string | undefined)[];
  /** Steps finished, and the step each thread has in flight. */
  readonly finished: readonly number[];
  readonly inFlight: ReadonlyMap<number, number>;
  /** Steps in the order they finished, for the report. */
  readonly order: readonly number[];
}

/** The scenario of the script's operations alone: thread t runs its steps in order. */
function scriptScenario(scenario: Scenario, script: KernelScript): { sc: Scenario; stepOf: number[][] } {
  const c = script.concurrency!;
  const n = Math.max(0, ...c.threadOf) + 1;
  const stepOf: number[][] = Array.from({ length: n }, () => []);
  script.steps.forEach((_, k) => stepOf[c.threadOf[k]!]!.push(k));
  const threads = stepOf.map((ks) => ks.map((k) => [{ op: script.steps[k]!.op, args: script.steps[k]!.args }]));
  const { faults: _f, minOps: _m, ...rest } = scenario;
  return { sc: { ...rest, params: script.params, threads }, stepOf };
}

/**
 * The first violation-free interleaving of the script's operations in the
 * implementation that ends with `want`: sequential ones first; between them
 * and the others, a sequential order that breaks a property and ends with
 * `want` (`violating`: the violation needs no race).
 */
export function violationFreeMatch(
  sub: Subsystem,
  scenario: Scenario,
  variant: string | null,
  mapping: KernelMapping<any>,
  script: KernelScript,
  want: Outcome,
  cap = INTERLEAVING_CAP,
): SearchResult {
  const { sc, stepOf } = scriptScenario(scenario, script);
  const product = new Product(sub, sc, variant);
  const name = (order: readonly number[]): string => order.map((k) => `${script.steps[k]!.op}#${k}`).join(', ');
  const passes = [
    { sequential: true, prune: true },
    { sequential: true, prune: false },
    { sequential: false, prune: true },
  ];
  for (const { sequential, prune } of passes) {
    const r = search(product, sc, mapping, script, stepOf, want, { sequential, prune }, cap);
    if (r === 'capped')
      return {
        kind: 'capped',
        why: `the search of the implementation's ${sequential ? 'sequential orders' : 'interleavings'} of these operations stopped at ${cap} states`,
      };
    if (r) return { kind: 'match', sequential, ...(prune ? {} : { violating: true }), order: name(r) };
  }
  return { kind: 'none' };
}

/**
 * Depth-first search (`prune`: drop every path that breaks a property); the finishing order of a match,
 * undefined for none, 'capped' past the bound.
 */
function search(
  product: Product,
  sc: Scenario,
  mapping: KernelMapping<any>,
  script: KernelScript,
  stepOf: readonly (readonly number[])[],
  want: Outcome,
  { sequential, prune }: { readonly sequential: boolean; readonly prune: boolean },
  cap: number,
): readonly number[] | undefined | 'capped' {
  const c = script.concurrency!;
  const init = product.initial();
  if (init.failure) return undefined;
  const stack: Path[] = [
    { vec: init.vec, rets: script.steps.map(() => undefined), finished: [], inFlight: new Map(), order: [] },
  ];
  const seen = new Set<string>();
  while (stack.length > 0) {
    const p = stack.pop()!;
    const key = `${p.vec.join(',')}|${p.rets.join(',')}`;
    if (seen.has(key)) continue;
    if (seen.size >= cap) return 'capped';
    seen.add(key);
    const next: Path[] = [];
    product.expand(
      p.vec,
      0,
      p.vec.length,
      (s, lab) => {
        // a step that threw ends the path; a broken property (refinement, linearizability) only when pruning
        if (!lab || (s.failure && (prune || !PROPERTY.has(s.failure.kind)))) return;
        const q = advance(p, lab, s.buf.slice(0, s.len), stepOf, c.after, sequential, mapping, script);
        if (q && (!prune || !product.checkState(q.vec, 0, s.impl))) next.push(q);
      },
      true,
    );
    if (next.length === 0 && p.finished.length === script.steps.length) {
      const counters = mapping.predict(product.decodeImpl(p.vec, 0), sc.params, product.sub);
      const same =
        want.returns.every((r, i) => r === p.rets[i]) &&
        Object.entries(want.counters).every(([k, v]) => counters[k] === v);
      if (same) return p.order;
    }
    for (let i = next.length - 1; i >= 0; i--) stack.push(next[i]!);
  }
  return undefined;
}

/** The path after one labelled step, or undefined when the step breaks the happens-before order. */
function advance(
  p: Path,
  lab: StepLabel,
  vec: Int32Array,
  stepOf: readonly (readonly number[])[],
  after: readonly (readonly number[])[],
  sequential: boolean,
  mapping: KernelMapping<any>,
  script: KernelScript,
): Path | undefined {
  const inFlight = new Map(p.inFlight);
  if (lab.invoked) {
    const k = stepOf[lab.tid]![lab.slot]!;
    if (!after[k]!.every((j) => p.finished.includes(j))) return undefined;
    if (sequential && inFlight.size > 0) return undefined;
    inFlight.set(lab.tid, k);
  }
  if (lab.ret === undefined) return { ...p, vec, inFlight };
  const k = inFlight.get(lab.tid)!;
  inFlight.delete(lab.tid);
  const rets = p.rets.slice();
  rets[k] = mapping.retOf(lab.ret, script.steps[k]?.op);
  return { vec, rets, inFlight, finished: [...p.finished, k], order: [...p.order, k] };
}
