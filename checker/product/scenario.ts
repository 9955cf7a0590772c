/**
 * A scenario compiled for the product (../product.ts): its ops with their step
 * indices and locals slots, per thread and slot the alternatives it may
 * start (with their spec op ids), the slots each thread must run, the
 * implementation's state schema, the fault budget and sites, the kernel
 * version's lacked fixes, and (with a spec) the spec adapter and linearizer.
 * Everything a bad scenario or registration can get wrong is rejected here,
 * with a ScenarioError naming it, before any state is explored.
 */
import { Linearizer } from '../linearizer.js';
import { compileLocals, type LocalSlots } from '../locals.js';
import type { ProductSharing } from './sharing.js';
import type { Schema } from '../schema.js';
import { SpecAdapter } from '../spec-adapter.js';
import { SharedInternTable } from '../store/shared-intern.js';
import type { ArgValue, Args, OpDef, Scenario, StepDef, Subsystem } from '../types.js';

export class ScenarioError extends Error {}

/** The implementation's state schema for these scenario parameters. */
export function implSchema<G, P>(sub: Subsystem<G, any, P>, params: P): Schema<G> {
  const s = sub.impl.state;
  return typeof s === 'function' ? s(params) : s;
}

export interface CompiledOp {
  readonly name: string;
  readonly def: OpDef<any, any>;
  readonly steps: readonly StepDef<any, any>[];
  readonly stepIndex: ReadonlyMap<string, number>;
  readonly locals: readonly string[];
  /** Reused locals object handed to this op's steps (filled from the state before each call). */
  readonly l: Record<string, number>;
  /** Straight-line load/store of the locals from/to the state vector. */
  readonly slots: LocalSlots;
}

export interface CompiledAlt {
  readonly op: CompiledOp;
  readonly opName: string;
  readonly args: Args;
  /** Operation id in the spec adapter (-1 without spec). */
  readonly specOp: number;
  /**
   * The same number for alternatives with the same op and equal args, in any
   * thread and slot (a step sees only those, never its slot): the step memo
   * shares what a step did between slots by it (../step-memo.ts).
   */
  readonly clause: number;
  /** Set once some explored path started this alternative (a clause never started is vacuous). */
  ran: boolean;
}

export interface CompiledScenario<G> {
  readonly variant: string | null;
  readonly schema: Schema<G>;
  /** Threads. */
  readonly T: number;
  /** Locals words of a thread's control block: the most any op of this scenario declares. */
  readonly L: number;
  readonly ops: Map<string, CompiledOp>;
  /** alts[t][slot][alt] */
  readonly alts: CompiledAlt[][][];
  readonly spec?: SpecAdapter;
  readonly lin?: Linearizer;
  /** Per thread, the slots it must run (scenario.minOps); past them it may stop. */
  readonly mustRun: Int32Array;
  /** Some thread may stop early (a menu thread with min < max). */
  readonly hasMenus: boolean;
  readonly faultBudget: number;
  readonly faultSites: readonly string[];
  /** The fixes the scenario's kernel version lacks (their variants' behaviour is on). */
  readonly lacks: ReadonlySet<string>;
}

/** The scenario's tables; a ScenarioError for anything that cannot be explored as given. */
export function compileScenario<G>(
  sub: Subsystem<G, any, any>,
  scenario: Scenario<any>,
  variant: string | null,
  sharing?: ProductSharing,
): CompiledScenario<G> {
  if (variant !== null && !sub.variants.some((v) => v.name === variant))
    throw new ScenarioError(
      `unknown variant '${variant}' for ${sub.name} (known: ${sub.variants.map((v) => v.name).join(', ') || 'none'})`,
    );
  let schema: Schema<G>;
  try {
    schema = implSchema(sub, scenario.params);
  } catch (e) {
    throw new ScenarioError(`${sub.name}: state schema for these params: ${(e as Error).message}`);
  }
  if (scenario.threads.length === 0) throw new ScenarioError(`scenario '${scenario.name}' has no threads`);
  if (scenario.threads.length > 8) throw new ScenarioError(`scenario '${scenario.name}' has more than 8 threads`);
  const T = scenario.threads.length;
  const ops = compileOps(sub);
  // Each thread reserves room for the most locals any op of *this scenario* uses.
  let L = 0;
  for (const script of scenario.threads)
    for (const slot of script) for (const c of slot) L = Math.max(L, ops.get(c.op)?.locals.length ?? 0);
  const spec = compileSpec(sub, scenario, sharing);
  const alts = compileAlts(sub, scenario, ops, spec);
  const lin =
    spec &&
    new Linearizer(
      spec,
      T,
      sharing && { configs: new SharedInternTable(sharing.configs), sets: new SharedInternTable(sharing.sets) },
    );
  const mustRun = compileMustRun(scenario);
  return {
    variant,
    schema,
    T,
    L,
    ops,
    alts,
    ...(spec ? { spec } : {}),
    ...(lin ? { lin } : {}),
    mustRun,
    hasMenus: mustRun.some((m, t) => m < scenario.threads[t]!.length),
    faultBudget: scenario.faults?.budget ?? 0,
    faultSites: scenario.faults?.sites ?? [],
    lacks: kernelLacks(sub, scenario.kernelVersion),
  };
}

