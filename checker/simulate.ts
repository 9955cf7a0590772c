/**
 * Simulation past the exhaustive limit: random walks over random scenario
 * configurations (swarm testing: each run draws its own threads, op menus and
 * base scenario), driven by fast-check so that a violation shrinks to a
 * minimal scenario plus schedule. Everything is seeded; the seed is reported.
 * Results are SAMPLED: coverage says what the walks reached, nothing more.
 */
import fc from 'fast-check';
import { Product } from './product.js';
import type { OpChoice, Scenario, Subsystem } from './types.js';
import { randomWalk, type Walk } from './strategy/random-walk.js';
import type { Failure } from './model.js';

export interface SimulateOptions {
  readonly seed: number;
  /** Walks (fast-check runs). */
  readonly runs: number;
  /** Steps per walk at most. */
  readonly depth: number;
  readonly variant: string | null;
  /** Random configurations (true) or the default scenarios as they are (false). */
  readonly swarm: boolean;
  /** Swarm: at most this many threads and ops per thread (default: the base scenario's). */
  readonly maxThreads?: number;
  readonly maxOps?: number;
  /** Only these default scenarios as bases. */
  readonly scenarios?: readonly Scenario[];
}

/** What the walks reached, against what the scenarios offered. */
export interface Coverage {
  /** 'op › step' -> times taken; every step of every op offered is listed (0 = never reached). */
  readonly steps: Record<string, number>;
  /** op -> completed calls. */
  readonly ops: Record<string, number>;
  /** op -> return value (JSON) -> count. */
  readonly outcomes: Record<string, Record<string, number>>;
  /** invariant -> [states checked, non-vacuous]. */
  readonly properties: Record<string, [number, number]>;
}

export interface SimulateResult {
  readonly seed: number;
  readonly runs: number;
  readonly steps: number;
  readonly seconds: number;
  readonly coverage: Coverage;
  /** The shrunk counterexample: its scenario and schedule (successor indices). */
  readonly violation?: {
    readonly scenario: Scenario;
    readonly path: readonly number[];
    readonly failure: Failure;
    readonly shrinks: number;
  };
}

interface Config {
  readonly base: number;
  /** Swarm: per thread, the base thread it draws from and its program (indices into that thread's alternatives). */
  readonly threads: readonly { readonly from: number; readonly ops: readonly number[] }[];
  readonly choices: readonly number[];
}

/** Every distinct alternative a thread script offers (its op menu), in first-seen order. */
function alternatives(slots: readonly (readonly OpChoice[])[]): OpChoice[] {
  const seen = new Map<string, OpChoice>();
  for (const slot of slots) for (const c of slot) seen.set(JSON.stringify([c.op, c.args]), c);
  return [...seen.values()];
}

/**
 * Swarm configurations keep each thread to the ops (with their args) of one
 * thread of the base scenario: scenarios give each thread its own resources
 * (its vmas, its files), and two threads mmapping one vma slot would be a
 * program the kernel cannot run, reported as a false violation.
 */
export function configArbitrary(bases: readonly Scenario[], o: SimulateOptions): fc.Arbitrary<Config> {
  return fc.integer({ min: 0, max: bases.length - 1 }).chain((base) => {
    const b = bases[base]!;
    const menus = b.threads.map((t) => alternatives(t));
    const maxOps = o.maxOps ?? Math.max(...b.threads.map((t) => t.length));
    const threads = o.swarm
      ? fc
          .subarray(
            menus.map((_, i) => i),
            { minLength: 1, maxLength: Math.min(menus.length, o.maxThreads ?? menus.length) },
          )
          .chain((from) =>
            fc.tuple(
              ...from.map((t) =>
                fc.record({
                  from: fc.constant(t),
                  ops: fc.array(fc.integer({ min: 0, max: menus[t]!.length - 1 }), { minLength: 1, maxLength: maxOps }),
                }),
              ),
            ),
          )
      : fc.constant([]);
    return fc.record({
      base: fc.constant(base),
      threads,
      choices: fc.array(fc.nat({ max: 0xffff }), { maxLength: o.depth, size: 'max' }),
    });
  });
}

