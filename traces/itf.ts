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
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CheckResult, StepLabel, ThreadView, Trace, TraceState, Violation, ViolationKind } from '../checker/result.js';
import type { ItfExpr, Schema } from '../checker/schema.js';
import { itfInt } from '../checker/schema.js';
import type { ArgValue, Args, RetValue, Scenario, ThreadScript } from '../checker/types.js';

// ---------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------

/** A one-line error about a malformed or foreign trace file. */
export class ItfError extends Error {
  override readonly name = 'ItfError';
}

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
}

export interface ItfTraceMeta {
  readonly format: 'ITF';
  readonly 'format-description': string;
  readonly source: 'mmcheck';
  readonly description: string;
  readonly timestamp?: string;
  readonly subsystem: string;
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

/** Variables every mmcheck trace has (plus `abstract` when a spec is registered). */
export const MMCHECK_VARS = ['impl', 'threads', 'spec', 'faultsUsed'] as const;

const THREADS_TYPE =
  'Seq([tid: Int, slot: Int, finished: Bool, op?: Str, args?: Str -> (Int|Str|Bool), pc?: Str, locals?: Str -> Int])';

// ---------------------------------------------------------------------------
// Generic plain data <-> ITF
// ---------------------------------------------------------------------------

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** `o[k] = v` as an own property, also for k = '__proto__'. */
function setOwn<T>(o: Record<string, T>, k: string, v: T): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

function unserializable(repr: string): ItfExpr {
  return { '#unserializable': repr };
}

/**
 * Convert arbitrary plain data to an ITF expression:
 *   safe integers -> JSON numbers; other integers and bigints -> {"#bigint"};
 *   strings, booleans as is; arrays -> lists; `Set` -> {"#set"}; `Map` -> {"#map"};
 *   plain objects -> records (fields whose value is `undefined` are dropped, as in JSON;
 *   an object with a key starting with '#' becomes a {"#map"} with string keys, since
 *   ITF record fields must not start with '#');
 *   null, undefined, non-integer or non-finite numbers, functions, symbols and cycles
 *   -> {"#unserializable": "<repr>"}.
 */
export function plainToItf(v: unknown): ItfExpr {
  return toItfRec(v, new Set());
}

function toItfRec(v: unknown, seen: Set<object>): ItfExpr {
  switch (typeof v) {
    case 'boolean':
    case 'string':
      return v;
    case 'number':
      if (Number.isInteger(v)) return Math.abs(v) <= MAX_SAFE ? v : { '#bigint': BigInt(v).toString() };
      return unserializable(String(v));
    case 'bigint':
      return v >= -BigInt(MAX_SAFE) && v <= BigInt(MAX_SAFE) ? Number(v) : { '#bigint': v.toString() };
    case 'undefined':
      return unserializable('undefined');
    case 'function':
      return unserializable(`function ${(v as { name?: string }).name ?? ''}`.trim());
    case 'symbol':
      return unserializable(String(v));
    default:
      break;
  }
  if (v === null) return unserializable('null');
  const o = v as object;
  if (seen.has(o)) return unserializable('[Circular]');
  seen.add(o);
  try {
    if (Array.isArray(o)) return o.map((x) => toItfRec(x, seen));
    if (ArrayBuffer.isView(o) && !(o instanceof DataView))
      return Array.from(o as unknown as ArrayLike<number | bigint>, (x) => toItfRec(x, seen));
    if (o instanceof Set) return { '#set': [...o].map((x) => toItfRec(x, seen)) };
    if (o instanceof Map) return { '#map': [...o].map(([k, x]) => [toItfRec(k, seen), toItfRec(x, seen)]) };
    const entries = Object.entries(o).filter(([, x]) => x !== undefined);
    if (entries.some(([k]) => k.startsWith('#')))
      return { '#map': entries.map(([k, x]) => [k, toItfRec(x, seen)]) };
    const out: Record<string, ItfExpr> = {};
    for (const [k, x] of entries) setOwn(out, k, toItfRec(x, seen));
    return out;
  } finally {
    seen.delete(o);
  }
}

/**
 * The inverse of `plainToItf` for trace tooling: numbers as numbers, `#bigint`
 * as a number when safe and a `bigint` otherwise, lists as arrays, `#tup` as
 * arrays, `#set` as `Set`, `#map` as `Map`, records as objects, and
 * `#unserializable` "null"/"undefined"/"NaN"/"Infinity"/numeric reprs back to those values
 * (any other `#unserializable` stays as the `{"#unserializable": ...}` object).
 * Assumes a validated expression (see `validateExpr`).
 */
export function itfToPlain(e: unknown): unknown {
  if (Array.isArray(e)) return e.map(itfToPlain);
  if (typeof e !== 'object' || e === null) return e;
  const o = e as Record<string, unknown>;
  if ('#bigint' in o) {
    const b = BigInt(o['#bigint'] as string);
    return b >= -BigInt(MAX_SAFE) && b <= BigInt(MAX_SAFE) ? Number(b) : b;
  }
  if ('#set' in o) return new Set((o['#set'] as unknown[]).map(itfToPlain));
  if ('#tup' in o) return (o['#tup'] as unknown[]).map(itfToPlain);
  if ('#map' in o)
    return new Map((o['#map'] as unknown[][]).map(([k, x]) => [itfToPlain(k), itfToPlain(x)] as [unknown, unknown]));
  if ('#unserializable' in o) {
    const r = o['#unserializable'];
    if (r === 'null') return null;
    if (r === 'undefined') return undefined;
    if (typeof r === 'string' && /^(-?Infinity|NaN|-?\d+(\.\d+)?(e[-+]?\d+)?)$/.test(r)) return Number(r);
    return { '#unserializable': r };
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) setOwn(out, k, itfToPlain(x));
  return out;
}

const BIGINT_RE = /^-?[0-9]+$/;

/** Throw an ItfError naming the first place where `e` is not a valid ITF expression. */
export function validateExpr(e: unknown, path: string): void {
  switch (typeof e) {
    case 'boolean':
    case 'string':
      return;
    case 'number':
      if (!Number.isInteger(e)) throw new ItfError(`${path}: ${e} is not an integer (ITF has no floats)`);
      if (Math.abs(e) > MAX_SAFE)
        throw new ItfError(`${path}: integer ${e} is outside ±(2^53-1); write it as {"#bigint": "..."}`);
      return;
    case 'object':
      break;
    default:
      throw new ItfError(`${path}: ${typeof e} is not an ITF value`);
  }
  if (e === null) throw new ItfError(`${path}: null is not an ITF value (use {"#unserializable": "null"})`);
  if (Array.isArray(e)) {
    e.forEach((x, i) => validateExpr(x, `${path}[${i}]`));
    return;
  }
  const o = e as Record<string, unknown>;
  const keys = Object.keys(o);
  const tag = keys.find((k) => k.startsWith('#'));
  if (tag === undefined) {
    for (const k of keys) validateExpr(o[k], `${path}.${k}`);
    return;
  }
  if (keys.length !== 1) throw new ItfError(`${path}: '${tag}' must be the only key of its object`);
  const x = o[tag];
  switch (tag) {
    case '#bigint':
      if (typeof x !== 'string' || !BIGINT_RE.test(x))
        throw new ItfError(`${path}: bad #bigint ${JSON.stringify(x)} (expected a string of digits, optional '-')`);
      return;
    case '#set':
    case '#tup':
      if (!Array.isArray(x)) throw new ItfError(`${path}: ${tag} must hold a list`);
      x.forEach((y, i) => validateExpr(y, `${path}.${tag}[${i}]`));
      return;
    case '#map':
      if (!Array.isArray(x)) throw new ItfError(`${path}: #map must hold a list of [key, value] pairs`);
      x.forEach((p, i) => {
        if (!Array.isArray(p) || p.length !== 2)
          throw new ItfError(`${path}.#map[${i}]: expected a [key, value] pair`);
        validateExpr(p[0], `${path}.#map[${i}][0]`);
        validateExpr(p[1], `${path}.#map[${i}][1]`);
      });
      return;
    case '#unserializable':
      if (typeof x !== 'string') throw new ItfError(`${path}: #unserializable must hold a string`);
      return;
    default:
      throw new ItfError(`${path}: unknown ITF tag '${tag}'`);
  }
}

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
      result.variant ? ` (variant ${result.variant})` : ''
    }: ${transitions.length} steps`,
    ...(opts.timestamp ? { timestamp: opts.timestamp } : {}),
    subsystem: result.subsystem,
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

// ---------------------------------------------------------------------------
// Reading and validation
// ---------------------------------------------------------------------------

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x);
}

const ARG_TYPES = new Set(['number', 'string', 'boolean']);

function checkArgs(x: unknown, path: string): void {
  if (!isRecord(x)) throw new ItfError(`${path}: expected a record of arguments`);
  for (const [k, a] of Object.entries(x))
    if (!ARG_TYPES.has(typeof a)) throw new ItfError(`${path}.${k}: argument must be a number, string or boolean`);
}

export interface ParseOptions {
  /** Require an mmcheck trace (#meta.source 'mmcheck', the mmcheck vars and step metadata). Default true. */
  readonly mmcheck?: boolean;
}

/** Validate the structure of an ITF trace; throws ItfError with a one-line message. */
export function validateItf(x: unknown, opts: ParseOptions = {}): asserts x is ItfTrace {
  if (!isRecord(x)) throw new ItfError('not an ITF trace: top level is not a JSON object');
  const vars = x['vars'];
  if (vars === undefined) throw new ItfError('not an ITF trace: missing "vars"');
  if (!Array.isArray(vars) || vars.some((v) => typeof v !== 'string'))
    throw new ItfError('"vars" must be a list of strings');
  if (new Set(vars).size !== vars.length) throw new ItfError('"vars" lists a variable twice');
  const params = x['params'];
  if (params !== undefined && (!Array.isArray(params) || params.some((p) => typeof p !== 'string')))
    throw new ItfError('"params" must be a list of strings');
  const states = x['states'];
  if (states === undefined) throw new ItfError('not an ITF trace: missing "states"');
  if (!Array.isArray(states)) throw new ItfError('"states" must be a list');
  if (states.length === 0) throw new ItfError('"states" is empty');
  const loop = x['loop'];
  if (loop !== undefined && (!isInt(loop) || loop < 0 || loop >= states.length))
    throw new ItfError(`"loop" must be a state index in [0, ${states.length - 1}]`);
  const meta = x['#meta'];
  if (meta !== undefined && !isRecord(meta)) throw new ItfError('"#meta" must be an object');
  for (const k of Object.keys(x))
    if (!['#meta', 'vars', 'params', 'states', 'loop'].includes(k)) throw new ItfError(`unknown top-level key '${k}'`);

  const allowed = new Set<string>([...(vars as string[]), ...((params as string[] | undefined) ?? []), '#meta']);
  states.forEach((s: unknown, i: number) => {
    if (!isRecord(s)) throw new ItfError(`states[${i}] is not an object`);
    for (const v of vars as string[]) if (!(v in s)) throw new ItfError(`states[${i}] is missing var '${v}'`);
    for (const [k, e] of Object.entries(s)) {
      if (!allowed.has(k)) throw new ItfError(`states[${i}] has '${k}', which is not in vars`);
      if (k === '#meta') {
        if (!isRecord(e)) throw new ItfError(`states[${i}].#meta must be an object`);
      } else validateExpr(e, `states[${i}].${k}`);
    }
  });

  if (opts.mmcheck === false) return;
  if (!isRecord(meta)) throw new ItfError('not an mmcheck trace: no "#meta"');
  if (meta['source'] !== 'mmcheck')
    throw new ItfError(`not an mmcheck trace: #meta.source is ${JSON.stringify(meta['source'] ?? null)}`);
  if (meta['format'] !== 'ITF') throw new ItfError(`#meta.format must be "ITF"`);
  if (typeof meta['subsystem'] !== 'string') throw new ItfError('#meta.subsystem must be a string');
  if (meta['variant'] !== null && typeof meta['variant'] !== 'string')
    throw new ItfError('#meta.variant must be a string or null');
  if (typeof meta['property'] !== 'string') throw new ItfError('#meta.property must be a string');
  const viol = meta['violation'];
  if (!isRecord(viol) || typeof viol['kind'] !== 'string' || typeof viol['message'] !== 'string')
    throw new ItfError('#meta.violation must be {kind, property, message}');
  const sc = meta['scenario'];
  if (!isRecord(sc) || typeof sc['name'] !== 'string') throw new ItfError('#meta.scenario must be an object with a name');
  if (sc['params'] !== undefined) validateExpr(sc['params'], '#meta.scenario.params');
  if (sc['threads'] !== undefined) checkScripts(sc['threads']);
  const vt = meta['varTypes'];
  if (!isRecord(vt)) throw new ItfError('#meta.varTypes must be an object');
  for (const v of MMCHECK_VARS)
    if (!(vars as string[]).includes(v)) throw new ItfError(`not an mmcheck trace: "vars" lacks '${v}'`);

  states.forEach((s: Record<string, unknown>, i: number) => {
    const m = s['#meta'];
    const p = `states[${i}].#meta`;
    if (!isRecord(m)) throw new ItfError(`${p} is missing`);
    if (m['index'] !== i) throw new ItfError(`${p}.index is ${JSON.stringify(m['index'])}, expected ${i}`);
    const th = s['threads'];
    if (!Array.isArray(th)) throw new ItfError(`states[${i}].threads must be a list`);
    th.forEach((t, j) => {
      if (!isRecord(t) || !isInt(t['tid']) || !isInt(t['slot']) || typeof t['finished'] !== 'boolean')
        throw new ItfError(`states[${i}].threads[${j}] must be a record with tid, slot, finished`);
    });
    if (!isRecord(s['spec']) || !Array.isArray((s['spec'] as Record<string, unknown>)['#set']))
      throw new ItfError(`states[${i}].spec must be a {"#set": [...]}`);
    if (itfInt(s['faultsUsed']) === undefined) throw new ItfError(`states[${i}].faultsUsed must be an integer`);
    if (i === 0) return;
    if (!isInt(m['thread']) || (m['thread'] as number) < 0) throw new ItfError(`${p}.thread must be a thread id`);
    if (typeof m['op'] !== 'string') throw new ItfError(`${p}.op must be a string`);
    checkArgs(m['args'], `${p}.args`);
    if (!isInt(m['slot'])) throw new ItfError(`${p}.slot must be an integer`);
    if (!isInt(m['alt'])) throw new ItfError(`${p}.alt must be an integer`);
    if (typeof m['step'] !== 'string') throw new ItfError(`${p}.step must be a string`);
    if (!Array.isArray(m['choices']) || !m['choices'].every(isInt))
      throw new ItfError(`${p}.choices must be a list of integers`);
    if (!Array.isArray(m['injected']) || !m['injected'].every((y) => typeof y === 'string'))
      throw new ItfError(`${p}.injected must be a list of strings`);
    if ('ret' in m && m['ret'] !== null && !ARG_TYPES.has(typeof m['ret']))
      throw new ItfError(`${p}.ret must be a number, string, boolean or null`);
    if (typeof m['invoked'] !== 'boolean') throw new ItfError(`${p}.invoked must be a boolean`);
  });
}

