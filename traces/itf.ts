/**
 * Counterexamples as ITF, the Informal Trace Format (Apalache ADR-015, files
 * ending in `.itf.json`), so that the ITF Trace Viewer, jq and itf-py read them
 * unchanged, and so that `mmcheck replay FILE` can re-execute one.
 *
 * Layout of a trace written by mmcheck:
 *
 *   {
 *     "#meta": { format: "ITF", "format-description", source: "mmcheck", description,
 *                subsystem, scenario: {name, description, params, threads, faults},
 *                variant, property, violation: {kind, property, message},
 *                bounds, stopReason, exhaustive, varTypes, ... },
 *     "vars": ["impl", "threads", "abstract"?, "spec", "faultsUsed"],
 *     "states": [
 *       { "#meta": {index: 0}, impl, threads, abstract?, spec, faultsUsed },
 *       { "#meta": {index: 1, thread, op, args, slot, alt, step, choices, injected,
 *                   ret?, invoked}, ... },        // the transition that led here
 *       ...
 *     ]
 *   }
 *
 * The schedule (the StepLabels) is the `#meta` of states 1..n, so a trace is its
 * own replay artifact: `scheduleOf(itf)` plus `scenarioOf(itf)`.
 *
 * Integers: ADR-015 allows a plain JSON number only within ±(2^53−1) and
 * `{"#bigint": "..."}` for any integer. We write every integer that is a safe
 * JS integer as a JSON number (readable, jq-friendly; every state field of the
 * checker is an Int32 so this is the common case) and anything outside that
 * range, including JS `bigint`s, as `#bigint`. Readers accept both forms.
 *
 * `#meta` objects are free JSON (not ITF expressions), except that values that
 * come from user data (scenario params, bounds.params) go through the same
 * generic converter so they survive bigints and `null`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CheckResult, StepLabel, ThreadView, ViolationKind } from '../checker/result.js';
import type { ItfExpr, Schema } from '../checker/schema.js';
import type { Args, RetValue, Scenario, ThreadScript } from '../checker/types.js';
import { ItfError, MMCHECK_VARS, plainToItf } from './itf-expr.js';
import { validateItf } from './itf-read.js';

export * from './itf-expr.js';
export * from './itf-read.js';

// ---------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------

/** State `#meta`. For index > 0 it carries the transition that led to the state. */
export interface ItfStateMeta {
  readonly index: number;
  /** Thread that moved (StepLabel.tid). */
  readonly thread?: number;
  readonly op?: string;
  readonly args?: Args;
  readonly slot?: number;
  readonly alt?: number;
  readonly step?: string;
  readonly choices?: readonly number[];
  readonly injected?: readonly string[];
  /** Present (possibly `null`) only when this step finished the operation. */
  readonly ret?: RetValue;
  readonly invoked?: boolean;
}

export interface ItfState {
  readonly '#meta': ItfStateMeta;
  readonly [variable: string]: ItfExpr | ItfStateMeta;
}

/** The scenario as stored in `#meta.scenario` (params through the generic converter). */
export interface ItfScenario {
  readonly name: string;
  readonly description: string;
  readonly params: ItfExpr;
  /** Absent when the trace was written without the scenario object (then it cannot be replayed). */
  readonly threads?: readonly ThreadScript[];
  readonly faults?: { readonly budget: number; readonly sites: readonly string[] };
  /** The kernel version the implementation modelled (Scenario.kernelVersion, --kernel-version), when set. */
  readonly kernelVersion?: string;
}

export interface ItfTraceMeta {
  readonly format: 'ITF';
  readonly 'format-description': string;
  readonly source: 'mmcheck';
  readonly description: string;
  readonly timestamp?: string;
  readonly subsystem: string;
  /** The alternative implementation the trace was found in (Subsystem.impls); absent for the main one. */
  readonly impl?: string;
  readonly scenario: ItfScenario;
  readonly variant: string | null;
  /** The property violated (invariant name, or the kind for built-in properties). */
  readonly property: string;
  readonly violation: { readonly kind: ViolationKind; readonly property: string; readonly message: string };
  readonly bounds: {
    readonly threads: number;
    readonly opsPerThread: readonly number[];
    readonly params: ItfExpr;
    readonly faultBudget: number;
    readonly faultSites: readonly string[];
  };
  readonly stopReason: CheckResult['stopReason'];
  readonly exhaustive: boolean;
  readonly refinement: CheckResult['refinement'];
  /** Number of transitions in the trace (states.length - 1). */
  readonly length: number;
  /** False when no state carried spec views (no spec registered): `spec` is then an empty set. */
  readonly hasSpec?: boolean;
  /** Variable name to a type description (Apalache requires this key). */
  readonly varTypes: Readonly<Record<string, string>>;
  readonly [key: string]: unknown;
}

