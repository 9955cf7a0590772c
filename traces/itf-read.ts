/**
 * Reading mmcheck ITF traces: validation with one-line errors, and what replay
 * and the viewers need (schedule, scenario, decoded trace). Split from itf.ts;
 * itf.ts re-exports all of it.
 */
import { readFileSync } from 'node:fs';
import type { StepLabel, ThreadView, Trace, TraceState, Violation } from '../checker/result.js';
import type { ItfExpr, Schema } from '../checker/schema.js';
import { itfInt } from '../checker/schema.js';
import type { ArgValue, RetValue, Scenario } from '../checker/types.js';
import type { ItfTrace } from './itf.js';
import { ItfError, MMCHECK_VARS, itfToPlain, validateExpr } from './itf-expr.js';

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
  if (!isRecord(sc) || typeof sc['name'] !== 'string')
    throw new ItfError('#meta.scenario must be an object with a name');
  if (sc['params'] !== undefined) validateExpr(sc['params'], '#meta.scenario.params');
  if (sc['threads'] !== undefined) checkScripts(sc['threads']);
  const vt = meta['varTypes'];
  if (!isRecord(vt)) throw new ItfError('#meta.varTypes must be an object');
  for (const v of MMCHECK_VARS)
    if (!(vars as string[]).includes(v)) throw new ItfError(`not an mmcheck trace: "vars" lacks '${v}'`);

  states.forEach((s: Record<string, unknown>, i: number) => checkMmcheckState(s, i));
}

/** One state of an mmcheck trace: its #meta (the transition that led to it), threads, spec set, faults. */
function checkMmcheckState(s: Record<string, unknown>, i: number): void {
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
    ...(typeof s.kernelVersion === 'string' ? { kernelVersion: s.kernelVersion } : {}),
  };
}

export function subsystemOf(itf: ItfTrace): string {
  return itf['#meta'].subsystem;
}

/** The alternative implementation the trace was found in (`#meta.impl`), or undefined for the main one. */
export function implOf(itf: ItfTrace): string | undefined {
  const v = itf['#meta'].impl;
  return typeof v === 'string' ? v : undefined;
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