/** The scenario a configuration stands for. */
export function scenarioOf(bases: readonly Scenario[], c: Config, swarm: boolean): Scenario {
  const b = bases[c.base]!;
  if (!swarm) return b;
  const menus = b.threads.map((t) => alternatives(t));
  return {
    name: `sim-${b.name}`,
    description: `simulate: random programs from the threads, params and fault sites of ${b.name}`,
    params: b.params,
    threads: c.threads.map((t) => t.ops.map((i) => [menus[t.from]![i]!])),
    ...(b.faults ? { faults: b.faults } : {}),
  };
}

function emptyCoverage(sub: Subsystem, bases: readonly Scenario[]): Coverage {
  const steps: Record<string, number> = {};
  const ops: Record<string, number> = {};
  for (const b of bases)
    for (const c of alternatives(b.threads.flat())) {
      ops[c.op] = 0;
      for (const s of sub.impl.ops[c.op]?.steps ?? []) steps[`${c.op} › ${s.name}`] = 0;
    }
  const properties: Record<string, [number, number]> = {};
  for (const inv of sub.invariants) properties[inv.name] = [0, 0];
  return { steps, ops, outcomes: {}, properties };
}

function record(cov: Coverage, w: Walk, product: Product): void {
  for (const l of w.labels) {
    const k = `${l.op} › ${l.step}`;
    cov.steps[k] = (cov.steps[k] ?? 0) + 1;
    if (l.ret !== undefined) {
      cov.ops[l.op] = (cov.ops[l.op] ?? 0) + 1;
      const o = (cov.outcomes[l.op] ??= {});
      const r = JSON.stringify(l.ret);
      o[r] = (o[r] ?? 0) + 1;
    }
  }
  for (const s of product.invariantStats) {
    const p = (cov.properties[s.name] ??= [0, 0]);
    p[0] += s.checked;
    p[1] += s.nonTrivial;
  }
}

export function simulate(sub: Subsystem, o: SimulateOptions): SimulateResult {
  const bases = o.scenarios ?? sub.scenarios;
  if (bases.length === 0) throw new Error(`${sub.name} has no scenarios to simulate from`);
  const cov = emptyCoverage(sub, bases);
  const start = performance.now();
  let steps = 0;
  let runs = 0;
  let recording = true;
  const walkOf = (c: Config): { w: Walk; scenario: Scenario } => {
    const scenario = scenarioOf(bases, c, o.swarm);
    const product = new Product(sub, scenario, o.variant);
    const w = randomWalk(product, (n, i) => (i < c.choices.length ? c.choices[i]! : 0) % n, o.depth);
    if (recording) {
      runs++;
      steps += w.labels.length;
      record(cov, w, product);
    }
    return { w, scenario };
  };
  for (const b of bases) new Product(sub, b, o.variant); // a bad scenario or variant is an input error, not a finding
  // Anything a walk throws (rather than reports as a Failure) is an error of mmcheck or of the
  // subsystem's set-up: it must not be shrunk as if it were a violation.
  let escaped: unknown;
  const prop = fc.property(configArbitrary(bases, o), (c) => {
    if (escaped !== undefined) return true;
    try {
      const ok = walkOf(c).w.failure === undefined;
      if (!ok) recording = false; // what follows is shrinking: re-runs, not coverage
      return ok;
    } catch (e) {
      escaped = e;
      return true;
    }
  });
  const details = fc.check(prop, { seed: o.seed, numRuns: o.runs });
  recording = false;
  if (escaped !== undefined) throw escaped;
  let violation: SimulateResult['violation'];
  if (details.failed && details.counterexample) {
    const c = details.counterexample[0];
    const { w, scenario } = walkOf(c);
    if (!w.failure)
      throw new Error('internal: the shrunk counterexample does not fail when re-run (nondeterministic step?)');
    violation = { scenario, path: w.path, failure: w.failure, shrinks: details.numShrinks };
  }
  return {
    seed: o.seed,
    runs,
    steps,
    seconds: (performance.now() - start) / 1000,
    coverage: cov,
    ...(violation ? { violation } : {}),
  };
}