export interface ItfTrace {
  readonly '#meta': ItfTraceMeta;
  readonly params?: readonly string[];
  readonly vars: readonly string[];
  readonly states: readonly ItfState[];
  readonly loop?: number;
}

export interface ToItfOptions {
  /** The subsystem's impl schema: `impl` is written with `schema.toItf` (sets as `#set`, ...). */
  readonly implSchema?: Schema<unknown>;
  /**
   * The full scenario that was checked. Needed for replay: without it the trace
   * records only what the result knows (name, description, params, faults) and
   * `scenarioOf` refuses to rebuild the thread scripts.
   */
  readonly scenario?: Scenario<unknown>;
  /** ISO timestamp for `#meta.timestamp`; omitted when not given (keeps files reproducible). */
  readonly timestamp?: string;
}

export const ITF_FORMAT_DESCRIPTION =
  'https://apalache-mc.org/docs/adr/015adr-trace.html (ADR-015); integers are JSON numbers within ±(2^53-1), #bigint otherwise';

const THREADS_TYPE =
  'Seq([tid: Int, slot: Int, finished: Bool, op?: Str, args?: Str -> (Int|Str|Bool), pc?: Str, locals?: Str -> Int])';

// ---------------------------------------------------------------------------
// CheckResult -> ITF
// ---------------------------------------------------------------------------

function threadToItf(t: ThreadView): ItfExpr {
  const out: Record<string, ItfExpr> = { tid: t.tid, slot: t.slot, finished: t.finished };
  if (t.op !== undefined) out['op'] = t.op;
  if (t.args !== undefined) out['args'] = plainToItf(t.args);
  if (t.pc !== undefined) out['pc'] = t.pc;
  if (t.locals !== undefined) out['locals'] = plainToItf(t.locals);
  return out;
}

function stepMeta(index: number, l: StepLabel): ItfStateMeta {
  const m: Record<string, unknown> = {
    index,
    thread: l.tid,
    op: l.op,
    args: { ...l.args },
    slot: l.slot,
    alt: l.alt,
    step: l.step,
    choices: [...l.choices],
    injected: [...l.injected],
  };
  if ('ret' in l && l.ret !== undefined) m['ret'] = l.ret;
  m['invoked'] = l.invoked;
  return m as unknown as ItfStateMeta;
}

function scenarioMeta(result: CheckResult, scenario: Scenario<unknown> | undefined): ItfScenario {
  if (scenario) {
    if (scenario.name !== result.scenario)
      throw new ItfError(`scenario '${scenario.name}' given for a result of scenario '${result.scenario}'`);
    const s: ItfScenario = {
      name: scenario.name,
      description: scenario.description,
      params: plainToItf(scenario.params),
      threads: scenario.threads.map((t) => t.map((slot) => slot.map((c) => ({ op: c.op, args: { ...c.args } })))),
      ...(scenario.faults ? { faults: { budget: scenario.faults.budget, sites: [...scenario.faults.sites] } } : {}),
      ...(scenario.kernelVersion !== undefined ? { kernelVersion: scenario.kernelVersion } : {}),
    };
    return s;
  }
  return {
    name: result.scenario,
    description: result.scenarioDescription,
    params: plainToItf(result.bounds.params),
    ...(result.bounds.faultBudget > 0 || result.bounds.faultSites.length > 0
      ? { faults: { budget: result.bounds.faultBudget, sites: [...result.bounds.faultSites] } }
      : {}),
  };
}