function checkScripts(x: unknown): void {
  const p = '#meta.scenario.threads';
  if (!Array.isArray(x)) throw new ItfError(`${p} must be a list of thread scripts`);
  x.forEach((t, i) => {
    if (!Array.isArray(t)) throw new ItfError(`${p}[${i}] must be a list of slots`);
    t.forEach((slot, j) => {
      if (!Array.isArray(slot)) throw new ItfError(`${p}[${i}][${j}] must be a list of alternatives`);
      slot.forEach((c, k) => {
        if (!isRecord(c) || typeof c['op'] !== 'string')
          throw new ItfError(`${p}[${i}][${j}][${k}] must be {op, args}`);
        checkArgs(c['args'], `${p}[${i}][${j}][${k}].args`);
      });
    });
  });
}

/** Parse and validate ITF JSON text (or an already parsed value). */
export function parseItf(json: string | unknown, opts: ParseOptions = {}): ItfTrace {
  let x: unknown = json;
  if (typeof json === 'string') {
    try {
      x = JSON.parse(json);
    } catch (e) {
      throw new ItfError(`not JSON: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  validateItf(x, opts);
  return x;
}

/** Read and validate an `.itf.json` file; errors are one line and name the file. */
export function readItf(path: string, opts: ParseOptions = {}): ItfTrace {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ItfError(`${path}: cannot read (${code ?? (e as Error).message})`);
  }
  try {
    return parseItf(text, opts);
  } catch (e) {
    if (e instanceof ItfError) throw new ItfError(`${path}: ${e.message}`);
    throw e;
  }
}

// ---------------------------------------------------------------------------
// What replay and the viewers need
// ---------------------------------------------------------------------------

/** The schedule: one StepLabel per transition, from the `#meta` of states 1..n. */
export function scheduleOf(itf: ItfTrace): StepLabel[] {
  if (itf['#meta']?.source !== 'mmcheck') throw new ItfError('not an mmcheck trace: it has no schedule');
  return itf.states.slice(1).map((s) => {
    const m = s['#meta'];
    const label: StepLabel = {
      tid: m.thread!,
      op: m.op!,
      args: { ...m.args },
      slot: m.slot!,
      alt: m.alt!,
      step: m.step!,
      choices: [...m.choices!],
      injected: [...m.injected!],
      ...('ret' in m ? { ret: m.ret as RetValue } : {}),
      invoked: m.invoked!,
    };
    return label;
  });
}

/**
 * The scenario the trace was found in, rebuilt for replay. Throws ItfError when
 * the trace was written without the scenario's thread scripts.
 */
export function scenarioOf(itf: ItfTrace): Scenario<unknown> {
  const s = itf['#meta'].scenario;
  if (!s.threads)
    throw new ItfError(
      `trace has no thread scripts for scenario '${s.name}' (it was written without the scenario): cannot replay it`,
    );
  return {
    name: s.name,
    description: s.description ?? '',
    params: itfToPlain(s.params),
    threads: s.threads.map((t) => t.map((slot) => slot.map((c) => ({ op: c.op, args: { ...c.args } })))),
    ...(s.faults ? { faults: { budget: s.faults.budget, sites: [...s.faults.sites] } } : {}),
  };
}

export function subsystemOf(itf: ItfTrace): string {
  return itf['#meta'].subsystem;
}

export function variantOf(itf: ItfTrace): string | null {
  return itf['#meta'].variant ?? null;
}

function threadFromItf(e: ItfExpr): ThreadView {
  const r = e as Record<string, ItfExpr>;
  const t: { -readonly [K in keyof ThreadView]: ThreadView[K] } = {
    tid: r['tid'] as number,
    slot: r['slot'] as number,
    finished: r['finished'] as boolean,
  };
  if (r['op'] !== undefined) t.op = r['op'] as string;
  if (r['args'] !== undefined) t.args = itfToPlain(r['args']) as Record<string, ArgValue>;
  if (r['pc'] !== undefined) t.pc = r['pc'] as string;
  if (r['locals'] !== undefined) t.locals = itfToPlain(r['locals']) as Record<string, number>;
  return t;
}

/**
 * Rebuild the Trace. With `implSchema`, `impl` goes through `schema.fromItf`
 * (the exact inverse of what toItf wrote with the same schema); otherwise
 * through the generic `itfToPlain`. Spec views and `abstract` always use the
 * generic converter.
 */
export function traceOf(itf: ItfTrace, opts: { implSchema?: Schema<unknown> } = {}): Trace {
  const schema = opts.implSchema;
  const hasAbstract = itf.vars.includes('abstract');
  const hasSpec = itf['#meta'].hasSpec !== false;
  const states: TraceState[] = itf.states.map((s, i) => {
    let impl: unknown;
    try {
      impl = schema ? schema.fromItf(s['impl'], `states[${i}].impl`) : itfToPlain(s['impl']);
    } catch (e) {
      throw new ItfError((e as Error).message.split('\n')[0]!);
    }
    const spec = ((s['spec'] as { '#set': ItfExpr[] })['#set'] ?? []).map(itfToPlain);
    return {
      impl,
      threads: (s['threads'] as ItfExpr[]).map(threadFromItf),
      ...(hasAbstract ? { abstract: itfToPlain(s['abstract']) } : {}),
      ...(hasSpec ? { spec } : {}),
      faultsUsed: itfInt(s['faultsUsed']) ?? 0,
    };
  });
  return { states, transitions: scheduleOf(itf) };
}

/** The violation recorded in the trace, with its decoded Trace (for `renderTrace`). */
export function violationOf(itf: ItfTrace, opts: { implSchema?: Schema<unknown> } = {}): Violation {
  const v = itf['#meta'].violation;
  return { kind: v.kind, property: itf['#meta'].property, message: v.message, trace: traceOf(itf, opts) };
}
