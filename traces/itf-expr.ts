/**
 * Generic plain data <-> ITF expressions (Apalache ADR-015), and the checks
 * every ITF value must pass. Split from itf.ts; itf.ts re-exports all of it.
 */
import type { ItfExpr } from '../checker/schema.js';

/** A one-line error about a malformed or foreign trace file. */
export class ItfError extends Error {
  override readonly name = 'ItfError';
}

/** Variables every mmcheck trace has (plus `abstract` when a spec is registered). */
export const MMCHECK_VARS = ['impl', 'threads', 'spec', 'faultsUsed'] as const;

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
 *   plain objects -> records, keys sorted (fields whose value is `undefined` are dropped, as in JSON;
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
    // keys in code-unit order: a value decoded from a shared intern table (a spec view a worker of
    // --workers N interned, intern.ts canonicalDecode) has its keys sorted, the spec's own object
    // has them in creation order; the trace must be the same bytes for every N
    const entries = Object.entries(o)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (entries.some(([k]) => k.startsWith('#'))) return { '#map': entries.map(([k, x]) => [k, toItfRec(x, seen)]) };
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
        if (!Array.isArray(p) || p.length !== 2) throw new ItfError(`${path}.#map[${i}]: expected a [key, value] pair`);
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