/** The counterexample of `result` as an ITF trace. Throws ItfError when the result has no violation. */
export function toItf(result: CheckResult, opts: ToItfOptions = {}): ItfTrace {
  const v = result.violation;
  if (!v) throw new ItfError(`result of ${result.subsystem}/${result.scenario} has no violation: no trace to export`);
  const { states, transitions } = v.trace;
  if (states.length === 0) throw new ItfError('violation trace has no states');
  if (transitions.length !== states.length - 1)
    throw new ItfError(`violation trace has ${states.length} states but ${transitions.length} transitions`);

  const hasAbstract = states.some((s) => s.abstract !== undefined);
  const hasSpec = states.some((s) => s.spec !== undefined);
  const vars = hasAbstract ? ['impl', 'threads', 'abstract', 'spec', 'faultsUsed'] : [...MMCHECK_VARS];
  const schema = opts.implSchema;
  const implToItf = (x: unknown): ItfExpr => (schema ? schema.toItf(x) : plainToItf(x));

  const itfStates: ItfState[] = states.map((s, i) => {
    const out: Record<string, unknown> = {
      '#meta': i === 0 ? { index: 0 } : stepMeta(i, transitions[i - 1]!),
      impl: implToItf(s.impl),
      threads: s.threads.map(threadToItf),
    };
    if (hasAbstract) out['abstract'] = plainToItf(s.abstract);
    out['spec'] = { '#set': (s.spec ?? []).map(plainToItf) };
    out['faultsUsed'] = plainToItf(s.faultsUsed);
    return out as unknown as ItfState;
  });

  const varTypes: Record<string, string> = {
    impl: schema ? schema.describe() : 'Untyped (generic plain data)',
    threads: THREADS_TYPE,
  };
  if (hasAbstract) varTypes['abstract'] = 'Untyped (spec view, generic plain data)';
  varTypes['spec'] = 'Set(spec view)';
  varTypes['faultsUsed'] = 'Int';

  const b = result.bounds;
  const meta: ItfTraceMeta = {
    format: 'ITF',
    'format-description': ITF_FORMAT_DESCRIPTION,
    source: 'mmcheck',
    description: `${v.kind} violation of ${v.property} in ${result.subsystem}/${result.scenario}${
      result.impl ? ` (impl ${result.impl})` : ''
    }${result.variant ? ` (variant ${result.variant})` : ''}: ${transitions.length} steps`,
    ...(opts.timestamp ? { timestamp: opts.timestamp } : {}),
    subsystem: result.subsystem,
    ...(result.impl ? { impl: result.impl } : {}),
    scenario: scenarioMeta(result, opts.scenario),
    variant: result.variant,
    property: v.property,
    violation: { kind: v.kind, property: v.property, message: v.message },
    bounds: {
      threads: b.threads,
      opsPerThread: [...b.opsPerThread],
      params: plainToItf(b.params),
      faultBudget: b.faultBudget,
      faultSites: [...b.faultSites],
    },
    stopReason: result.stopReason,
    exhaustive: result.exhaustive,
    refinement: result.refinement,
    length: transitions.length,
    hasSpec,
    varTypes,
  };
  const trace: ItfTrace = { '#meta': meta, vars, states: itfStates };
  // Never write something our own reader would reject.
  validateItf(trace);
  return trace;
}

/**
 * JSON text for a trace: two-space indentation, but any value whose compact form
 * fits in 100 columns stays on one line (short lists, records, #bigint).
 */
export function formatItf(trace: ItfTrace): string {
  return fmt(trace, '') + '\n';
}

/** JSON on one line with a space after ':' and ','. */
function compactJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : compactJson(x))).join(', ')}]`;
  if (typeof v === 'object' && v !== null)
    return `{${Object.entries(v)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => `${JSON.stringify(k)}: ${compactJson(x)}`)
      .join(', ')}}`;
  return JSON.stringify(v) ?? 'null';
}

function fmt(v: unknown, indent: string): string {
  const compact = compactJson(v);
  if (typeof v !== 'object' || v === null || compact.length + indent.length <= 100) return compact;
  const inner = indent + '  ';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[\n${v.map((x) => inner + fmt(x, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(v).filter(([, x]) => x !== undefined);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${fmt(x, inner)}`).join(',\n')}\n${indent}}`;
}

/** Write `trace` to `path` (creating directories). */
export function writeItf(path: string, trace: ItfTrace): void {
  validateItf(trace);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, formatItf(trace));
}