/** Every op of the implementation with its steps indexed by name and its locals compiled to slots. */
function compileOps(sub: Subsystem<any, any, any>): Map<string, CompiledOp> {
  const ops = new Map<string, CompiledOp>();
  for (const [name, def] of Object.entries(sub.impl.ops)) {
    if (def.steps.length === 0) throw new ScenarioError(`${sub.name}: op '${name}' has no steps`);
    const stepIndex = new Map<string, number>();
    def.steps.forEach((s, i) => {
      if (stepIndex.has(s.name)) throw new ScenarioError(`${sub.name}: op '${name}' has two steps named '${s.name}'`);
      stepIndex.set(s.name, i);
    });
    const locals = def.locals ?? [];
    const slots = compileLocals(locals);
    ops.set(name, { name, def, steps: def.steps, stepIndex, locals, l: slots.l, slots });
  }
  return ops;
}

/** The spec adapter (ids from the shared tables in a parallel search); undefined without a spec. */
function compileSpec(
  sub: Subsystem<any, any, any>,
  scenario: Scenario<any>,
  sharing: ProductSharing | undefined,
): SpecAdapter | undefined {
  if (!sub.spec) return undefined;
  if (!sub.abstraction) throw new ScenarioError(`${sub.name}: a spec needs an abstraction function`);
  try {
    return new SpecAdapter(
      sub.spec,
      scenario.params,
      sharing && {
        views: new SharedInternTable(sharing.views),
        rets: new SharedInternTable(sharing.rets),
        contexts: new SharedInternTable(sharing.contexts),
      },
    );
  } catch (e) {
    throw new ScenarioError(`${sub.name}: ${(e as Error).message}`);
  }
}

/** alts[t][slot][alt]: the op and args of each alternative of each slot of each thread's script. */
function compileAlts(
  sub: Subsystem<any, any, any>,
  scenario: Scenario<any>,
  ops: Map<string, CompiledOp>,
  spec: SpecAdapter | undefined,
): CompiledAlt[][][] {
  const clauses = new Map<string, number>();
  const clauseOf = (op: string, args: Args): number => {
    const key = JSON.stringify([
      op,
      Object.entries(args)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, argKey(v)]),
    ]);
    let id = clauses.get(key);
    if (id === undefined) {
      id = clauses.size;
      clauses.set(key, id);
    }
    return id;
  };
  return scenario.threads.map((script, t) =>
    script.map((slot, s) => {
      if (slot.length === 0)
        throw new ScenarioError(`scenario '${scenario.name}': thread ${t} slot ${s} has no alternatives`);
      return slot.map((choice) => {
        const op = ops.get(choice.op);
        if (!op)
          throw new ScenarioError(
            `scenario '${scenario.name}': unknown op '${choice.op}' for ${sub.name} (ops: ${[...ops.keys()].join(', ')})`,
          );
        return {
          op,
          opName: choice.op,
          args: Object.freeze({ ...choice.args }),
          specOp: spec ? spec.opId(choice.op, choice.args) : -1,
          clause: clauseOf(choice.op, choice.args),
          ran: false,
        };
      });
    }),
  );
}

/** An arg value as a string that tells apart every two values a step could tell apart (0 and -0, 1 and '1'). */
function argKey(v: unknown): string {
  return Object.is(v, -0) ? '-0' : `${typeof v}:${String(v)}`;
}

/** Per thread, the slots it must run: scenario.minOps, else its whole script. */
function compileMustRun(scenario: Scenario<any>): Int32Array {
  return Int32Array.from(scenario.threads, (script, t) => {
    const m = scenario.minOps?.[t];
    if (m === undefined || m === null) return script.length;
    if (!Number.isInteger(m) || m < 0)
      throw new ScenarioError(
        `scenario '${scenario.name}': minOps[${t}] must be a non-negative integer, got ${String(m)}`,
      );
    return Math.min(m, script.length); // --ops may have cut the script below its minimum: it runs every slot left
  });
}

/** The fixes a scenario's kernel version lacks (unknown version: a ScenarioError naming the known ones). */
function kernelLacks(sub: Subsystem<any, any, any>, version: string | undefined): ReadonlySet<string> {
  const kv = sub.kernelVersions;
  if (version === undefined) return new Set(kv?.versions.find((v) => v.name === kv.default)?.lacks ?? []);
  const v = kv?.versions.find((x) => x.name === version);
  if (!v)
    throw new ScenarioError(
      `${sub.name} does not model kernel version '${version}' (known: ${kv?.versions.map((x) => x.name).join(', ') || 'none'})`,
    );
  return new Set(v.lacks);
}

export function fmtArgs(a: Args): string {
  return Object.entries(a)
    .map(([k, v]) => `${k}=${v as ArgValue}`)
    .join(', ');
}
